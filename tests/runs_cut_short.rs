//! Runs cut short under `tier apply`: by a signal (no temporary file left),
//! or by another program truncating a mapped input (the customers file or the
//! event log) while it is read: exit 2 and no output, never a crash and never
//! a short output.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const HEADER: &str = "id,name,年度采购额,region\n";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn hospitals() -> String {
    root().join("policies/hospitals.tier").display().to_string()
}

/// `tier apply` on `big.csv` in `dir` (skipping to a reject report), on the
/// `plain` path or the parallel one, once it has opened its two temporary files.
fn started(dir: &Path, plain: bool) -> std::process::Child {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("tier"));
    cmd.current_dir(dir).env_remove("TIER_PLAIN_PATH");
    if plain {
        cmd.env("TIER_PLAIN_PATH", "1");
    }
    let args = ["apply", &hospitals(), "big.csv", "-o", "out.csv", "--on-error", "skip", "--rejects", "r.csv"];
    let child = cmd.args(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while common::leftovers(dir).len() < 2 && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(common::leftovers(dir).len(), 2, "the run never opened its temporary files");
    child
}

#[test]
fn an_interrupted_run_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = (0..400_000).map(|i| format!("H{i},N,{},North\n", i * 37 % 5_000_000)).collect();
    std::fs::write(dir.path().join("big.csv"), format!("{HEADER}{rows}")).unwrap();
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let mut child = started(dir.path(), true); // the slower path: time to interrupt it
        let kill = std::process::Command::new("kill").args([format!("-{signal}"), child.id().to_string()]).status();
        assert!(kill.unwrap().success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "{signal}");
        assert_eq!(common::leftovers(dir.path()), Vec::<String>::new(), "{signal}");
        assert!(!dir.path().join("out.csv").exists());
    }
}

/// A large input is mapped into memory, not read (`tierlang::data::mapped`):
/// truncated by another program during the run, reading past its new end
/// raises SIGBUS. The run must end with exit 2 and a message, no output and
/// no temporary file; never a crash, never a short output.
#[test]
fn an_input_truncated_during_the_run_is_an_error_never_a_short_output() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = (0..1_000_000).map(|i| format!("H{i},N,{},North\n", i * 37 % 5_000_000)).collect();
    let full = format!("{HEADER}{rows}");
    // Several runs: a cut seen by more than one thread at once must end as one does.
    let mut cut_short = 0;
    for attempt in 0..8 {
        std::fs::write(dir.path().join("big.csv"), &full).unwrap();
        let child = started(dir.path(), false);
        // Later and later into the run, to find the workers reading too.
        std::thread::sleep(Duration::from_millis(4 * attempt));
        std::fs::OpenOptions::new().write(true).open(dir.path().join("big.csv")).unwrap().set_len(100).unwrap();
        let out = child.wait_with_output().unwrap();
        match after_truncation(dir.path(), &out) {
            2 => cut_short += 1,
            // Done before the cut, or the cut seen after the run (the plain
            // path then reads the file as it now is): an output of whole rows.
            0 => {
                let written = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
                assert!(written.ends_with('\n') && written.lines().count() <= 1_000_001);
            }
            // The cut seen after the run, and the record it cut through refused.
            _ => assert!(!dir.path().join("out.csv").exists()),
        }
    }
    assert!(cut_short > 0, "the run was never cut short: the truncation came too late each time");
}

/// The same for an event log (`--events`), mapped as well: exit 2 and no
/// output, or a run that saw the file whole or as it is after the cut.
#[test]
fn an_event_log_truncated_during_the_run_is_an_error_never_a_wrong_score() {
    let dir = tempfile::tempdir().unwrap();
    let rfm = root().join("policies/rfm.tier").display().to_string();
    let header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";
    let row =
        |i: u32| format!("5{i},A,LANTERN,{},2011-0{}-03 11:13:00,2.5,{},UK\n", i % 7 + 1, i % 9 + 1, 12000 + i % 997);
    let full: String = std::iter::once(header.to_string()).chain((0..400_000).map(row)).collect();
    let mut cut_short = 0;
    for attempt in 0..6 {
        std::fs::write(dir.path().join("log.csv"), &full).unwrap();
        let args = ["apply", &rfm, "--events", "log.csv", "--as-of", "2011-12-11", "-o", "out.csv"];
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("tier"));
        cmd.current_dir(dir.path()).env_remove("TIER_PLAIN_PATH").args(args);
        let child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(5 + 15 * attempt));
        std::fs::OpenOptions::new().write(true).open(dir.path().join("log.csv")).unwrap().set_len(100).unwrap();
        // Else read whole before the cut; or the cut seen after the fast
        // path, and the plain path's reading of the file as it is now.
        if after_truncation(dir.path(), &child.wait_with_output().unwrap()) == 2 {
            cut_short += 1;
        }
        let _ = std::fs::remove_file(dir.path().join("out.csv"));
    }
    assert!(cut_short > 0, "the run was never cut short: the truncation came too late each time");
}

/// The exit code of a run whose input was truncated under it, once what
/// holds for every such run is checked: no temporary file left behind; exit
/// 2 with its message and no output; never a signal; else exit 0 or 1.
fn after_truncation(dir: &Path, out: &std::process::Output) -> i32 {
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(common::leftovers(dir), Vec::<String>::new());
    match out.status.code() {
        Some(2) => {
            assert!(said.contains("cut short while it was being read"), "{said}");
            assert!(!dir.join("out.csv").exists());
            2
        }
        Some(code @ (0 | 1)) => code,
        code => panic!("exit {code:?} (a signal?): {said}"),
    }
}
