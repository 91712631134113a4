//! One pipeline for every run (issue 15): the stages compose. History with
//! explanations, coverage and kept columns; metrics with coverage; metrics with
//! retention and budgets (tests/metrics_cli.rs); every record accounted for.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use assert_cmd::Command;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tier(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("tier").unwrap().current_dir(root()).env("NO_COLOR", "1").args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn history_budgets_explain_coverage_and_keep_together() {
    let dir = tempfile::tempdir().unwrap();
    let jan = dir.path().join("jan.csv");
    let p = "policies/loyalty_program.tier";
    let first =
        tier(&["apply", p, "examples/loyalty_2025-01.csv", "--as-of", "2025-01-31", "-o", jan.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let out = tier(&[
        "apply",
        p,
        "examples/loyalty_2025-02.csv",
        "--as-of",
        "2025-02-28",
        "--previous",
        jan.to_str().unwrap(),
        "--explain",
        "--coverage",
        "--keep",
        "最近购买日期",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let csv_text = text(&out.stdout);
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} in {header:?}"));
    // Kept right after the key; then tiers and strategies; explanation, history, budgets.
    assert_eq!(at("最近购买日期"), 1);
    assert!(at("value_reason") < at("value_previous") && at("value_previous") < at("budget.marketing"), "{header:?}");
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let input_rows = csv::Reader::from_path(root().join("examples/loyalty_2025-02.csv")).unwrap().records().count();
    let gone = rows.iter().filter(|r| &r[at("value_movement")] == "gone").count();
    assert_eq!(rows.len(), input_rows + gone);
    // A held customer's explanation is its criteria's; its tier is the held one.
    for row in rows.iter().filter(|r| &r[at("value_movement")] == "held") {
        assert!(!row[at("value_reason")].is_empty(), "{row:?}");
        assert_eq!(&row[at("value")], &row[at("value_previous")], "{row:?}");
    }
    let err = text(&out.stderr);
    assert!(err.contains("coverage on"), "{err}");
    assert!(err.contains("previous \\ now"), "{err}");
    assert!(err.contains("budget marketing"), "{err}");
}

#[test]
fn metrics_with_coverage_and_explain() {
    let out = tier(&[
        "apply",
        "policies/rfm.tier",
        "--events",
        "examples/online_retail_sample.csv",
        "--as-of",
        "2011-12-10",
        "--coverage",
        "--explain",
        "--summary",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let summary: serde_json::Value = serde_json::from_str(err.lines().next().unwrap()).unwrap();
    let written = summary["rows_written"].as_u64().unwrap();
    assert!(written > 30, "{summary}");
    assert!(err.contains(&format!("coverage on {written} records")), "{err}");
    let header = text(&out.stdout).lines().next().unwrap().to_string();
    assert!(header.contains("segment_reason"), "{header}");
}
