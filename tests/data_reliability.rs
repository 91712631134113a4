//! Issue 14, the data side: no input makes `tier apply` panic, hang or lose a
//! row. One test per finding of the `reader` fuzz target and the reports that
//! led to it (see docs/fuzzing.md); each names the class it closes.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use assert_cmd::Command;
use std::path::Path;
use std::time::{Duration, Instant};
use tierlang::data::fast::{run_sized, Sizes, Source};
use tierlang::data::{Format, Reader};
use tierlang::number::Date;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tier(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::cargo_bin("tier").unwrap();
    cmd.current_dir(dir).env("NO_COLOR", "1").env_remove("TIER_PLAIN_PATH").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.timeout(Duration::from_secs(60)).output().unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn hospitals() -> String {
    root().join("policies/hospitals.tier").display().to_string()
}

const HEADER: &str = "id,name,年度采购额,region\n";

/// Both paths: the parallel one (the default for a CSV file) and the plain one.
const PATHS: [&[(&str, &str)]; 2] = [&[], &[("TIER_PLAIN_PATH", "1")]];

// --- silent loss: a quoted field that never closes ---------------------------

#[test]
fn an_unterminated_quote_is_a_bad_record_that_names_its_line_on_both_paths() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!("{HEADER}H0,Z,10,South\nH1,A,2350000,\"North\nH2,B,100,South\nH3,C,5,East\n");
    std::fs::write(dir.path().join("in.csv"), body).unwrap();
    for env in PATHS {
        let _ = std::fs::remove_file(dir.path().join("out.csv"));
        let out = tier(dir.path(), &["apply", &hospitals(), "in.csv", "-o", "out.csv"], env);
        assert_eq!(out.status.code(), Some(1), "{env:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("in.csv:3 (row 2)"), "{env:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("never closes"), "{}", stderr(&out));
        assert!(!dir.path().join("out.csv").exists());
        // Skipped, the record (with everything it swallowed) is in the reject report.
        let args = ["apply", &hospitals(), "in.csv", "-o", "out.csv", "--on-error", "skip", "--rejects", "r.csv"];
        let out = tier(dir.path(), &args, env);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stderr(&out).contains("rows read 2 = written 1 + rejected 1"), "{}", stderr(&out));
        let rejects = std::fs::read_to_string(dir.path().join("r.csv")).unwrap();
        assert!(rejects.contains("H3") && rejects.contains("never closes"), "{rejects}");
    }
}

