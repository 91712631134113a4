//! Excel and Parquet in and out, against the CSV path: every example policy
//! on its data read from `.xlsx` and `.parquet` files written by other tools
//! (openpyxl, pyarrow: `tests/tools/make_format_fixtures.py`) gives the same
//! output and the same accounting as from CSV; its output written as `.xlsx`
//! and `.parquet`, read back by those tools (`tests/tools/read_table.py`),
//! holds the same cells as the CSV output; a history chain runs on its own
//! Excel and Parquet outputs; a bad cell is named by sheet and cell.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tier` on the plain path (the parallel CSV path reports no Pareto points,
/// so summaries compare only between runs of one path).
fn tier(args: &[&str]) -> std::process::Output {
    common::tier(true).args(args).output().unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every example policy with its data: `(policy, data or --events file stem, other arguments)`.
const CASES: &[(&str, &str, &[&str])] = &[
    ("hospitals", "hospitals", &[]),
    ("sportswear", "sportswear", &[]),
    ("private_banking", "private_banking", &[]),
    ("cosmetics", "cosmetics", &[]),
    ("value_lifecycle", "value_lifecycle", &[]),
    ("loyalty_program", "loyalty_2025-01", &["--as-of", "2025-01-31"]),
    ("retail_value", "online_retail_sample", &["--events"]),
    ("retail_monthly", "online_retail_sample", &["--as-of", "2011-03-01", "--events"]),
    ("rfm", "online_retail_sample", &["--events"]),
];

fn args_for<'a>(policy: &'a str, data: &'a str, extra: &'a [&'a str], out: &'a str) -> Vec<&'a str> {
    let mut args = vec!["apply", policy];
    args.extend(extra);
    args.extend([data, "-o", out, "--summary", "json"]);
    args
}

#[test]
fn every_example_policy_gives_the_same_result_from_excel_and_parquet_as_from_csv() {
    let dir = tempfile::tempdir().unwrap();
    let mut policies: Vec<String> = std::fs::read_dir(root().join("policies"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".tier").to_string())
        .collect();
    policies.sort();
    let covered: Vec<&str> = CASES.iter().map(|c| c.0).collect();
    assert_eq!(
        policies,
        {
            let mut c = covered.clone();
            c.sort();
            c
        },
        "a case per example policy"
    );
    for (name, data, extra) in CASES {
        let policy = format!("policies/{name}.tier");
        let mut results = Vec::new();
        for input in [
            format!("examples/{data}.csv"),
            format!("tests/formats/{data}.xlsx"),
            format!("tests/formats/{data}.parquet"),
        ] {
            let out = dir.path().join("out.csv").display().to_string();
            let o = tier(&args_for(&policy, &input, extra, &out));
            assert!(o.status.success(), "{name} on {input}: {}", stderr(&o));
            let summary: serde_json::Value = serde_json::from_str(stderr(&o).trim()).unwrap();
            results.push((input, std::fs::read_to_string(&out).unwrap(), summary));
        }
        let (csv_in, csv_out, csv_summary) = &results[0];
        assert!(csv_out.lines().count() > 1, "{name}: no records");
        for (input, out, summary) in &results[1..] {
            assert_eq!(out, csv_out, "{name}: output from {input} differs from {csv_in}");
            assert_eq!(summary, csv_summary, "{name}: accounting from {input} differs from {csv_in}");
        }
    }
}

/// The table `read_table.py` reads from an Excel or Parquet file, or `None`
/// (after a skip) without python3, openpyxl and pyarrow.
fn read_back(path: &Path) -> Option<serde_json::Value> {
    let probe = std::process::Command::new("python3").args(["-c", "import openpyxl, pyarrow"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        common::skip("reading Excel and Parquet back needs python3 with openpyxl and pyarrow (.ci/run installs them)");
        return None;
    }
    let o =
        std::process::Command::new("python3").arg(root().join("tests/tools/read_table.py")).arg(path).output().unwrap();
    assert!(o.status.success(), "read_table.py {}: {}", path.display(), String::from_utf8_lossy(&o.stderr));
    Some(serde_json::from_slice(&o.stdout).unwrap())
}

/// Two cells agree: as text, or as numbers (`15%` is 0.15; money in Parquet
/// has 6 decimal places).
fn same_cell(csv: &str, table: &str) -> bool {
    if csv == table {
        return true;
    }
    let num = |s: &str| -> Option<f64> {
        match s.strip_suffix('%') {
            Some(p) => p.parse::<f64>().ok().map(|v| v / 100.0),
            None => s.parse().ok(),
        }
    };
    match (num(csv), num(table)) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-6 * a.abs().max(1.0),
        _ => false,
    }
}

