//! `tier diff OLD NEW` without data (`tierlang::regions`): the regions where two
//! versions decide differently. Every witness is re-evaluated under both
//! versions; generated records that change tier must fall in a reported
//! transition, and versions that agree report nothing.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use assert_cmd::Command;
use proptest::prelude::*;
use tierlang::compile::Program;
use tierlang::data::{decode, Cell};
use tierlang::eval::{Evaluator, Value};
use tierlang::number::Date;
use tierlang::regions::{diff, RegionsError, Transition};

use common::program;

fn today() -> Date {
    Date::parse("2024-06-30").unwrap()
}

const SCHEMA: &str =
    "schema { id: text key  spend: money  orders: count per year  visits: integer  region: enum(North, South)  last: date? }\n";

const OLD: &str = r#"
tier VIP { when spend > 100万 }
tier Important { when 30万 <= spend <= 100万 and orders >= 3/quarter }
tier Small { otherwise }
dimension life {
  hit unique
  unordered
  tier Active { when days_since(last) <= 90 }
  tier Lost { when days_since(last) > 90 or last is missing }
}
"#;

const NEW: &str = r#"
tier VIP { when spend >= 80万 and orders >= 1/month }
tier Important { when 30万 <= spend and orders >= 3/quarter }
tier Small { otherwise }
dimension life {
  hit unique
  unordered
  tier Active { when days_since(last) <= 120 and region == North }
  tier Lost { when days_since(last) > 120 or last is missing or region == South }
}
"#;

/// The tier name per dimension for a record given as `field = text` cells.
fn tiers(p: &Program, cells: &[(String, String)]) -> Vec<Option<String>> {
    let mut frame: Vec<Value> = p
        .fields
        .iter()
        .map(|f| {
            let cell = cells.iter().find(|(n, _)| *n == f.name).map(|(_, v)| Cell::Text(v.clone()));
            decode(f, cell.as_ref()).unwrap_or(Value::Missing)
        })
        .collect();
    let ds = Evaluator::new(p, today()).evaluate(&mut frame).unwrap();
    ds.iter().zip(&p.dimensions).map(|(d, dim)| d.tier.map(|t| dim.tiers[t].name.clone())).collect()
}

fn transitions(old: &str, new: &str) -> (Program, Program, Vec<Transition>) {
    let (o, n) = (program(&format!("{SCHEMA}{old}")), program(&format!("{SCHEMA}{new}")));
    let t = diff(&o, &n, today()).unwrap();
    (o, n, t)
}

#[test]
fn each_change_is_one_merged_region_with_exact_bounds() {
    let (_, _, t) = transitions(OLD, NEW);
    let found: Vec<(String, String, String, Vec<String>)> = t
        .iter()
        .map(|m| (m.dimension.clone(), m.from.clone().unwrap(), m.to.clone().unwrap(), m.regions[0].conditions.clone()))
        .collect();
    let s = |x: &str| x.to_string();
    assert!(found.contains(&(
        s("tier"),
        s("Important"),
        s("VIP"),
        vec![s("800000 <= spend <= 1000000"), s("orders >= 12")]
    )));
    assert!(found.contains(&(s("tier"), s("VIP"), s("Small"), vec![s("spend > 1000000"), s("orders < 12")])));
    assert!(found.contains(&(
        s("life"),
        s("Lost"),
        s("Active"),
        vec![s("2024-03-02 <= last < 2024-04-01"), s("region = North")]
    )));
    assert!(found.contains(&(s("life"), s("Active"), s("Lost"), vec![s("last >= 2024-04-01"), s("region = South")])));
    assert_eq!(t.len(), 4, "{t:#?}");
}

#[test]
fn every_witness_reproduces_its_transition() {
    let (o, n, t) = transitions(OLD, NEW);
    for m in &t {
        let d = o.dimensions.iter().position(|x| x.name == m.dimension).unwrap();
        for r in &m.regions {
            assert_eq!(tiers(&o, &r.witness)[d], m.from, "{r:?}");
            assert_eq!(tiers(&n, &r.witness)[d], m.to, "{r:?}");
        }
    }
}

