//! What a new user hits first (issue 13): no silent wrong answers. Duplicate
//! keys on every reader and path, one rule for `today`, apply refusing what
//! `tier check` rejects, money in another currency, output names tier does not
//! write, bad UTF-8 in the reject report, and hints that fit the failure.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tier_env(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::cargo_bin("tier").unwrap();
    cmd.current_dir(root()).env("NO_COLOR", "1").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn tier(args: &[&str]) -> std::process::Output {
    tier_env(args, &[])
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Diagnostics with miette's line wrapping and gutter undone.
fn flat(text: &str) -> String {
    text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const HOSPITALS: &str = "policies/hospitals.tier";

/// The hospitals data with `H003` repeated as the last record.
fn hospitals_with_duplicate() -> String {
    let mut text = std::fs::read_to_string(root().join("examples/hospitals.csv")).unwrap();
    text.push_str("H003,Repeated,5,East\n");
    text
}

#[test]
fn a_duplicate_key_stops_the_run_naming_the_key_and_both_lines_on_both_paths() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "dup.csv", hospitals_with_duplicate());
    for env in [&[][..], &[("TIER_PLAIN_PATH", "1")][..]] {
        let out = tier_env(&["apply", HOSPITALS, s(&data)], env);
        assert_eq!(out.status.code(), Some(1), "{env:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "a stopped run writes nothing");
        let err = stderr(&out);
        assert!(err.contains("tier::repeated_key"), "{err}");
        assert!(err.contains("dup.csv:14 (row 13): key `H003` appears twice: first at"), "{err}");
        assert!(err.contains("dup.csv:4 (row 3)"), "{err}");
    }
}

#[test]
fn the_parallel_path_finds_a_duplicate_far_from_its_first_occurrence() {
    // Big enough for many blocks and chunks: the two records meet only in the
    // merged key set.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("id,name,年度采购额,region\n");
    for i in 0..60_000 {
        text.push_str(&format!("C{i:06},Name {i},{},North\n", (i * 37) % 3_000_000));
    }
    text.push_str("C000007,Again,1,North\n");
    let data = write(dir.path(), "big.csv", &text);
    let out = tier(&["apply", HOSPITALS, s(&data), "--summary", "none"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("key `C000007` appears twice: first at"), "{}", stderr(&out));
    assert!(stderr(&out).contains("big.csv:9 (row 8)"), "{}", stderr(&out));
}

#[test]
fn skipping_keeps_the_first_occurrence_and_reports_the_later_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "dup.csv", hospitals_with_duplicate());
    let rejects = dir.path().join("rejects.csv");
    let out = tier(&["apply", HOSPITALS, s(&data), "--on-error", "skip", "--rejects", s(&rejects)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows: Vec<String> = stdout(&out).lines().filter(|l| l.starts_with("H003,")).map(str::to_string).collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].starts_with("H003,VIP,"), "the first H003 (1000000.01) is kept: {rows:?}");
    assert!(stderr(&out).contains("rows read 13 = written 12 + rejected 1"), "{}", stderr(&out));
    let report = std::fs::read_to_string(&rejects).unwrap();
    let mut r = csv::Reader::from_reader(report.as_bytes());
    let recs: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(recs.len(), 1, "{report}");
    assert_eq!((&recs[0][0], &recs[0][1], &recs[0][2], &recs[0][3]), ("13", "14", "id", "H003"));
    assert_eq!(&recs[0][4], "tier::repeated_key");
    assert!(recs[0][6].contains("Repeated"), "the repeated record's cells: {report}");
}

