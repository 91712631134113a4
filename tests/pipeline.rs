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

#[test]
fn a_json_array_is_read_record_by_record_with_lines_and_refused_when_broken() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p
    };
    let p = "policies/hospitals.tier";
    // Same records as the bundled NDJSON: same output, element by element.
    let ndjson = std::fs::read_to_string(root().join("examples/hospitals.ndjson")).unwrap();
    let array = format!("[\n{}\n]\n", ndjson.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join(",\n"));
    let json = write("a.json", &array);
    let from_array = tier(&["apply", p, json.to_str().unwrap(), "--format", "csv", "--summary", "none"]);
    let from_lines = tier(&["apply", p, "examples/hospitals.ndjson", "--format", "csv", "--summary", "none"]);
    assert_eq!(from_array.status.code(), Some(0), "{}", text(&from_array.stderr));
    assert_eq!(text(&from_array.stdout), text(&from_lines.stdout));
    // A bad record is located by its line in the document.
    let bad =
        write("b.json", "[\n  {\"id\": \"H1\", \"年度采购额\": 5},\n  {\"id\": \"H2\", \"年度采购额\": \"lots\"}\n]");
    let out = tier(&["apply", p, bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("b.json:3 (row 2): column `年度采购额`"), "{}", text(&out.stderr));
    // A broken document is refused whole, whatever --on-error says: its records cannot be counted.
    let rejects = dir.path().join("r.csv");
    for body in [
        "[{\"id\": \"H1\"",
        "[{\"id\": \"H1\", \"年度采购额\": 5},]",
        "[{\"id\": \"H1\" \"x\": 1}]",
        "{\"id\": 1}",
        "[1] x",
    ] {
        let broken = write("c.json", body);
        let out =
            tier(&["apply", p, broken.to_str().unwrap(), "--on-error", "skip", "--rejects", rejects.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{body}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("invalid JSON") || text(&out.stderr).contains("not an array"),
            "{body}: {}",
            text(&out.stderr)
        );
    }
}