/// Asserts that `table` (read back) holds the cells of the CSV output `csv`.
fn assert_same_cells(what: &str, csv: &str, table: &serde_json::Value) {
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let columns: Vec<&str> = table["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    let cells = table["rows"].as_array().unwrap();
    assert_eq!(cells.len(), rows.len(), "{what}: record count");
    for (i, (row, got)) in rows.iter().zip(cells).enumerate() {
        for (c, name) in header.iter().enumerate() {
            let want = &row[c];
            let at = columns.iter().position(|n| n == name);
            let have = at.map_or("", |j| got[j].as_str().unwrap());
            assert!(same_cell(want, have), "{what}: record {} column `{name}`: CSV `{want}`, table `{have}`", i + 1);
        }
    }
}

#[test]
fn excel_and_parquet_output_hold_the_csv_output_as_other_tools_read_it() {
    let dir = tempfile::tempdir().unwrap();
    for (name, data, extra) in CASES {
        let policy = format!("policies/{name}.tier");
        let input = format!("examples/{data}.csv");
        let csv_out = dir.path().join("out.csv").display().to_string();
        let o = tier(&args_for(&policy, &input, extra, &csv_out));
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let csv = std::fs::read_to_string(&csv_out).unwrap();
        for ext in ["xlsx", "parquet"] {
            let out = dir.path().join(format!("out.{ext}"));
            let o = tier(&args_for(&policy, &input, extra, out.to_str().unwrap()));
            assert!(o.status.success(), "{name} to .{ext}: {}", stderr(&o));
            let Some(table) = read_back(&out) else { return };
            assert_same_cells(&format!("{name}.{ext}"), &csv, &table);
        }
    }
}

#[test]
fn a_history_chain_runs_on_its_own_excel_and_parquet_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let p = |f: &str| dir.path().join(f).display().to_string();
    let policy = "policies/loyalty_program.tier";
    let months = [("2025-01", "2025-01-31"), ("2025-02", "2025-02-28")];
    let mut by_format = Vec::new();
    for ext in ["csv", "xlsx", "parquet"] {
        let mut previous: Option<String> = None;
        for (month, as_of) in months {
            let out = p(&format!("{month}.{ext}"));
            let data = format!("examples/loyalty_{month}.csv");
            let mut args = vec!["apply", policy, &data, "--as-of", as_of, "-o", &out, "--summary", "json"];
            if let Some(prev) = &previous {
                args.extend(["--previous", prev.as_str()]);
            }
            let o = tier(&args);
            assert!(o.status.success(), "{month}.{ext}: {}", stderr(&o));
            previous = Some(out);
        }
        // The last month as CSV too, for a byte comparison.
        let last = p(&format!("last-{ext}.csv"));
        let prev = p(&format!("2025-01.{ext}"));
        let args = [
            "apply",
            policy,
            "examples/loyalty_2025-02.csv",
            "--as-of",
            "2025-02-28",
            "--previous",
            &prev,
            "-o",
            &last,
        ];
        let o = tier(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        by_format.push((ext, std::fs::read_to_string(&last).unwrap(), stderr(&o)));
    }
    let (_, csv, csv_summary) = &by_format[0];
    assert!(csv.contains("promoted") || csv.contains("demoted") || csv.contains("retained"), "{csv}");
    for (ext, out, summary) in &by_format[1..] {
        assert_eq!(out, csv, "history from the .{ext} output differs from the CSV one");
        assert_eq!(summary, csv_summary, "migration from the .{ext} output differs");
    }
}

#[test]
fn a_bad_excel_cell_is_named_by_sheet_and_cell_and_goes_through_the_reject_accounting() {
    let bad = "tests/formats/cosmetics_bad.xlsx";
    let o = tier(&["apply", "policies/cosmetics.tier", bad, "--sheet", "客户", "-o", "-"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("cosmetics_bad.xlsx 客户!C5 (row 4): column `近12月消费额`: `一万二` is not an"), "{err}");
    assert!(o.stdout.is_empty(), "a stopped run writes nothing");
    // The first sheet is a note, not the data: without --sheet the columns are missing.
    let o = tier(&["apply", "policies/cosmetics.tier", bad, "-o", "-"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("no column `id`"), "{}", stderr(&o));
    let o = tier(&["apply", "policies/cosmetics.tier", bad, "--sheet", "nope", "-o", "-"]);
    assert!(stderr(&o).contains("no sheet `nope`") && stderr(&o).contains("说明, 客户"), "{}", stderr(&o));
    // Skipped into an Excel reject report: every row accounted for.
    let dir = tempfile::tempdir().unwrap();
    let (summary, rejects) = skipping(bad, &["--sheet", "客户"], "xlsx", dir.path());
    assert_eq!((summary["rows_read"].as_u64(), summary["rows_written"].as_u64()), (Some(18), Some(16)));
    assert_eq!(summary["rows_rejected"].as_u64(), Some(2));
    let Some(table) = read_back(&rejects) else { return };
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{table}");
    let (first, second) = (rows[0].to_string(), rows[1].to_string());
    assert!(first.contains("tier::bad_value") && first.contains("客户!C5") && first.contains("一万二"), "{first}");
    assert!(
        second.contains("tier::malformed_record") && second.contains("C7") && second.contains("#DIV/0!"),
        "{second}"
    );
}

/// The cosmetics policy on `bad` with bad records skipped into a reject
/// report `rejects.EXT` (output of the same format): the summary and the report.
fn skipping(bad: &str, more: &[&str], ext: &str, dir: &Path) -> (serde_json::Value, std::path::PathBuf) {
    let (out, rejects) = (dir.join(format!("out.{ext}")), dir.join(format!("rejects.{ext}")));
    let mut args = vec!["apply", "policies/cosmetics.tier", bad, "-o", out.to_str().unwrap()];
    args.extend(more);
    args.extend(["--on-error", "skip", "--rejects", rejects.to_str().unwrap(), "--summary", "json"]);
    let o = tier(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    (serde_json::from_str(stderr(&o).trim()).unwrap(), rejects)
}

/// The loyalty policy on January's data, written to `out`.
fn loyalty_january(out: &Path, more: &[&str]) -> std::process::Output {
    let data = "examples/loyalty_2025-01.csv";
    let mut args = vec!["apply", "policies/loyalty_program.tier", data, "--as-of", "2025-01-31", "-o"];
    args.push(out.to_str().unwrap());
    args.extend(more);
    tier(&args)
}

#[test]
fn the_excel_output_has_typed_cells_a_frozen_filtered_header_and_the_summary_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.xlsx");
    let o = loyalty_january(&out, &["--summary", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value = serde_json::from_str(stderr(&o).trim()).unwrap();
    let Some(book) = read_back(&out) else { return };
    assert_eq!(book["sheet_names"], serde_json::json!(["tiers", "summary"]));
    assert_eq!(book["freeze"], "A2");
    let width = book["columns"].as_array().unwrap().len();
    let last = tierlang::data::tabular::column_letters(width as u32 - 1);
    let rows = book["rows"].as_array().unwrap().len();
    assert_eq!(book["autofilter"], format!("A1:{last}{}", rows + 1));
    let formats = book["formats"].to_string();
    assert!(formats.contains("#,##0.00") && formats.contains("yyyy-mm-dd"), "money and dates are typed: {formats}");
    // The summary sheet holds the numbers of `--summary json`.
    let sheet = &book["sheets"]["summary"];
    let mut n = 0;
    for (dim, tiers) in summary["dimensions"].as_object().unwrap() {
        for t in tiers.as_array().unwrap().iter().filter(|t| !t["tier"].is_null() || t["count"] != 0) {
            let row = sheet["rows"][n].as_array().unwrap();
            n += 1;
            assert_eq!(row[0], dim.as_str());
            assert_eq!(row[1], t["tier"].as_str().unwrap_or("(no tier)"));
            assert_eq!(row[2], t["count"].to_string());
            assert!(same_cell(&t["share"].to_string(), row[3].as_str().unwrap()), "{row:?} vs {t}");
            assert!(same_cell(&t["money"].to_string(), row[4].as_str().unwrap()), "{row:?} vs {t}");
        }
    }
    assert_eq!(sheet["rows"].as_array().unwrap().len(), n);
}

#[test]
fn formats_tier_cannot_write_are_refused_before_reading() {
    for (args, says) in [
        (vec!["-o", "out.xls"], "writes Excel as .xlsx"),
        (vec!["-o", "out.ods"], "writes Excel as .xlsx"),
        (vec!["--rejects", "r.json", "--on-error", "skip"], "name it .csv, .xlsx or .parquet"),
        (vec!["--sheet", "Sheet1"], "--sheet names a sheet of an Excel"),
    ] {
        let mut all = vec!["apply", "policies/hospitals.tier", "no-such-file.csv"];
        all.extend(&args);
        let o = tier(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn parquet_output_has_typed_columns_and_the_strategy_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.parquet");
    let o = loyalty_january(&out, &["--explain"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let Some(table) = read_back(&out) else { return };
    let types = &table["types"];
    assert_eq!(types["id"], "string");
    assert_eq!(types["strategy"], "string");
    assert_eq!(types["value_entered"], "date32[day]");
    assert_eq!(types["value_below"], "int64");
    assert_eq!(types["budget.marketing"], "decimal128(38, 6)");
    assert_eq!(types["value_next_distance"], "double");
}

#[test]
fn a_bad_parquet_value_and_a_repeated_key_go_through_the_reject_accounting() {
    let bad = "tests/formats/cosmetics_bad.parquet";
    let o = tier(&["apply", "policies/cosmetics.tier", bad, "-o", "-"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cosmetics_bad.parquet (row 4): column `近12月消费额`: `一万二` is not an"),
        "{}",
        stderr(&o)
    );
    let dir = tempfile::tempdir().unwrap();
    let (summary, rejects) = skipping(bad, &[], "parquet", dir.path());
    assert_eq!((summary["rows_read"].as_u64(), summary["rows_rejected"].as_u64()), (Some(18), Some(2)));
    let Some(table) = read_back(&rejects) else { return };
    let rows: Vec<(String, String)> = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_str().unwrap().to_string(), r[4].as_str().unwrap().to_string()))
        .collect();
    let want = [("4", "tier::bad_value"), ("6", "tier::repeated_key")];
    assert_eq!(rows, want.map(|(a, b)| (a.to_string(), b.to_string())));
    assert_eq!(table["types"]["row"], "int64");
}