#[test]
fn duplicate_keys_are_refused_in_json_ndjson_customers_diff_explain_and_previous() {
    let dir = tempfile::tempdir().unwrap();
    let json = write(
        dir.path(),
        "d.json",
        r#"[{"id": "H1", "年度采购额": 5}, {"id": "H2", "年度采购额": 6}, {"id": "H1", "年度采购额": 7}]"#,
    );
    let ndjson =
        write(dir.path(), "d.ndjson", "{\"id\": \"H1\", \"年度采购额\": 5}\n{\"id\": \"H1\", \"年度采购额\": 7}\n");
    for data in [&json, &ndjson] {
        let out = tier(&["apply", HOSPITALS, s(data)]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("key `H1` appears twice"), "{}", stderr(&out));
    }
    let csv_dup = write(dir.path(), "dup.csv", hospitals_with_duplicate());
    // diff --data: a duplicate is a bad record there too, left out of the
    // comparison and named, as diff does with every bad record.
    let out = tier(&["diff", HOSPITALS, HOSPITALS, "--data", s(&csv_dup)]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(all.contains("0 of 12 records"), "{all}");
    assert!(all.contains("key `H003` appears twice"), "{all}");
    // explain --id of a repeated key cannot tell which record is meant.
    let out = tier(&["explain", HOSPITALS, s(&csv_dup), "--id", "H003"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("key `H003` appears twice"), "{}", stderr(&out));
    // ... while another key of the same file is explained.
    let out = tier(&["explain", HOSPITALS, s(&csv_dup), "--id", "H001"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // --previous: one customer, two previous states.
    let prev = write(dir.path(), "prev.csv", "id,value\nc01,Gold\nc02,Silver\nc01,Bronze\n");
    let out = tier(&[
        "apply",
        "policies/loyalty_program.tier",
        "examples/loyalty_2025-02.csv",
        "--previous",
        s(&prev),
        "--as-of",
        "2025-02-28",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("key `c01` appears twice"), "{}", stderr(&out));
}

#[test]
fn a_duplicate_customer_in_the_customers_file_of_a_metrics_run_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "m.tier",
        r#"policy "m" { as_of: 2024-06-30 }
events sales {
  customer: text key
  at: date time
  amount: money
}
schema {
  customer: text key
  region: text
}
metric spend = sum(amount)
tier Big { when spend >= 100 and region == "N" }
tier Rest { otherwise }
"#,
    );
    let events = write(dir.path(), "e.csv", "customer,at,amount\nA,2024-01-01,150\nB,2024-02-01,20\n");
    let customers = write(dir.path(), "c.csv", "customer,region\nA,N\nB,S\nA,S\n");
    let out = tier(&["apply", s(&policy), "--events", s(&events), "--customers", s(&customers)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("key `A` appears twice"), "{}", stderr(&out));
    // Repeated customer ids in the event log are what an event log is.
    let ok = write(dir.path(), "c2.csv", "customer,region\nA,N\nB,S\n");
    let out = tier(&["apply", s(&policy), "--events", s(&events), "--customers", s(&ok)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn every_command_takes_today_from_as_of_then_the_header_then_the_clock() {
    // value_lifecycle reads `today` and says `as_of: 2025-06-30`.
    let p = "policies/value_lifecycle.tier";
    let data = "examples/value_lifecycle.csv";
    let apply = tier(&["apply", p, data]);
    let pinned = tier(&["apply", p, data, "--as-of", "2025-06-30"]);
    assert_eq!(stdout(&apply), stdout(&pinned), "apply uses the header's as_of");
    let later = tier(&["apply", p, data, "--as-of", "2027-01-01"]);
    assert_ne!(stdout(&apply), stdout(&later), "--as-of overrides the header");
    // explain agrees with apply record by record.
    let first_id = stdout(&apply).lines().nth(1).unwrap().split(',').next().unwrap().to_string();
    let tier_of = stdout(&apply).lines().nth(1).unwrap().split(',').nth(1).unwrap().to_string();
    let ex = tier(&["explain", p, data, "--id", &first_id, "--format", "json"]);
    assert_eq!(ex.status.code(), Some(0), "{}", stderr(&ex));
    let doc: serde_json::Value = serde_json::from_slice(&ex.stdout).unwrap();
    assert_eq!(doc["as_of"], "2025-06-30");
    assert_eq!(doc["dimensions"][0]["tier"], serde_json::Value::String(tier_of));
    // diff without data on the same file: nothing changes, at the header's date.
    let d = tier(&["diff", p, p, "--data", data]);
    assert_eq!(d.status.code(), Some(0), "{}", stderr(&d));
    assert!(!stderr(&d).contains("note:"), "{}", stderr(&d));
}

#[test]
fn apply_refuses_a_policy_that_tier_check_rejects_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("out.csv");
    for policy in ["tests/analysis/shadowed_tier.tier", "tests/analysis/unique_overlap.tier"] {
        let check = tier(&["check", policy]);
        assert_eq!(check.status.code(), Some(1), "{policy}: check fails");
        let data = write(dir.path(), "d.csv", "id,spend,visits,region,segment,x,y\n");
        let out = tier(&["apply", policy, s(&data), "-o", s(&out_file)]);
        assert_eq!(out.status.code(), Some(1), "{policy}: {}", stderr(&out));
        assert!(stderr(&out).contains("the policy has errors"), "{}", stderr(&out));
        assert!(!stderr(&out).contains("--on-error skip"), "a policy error is no data error: {}", stderr(&out));
        assert!(!out_file.exists());
    }
}

#[test]
fn money_in_another_currency_is_refused_in_data_and_in_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    // hospitals.tier says `currency: CNY`.
    let data = write(
        dir.path(),
        "c.csv",
        "id,name,年度采购额,region\nH1,A,$300k,East\nH2,B,¥300k,East\nH3,C,300k元,East\nH4,D,300000,East\nH5,E,€5,East\n",
    );
    let rejects = dir.path().join("r.csv");
    let out = tier(&["apply", HOSPITALS, s(&data), "--on-error", "skip", "--rejects", s(&rejects)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let written: Vec<&str> = text.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(written, ["H2", "H3", "H4"]);
    let report = std::fs::read_to_string(&rejects).unwrap();
    assert!(report.contains("`$300k` is not an amount in CNY"), "{report}");
    assert!(report.contains("`€5` is not an amount in CNY"), "{report}");
    let stop = tier(&["apply", HOSPITALS, s(&data)]);
    assert_eq!(stop.status.code(), Some(1));
    assert!(stderr(&stop).contains("`$` is another currency"), "{}", stderr(&stop));
    // A literal in another currency is a check error at the literal.
    let text = std::fs::read_to_string(root().join(HOSPITALS)).unwrap().replacen("100万", "$1.5M", 1);
    let policy = write(dir.path(), "p.tier", text);
    let out = tier(&["check", s(&policy)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("tier::foreign_currency"), "{}", stderr(&out));
    assert!(stderr(&out).contains("`$` is not the policy's currency (CNY)"), "{}", stderr(&out));
    // Without `currency:` any single symbol is accepted, as before.
    let text = std::fs::read_to_string(root().join(HOSPITALS)).unwrap().replace("currency: CNY", "");
    let policy = write(dir.path(), "q.tier", text);
    let out = tier(&["apply", s(&policy), s(&data), "--summary", "none"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 6);
}

#[test]
fn an_output_name_tier_does_not_write_is_a_usage_error_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("out.avro");
    // The data does not exist: the name is refused before anything is read.
    let out = tier(&["apply", HOSPITALS, "examples/nope.csv", "-o", s(&out_file)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("tier does not write `.avro` files"), "{}", stderr(&out));
    assert!(!out_file.exists());
    let out = tier(&["apply", HOSPITALS, "examples/hospitals.csv", "-o", s(&out_file), "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "an explicit --format decides: {}", stderr(&out));
    let out = tier(&["apply", HOSPITALS, "examples/hospitals.csv", "--on-error", "skip", "--rejects", "r.json"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_record_that_is_not_utf8_keeps_its_cells_in_the_reject_report_and_says_gbk() {
    let dir = tempfile::tempdir().unwrap();
    // "北京" in GBK.
    let data = write(dir.path(), "gbk.csv", b"id,name,\xe5\xb9\xb4\xe5\xba\xa6\xe9\x87\x87\xe8\xb4\xad\xe9\xa2\x9d,region\nH1,A,100,North\nH2,\xb1\xb1\xbe\xa9,200,North\nH3,C,300,East\n");
    let out = tier(&["apply", HOSPITALS, s(&data)]);
    assert_eq!(out.status.code(), Some(1));
    let err = flat(&stderr(&out));
    assert!(err.contains("gbk.csv:3 (row 2): the record is not valid UTF-8"), "{err}");
    assert!(err.contains("GBK"), "{err}");
    assert!(err.contains("CSV UTF-8"), "{err}");
    assert!(!err.contains("--on-error skip"), "skipping every row would not help: {err}");
    let rejects = dir.path().join("r.csv");
    let out = tier(&["apply", HOSPITALS, s(&data), "--on-error", "skip", "--rejects", s(&rejects)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = std::fs::read_to_string(&rejects).unwrap();
    assert!(report.contains("tier::not_utf8"), "{report}");
    assert!(report.contains(r#"""id"":""H2"""#), "the cells are kept: {report}");
    assert!(report.contains('\u{fffd}'), "undecodable bytes are marked: {report}");
}

#[test]
fn the_skip_hint_appears_only_where_skipping_helps() {
    let bad = tier(&["apply", HOSPITALS, "examples/hospitals_bad.csv"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("use --on-error skip"), "{}", stderr(&bad));
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "nocol.csv", "id,name,region\nH1,A,North\n");
    let out = tier(&["apply", HOSPITALS, s(&data)]);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("no column"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("--on-error skip"), "{}", stderr(&out));
    let rejects = dir.path().join("r.csv");
    let out = tier(&["apply", HOSPITALS, s(&data), "--on-error", "skip", "--rejects", s(&rejects)]);
    assert!(!stderr(&out).contains("use --on-error skip"), "skip was given: {}", stderr(&out));
}

#[test]
fn keep_copies_input_columns_after_the_key_in_every_format_and_run() {
    // By input column name (年度采购额) or schema field name (annual_purchase).
    let out =
        tier(&["apply", HOSPITALS, "examples/hospitals.csv", "--keep", "name,annual_purchase", "--summary", "none"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("id,name,annual_purchase,tier,tier_label,"), "{text}");
    assert!(lines.next().unwrap().starts_with("H001,北京协和医院,2350000,VIP,"), "{text}");
    assert!(text.contains("H004,\"West China Hospital, Chengdu\",820000,"), "CSV quoting kept: {text}");
    for (data, fmt) in [("examples/hospitals.json", "json"), ("examples/hospitals.ndjson", "ndjson")] {
        let out = tier(&["apply", HOSPITALS, data, "--keep", "name", "--format", fmt, "--summary", "none"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains(r#"{"id":"H001","name":"北京协和医院","tier":"VIP""#), "{fmt}: {text}");
    }
    // Same rows with and without --keep, apart from the kept column.
    let plain = tier(&["apply", HOSPITALS, "examples/hospitals.csv", "--summary", "none"]);
    let kept = tier(&["apply", HOSPITALS, "examples/hospitals.csv", "--keep", "region", "--summary", "none"]);
    let strip = |t: &str| -> Vec<String> {
        csv::Reader::from_reader(t.as_bytes())
            .records()
            .map(|r| {
                let r = r.unwrap();
                r.iter().enumerate().filter(|(i, _)| *i != 1).map(|(_, c)| c.to_string()).collect::<Vec<_>>().join(",")
            })
            .collect()
    };
    assert_eq!(
        strip(&stdout(&kept)),
        csv::Reader::from_reader(stdout(&plain).as_bytes())
            .records()
            .map(|r| r.unwrap().iter().collect::<Vec<_>>().join(","))
            .collect::<Vec<_>>()
    );
    // History runs (retention rules) and metric runs with a customers file.
    let out = tier(&[
        "apply",
        "policies/loyalty_program.tier",
        "examples/loyalty_2025-01.csv",
        "--as-of",
        "2025-01-31",
        "--keep",
        "最近购买日期",
        "--summary",
        "none",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).lines().next().unwrap().starts_with("id,最近购买日期,value,"), "{}", stdout(&out));
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "m.tier",
        "policy \"m\" { as_of: 2024-06-30 }\nevents sales {\n  customer: text key\n  at: date time\n  amount: money\n}\nschema {\n  customer: text key\n}\nmetric spend = sum(amount)\ntier Big { when spend >= 100 }\ntier Rest { otherwise }\n",
    );
    let events = write(dir.path(), "e.csv", "customer,at,amount\nA,2024-01-01,150\nB,2024-02-01,20\n");
    let customers = write(dir.path(), "c.csv", "customer,owner\nA,Wang\nB,Li\n");
    let args = ["apply", s(&policy), "--events", s(&events), "--customers", s(&customers), "--keep", "owner"];
    let out = tier(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("A,Wang,Big"), "{}", stdout(&out));
    assert!(stdout(&out).contains("B,Li,Rest"), "{}", stdout(&out));
    // An event log alone has no per-customer columns to keep.
    let out = tier(&["apply", s(&policy), "--events", s(&events), "--keep", "owner"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--keep copies columns of the customers file"), "{}", stderr(&out));
}

#[test]
fn keep_refuses_unknown_and_clashing_columns() {
    let out = tier(&["apply", HOSPITALS, "examples/hospitals.csv", "--keep", "nme"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--keep `nme`: the input has no such column (its columns: id, name, 年度采购额, region)"),
        "{}",
        stderr(&out)
    );
    for clash in ["id", "tier", "tier_label", "strategy"] {
        let out = tier(&["apply", HOSPITALS, "examples/hospitals.csv", "--keep", clash]);
        assert_eq!(out.status.code(), Some(2), "{clash}");
        assert!(stderr(&out).contains("tier writes a column of that name itself"), "{}", stderr(&out));
    }
}

/// The display column where `needle` ends on each line that has it.
fn end_columns(text: &str, needle: &str) -> Vec<usize> {
    text.lines().filter_map(|l| l.find(needle).map(|i| tierlang::data::layout::width(&l[..i + needle.len()]))).collect()
}

#[test]
fn tables_line_up_by_display_width_with_chinese_tier_names() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "bank.tier",
        "schema { id: text key  aum: money }\ntier 私人银行 { when aum >= 1000万 }\ntier 贵宾 { when aum >= 100万 }\ntier 普通 { otherwise }\n",
    );
    let data = write(dir.path(), "d.csv", "id,aum\nA,20000000\nB,2000000\nC,5\nD,6\n");
    let out = tier(&["apply", s(&policy), s(&data), "-o", s(&dir.path().join("o.csv"))]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stderr(&out);
    // The header's `count` and each row's count end in the same column.
    let lines: Vec<&str> = table.lines().take(4).collect();
    // The end of the second whitespace-separated token: `count`, or the row's count.
    let ends: Vec<usize> = lines
        .iter()
        .map(|l| {
            let first = l.find(' ').unwrap();
            let start = first + l[first..].find(|c: char| c != ' ').unwrap();
            let end = start + l[start..].find(' ').unwrap();
            tierlang::data::layout::width(&l[..end])
        })
        .collect();
    assert!(ends.windows(2).all(|w| w[0] == w[1]), "{ends:?}\n{table}");
    // diff's matrix: the columns of the new tiers end where their header does.
    let other = write(
        dir.path(),
        "bank2.tier",
        "schema { id: text key  aum: money }\ntier 私人银行 { when aum >= 1500万 }\ntier 贵宾 { when aum >= 100万 }\ntier 普通 { otherwise }\n",
    );
    let out = tier(&["diff", s(&policy), s(&other), "--data", s(&data)]);
    let text = stdout(&out);
    let header = text.lines().find(|l| l.contains("old \\ new")).unwrap();
    let head_end = tierlang::data::layout::width(header);
    for row in text.lines().filter(|l| l.starts_with("  ") && !l.contains("old \\ new")) {
        assert_eq!(tierlang::data::layout::width(row.trim_end()), head_end, "{text}");
    }
    assert_eq!(end_columns(&text, "私人银行").len(), 2, "{text}");
}

#[test]
fn diff_prints_money_with_separators() {
    let out = tier(&["diff", HOSPITALS, HOSPITALS, "--data", "examples/hospitals.csv"]);
    assert!(stdout(&out).contains("0.00 of 6,176,999.00 `annual_purchase`"), "{}", stdout(&out));
}

#[test]
fn explain_record_takes_field_names_and_needs_only_what_the_tiers_read() {
    // `annual_purchase` is read from the column 年度采购额; name and region are
    // never read, the key is not needed either.
    let by_field = tier(&["explain", HOSPITALS, "--record", r#"{"annual_purchase": "2,000,000"}"#]);
    assert_eq!(by_field.status.code(), Some(0), "{}", stderr(&by_field));
    assert!(stdout(&by_field).contains("gets `VIP`"), "{}", stdout(&by_field));
    let by_column = tier(&["explain", HOSPITALS, "--record", r#"{"id": "H9", "年度采购额": 2000000}"#]);
    assert_eq!(by_column.status.code(), Some(0), "{}", stderr(&by_column));
    assert!(stdout(&by_column).starts_with("H9 gets `VIP`"), "{}", stdout(&by_column));
    // A field the tiers read is named as missing, with its column.
    let missing = tier(&["explain", HOSPITALS, "--record", r#"{"id": "H9", "region": "North"}"#]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        stderr(&missing).trim(),
        "error: --record has no `annual_purchase` (column `年度采购额`): the tiers read it"
    );
    let bad = tier(&["explain", HOSPITALS, "--record", r#"{"annual_purchase": "lots"}"#]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("`annual_purchase`: `lots` is not an amount"), "{}", stderr(&bad));
}

#[test]
fn a_byte_order_mark_at_the_start_of_json_and_ndjson_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let json = write(dir.path(), "b.json", "\u{feff}[{\"id\": \"H1\", \"年度采购额\": 5}]");
    let ndjson = write(dir.path(), "b.ndjson", "\u{feff}{\"id\": \"H1\", \"年度采购额\": 5}\n");
    let csv = write(dir.path(), "b.csv", "\u{feff}id,年度采购额\nH1,5\n");
    for data in [&json, &ndjson, &csv] {
        let out = tier(&["apply", HOSPITALS, s(data), "--summary", "none", "--tiers-only", "--format", "csv"]);
        assert_eq!(out.status.code(), Some(0), "{}: {}", data.display(), stderr(&out));
        assert_eq!(stdout(&out), "id,tier\nH1,Small\n");
    }
}