#[test]
fn identical_versions_report_nothing() {
    let (_, _, t) = transitions(OLD, OLD);
    assert!(t.is_empty(), "{t:#?}");
}

#[test]
fn integer_fields_get_whole_witnesses() {
    let (_, _, t) = transitions(
        "tier Loyal { when visits > 2.5 }\ntier Other { otherwise }",
        "tier Loyal { when visits >= 4 }\ntier Other { otherwise }",
    );
    assert_eq!(t.len(), 1, "{t:#?}");
    assert_eq!(t[0].regions[0].conditions, ["visits = 3"]);
    assert_eq!(t[0].regions[0].witness, [("visits".to_string(), "3".to_string())]);
}

#[test]
fn lets_and_arithmetic_are_refused_with_a_reason() {
    let o =
        program(&format!("{SCHEMA}let monthly = spend / 12\ntier A {{ when monthly > 1000 }}\ntier B {{ otherwise }}"));
    let n = program(&format!("{SCHEMA}tier A {{ when spend > 12000 }}\ntier B {{ otherwise }}"));
    let err = diff(&o, &n, today()).unwrap_err();
    assert!(matches!(err, RegionsError::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("--data"), "{err}");
}

fn record() -> impl Strategy<Value = Vec<(String, String)>> {
    let spend =
        prop::sample::select(vec!["0", "299999.99", "300000", "800000", "900000", "1000000", "1000000.01", "5000000"]);
    let orders = prop::sample::select(vec!["0", "11", "12", "13", "40"]);
    let region = prop::sample::select(vec!["North", "South"]);
    let last = prop::sample::select(vec![
        "",
        "2024-06-30",
        "2024-04-01",
        "2024-04-02",
        "2024-03-31",
        "2024-03-02",
        "2024-03-01",
        "2020-01-01",
    ]);
    (spend, orders, region, last).prop_map(|(s, o, r, l)| {
        let cells = [("spend", s), ("orders", o), ("visits", "1"), ("region", r), ("last", l)];
        cells.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    })
}

proptest! {
    #[test]
    fn every_change_on_a_generated_record_is_reported(r in record()) {
        let (o, n, t) = transitions(OLD, NEW);
        let (a, b) = (tiers(&o, &r), tiers(&n, &r));
        for (d, dim) in o.dimensions.iter().enumerate() {
            let reported = t.iter().any(|m| m.dimension == dim.name && m.from == a[d] && m.to == b[d]);
            prop_assert_eq!(a[d] != b[d], reported, "{} {:?}: {:?} -> {:?}", dim.name, r, a[d], b[d]);
        }
    }
}

#[test]
fn the_cli_diffs_without_data() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old.tier"), dir.path().join("new.tier"));
    std::fs::write(&old, format!("{SCHEMA}{OLD}")).unwrap();
    std::fs::write(&new, format!("{SCHEMA}{NEW}")).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["diff", old.to_str().unwrap(), new.to_str().unwrap(), "--as-of", "2024-06-30"];
        args.extend(extra);
        Command::cargo_bin("tier").unwrap().args(&args).output().unwrap()
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("tier: Important → VIP in 1 region"), "{text}");
    assert!(text.contains("e.g. spend = 800000, orders = 12"), "{text}");
    let md = String::from_utf8(run(&["--format", "markdown"]).stdout).unwrap();
    assert!(md.starts_with("| dimension | from | to |"), "{md}");
    let json: serde_json::Value = serde_json::from_slice(&run(&["--format", "json"]).stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 4);
    assert_eq!(run(&["--fail-on-change"]).status.code(), Some(1));
    assert_eq!(run(&["--changes", "x.csv"]).status.code(), Some(2));
}
