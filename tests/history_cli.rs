//! Tiers over time end to end: `policies/loyalty_program.tier` on three monthly
//! snapshots of the same members (`examples/loyalty_2025-0{1,2,3}.csv`), run in
//! sequence with `--previous`. Every movement, hold and budget figure is asserted;
//! the chained runs are compared with one replay of the months through the
//! library; `tier explain --previous` says why a member is held.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tierlang::number::{Date, Decimal};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tier(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("tier").unwrap().current_dir(root()).env("NO_COLOR", "1").args(args).output().unwrap()
}

const MONTHS: [(&str, &str); 3] = [("2025-01", "2025-01-31"), ("2025-02", "2025-02-28"), ("2025-03", "2025-03-31")];

/// Runs the three months in sequence; returns each output path and JSON summary.
fn run_months(dir: &Path) -> Vec<(PathBuf, serde_json::Value)> {
    let mut out: Vec<(PathBuf, serde_json::Value)> = Vec::new();
    for (month, as_of) in MONTHS {
        let target = dir.join(format!("{month}.csv"));
        let data = format!("examples/loyalty_{month}.csv");
        let mut args = vec!["apply", "policies/loyalty_program.tier", &data, "--as-of", as_of, "--summary", "json"];
        let prev;
        if let Some((p, _)) = out.last() {
            prev = p.display().to_string();
            args.extend(["--previous", &prev]);
        }
        let t = target.display().to_string();
        args.extend(["-o", &t]);
        let o = tier(&args);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(o.status.success(), "{month}: {err}");
        out.push((target, serde_json::from_str(err.lines().last().unwrap()).unwrap()));
    }
    out
}

