//! Seeded random metric policies over generated event logs: aggregates of every
//! kind with and without windows, event `let`s and `where`s, `population
//! where`, every population function (nested ones too) and a customers table
//! joined to the events, with customers that have no events and events of
//! customers that have no row.

use super::sqlrun::case::Case;
use super::sqlrun::Rng;
use std::fmt::Write as _;

const AS_OF: &str = "2011-06-30";

/// Events of customers 4..=30 (some with no id), from 2009-06 to past the as-of day.
fn events(rng: &mut Rng) -> String {
    let mut out = String::from("cust,inv,qty,price,at,chan\n");
    let start = tierlang::number::Date::parse("2009-06-01").unwrap();
    for i in 0..320 {
        let cust = if rng.below(25) == 0 { String::new() } else { (4 + rng.below(27)).to_string() };
        let inv = format!("{}{}", if rng.below(8) == 0 { "C" } else { "" }, 1000 + i / 3);
        let qty = rng.below(24) as i64 - 3;
        let price = format!("{}.{:02}", rng.below(90), rng.below(100));
        let at = match rng.below(30) {
            0 => String::new(),
            // Exactly at midnight, on and around the window edges.
            1 => format!(
                "{} 00:00:00",
                rng.pick(&["2011-06-30", "2011-06-29", "2011-03-31", "2010-06-30", "2011-05-31"])
            ),
            _ => {
                let d = start.add_days(rng.below(770) as i64).unwrap();
                format!("{d} {:02}:{:02}:{:02}", rng.below(24), rng.below(60), rng.below(60))
            }
        };
        let chan = rng.pick(&["a", "b", "c"]);
        let _ = writeln!(out, "{cust},{inv},{qty},{price},{at},{chan}");
    }
    out
}

fn policy(rng: &mut Rng, with_customers: bool) -> String {
    let mut p = String::from("policy \"random metrics\" { version: 1 }\n");
    if with_customers {
        p.push_str("schema { cust: integer key  seg: text? }\n");
    }
    p.push_str(
        "events ev {\n  cust: integer key from \"cust\"\n  inv: text from \"inv\"\n  qty: number from \"qty\"\n  price: money from \"price\"\n  at: datetime? time from \"at\"\n  chan: text from \"chan\"\n  let amount = qty * price\n",
    );
    for w in ["where not contains(inv, \"C\")", "where qty > 0", "where chan != \"c\""] {
        if rng.below(2) == 0 {
            let _ = writeln!(p, "  {w}");
        }
    }
    p.push_str("}\n");
    let windows = [
        "",
        " within last 1 month",
        " within last 3 months",
        " within last 6 months",
        " within last 1 year",
        " within last 2 quarters",
        " within last 4 weeks",
        " within last 73 days",
        " within last 2 years",
    ];
    let aggs = ["count()", "count(distinct inv)", "sum(amount)", "avg(price)", "min(qty)", "max(price)", "sum(qty)"];
    for m in 0..3 {
        let agg = rng.pick(&aggs);
        let w = rng.pick(&windows);
        let _ = writeln!(p, "metric m{m} = {agg}{w}");
    }
    p.push_str("metric recency = days_since(max(at))\n");
    if rng.below(2) == 0 {
        p.push_str(rng.pick(&[
            "population where m0 > 0\n",
            "population where recency < 400\n",
            "population where m1 is present\n",
        ]));
    }
    let mut scores = Vec::new();
    for s in 0..2 {
        let arg = rng.pick(&["m0", "m1", "m2", "recency"]);
        let (call, cond) = match rng.below(9) {
            0 => (format!("quantile_score({arg}, {})", 2 + rng.below(5)), format!("s{s} >= 2")),
            1 => (format!("quantile_score({arg}, 5, reversed: true)"), format!("s{s} in [4, 5]")),
            2 => (format!("quantile_score(rank({arg}, ties: first), 4)"), format!("s{s} == 4")),
            3 => {
                let ties = rng.pick(&["first", "average", "min", "max"]);
                (format!("rank({arg}, ties: {ties})"), format!("s{s} > 8.5"))
            }
            4 => (format!("percentile({arg})"), format!("s{s} >= 0.5")),
            5 => (format!("top({arg}, {}%)", rng.pick(&["10", "25", "33", "50", "0"])), format!("s{s}")),
            6 => (format!("rank({arg}, ties: average)"), format!("s{s} <= 3")),
            7 => (format!("quantile_score({arg}, 3)"), format!("s{s} == 2")),
            _ => (format!("percentile({arg})"), format!("s{s} < 0.34")),
        };
        let _ = writeln!(p, "metric s{s} = {call}");
        scores.push(cond);
    }
    let extra = if with_customers { " or seg == \"x\"" } else { "" };
    let _ = writeln!(p, "tier A {{ when {} and {}  strategy {{ n: 1 }} }}", scores[0], scores[1]);
    let _ = writeln!(p, "tier B {{ when {}{extra}  strategy {{ n: 2 }} }}", scores[1]);
    let _ = writeln!(p, "tier C {{ when m2 is missing or m0 is present  strategy {{ n: 3 }} }}");
    p.push_str("tier D { otherwise  strategy { n: 4 } }\n");
    p
}

/// Customers 1..=25 in key order (1..=3 have no events; 26..=30 have events
/// and no row, and come after them: customer order stays key order).
fn customers(rng: &mut Rng) -> String {
    let mut out = String::from("cust,seg\n");
    for k in 1..=25 {
        let seg = rng.pick(&["x", "y", ""]);
        let _ = writeln!(out, "{k},{seg}");
    }
    out
}

pub fn cases() -> Vec<Case> {
    let dir = crate::sqlrun::scratch("sql_metrics");
    let mut out = Vec::new();
    for seed in 1..=400u64 {
        if out.len() == 30 {
            break;
        }
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let with_customers = seed % 3 == 0;
        let src = policy(&mut rng, with_customers);
        let Some(checked) = tierlang::check::check(&tierlang::syntax::parse(&src).unwrap(), &src).checked else {
            continue;
        };
        // Windows whose rate is not a short decimal are refused by design.
        let program = tierlang::compile::compile(&checked);
        let cols: Vec<String> = ["cust", "inv", "qty", "price", "at", "chan"].map(String::from).to_vec();
        let tables = tierlang::sql::Tables {
            customers: with_customers.then_some("customers"),
            events: Some("events"),
            event_columns: Some(&cols),
            previous: None,
        };
        let as_of = tierlang::number::Date::parse(AS_OF).unwrap();
        if tierlang::sql::compile_tables(&checked, &program, tierlang::sql::Dialect::Sqlite, &tables, None, as_of)
            .is_err()
        {
            continue;
        }
        let policy = dir.join(format!("random{seed}.tier"));
        std::fs::write(&policy, &src).unwrap();
        let events_path = dir.join(format!("random{seed}.events.csv"));
        std::fs::write(&events_path, events(&mut rng)).unwrap();
        let customers_path = with_customers.then(|| {
            let p = dir.join(format!("random{seed}.customers.csv"));
            std::fs::write(&p, customers(&mut rng)).unwrap();
            p
        });
        out.push(Case::new(&format!("random {seed}"), policy, Some(events_path), customers_path, AS_OF));
    }
    assert_eq!(out.len(), 30, "only {} random metric policies check", out.len());
    out
}