/// The csv crate reports the first record after a blank line at the blank's
/// line; the reader counts lines itself. Blank lines (CRLF too) and a field
/// spanning lines come before the bad record; both paths, stopping and skipping.
#[test]
fn a_bad_record_after_blank_lines_names_its_own_line() {
    let dir = tempfile::tempdir().unwrap();
    let body = "id,name,年度采购额,region\r\n\r\nH1,\"A\nB\",100,South\r\n\r\n\r\nH2,C,lots,East\r\nH3,D,5,East\r\n";
    std::fs::write(dir.path().join("in.csv"), body).unwrap();
    for env in PATHS {
        let out = tier(dir.path(), &["apply", &hospitals(), "in.csv", "-o", "out.csv"], env);
        assert_eq!(out.status.code(), Some(1), "{env:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("in.csv:7 (row 2)"), "{env:?}: {}", stderr(&out));
        let args = ["apply", &hospitals(), "in.csv", "-o", "out.csv", "--on-error", "skip", "--rejects", "r.csv"];
        let out = tier(dir.path(), &args, env);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let rejects = std::fs::read_to_string(dir.path().join("r.csv")).unwrap();
        assert!(rejects.contains("\n2,7,年度采购额,lots,tier::bad_value"), "{env:?}: {rejects}");
    }
}

#[test]
fn an_unterminated_quote_in_the_header_or_an_event_log_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.csv"), "id,\"name,年度采购额,region\nH1,A,1,North\n").unwrap();
    let out = tier(dir.path(), &["apply", &hospitals(), "in.csv"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("never closes"), "{}", stderr(&out));

    let sample = std::fs::read_to_string(root().join("examples/online_retail_sample.csv")).unwrap();
    let mut lines: Vec<&str> = sample.lines().take(50).collect();
    let broken = format!("{},\"United Kingdom", lines[10].rsplit_once(',').unwrap().0);
    lines[10] = &broken;
    std::fs::write(dir.path().join("events.csv"), lines.join("\n") + "\n").unwrap();
    let rfm = root().join("policies/rfm.tier").display().to_string();
    for env in PATHS {
        let out = tier(dir.path(), &["apply", &rfm, "--events", "events.csv"], env);
        assert_eq!(out.status.code(), Some(1), "{env:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("events.csv:11 (row 10)"), "{}", stderr(&out));
    }
}

// --- endless loop: an input that cannot be read -------------------------------

#[test]
fn an_input_that_cannot_be_read_stops_with_exit_2_and_is_never_a_reject() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["d.csv", "d.json", "d.ndjson"] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
        let args = ["apply", &hospitals(), name, "-o", "out.csv", "--on-error", "skip", "--rejects", "r.csv"];
        let started = Instant::now();
        let out = tier(dir.path(), &args, &[]);
        assert!(started.elapsed() < Duration::from_secs(20), "{name}");
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains("tier::unreadable_input"), "{}", stderr(&out));
        assert!(!dir.path().join("r.csv").exists() && !dir.path().join("out.csv").exists());
        assert!(common::leftovers(dir.path()).is_empty());
    }
    // The event log and the customers file too.
    let rfm = root().join("policies/rfm.tier").display().to_string();
    let args = ["apply", &rfm, "--events", "d.ndjson", "--on-error", "skip", "--rejects", "r.csv"];
    let out = tier(dir.path(), &args, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("Is a directory"), "{}", stderr(&out));
    let loyalty = root().join("tests/events/loyalty.tier").display().to_string();
    let orders = root().join("tests/events/loyalty_orders.csv").display().to_string();
    for customers in ["d.csv", "d.ndjson"] {
        let args = ["apply", &loyalty, "--events", &orders, "--customers", customers, "--on-error", "skip"];
        let out = tier(dir.path(), &[&args[..], &["--rejects", "r.csv"]].concat(), &[]);
        assert_eq!(out.status.code(), Some(2), "{customers}: {}", stderr(&out));
        assert!(stderr(&out).contains("Is a directory"), "{}", stderr(&out));
    }
    // And the previous output of a run with history.
    let policy = root().join("policies/loyalty_program.tier").display().to_string();
    let feb = root().join("examples/loyalty_2025-02.csv").display().to_string();
    let out = tier(dir.path(), &["apply", &policy, &feb, "--as-of", "2025-02-28", "--previous", "d.csv"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("Is a directory"), "{}", stderr(&out));
}

#[test]
fn the_ndjson_reader_stops_after_an_io_error() {
    struct Failing(usize);
    impl std::io::Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("disk gone"));
            }
            self.0 -= 1;
            let line = b"{\"id\": \"H1\", \"annual_purchase\": 5}\n";
            buf[..line.len()].copy_from_slice(line);
            Ok(line.len())
        }
    }
    let p = common::program(&std::fs::read_to_string(hospitals()).unwrap());
    for format in [Format::Ndjson, Format::Csv] {
        let Ok(reader) = Reader::new(Box::new(Failing(3)), format, "in", &p.fields, p.key) else { continue };
        let items: Vec<_> = reader.take(100).collect();
        assert!(items.len() < 10, "{format:?}: {} items", items.len());
        assert!(items.last().unwrap().is_err());
    }
}

// --- quadratic time: a record longer than a block ----------------------------

/// The parallel path on a stray quote (everything after it one "field") and on
/// a field of many blocks: handed back in time linear in the input. With tiny
/// blocks the old rescan-per-chunk was quadratic (minutes here; now well
/// under a second in a debug build).
#[test]
fn a_stray_quote_or_a_huge_field_is_handed_back_in_linear_time() {
    let p = common::program(&std::fs::read_to_string(hospitals()).unwrap());
    let today = Date::parse("2025-06-30").unwrap();
    let sizes = Sizes { block: 4 << 10, chunk: 64 };
    let rows: String = (0..100_000).map(|i| format!("H{i},N,{i},North\n")).collect();
    let stray = format!("{HEADER}H0,\"A,1,North\n{rows}");
    let huge = format!("{HEADER}H0,\"{}\",1,North\n{rows}", "x".repeat(2 << 20));
    for input in [stray, huge] {
        let started = Instant::now();
        let mut out = Vec::new();
        let done = run_sized(&p, Source::Read(input.as_bytes()), &mut out, Format::Csv, true, today, sizes);
        assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
        let _ = done; // the huge field is fine; the stray quote hands back
    }
}