/// Rows by key: column name -> cell.
fn rows(path: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|x| x.unwrap())
        .map(|x| (x[0].to_string(), h.iter().zip(x.iter()).map(|(a, b)| (a.to_string(), b.to_string())).collect()))
        .collect()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn three_months_of_movements_holds_and_budgets() {
    let dir = tempfile::tempdir().unwrap();
    let runs = run_months(dir.path());
    let (feb, mar) = (rows(&runs[1].0), rows(&runs[2].0));
    let value = |m: &BTreeMap<String, BTreeMap<String, String>>, k: &str| {
        let r = &m[k];
        (r["value"].clone(), r["value_previous"].clone(), r["value_movement"].clone(), r["value_below"].clone())
    };
    let s = |a: &str, b: &str, c: &str, d: &str| (a.to_string(), b.to_string(), c.to_string(), d.to_string());
    // January: everyone is new.
    let jan = rows(&runs[0].0);
    assert!(jan.values().all(|r| r["value_movement"] == "new" && r["value_entered"] == "2025-01-31"));
    // February, against January.
    assert_eq!(value(&feb, "c01"), s("SuperVIP", "SuperVIP", "retained", "0"));
    assert_eq!(value(&feb, "c02"), s("SuperVIP", "VIP", "promoted", "0")); // 21万
    assert_eq!(value(&feb, "c03"), s("VIP", "VIP", "held", "1")); // 3万: first month below VIP
    assert_eq!(value(&feb, "c04"), s("VIP", "VIP", "held", "1")); // 5000: below VIP
    assert_eq!(value(&feb, "c05"), s("VIP", "Important", "promoted", "0"));
    assert_eq!(value(&feb, "c07"), s("Important", "", "new", "0"));
    assert_eq!(value(&feb, "c08"), s("VIP", "VIP", "held", "1"));
    assert_eq!(value(&feb, "c12"), s("SuperVIP", "General", "promoted", "0")); // promoted at once, three levels
    assert_eq!(feb["c02"]["value_entered"], "2025-02-28");
    // March, against February.
    assert_eq!(value(&mar, "c02"), s("SuperVIP", "SuperVIP", "held", "1")); // 6万, kept 12 months after promotion
    assert_eq!(value(&mar, "c03"), s("Important", "VIP", "demoted", "0")); // second month below
    assert_eq!(value(&mar, "c04"), s("Important", "VIP", "demoted", "0")); // criteria say General: one tier at a time
    assert_eq!(value(&mar, "c05"), s("VIP", "VIP", "retained", "0"));
    assert_eq!(value(&mar, "c08"), s("VIP", "VIP", "retained", "0")); // back above: the count starts again
    assert_eq!(value(&mar, "c06"), s("", "General", "gone", "0")); // not in March's data: listed
    assert_eq!(mar["c03"]["value_entered"], "2025-03-31");
    assert_eq!(mar.len(), 12);
    // Movement counts and the matrix in the JSON summary.
    let h = &runs[2].1["history"][0];
    assert_eq!(h["dimension"], "value");
    let m = &h["movements"];
    assert_eq!(
        (m["retained"].as_u64(), m["held"].as_u64(), m["demoted"].as_u64(), m["gone"].as_u64()),
        (Some(8), Some(1), Some(2), Some(1))
    );
    assert_eq!(runs[1].1["history"][0]["movements"]["promoted"], 3);
    // previous VIP (row 1) -> now Important (column 2): c03 and c04.
    assert_eq!(h["counts"][1][2], 2);
    // Combination strategies: a lapsing VIP gets a call, a lapsing SuperVIP the visit.
    assert_eq!(mar["c09"]["strategy.value.win_back_call"], "true");
    assert_eq!(mar["c10"]["strategy.value.gift"], "personal visit");
    assert_eq!(mar["c01"]["strategy.value.gift"], "birthday hamper");
    assert_eq!(mar["c01"]["strategy.value.win_back_call"], "");
    // Budgets in March: 4 SuperVIP, 3 VIP, 3 Important, 1 General, and c06 gone.
    let marketing = |k: &str| dec(&mar[k]["budget.marketing"]);
    assert_eq!(marketing("c01"), dec("125000")); // 50% of ¥1M over 4
    assert_eq!(marketing("c05"), dec("100000")); // 30% over 3
    assert_eq!(marketing("c03"), dec("50000")); // 15% over 3
    assert_eq!(marketing("c11"), dec("50000")); // 5% to the one General
    assert_eq!(marketing("c06"), dec("0"));
    let total = |col: &str| mar.values().map(|r| dec(&r[col])).sum::<Decimal>();
    assert_eq!(total("budget.marketing"), dec("1000000"));
    // Hours by weight 10/4/1: W = 4×10 + 3×4 + 3×1 = 55; SuperVIP 1200×10/55 = 218.18.
    assert_eq!(dec(&mar["c01"]["budget.service_hours"]), dec("218.18"));
    assert_eq!(total("budget.service_hours"), dec("1200"));
    let b = &runs[2].1["budgets"];
    assert_eq!(
        b[0]["tiers"][0],
        serde_json::json!({"tier": "SuperVIP", "amount": 500000, "customers": 4, "per_customer_min": 125000, "per_customer_max": 125000})
    );
    assert_eq!(b[1]["total"], 1200);
    // Odd cents: one VIP gets a cent more than the others.
    assert_eq!(
        b[1]["tiers"][1],
        serde_json::json!({"tier": "VIP", "amount": 261.82, "customers": 3, "per_customer_min": 87.27, "per_customer_max": 87.28})
    );
}

