//! RFM from transaction logs (`policies/rfm.tier`, `tier apply --events`) against
//! the published recipe.
//!
//! Three sources of truth, each checked customer by customer:
//! - the segment counts that public notebooks print for `online_retail.csv`
//!   (fixed below), on the real data in `../shared/data` (skipped, loudly, when
//!   that folder is absent);
//! - `tests/tools/rfm_pandas.py`, the recipe written in pandas as the notebooks
//!   write it, run on the same file (skipped, loudly, without pandas; `.ci/run`
//!   installs it);
//! - `tests/events/online_retail_sample.expected.csv`, that script's output on the
//!   bundled sample, so the comparison always runs.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tier(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("tier").unwrap().current_dir(root()).env("NO_COLOR", "1").args(args).output().unwrap()
}

/// One customer's result: segment and the metrics that decide it.
#[derive(Debug, PartialEq)]
struct Rfm {
    segment: String,
    recency: i64,
    frequency: i64,
    monetary: f64,
    r: i64,
    f: i64,
}

fn read(path: &Path) -> BTreeMap<String, Rfm> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name}"));
    let (seg, rec, fre, mon, rr, ff) =
        (col("segment"), col("recency"), col("frequency"), col("monetary"), col("R"), col("F"));
    r.records()
        .map(|x| x.unwrap())
        .map(|x| {
            let num = |i: usize| x[i].parse::<f64>().unwrap();
            let rfm = Rfm {
                segment: x[seg].to_string(),
                recency: num(rec) as i64,
                frequency: num(fre) as i64,
                monetary: num(mon),
                r: num(rr) as i64,
                f: num(ff) as i64,
            };
            (x[0].to_string(), rfm)
        })
        .collect()
}

/// Same customers, same segments and scores; money to the cent (pandas sums floats).
fn assert_same(ours: &BTreeMap<String, Rfm>, theirs: &BTreeMap<String, Rfm>, what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}: customer counts differ");
    let mut differ = Vec::new();
    for (k, a) in ours {
        let b = theirs.get(k).unwrap_or_else(|| panic!("{what}: customer {k} only in tier's output"));
        let same = a.segment == b.segment
            && (a.recency, a.frequency, a.r, a.f) == (b.recency, b.frequency, b.r, b.f)
            && (a.monetary - b.monetary).abs() < 0.005;
        if !same {
            differ.push(format!("{k}: tier {a:?} / pandas {b:?}"));
        }
    }
    assert!(differ.is_empty(), "{what}: {} customers differ, e.g. {:?}", differ.len(), &differ[..differ.len().min(5)]);
}

/// Runs the policy on an event file; returns the output path and the JSON summary.
fn apply(events: &Path, as_of: &str, dir: &Path) -> (PathBuf, serde_json::Value) {
    let out = dir.join("tiers.csv");
    let o = tier(&[
        "apply",
        "policies/rfm.tier",
        "--events",
        events.to_str().unwrap(),
        "--as-of",
        as_of,
        "--summary",
        "json",
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let summary = serde_json::from_str(err.lines().last().unwrap()).unwrap();
    (out, summary)
}

/// Every event is used, filtered, without customer, after the as-of date or rejected.
fn assert_events_add_up(s: &serde_json::Value) -> u64 {
    let e = &s["events"];
    let n = |k: &str| e[k].as_u64().unwrap();
    assert_eq!(n("read"), n("used") + n("filtered") + n("no_customer") + n("after_as_of") + n("rejected"), "{e}");
    let customers = s["rows_read"].as_u64().unwrap();
    assert_eq!(customers, s["rows_written"].as_u64().unwrap() + s["customers_excluded"].as_u64().unwrap());
    n("read")
}

fn pandas(events: &Path, as_of: &str, dir: &Path) -> Option<BTreeMap<String, Rfm>> {
    let probe = std::process::Command::new("python3").args(["-c", "import pandas"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        common::skip("the pandas cross-check needs python3 with pandas (.ci/run installs it)");
        return None;
    }
    let out = dir.join("pandas.csv");
    let script = root().join("tests/tools/rfm_pandas.py");
    let o = std::process::Command::new("python3")
        .args([script.as_os_str(), events.as_os_str(), as_of.as_ref(), out.as_os_str()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Some(read(&out))
}

fn real_data(name: &str) -> Option<PathBuf> {
    let path = root().join("../shared/data").join(name);
    if path.exists() {
        Some(path)
    } else {
        common::skip(&format!("{} is absent (CI has it; a fresh clone may not)", path.display()));
        None
    }
}

#[test]
fn the_bundled_sample_matches_the_recipe_customer_by_customer() {
    let dir = tempfile::tempdir().unwrap();
    let sample = root().join("examples/online_retail_sample.csv");
    let (out, summary) = apply(&sample, "2011-12-11", dir.path());
    assert_eq!(assert_events_add_up(&summary), 3472);
    let ours = read(&out);
    let expected = read(&root().join("tests/events/online_retail_sample.expected.csv"));
    assert_same(&ours, &expected, "sample vs its recorded pandas output");
    if let Some(theirs) = pandas(&sample, "2011-12-11", dir.path()) {
        assert_same(&ours, &theirs, "sample vs pandas");
    }
}

#[test]
fn online_retail_gives_the_published_segment_counts() {
    let Some(events) = real_data("online_retail.csv") else { return };
    let dir = tempfile::tempdir().unwrap();
    let (out, summary) = apply(&events, "2011-12-11", dir.path());
    assert_eq!(assert_events_add_up(&summary), 541_909);
    // The data's README: 135,080 lines without a customer id, 9,288 cancellations
    // (383 of which have no customer id either, so count as such).
    assert_eq!(summary["events"]["no_customer"], 135_080);
    assert_eq!(summary["events"]["filtered"], 9_288 - 383);
    let ours = read(&out);
    assert_eq!(ours.len(), 4_338);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in ours.values() {
        *counts.entry(r.segment.as_str()).or_default() += 1;
    }
    // As printed by the public notebooks that run this recipe on this file.
    let published = [
        ("hibernating", 1071),
        ("loyal_customers", 819),
        ("champions", 633),
        ("at_Risk", 593),
        ("potential_loyalists", 484),
        ("about_to_sleep", 352),
        ("need_attention", 187),
        ("promising", 94),
        ("cant_loose", 63),
        ("new_customers", 42),
    ];
    for (segment, n) in published {
        assert_eq!(counts.get(segment).copied(), Some(n), "{segment}");
    }
    if let Some(theirs) = pandas(&events, "2011-12-11", dir.path()) {
        assert_same(&ours, &theirs, "online_retail.csv vs pandas");
    }
}

#[test]
fn the_same_rules_read_online_retail_ii_with_its_own_column_names() {
    let Some(events) = real_data("online_retail_II_2009_2010.csv") else { return };
    let dir = tempfile::tempdir().unwrap();
    let (out, summary) = apply(&events, "2010-12-11", dir.path());
    assert_eq!(assert_events_add_up(&summary), 525_461);
    let ours = read(&out);
    assert!(ours.len() > 4_000, "{}", ours.len());
    if let Some(theirs) = pandas(&events, "2010-12-11", dir.path()) {
        assert_same(&ours, &theirs, "online_retail_II_2009_2010.csv vs pandas");
    }
}
