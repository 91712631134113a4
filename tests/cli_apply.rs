//! `tier apply` end to end through the binary: every example policy on its
//! bundled data, every input and output format, stdin, bad records in both
//! modes with exact row accounting, atomic output, and usage errors.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use assert_cmd::Command;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tier(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("tier").unwrap().current_dir(root()).env("NO_COLOR", "1").args(args).output().unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// `id -> tier` (first dimension) from CSV output.
fn tiers(csv_text: &str) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    r.records().map(|rec| rec.unwrap()).map(|rec| (rec[0].to_string(), rec[1].to_string())).collect()
}

fn tier_of(rows: &[(String, String)], id: &str) -> String {
    rows.iter().find(|(k, _)| k == id).unwrap_or_else(|| panic!("no row {id}")).1.clone()
}

#[test]
fn every_example_policy_applies_to_its_data_with_every_row_accounted_for() {
    for name in ["hospitals", "sportswear", "private_banking", "cosmetics", "value_lifecycle"] {
        let policy = format!("policies/{name}.tier");
        let data = format!("examples/{name}.csv");
        let out = tier(&["apply", "--as-of", "2025-06-30", &policy, &data]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let input_rows = csv::Reader::from_path(root().join(&data)).unwrap().records().count();
        let rows = tiers(&stdout(&out));
        assert_eq!(rows.len(), input_rows, "{name}");
        assert!(rows.iter().all(|(_, t)| !t.is_empty()), "{name}: a record without a tier");
        let summary = stderr(&out);
        assert!(summary.contains(&format!("rows read {input_rows} = written {input_rows} + rejected 0")), "{summary}");
    }
}

#[test]
fn hospitals_boundaries_on_the_bundled_data() {
    let out = tier(&["apply", "policies/hospitals.tier", "examples/hospitals.csv"]);
    let rows = tiers(&stdout(&out));
    assert_eq!(tier_of(&rows, "H002"), "Important"); // exactly 100万 is not above it
    assert_eq!(tier_of(&rows, "H003"), "VIP"); // a cent above
    assert_eq!(tier_of(&rows, "H005"), "Important"); // exactly 30万
    assert_eq!(tier_of(&rows, "H006"), "General"); // a cent below 30万
    assert_eq!(tier_of(&rows, "H008"), "General"); // exactly 10万
    assert_eq!(tier_of(&rows, "H009"), "Small");
    // A quoted name with a comma and doubled quotes does not shift the columns.
    assert_eq!(tier_of(&rows, "H012"), "Small");
    assert_eq!(tier_of(&rows, "H004"), "Important");
}

#[test]
fn csv_json_and_ndjson_inputs_give_the_same_records() {
    let csv_out = stdout(&tier(&["apply", "policies/hospitals.tier", "examples/hospitals.csv", "--format", "ndjson"]));
    for input in ["examples/hospitals.json", "examples/hospitals.ndjson"] {
        let out = tier(&["apply", "policies/hospitals.tier", input, "--format", "ndjson"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stdout(&out), csv_out, "{input}");
    }
    // JSON output is one array holding the same objects.
    let json = stdout(&tier(&["apply", "policies/hospitals.tier", "examples/hospitals.csv", "--format", "json"]));
    let array: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let lines: Vec<serde_json::Value> = csv_out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(array, lines);
    assert_eq!(array[0]["strategy"]["visits"], "1/month");
    assert_eq!(array[0]["tier_label"], "VIP客户");
}

#[test]
fn stdin_is_read_with_an_explicit_format() {
    let data = std::fs::read(root().join("examples/hospitals.csv")).unwrap();
    let out = Command::cargo_bin("tier")
        .unwrap()
        .current_dir(root())
        .args(["apply", "policies/hospitals.tier", "-", "--input-format", "csv"])
        .write_stdin(data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let file = stdout(&tier(&["apply", "policies/hospitals.tier", "examples/hospitals.csv"]));
    assert_eq!(stdout(&out), file);
    // Without a format, stdin is a usage error.
    let out = tier(&["apply", "policies/hospitals.tier", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--input-format"), "{}", stderr(&out));
}

#[test]
fn a_bad_record_stops_the_run_and_leaves_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.csv");
    let out =
        tier(&["apply", "policies/hospitals.tier", "examples/hospitals_bad.csv", "-o", out_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("examples/hospitals_bad.csv:3 (row 2)"), "{err}");
    assert!(err.contains("`1.5 million` is not an amount"), "{err}");
    assert!(err.contains("tier::bad_value"), "{err}");
    assert!(!out_path.exists(), "output written despite the stop");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a temporary file was left behind");
}

#[test]
fn skipped_records_go_to_the_rejects_file_and_every_row_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.csv");
    let skip = |extra: &[&str]| {
        let mut args = vec!["apply", "policies/hospitals.tier", "examples/hospitals_bad.csv", "--on-error", "skip"];
        args.extend(["--rejects", rejects.to_str().unwrap()]);
        args.extend(extra);
        tier(&args)
    };
    let out = skip(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = tiers(&stdout(&out));
    let ids: Vec<&str> = written.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(ids, ["H101", "H104", "H105", "H106"]);
    let mut r = csv::Reader::from_path(&rejects).unwrap();
    let header = r.headers().unwrap().clone();
    assert_eq!(header.iter().collect::<Vec<_>>(), ["row", "line", "column", "value", "code", "error", "record"]);
    let rejected: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rejected.len(), 2);
    assert_eq!(
        (&rejected[0][0], &rejected[0][2], &rejected[0][3], &rejected[0][4]),
        ("2", "年度采购额", "1.5 million", "tier::bad_value")
    );
    assert_eq!((&rejected[1][0], &rejected[1][4]), ("3", "tier::missing_value"));
    let record: serde_json::Value = serde_json::from_str(&rejected[0][6]).unwrap();
    assert_eq!(record["id"], "H102");
    assert!(stderr(&out).contains("rows read 6 = written 4 + rejected 2"), "{}", stderr(&out));
    // The summary as JSON carries the same accounting.
    let out = skip(&["--summary", "json"]);
    let summary: serde_json::Value = serde_json::from_str(stderr(&out).trim()).unwrap();
    assert_eq!(
        (summary["rows_read"].as_u64(), summary["rows_written"].as_u64(), summary["rows_rejected"].as_u64()),
        (Some(6), Some(4), Some(2))
    );
}

#[test]
fn a_missing_column_names_the_columns_present() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("wrong.csv");
    std::fs::write(&data, "id,annual_purchase\nH1,100\n").unwrap();
    let out = tier(&["apply", "policies/hospitals.tier", data.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("年度采购额"), "{err}");
    assert!(err.contains("tier::missing_column"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["apply", "policies/hospitals.tier", "examples/nope.csv"][..],
        &["apply", "policies/nope.tier", "examples/hospitals.csv"],
        &["apply", "policies/hospitals.tier", "README.md"],
        &["apply", "policies/hospitals.tier", "examples/hospitals.csv", "--format", "xml"],
        &["apply", "policies/hospitals.tier", "examples/hospitals.csv", "--as-of", "2025-02-30"],
    ] {
        let out = tier(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty());
    }
}

#[test]
fn a_policy_that_reads_today_uses_its_as_of_and_says_when_it_falls_back_to_the_clock() {
    // The header's `as_of: 2025-06-30` decides, as it does for check, test and explain.
    let out = tier(&["apply", "policies/value_lifecycle.tier", "examples/value_lifecycle.csv"]);
    let fixed =
        tier(&["apply", "--as-of", "2025-06-30", "policies/value_lifecycle.tier", "examples/value_lifecycle.csv"]);
    assert_eq!(stdout(&out), stdout(&fixed));
    assert!(!stderr(&out).contains("note:"), "{}", stderr(&out));
    // Without the header entry the current date is used, and said, even with no summary.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("policies/value_lifecycle.tier")).unwrap();
    let without: String = text.lines().filter(|l| !l.trim_start().starts_with("as_of:")).collect::<Vec<_>>().join("\n");
    let policy = dir.path().join("p.tier");
    std::fs::write(&policy, without).unwrap();
    let p = policy.to_str().unwrap();
    let out = tier(&["apply", p, "examples/value_lifecycle.csv", "--summary", "none"]);
    assert!(stderr(&out).contains("note: the policy depends on the date"), "{}", stderr(&out));
    let fixed = tier(&["apply", "--as-of", "2025-06-30", p, "examples/value_lifecycle.csv"]);
    assert!(!stderr(&fixed).contains("note:"), "{}", stderr(&fixed));
}

#[test]
fn tiers_only_output_is_the_key_and_the_tier_names() {
    let out = tier(&[
        "apply",
        "--tiers-only",
        "--as-of",
        "2025-06-30",
        "policies/value_lifecycle.tier",
        "examples/value_lifecycle.csv",
    ]);
    let text = stdout(&out);
    assert_eq!(text.lines().next(), Some("id,value,lifecycle"));
    let full = stdout(&tier(&[
        "apply",
        "--as-of",
        "2025-06-30",
        "policies/value_lifecycle.tier",
        "examples/value_lifecycle.csv",
    ]));
    let mut r = csv::Reader::from_reader(full.as_bytes());
    let h = r.headers().unwrap().clone();
    let (v, l) = (h.iter().position(|c| c == "value").unwrap(), h.iter().position(|c| c == "lifecycle").unwrap());
    let expected: Vec<String> =
        r.records().map(|x| x.unwrap()).map(|x| format!("{},{},{}", &x[0], &x[v], &x[l])).collect();
    assert_eq!(text.lines().skip(1).collect::<Vec<_>>(), expected);
}

#[test]
fn the_fast_and_plain_paths_write_the_same_bytes_for_every_example() {
    for name in ["hospitals", "sportswear", "private_banking", "cosmetics", "value_lifecycle"] {
        for format in ["csv", "ndjson"] {
            let args = ["apply", "--as-of", "2025-06-30", "--summary", "none", "--format", format];
            let policy = format!("policies/{name}.tier");
            let data = format!("examples/{name}.csv");
            let mut all: Vec<&str> = args.to_vec();
            all.extend([policy.as_str(), data.as_str()]);
            let fast = tier(&all);
            let plain = Command::cargo_bin("tier")
                .unwrap()
                .current_dir(root())
                .env("TIER_PLAIN_PATH", "1")
                .args(&all)
                .output()
                .unwrap();
            assert_eq!(fast.status.code(), Some(0));
            assert_eq!(stdout(&fast), stdout(&plain), "{name} {format}");
        }
    }
}

#[test]
fn a_negative_rate_is_a_bad_value_on_both_paths() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("neg.csv");
    std::fs::write(&data, "id,orders\nA,3\nB,-1\n").unwrap();
    for plain in [false, true] {
        let mut cmd = Command::cargo_bin("tier").unwrap();
        if plain {
            cmd.env("TIER_PLAIN_PATH", "1");
        }
        let out = cmd
            .current_dir(root())
            .args(["apply", "tests/analysis/rate_never_negative.tier", data.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(err.contains("(row 2): column `orders`: `-1` is not a count"), "{err}");
        assert!(err.contains("zero or a positive number"), "{err}");
    }
}

/// `-o /dev/null` writes into the device; it must not rename a file over it.
#[cfg(unix)]
#[test]
fn output_to_a_device_is_written_in_place_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let out =
        tier(&["apply", "policies/hospitals.tier", "examples/hospitals.csv", "-o", "/dev/null", "--summary", "none"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let meta = std::fs::metadata("/dev/null").unwrap();
    assert!(meta.file_type().is_char_device(), "/dev/null is no longer a device");
}