/// The chained runs give what one replay of the three months gives (the library,
/// one month after another, carrying state in memory instead of in files).
#[test]
fn month_by_month_equals_one_replay() {
    let dir = tempfile::tempdir().unwrap();
    let runs = run_months(dir.path());
    let src = std::fs::read_to_string(root().join("policies/loyalty_program.tier")).unwrap();
    let checked = tierlang::check::check(&tierlang::syntax::parse(&src).unwrap(), &src).checked.unwrap();
    let program = tierlang::compile::compile(&checked);
    let mut states: BTreeMap<String, Vec<tierlang::history::State>> = BTreeMap::new();
    let mut first = true;
    for (month, as_of) in MONTHS {
        let today = Date::parse(as_of).unwrap();
        let ev = tierlang::eval::Evaluator::new(&program, today);
        let file = std::fs::File::open(root().join(format!("examples/loyalty_{month}.csv"))).unwrap();
        let reader = tierlang::data::Reader::new(
            Box::new(file),
            tierlang::data::Format::Csv,
            month,
            &program.fields,
            program.key,
        )
        .unwrap();
        let mut next = BTreeMap::new();
        for row in reader {
            let row = row.unwrap();
            let mut frame = row.values.clone();
            let computed = ev.evaluate(&mut frame).unwrap();
            let carried: Vec<tierlang::history::State> = program
                .dimensions
                .iter()
                .enumerate()
                .map(|(d, dim)| {
                    let prev = if first { None } else { states.get(&row.key).map(|s| s[d].clone()) };
                    tierlang::history::step(dim, prev.as_ref(), computed[d].tier, today).state
                })
                .collect();
            next.insert(row.key, carried);
        }
        states = next;
        first = false;
    }
    let mar = rows(&runs[2].0);
    for (key, s) in &states {
        let r = &mar[key];
        for (d, dim) in program.dimensions.iter().enumerate() {
            assert_eq!(r[&dim.name], s[d].tier.clone().unwrap_or_default(), "{key} {}", dim.name);
            assert_eq!(r[&format!("{}_below", dim.name)], s[d].below.to_string(), "{key}");
            assert_eq!(
                r[&format!("{}_entered", dim.name)],
                s[d].entered.map(|e| e.to_string()).unwrap_or_default(),
                "{key}"
            );
        }
    }
}

