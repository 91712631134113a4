//! Every output format from the parallel path against the plain path
//! (`TIER_PLAIN_PATH=1`), through the CLI: a JSON array and Parquet byte for
//! byte, Excel cell for cell on both sheets (its file carries its creation
//! time), and the same reject report and exit code; from CSV, NDJSON, a JSON
//! array and Parquet input, on every example policy, with `--keep` and
//! `--tiers-only`, and skipping bad records.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use calamine::Reader as _;
use std::path::Path;

mod common;

/// Both paths writing `args` to `dir/{fast,plain}.{ext}`: the two files, the
/// two reject reports (with `--rejects` at `rejects`), and the exit code.
fn both(args: &[&str], ext: &str, dir: &Path, rejects: Option<&Path>) -> (Vec<u8>, Vec<u8>, Option<i32>) {
    let mut files = Vec::new();
    let mut reports = Vec::new();
    let mut codes = Vec::new();
    for (name, plain) in [("fast", false), ("plain", true)] {
        let out = dir.join(format!("{name}.{ext}"));
        let _ = std::fs::remove_file(&out);
        let mut all = args.to_vec();
        all.extend(["-o", out.to_str().unwrap()]);
        let (_, report, code) = common::run(&all, plain, rejects);
        files.push(std::fs::read(&out).unwrap_or_default());
        reports.push(report);
        codes.push(code);
    }
    assert_eq!(reports[0], reports[1], "reject report differs on {args:?}");
    assert_eq!(codes[0], codes[1], "exit code differs on {args:?}");
    let plain = files.pop().unwrap();
    (files.pop().unwrap(), plain, codes[0])
}

/// Every sheet of an Excel file: its name and cells.
fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names = book.sheet_names();
    names
        .into_iter()
        .map(|n| {
            let range = book.worksheet_range(&n).unwrap();
            let rows = range.rows().map(|r| r.iter().map(|c| format!("{c:?}")).collect()).collect();
            (n, rows)
        })
        .collect()
}

/// The two outputs in `ext` hold the same document.
fn assert_alike(fast: &[u8], plain: &[u8], ext: &str, what: &str) {
    assert!(plain.len() > 40, "{what}: {} bytes", plain.len());
    if ext == "xlsx" {
        let (fast, plain) = (sheets(fast), sheets(plain));
        assert_eq!(fast.len(), 2, "{what}: the records and the summary");
        assert_eq!(fast, plain, "{what}");
    } else if let Some(d) = common::first_difference(fast, plain) {
        panic!("{what}: outputs differ (fast, then plain) at {d}");
    }
}

#[test]
fn every_output_format_from_every_input_format_matches_the_plain_path() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &[&str])] = &[
        ("hospitals", "examples/hospitals.csv", &[]),
        ("hospitals", "examples/hospitals.ndjson", &[]),
        ("hospitals", "examples/hospitals.json", &[]),
        ("hospitals", "tests/formats/hospitals.parquet", &[]),
        ("sportswear", "examples/sportswear.csv", &[]),
        ("private_banking", "tests/formats/private_banking.parquet", &[]),
        ("cosmetics", "examples/cosmetics.csv", &["--keep", "name"]),
        ("value_lifecycle", "tests/formats/value_lifecycle.parquet", &["--tiers-only"]),
        ("loyalty_program", "examples/loyalty_2025-01.csv", &["--as-of", "2025-01-31"]),
    ];
    for (policy, data, extra) in cases {
        let policy = format!("policies/{policy}.tier");
        for ext in ["json", "xlsx", "parquet"] {
            let mut args = vec!["apply", policy.as_str(), data];
            args.extend(*extra);
            let (fast, plain, code) = both(&args, ext, dir.path(), None);
            assert_eq!(code, Some(0), "{args:?} to {ext}: {}", common::errors(&args));
            assert_alike(&fast, &plain, ext, &format!("{args:?} to {ext}"));
        }
    }
}

#[test]
fn bad_records_skipped_to_every_output_format_match_the_plain_path() {
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.csv");
    let inputs = [
        ("policies/hospitals.tier", "examples/hospitals_bad.csv"),
        ("policies/cosmetics.tier", "tests/formats/cosmetics_bad.parquet"),
    ];
    for (policy, data) in inputs {
        for ext in ["json", "xlsx", "parquet"] {
            let stop = both(&["apply", policy, data], ext, dir.path(), None);
            assert_eq!(stop.2, Some(1), "{data} to {ext}: the first bad record stops the run");
            let args = ["apply", policy, data, "--on-error", "skip", "--rejects", rejects.to_str().unwrap()];
            let (fast, plain, code) = both(&args, ext, dir.path(), Some(&rejects));
            assert_eq!(code, Some(0), "{data} to {ext}");
            assert!(std::fs::read_to_string(&rejects).unwrap().lines().count() > 1, "{data}: rejects reported");
            assert_alike(&fast, &plain, ext, &format!("{data} to {ext}, skipping"));
        }
    }
}
