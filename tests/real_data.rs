//! Why, what it takes, and what a change does — on transaction logs: the bundled
//! sample (`examples/online_retail_sample.csv`, always) and the real UCI files in
//! `../shared/data` (skipped, loudly, when absent). Every answer is re-evaluated:
//! each way up by moving the customer's metrics and tiering again, `tier explain`
//! against `tier apply`, and `tier diff`'s migration matrix against the pairs of
//! tiers two `tier apply` runs give.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tierlang::check::check;
use tierlang::compile::compile;
use tierlang::data::{decode, Cell};
use tierlang::eval::Evaluator;
use tierlang::explain::Explainer;
use tierlang::number::Date;
use tierlang::syntax::parse;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tier(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("tier").unwrap().current_dir(root()).env("NO_COLOR", "1").args(args).output().unwrap()
}

fn today() -> Date {
    Date::parse("2011-12-11").unwrap()
}

/// The sample, and the real file when it is there.
fn logs() -> Vec<PathBuf> {
    let mut out = vec![root().join("examples/online_retail_sample.csv")];
    let real = root().join("../shared/data/online_retail.csv");
    if real.exists() {
        out.push(real);
    } else {
        common::skip(&format!("real data: {} is absent (CI has it; a fresh clone may not)", real.display()));
    }
    out
}

/// Every way up `tier explain` finds for the customers of `policies/retail_value.tier`
/// reaches the tier it names when the customer's metrics are moved as it says.
#[test]
fn every_way_up_on_transaction_logs_reaches_its_tier() {
    let src = std::fs::read_to_string(root().join("policies/retail_value.tier")).unwrap();
    let checked = check(&parse(&src).unwrap(), &src).checked.unwrap();
    let program = compile(&checked);
    let explainer = Explainer::new(&checked, &program, &src, today());
    let ev = Evaluator::new(&program, today());
    for log in logs() {
        let file = std::fs::File::open(&log).unwrap();
        let source = tierlang::data::fast::Source::Read(file);
        let (customers, _) = tierlang::data::fast_events::aggregate(&program, source, today()).unwrap();
        let scored = tierlang::metrics::score(&program, &ev, customers);
        let n = program.fields.len();
        let (mut verified, mut customers_seen) = (0, 0);
        for c in scored.kept.iter().step_by(if scored.kept.len() > 1000 { 7 } else { 1 }) {
            customers_seen += 1;
            let fields = &c.frame[..n];
            let e = explainer.explain(fields);
            for (d, dim) in e.dimensions.iter().enumerate() {
                for w in dim.way_up.iter().filter(|w| w.requires.is_empty()) {
                    let mut frame = fields.to_vec();
                    for (field, text) in &w.record {
                        let slot = program.fields.iter().position(|f| &f.name == field).unwrap();
                        frame[slot] = decode(&program.fields[slot], Some(&Cell::Text(text.clone()))).unwrap();
                    }
                    let got =
                        ev.evaluate(&mut frame).unwrap()[d].tier.map(|t| program.dimensions[d].tiers[t].name.clone());
                    assert_eq!(got.as_deref(), Some(w.tier.as_str()), "{} {}: {:?}", log.display(), c.key, w.changes);
                    verified += 1;
                }
            }
        }
        assert!(verified >= customers_seen / 2, "{}: only {verified} ways up", log.display());
    }
}