// --- decimal overflow in reporting ---------------------------------------------

#[test]
fn a_total_out_of_range_is_a_bad_record_on_both_paths_never_a_panic_or_a_wrong_sum() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, rows: &str| std::fs::write(dir.path().join(name), format!("{HEADER}{rows}")).unwrap();
    write("one.csv", "H1,A,1e27,North\nH2,B,100,South\n");
    write("two.csv", "H1,A,5e28,North\nH2,B,5e28,South\nH3,C,1,South\n");
    // Signs do not help: the magnitudes add up (the rule cannot depend on order).
    write("signs.csv", "H1,A,5e28,North\nH2,B,-5e28,South\n");
    for env in PATHS {
        let out = tier(dir.path(), &["apply", &hospitals(), "one.csv", "-o", "out.csv"], env);
        assert_eq!(out.status.code(), Some(0), "{env:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("1,000,000,000,000,000,000,000,000,000.00  100.0%"), "{}", stderr(&out));
        for input in ["two.csv", "signs.csv"] {
            let out = tier(dir.path(), &["apply", &hospitals(), input, "-o", "x.csv"], env);
            assert_eq!(out.status.code(), Some(1), "{env:?} {input}: {}", stderr(&out));
            assert!(stderr(&out).contains(&format!("{input}:3 (row 2)")), "{}", stderr(&out));
            assert!(stderr(&out).contains("can hold"), "{}", stderr(&out));
            assert!(!dir.path().join("x.csv").exists());
        }
        let args = ["apply", &hospitals(), "two.csv", "--on-error", "skip", "--rejects", "r.csv", "--summary", "json"];
        let out = tier(dir.path(), &args, env);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let summary: serde_json::Value = serde_json::from_str(stderr(&out).trim()).unwrap();
        assert_eq!(summary["rows_rejected"], 1);
        let sums: Vec<String> =
            summary["dimensions"]["tier"].as_array().unwrap().iter().map(|t| t["money"].to_string()).collect();
        assert!(sums.contains(&"50000000000000000000000000000".to_string()), "{sums:?}");
    }
}

#[test]
fn the_parallel_path_hands_a_total_out_of_range_back() {
    let p = common::program(&std::fs::read_to_string(hospitals()).unwrap());
    let today = Date::parse("2025-06-30").unwrap();
    let input = format!("{HEADER}H1,A,5e28,North\nH2,B,5e28,South\n");
    for sizes in [Sizes::default(), Sizes { block: 8, chunk: 1 }] {
        let mut out = Vec::new();
        let done = run_sized(&p, Source::Read(input.as_bytes()), &mut out, Format::Csv, false, today, sizes);
        assert!(done.is_err(), "a wrong total was reported: {:?}", done.map(|s| s.tiers));
    }
}

#[test]
fn summaries_render_shares_of_any_totals() {
    // Parts far larger than their total (mixed signs) and totals near the limit.
    let p = common::program(&std::fs::read_to_string(hospitals()).unwrap());
    let mut s = tierlang::data::Summary::with_values(&p);
    let d = |t: &str| tierlang::eval::Value::Num(t.parse().unwrap());
    let tier = |t| vec![tierlang::eval::Decision { tier: Some(t) }];
    for (v, t) in [("39614081257132168796771975167", 0), ("-39614081257132168796771975166.99", 1), ("0.01", 2)] {
        assert!(s.fits(&[tierlang::eval::Value::Missing, d(v)]).is_ok());
        s.add(&[tierlang::eval::Value::Missing, d(v)], &tier(t));
    }
    let _ = s.render(&p);
    let _ = s.to_json(&p);
}