#[test]
fn explain_says_why_a_member_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let runs = run_months(dir.path());
    let feb = runs[1].0.display().to_string();
    let out = tier(&[
        "explain",
        "policies/loyalty_program.tier",
        "examples/loyalty_2025-03.csv",
        "--id",
        "c02",
        "--as-of",
        "2025-03-31",
        "--previous",
        &feb,
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("c02 gets `VIP`"), "{text}"); // by its criteria
    assert!(
        text.contains("history in `value`: SuperVIP → SuperVIP, held: kept in SuperVIP until 2026-02-28 (12 months after promotion)"),
        "{text}"
    );
    let jan = runs[0].0.display().to_string();
    let out = tier(&[
        "explain",
        "policies/loyalty_program.tier",
        "examples/loyalty_2025-02.csv",
        "--id",
        "c03",
        "--as-of",
        "2025-02-28",
        "--previous",
        &jan,
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["history"][0]["movement"], "held");
    assert_eq!(doc["history"][0]["note"], "first evaluation below the criteria of VIP, 1 of 2");
    assert_eq!(doc["dimensions"][0]["strategy"].as_array().unwrap().len(), 3);
}

#[test]
fn a_previous_output_without_the_key_column_is_refused_with_its_columns() {
    let out = tier(&[
        "apply",
        "policies/loyalty_program.tier",
        "examples/loyalty_2025-02.csv",
        "--as-of",
        "2025-02-28",
        "--previous",
        "examples/hospitals.csv",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no column `id`") || err.contains("no column `value"), "{err}");
}

/// A customer twice in a previous output: refused at the second row, naming the
/// first (gone rows, which are skipped, do not count as the first).
#[test]
fn a_customer_twice_in_a_previous_output_names_both_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prev.csv");
    std::fs::write(&path, "id,value,value_movement\nc01,,gone\nc02,Gold,\nc01,Silver,\nc03,Gold,\nc01,Bronze,\n")
        .unwrap();
    let src = std::fs::read_to_string(root().join("policies/loyalty_program.tier")).unwrap();
    let checked = tierlang::check::check(&tierlang::syntax::parse(&src).unwrap(), &src).checked.unwrap();
    let program = tierlang::compile::compile(&checked);
    match tierlang::data::previous::read(&path.display().to_string(), &program) {
        Err(tierlang::data::DataError::DuplicateKey { at, key, first, .. }) => {
            assert_eq!((key.as_str(), at.row, at.line, first.row, first.line), ("c01", 5, Some(6), 3, Some(4)));
        }
        other => panic!("{other:?}"),
    }
}

/// Combination strategies on the parallel path (which renders each combination of
/// tiers once) are what the plain path writes.
#[test]
fn combination_strategies_are_the_same_on_both_paths() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.tier");
    std::fs::write(
        &policy,
        r#"schema { id: text key  spend: money  visits: integer }
dimension value {
  tier VIP { when spend >= 1000  strategy { gift: "hamper" } }
  tier Small { otherwise  strategy { gift: "none" } }
}
dimension activity {
  unordered
  tier Frequent { when visits >= 10  strategy { channel: "app" } }
  tier Rare { otherwise  strategy { channel: "sms" } }
}
when value is VIP and activity is Rare { strategy { call: true } }
when value is VIP and activity is Rare override { strategy { gift: "visit" } }
"#,
    )
    .unwrap();
    let data = dir.path().join("d.csv");
    let mut csv = String::from("id,spend,visits\n");
    for i in 0..200 {
        csv.push_str(&format!("c{i},{},{}\n", i * 10, i % 20));
    }
    std::fs::write(&data, csv).unwrap();
    let args = ["apply", policy.to_str().unwrap(), data.to_str().unwrap(), "--summary", "none"];
    let fast = tier(&args);
    let plain = Command::cargo_bin("tier").unwrap().env("TIER_PLAIN_PATH", "1").args(args).output().unwrap();
    assert!(fast.status.success(), "{}", String::from_utf8_lossy(&fast.stderr));
    assert_eq!(fast.stdout, plain.stdout);
    let text = String::from_utf8_lossy(&fast.stdout);
    // c100: spend 1000 (VIP), visits 0 (Rare): the override's gift and the call.
    let row = text.lines().find(|l| l.starts_with("c100,")).unwrap();
    assert!(row.contains("visit") && row.contains("true"), "{row}");
    let header = text.lines().next().unwrap();
    assert!(header.contains("strategy.value.call"), "{header}");
}

/// A record matching two tiers of a `hit unique` dimension that the analysis
/// (approximate over `contains`/`starts_with`, so `tier check` passes) did not
/// find stops a budget run, or goes to the reject report. (An overlap the
/// analysis finds is a policy error: apply refuses the policy.)
#[test]
fn a_unique_overlap_in_a_budget_run_is_rejected_like_a_bad_record() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.tier");
    std::fs::write(
        &policy,
        r#"schema { id: text key  code: text }
dimension kind {
  hit unique
  unordered
  tier A { when contains(code, "ab") }
  tier B { when starts_with(code, "b") and contains(code, "ab") }
  tier C { when not contains(code, "ab") }
}
budget gifts 100 { A: 50%, C: 50% }
"#,
    )
    .unwrap();
    let data = dir.path().join("d.csv");
    std::fs::write(&data, "id,code\nk1,ab\nk2,bab\nk3,b\n").unwrap();
    let check = tier(&["check", policy.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stderr));
    let (p, d) = (policy.to_str().unwrap(), data.to_str().unwrap());
    let out = tier(&["apply", p, d, "--summary", "none"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("matches tiers `A` and `B`"));
    let rejects = dir.path().join("rejects.csv");
    let out = tier(&["apply", p, d, "--on-error", "skip", "--rejects", rejects.to_str().unwrap(), "--summary", "none"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = std::fs::read_to_string(&rejects).unwrap();
    assert!(report.contains("tier::unique_overlap") && report.contains(r#"""code"":""bab"""#), "{report}");
    // k1 and k3 share the budget: 50 each.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("k1,A,,50") && text.contains("k3,C,,50"), "{text}");
}
