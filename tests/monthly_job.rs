//! The monthly tiering job on real data (issue 15): policies/retail_monthly.tier
//! (12-month spend and orders from the UCI invoice lines, retention rules and a
//! loyalty budget) run month by month over 2011, each run reading the last
//! one's output, then checked customer by customer, month by month, by an
//! independent computation of the same rules (tests/tools/monthly_job.py: the
//! csv module and Decimal, no tier code). Needs `../shared/data` (CI has it).

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use assert_cmd::Command;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn twelve_months_of_2011_match_an_independent_computation() {
    let events = root().join("../shared/data/online_retail.csv");
    if !events.exists() {
        common::skip(&format!("real data: {} is absent (CI has it; a fresh clone may not)", events.display()));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut previous: Option<std::path::PathBuf> = None;
    for month in 1..=12 {
        let as_of = if month == 12 { "2012-01-01".to_string() } else { format!("2011-{:02}-01", month + 1) };
        let out = dir.path().join(format!("2011-{month:02}.csv"));
        let mut cmd = Command::cargo_bin("tier").unwrap();
        cmd.current_dir(root()).args(["apply", "policies/retail_monthly.tier", "--events"]).arg(&events);
        cmd.args(["--as-of", &as_of, "--summary", "json", "-o"]).arg(&out);
        if let Some(p) = &previous {
            cmd.arg("--previous").arg(p);
        }
        let run = cmd.output().unwrap();
        assert!(run.status.success(), "{as_of}: {}", String::from_utf8_lossy(&run.stderr));
        // Every event and every customer accounted for, every month.
        let summary: serde_json::Value = serde_json::from_slice(&run.stderr).unwrap();
        let e = &summary["events"];
        let n = |k: &str| e[k].as_u64().unwrap();
        assert_eq!(n("read"), n("used") + n("filtered") + n("no_customer") + n("after_as_of") + n("rejected"));
        assert_eq!(summary["rows_read"], summary["rows_written"], "{summary}");
        previous = Some(out);
    }
    let check = std::process::Command::new("python3")
        .arg(root().join("tests/tools/monthly_job.py"))
        .arg(&events)
        .arg(dir.path())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{report}{}", String::from_utf8_lossy(&check.stderr));
    // The last month's line, as docs/history.md shows it.
    assert!(report.contains("2011-12,4339,41,56,0,4163,79,174,1069,3096"), "{report}");
}