#[test]
fn an_event_sum_out_of_range_is_missing_never_a_wrong_number() {
    let dir = tempfile::tempdir().unwrap();
    let events = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n\
                  1,A,x,1,2011-01-03 11:13:00,5e28,12345,UK\n\
                  2,A,x,1,2011-01-04 11:13:00,5e28,12345,UK\n\
                  3,A,x,1,2011-01-04 11:13:00,5,12346,UK\n";
    std::fs::write(dir.path().join("events.csv"), events).unwrap();
    let rfm = root().join("policies/rfm.tier").display().to_string();
    for env in PATHS {
        let out = tier(dir.path(), &["apply", &rfm, "--events", "events.csv", "--rejects", "r.csv"], env);
        assert_eq!(out.status.code(), Some(0), "{env:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("customers 2 = tiered 1 + outside the population 1"), "{}", stderr(&out));
        let rejects = std::fs::read_to_string(dir.path().join("r.csv")).unwrap();
        assert!(rejects.contains(r#"""monetary"":"""""#), "{rejects}");
    }
}

// --- temporary files and commit order -------------------------------------------

#[test]
fn a_reject_report_that_cannot_be_written_leaves_no_output_either() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.csv"), format!("{HEADER}H1,A,1,North\nH2,B,oops,South\n")).unwrap();
    let args = ["apply", &hospitals(), "in.csv", "-o", "out.csv", "--on-error", "skip", "--rejects", "/dev/full"];
    let out = tier(dir.path(), &args, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!dir.path().join("out.csv").exists(), "the output was committed without its rejects");
    assert!(common::leftovers(dir.path()).is_empty());
}

#[test]
fn a_previous_output_cut_inside_a_quoted_field_is_reported_not_shortened() {
    let dir = tempfile::tempdir().unwrap();
    let policy = root().join("policies/loyalty_program.tier").display().to_string();
    let jan = root().join("examples/loyalty_2025-01.csv").display().to_string();
    let feb = root().join("examples/loyalty_2025-02.csv").display().to_string();
    let out = tier(dir.path(), &["apply", &policy, &jan, "--as-of", "2025-01-31", "-o", "prev.csv"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let prev = std::fs::read_to_string(dir.path().join("prev.csv")).unwrap();
    let mut lines: Vec<String> = prev.lines().map(str::to_string).collect();
    let head = lines[3].rsplit_once(',').unwrap().0.to_string();
    lines[3] = format!("{head},\"cut");
    std::fs::write(dir.path().join("prev.csv"), lines.join("\n") + "\n").unwrap();
    let out = tier(dir.path(), &["apply", &policy, &feb, "--as-of", "2025-02-28", "--previous", "prev.csv"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("prev.csv:4 (row 3)") && stderr(&out).contains("never closes"), "{}", stderr(&out));
}

#[test]
fn a_budget_too_large_to_split_to_the_cent_is_an_error_not_a_wrong_split() {
    let dir = tempfile::tempdir().unwrap();
    let policy = std::fs::read_to_string(root().join("policies/loyalty_program.tier")).unwrap();
    let jan = root().join("examples/loyalty_2025-01.csv").display().to_string();
    for (from, to) in [
        ("budget marketing ¥1M per year", "budget marketing ¥100000000000000000000 per year"),
        ("SuperVIP: 10\n", "SuperVIP: 100000000000000000000000000\n"),
    ] {
        assert!(policy.contains(from));
        std::fs::write(dir.path().join("p.tier"), policy.replace(from, to)).unwrap();
        let out = tier(dir.path(), &["apply", "p.tier", &jan, "--as-of", "2025-01-31", "-o", "out.csv"], &[]);
        assert_eq!(out.status.code(), Some(1), "{to}: {}", stderr(&out));
        assert!(stderr(&out).contains("is out of"), "{}", stderr(&out));
        assert!(!dir.path().join("out.csv").exists());
    }
}

/// Found by the `reader` fuzz target: when every worker of the parallel event
/// path gave up on a bad record, the reader blocked for ever on the full job
/// queue (`tier apply --events` hung on a bad line early in a big log).
#[test]
fn the_parallel_event_path_hands_back_a_bad_log_instead_of_hanging() {
    let rfm = common::program(&std::fs::read_to_string(root().join("policies/rfm.tier")).unwrap());
    let header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";
    let rows: String =
        (0..2000).map(|i| format!("5{i},A,x,bad,2011-01-03 11:13:00,2.5,{},UK\n", 12000 + i % 50)).collect();
    let log = format!("{header}1,A,x,oops,2011-01-03 11:13:00,2.5,12345,UK\n{rows}");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let today = Date::parse("2011-12-11").unwrap();
        let sizes = Sizes { block: 64, chunk: 8 };
        let aggregate = |source| tierlang::data::fast_events::aggregate_sized(&rfm, source, today, sizes);
        let done = [aggregate(Source::Read(log.as_bytes())), aggregate(Source::Whole(log.as_bytes()))];
        let _ = tx.send(done.iter().all(Result::is_err));
    });
    assert_eq!(rx.recv_timeout(Duration::from_secs(30)), Ok(true), "hung (or took a bad log)");
}
