//! Metrics end to end through the binary, on small files whose answers are worked
//! out by hand in the comments: event accounting, windows, rates, the customers
//! join, the population filter, population functions over customer rows, the
//! reject report, and `tier explain`'s cut points (re-evaluated).

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use assert_cmd::Command;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tier(args: &[&str]) -> std::process::Output {
    tier_on(args, false)
}

/// `tier` on the parallel path, or on the plain one (`plain`).
fn tier_on(args: &[&str], plain: bool) -> std::process::Output {
    let mut cmd = Command::cargo_bin("tier").unwrap();
    if plain {
        cmd.env("TIER_PLAIN_PATH", "1");
    }
    cmd.current_dir(root()).env("NO_COLOR", "1").args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const LOYALTY: [&str; 7] = [
    "apply",
    "tests/events/loyalty.tier",
    "--events",
    "tests/events/loyalty_orders.csv",
    "--customers",
    "tests/events/loyalty_customers.csv",
    "--as-of",
];

/// As of 2024-07-01 00:00:
/// - c1: A1 (06-30 23:59, 100) and A2 (05-10, 50): both in the last 12 months and
///   the last quarter (from 04-01): spend 150, 2 orders a quarter; last order 1
///   minute before the as-of instant: 0 whole days.
/// - c2: A3 (01-15 09:00, 300) counts, A4 (2023-06-30) is before the 12-month
///   window (from 2023-07-01): spend 300; no order this quarter; 168 days minus
///   9 hours: 167 whole days.
/// - c3: X5 is filtered (`starts_with(order_no, "X")`); A7 (04-01 00:00, the
///   first instant of the quarter window): spend 40, 1 a quarter, 91 days.
/// - c5 spent -30 and c6 (customers file only) nothing: outside `spend > 0`.
/// - A6 has no customer; A8 is at the as-of instant (after); A9's amount is bad.
///
/// Population of 3: top(spend, 50%) = the ceil(1.5) = 2 highest (c2, c1);
/// percentile = share at or below: c3 1/3, c1 2/3, c2 1.
#[test]
fn events_windows_join_and_population_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.csv");
    let mut args = LOYALTY.to_vec();
    args.extend(["2024-07-01", "--on-error", "skip", "--rejects", rejects.to_str().unwrap(), "--summary", "json"]);
    let out = tier(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "id,value,value_label,strategy.perk,spend,orders_per_quarter,last_order_days,big_spender,spend_pct\n\
         c1,Gold,,free shipping,150,2,0,true,0.6666666666666666666666666667\n\
         c2,Silver,,coupon,300,0,167,true,1\n\
         c3,Bronze,,none,40,1,91,false,0.3333333333333333333333333333\n"
    );
    let summary: serde_json::Value = serde_json::from_str(text(&out.stderr).lines().last().unwrap()).unwrap();
    assert_eq!(
        summary["events"],
        serde_json::json!({"read": 10, "used": 6, "filtered": 1, "no_customer": 1, "after_as_of": 1, "rejected": 1})
    );
    assert_eq!((summary["rows_read"].as_u64(), summary["rows_written"].as_u64()), (Some(5), Some(3)));
    assert_eq!(summary["customers_excluded"], 2);
    // Pareto: the top customer (1 of 3, so the top 1..20% too) holds 300 of 490.
    assert_eq!(summary["pareto"][0], serde_json::json!({"top_percent": 1, "share": 0.612245}));
    assert_eq!(summary["pareto"][4], serde_json::json!({"top_percent": 50, "share": 0.918367}));
    let report = std::fs::read_to_string(&rejects).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 4, "{report}");
    assert!(lines[1].starts_with("9,10,amount,abc,tier::bad_value,"), "{report}");
    assert!(lines[2].contains("tier::outside_population") && lines[2].contains(r#"""id"":""c5"""#), "{report}");
    assert!(lines[3].contains(r#"""id"":""c6"""#) && lines[3].contains(r#"""region"":""North"""#), "{report}");
}

#[test]
fn a_bad_event_stops_the_run_by_default_with_its_row_and_column() {
    let mut args = LOYALTY.to_vec();
    args.push("2024-07-01");
    let out = tier(&args);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("tests/events/loyalty_orders.csv:10 (row 9): column `amount`: `abc` is not an amount"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn events_are_required_and_column_alternatives_are_named_when_missing() {
    let out = tier(&["apply", "tests/events/loyalty.tier", "--customers", "tests/events/loyalty_customers.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("pass it with --events FILE"), "{}", text(&out.stderr));
    // The customers file has no order columns: both accepted names are listed.
    let out = tier(&[
        "apply",
        "tests/events/loyalty.tier",
        "--events",
        "tests/events/loyalty_customers.csv",
        "--as-of",
        "2024-07-01",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("customer_id` or `client"), "{err}");
}

/// pandas.qcut(spend, 4, labels=False) + 1 for spend 1..10 is 1,1,1,2,2,3,3,4,4,4.
#[test]
fn population_functions_over_customer_rows_follow_qcut() {
    let out = tier(&["apply", "tests/events/quartiles.tier", "tests/events/quartiles.csv", "--summary", "none"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    let got: Vec<(String, String)> =
        r.records().map(|x| x.unwrap()).map(|x| (x[0].to_string(), x[3].to_string())).collect();
    for (id, q) in got {
        let spend: u32 = id[1..].parse().unwrap();
        let want = match spend {
            1..=3 => "1",
            4 | 5 => "2",
            6 | 7 => "3",
            _ => "4",
        };
        assert_eq!(q, want, "{id}");
    }
}

/// The cut points `tier explain` shows put the customer's input in the bucket of
/// its score, for every customer of the sample.
#[test]
fn explain_shows_cut_points_that_reproduce_each_score() {
    let out = tier(&[
        "apply",
        "policies/rfm.tier",
        "--events",
        "examples/online_retail_sample.csv",
        "--as-of",
        "2011-12-11",
        "--tiers-only",
        "--summary",
        "none",
    ]);
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    let ids: Vec<String> = r.records().map(|x| x.unwrap()[0].to_string()).collect();
    assert_eq!(ids.len(), 39);
    for id in ids.iter().step_by(5) {
        let out = tier(&[
            "explain",
            "policies/rfm.tier",
            "--events",
            "examples/online_retail_sample.csv",
            "--as-of",
            "2011-12-11",
            "--id",
            id,
            "--format",
            "json",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for m in doc["metrics"].as_array().unwrap() {
            for s in m["scores"].as_array().into_iter().flatten() {
                let Some(cuts) = s["cut_points"].as_array() else { continue };
                let cuts: Vec<f64> = cuts.iter().map(|c| c.as_f64().unwrap()).collect();
                let input = s["input"].as_f64().unwrap();
                let bucket = (1..cuts.len()).find(|&b| input <= cuts[b]).unwrap();
                let reversed = s["call"].as_str().unwrap().contains("reversed: true");
                let want = if reversed { cuts.len() - bucket } else { bucket };
                assert_eq!(s["value"].as_u64(), Some(want as u64), "{id} {s}");
                assert_eq!(s["population"], 39);
            }
        }
        let segment = doc["dimensions"][0]["tier"].as_str().unwrap();
        assert!(!segment.is_empty());
    }
}

/// The parallel event path and the plain one (`TIER_PLAIN_PATH=1`) write the same
/// bytes and the same accounting.
#[test]
fn the_parallel_and_plain_event_paths_agree() {
    let args = [
        "apply",
        "policies/rfm.tier",
        "--events",
        "examples/online_retail_sample.csv",
        "--as-of",
        "2011-12-11",
        "--summary",
        "json",
    ];
    let (fast, plain) = (tier(&args), tier_on(&args, true));
    assert!(fast.status.success() && plain.status.success());
    assert_eq!(text(&fast.stdout), text(&plain.stdout));
    assert_eq!(text(&fast.stderr), text(&plain.stderr));
}

/// Retention rules apply to tiers computed from metrics: the first run records
/// everyone as new, the next holds a customer whose spend fell below its tier
/// (once, under `demote after 2 evaluations below`), and budgets split over the
/// final tiers, as on any other run.
#[test]
fn retention_rules_and_budgets_work_with_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.tier");
    std::fs::write(
        &policy,
        r#"events e { customer: text key from "customer_id"  amount: money from "amount" }
metric spend = sum(amount)
dimension value {
  ordered
  retention { demote after 2 evaluations below }
  tier Top { when spend >= 100 }
  tier Rest { otherwise }
}
budget gifts 100 { Top: 100% }
"#,
    )
    .unwrap();
    let p = policy.to_str().unwrap();
    let month1 = dir.path().join("m1.csv");
    std::fs::write(&month1, "customer_id,amount\nc1,150\nc2,50\nc3,300\n").unwrap();
    let month2 = dir.path().join("m2.csv");
    std::fs::write(&month2, "customer_id,amount\nc1,20\nc2,500\n").unwrap();
    let out1 = dir.path().join("out1.csv");
    let run = |events: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["apply", p, "--events", events.to_str().unwrap(), "--as-of", "2024-06-30"];
        args.extend_from_slice(extra);
        tier(&args)
    };
    let first = run(&month1, &["-o", out1.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let written = std::fs::read_to_string(&out1).unwrap();
    assert!(
        written.starts_with(
            "customer,value,value_label,spend,value_previous,value_movement,value_entered,value_below,budget.gifts\n"
        ),
        "{written}"
    );
    assert!(written.contains("c1,Top,,150,,new,2024-06-30,0,50"), "{written}");
    assert!(written.contains("c3,Top,,300,,new,2024-06-30,0,50"), "{written}");
    let second = run(&month2, &["--previous", out1.to_str().unwrap(), "--summary", "json"]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    let now = text(&second.stdout);
    // c1 fell to 20: held in Top once; c2 is promoted; c3 has left the log.
    assert!(now.contains("c1,Top,,20,Top,held,2024-06-30,1,50"), "{now}");
    assert!(now.contains("c2,Top,,500,Rest,promoted,2024-06-30,0,50"), "{now}");
    assert!(now.contains("c3,,,,Top,gone,,0,0"), "{now}");
    let summary: serde_json::Value = serde_json::from_str(text(&second.stderr).lines().last().unwrap()).unwrap();
    assert_eq!(summary["budgets"][0]["tiers"][0]["customers"], 2, "{summary}");
}

/// A customer's id written two ways (`7`, `7.0`) is one customer however its
/// events are ordered: consecutive events of one customer skip the key lookup,
/// and one written differently must still find the same customer.
#[test]
fn one_customer_written_two_ways_is_one_customer_on_both_paths() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.tier");
    std::fs::write(
        &policy,
        "policy \"ids\" {\n  as_of: 2024-07-01\n}\n\nevents orders {\n  customer: integer key from \"customer\"\n  \
         order_no: text from \"order\"\n  at: datetime time from \"at\"\n}\n\nmetric orders = count(distinct order_no)\n\n\
         dimension d {\n  tier many {\n    when orders >= 2\n  }\n  tier few {\n    otherwise\n  }\n}\n",
    )
    .unwrap();
    let events = dir.path().join("e.csv");
    std::fs::write(
        &events,
        "customer,order,at\n7,A,2024-01-01 10:00\n7.0,B,2024-01-02 10:00\n8,C,2024-01-03 10:00\n7.00,C,2024-01-04 10:00\n7,A,2024-01-05 10:00\n",
    )
    .unwrap();
    let args = ["apply", policy.to_str().unwrap(), "--events", events.to_str().unwrap(), "--summary", "none"];
    for plain in [false, true] {
        let out = tier_on(&args, plain);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "customer,d,d_label,orders\n7,many,,3\n8,few,,1\n", "plain path: {plain}");
    }
}