fn apply(policy: &str, log: &Path) -> BTreeMap<String, String> {
    let out = tier(&[
        "apply",
        policy,
        "--events",
        log.to_str().unwrap(),
        "--as-of",
        "2011-12-11",
        "--tiers-only",
        "--summary",
        "none",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    r.records().map(|x| x.unwrap()).map(|x| (x[0].to_string(), x[1].to_string())).collect()
}

/// `tier explain --events` names the tier `tier apply` gives, for customers of
/// every tier.
#[test]
fn explain_on_transaction_logs_agrees_with_apply() {
    for log in logs() {
        let tiers = apply("policies/retail_value.tier", &log);
        let mut seen = std::collections::BTreeSet::new();
        for (key, tier_name) in &tiers {
            if !seen.insert(tier_name.clone()) {
                continue; // one customer per tier
            }
            let out = tier(&[
                "explain",
                "policies/retail_value.tier",
                "--events",
                log.to_str().unwrap(),
                "--as-of",
                "2011-12-11",
                "--id",
                key,
                "--format",
                "json",
            ]);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(doc["dimensions"][0]["tier"].as_str(), Some(tier_name.as_str()), "{key}");
            let metrics: Vec<&str> =
                doc["metrics"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
            assert_eq!(metrics, ["spend", "orders"]);
        }
        assert!(seen.len() >= 3, "{seen:?}");
    }
}

/// A policy change on transaction logs: `tier diff --events` counts exactly the
/// (old, new) pairs two `tier apply` runs give, and `--changes` lists exactly the
/// customers whose segment differs.
#[test]
fn diff_on_transaction_logs_matches_two_applies() {
    let dir = tempfile::tempdir().unwrap();
    let old = root().join("policies/rfm.tier");
    let new = dir.path().join("rfm_new.tier");
    let src = std::fs::read_to_string(&old).unwrap();
    // Champions widened to R = 4, and the population to customers with two invoices.
    let changed = src
        .replace("when R == 5 and F >= 4", "when R >= 4 and F >= 4")
        .replace("population where monetary > 0", "population where monetary > 0 and frequency >= 2");
    assert_ne!(changed, src);
    std::fs::write(&new, changed).unwrap();
    for log in logs() {
        let (before, after) = (apply(old.to_str().unwrap(), &log), apply(new.to_str().unwrap(), &log));
        let changes = dir.path().join("changes.csv");
        let out = tier(&[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--events",
            log.to_str().unwrap(),
            "--as-of",
            "2011-12-11",
            "--format",
            "json",
            "--changes",
            changes.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let m = &doc["migrations"][0];
        let names = |k: &str| -> Vec<String> {
            m[k].as_array().unwrap().iter().map(|t| t.as_str().unwrap_or("").to_string()).collect()
        };
        let (old_tiers, new_tiers) = (names("old_tiers"), names("new_tiers"));
        // Expected pairs from the two applies; a customer one run does not tier is `(none)`.
        let mut want: BTreeMap<(String, String), u64> = BTreeMap::new();
        let mut moved = std::collections::BTreeSet::new();
        let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
        for k in keys {
            let o = before.get(k).cloned().unwrap_or_else(|| "(none)".into());
            let n = after.get(k).cloned().unwrap_or_else(|| "(none)".into());
            if o != n {
                moved.insert(k.clone());
            }
            *want.entry((o, n)).or_default() += 1;
        }
        let mut got: BTreeMap<(String, String), u64> = BTreeMap::new();
        for (i, row) in m["counts"].as_array().unwrap().iter().enumerate() {
            for (j, c) in row.as_array().unwrap().iter().enumerate() {
                let c = c.as_u64().unwrap();
                if c > 0 {
                    got.insert((old_tiers[i].clone(), new_tiers[j].clone()), c);
                }
            }
        }
        assert_eq!(got, want, "{}", log.display());
        assert_eq!(m["moved"].as_u64(), Some(moved.len() as u64));
        let mut r = csv::Reader::from_path(&changes).unwrap();
        let listed: std::collections::BTreeSet<String> = r.records().map(|x| x.unwrap()[0].to_string()).collect();
        assert_eq!(listed, moved, "{}", log.display());
        assert!(!moved.is_empty());
    }
}

/// `tier apply --explain` on a transaction log: per customer the deciding
/// criterion and the nearest tier above (none above VIP), whose way up, applied to
/// the customer's metrics, reaches it.
#[test]
fn apply_explain_on_transaction_logs_names_the_next_tier_up() {
    let order = ["VIP", "Important", "General", "Small"];
    for log in logs().into_iter().take(1) {
        let out = tier(&[
            "apply",
            "policies/retail_value.tier",
            "--events",
            log.to_str().unwrap(),
            "--as-of",
            "2011-12-11",
            "--explain",
            "--summary",
            "none",
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut r = csv::Reader::from_reader(out.stdout.as_slice());
        let h = r.headers().unwrap().clone();
        let col = |n: &str| h.iter().position(|c| c == n).unwrap();
        let (tier_col, next, gap, reason) =
            (col("value"), col("value_next"), col("value_next_gap"), col("value_reason"));
        let mut rows = 0;
        for rec in r.records().map(|x| x.unwrap()) {
            rows += 1;
            let at = order.iter().position(|t| *t == &rec[tier_col]).unwrap();
            if at == 0 {
                assert_eq!(&rec[next], "", "{:?}", rec);
            } else {
                let up = order.iter().position(|t| *t == &rec[next]).unwrap();
                assert!(up < at, "{:?}", rec);
                assert!(rec[gap].contains('→'), "{:?}", rec);
            }
            assert!(!rec[reason].is_empty());
        }
        assert_eq!(rows, 39);
    }
}
