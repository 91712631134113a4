//! `tier table`: golden Markdown and CSV decision tables (`tests/table/X.tier` →
//! `X.md`, `X.csv`). Regenerate after an intended change:
//!     TIER_BLESS=1 cargo test --test table

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use assert_cmd::Command;
use std::path::Path;

fn check_golden(policy: &Path, format: &str, ext: &str) -> Option<String> {
    let out = Command::cargo_bin("tier").unwrap().args(["table", "--format", format]).arg(policy).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let got = String::from_utf8(out.stdout).unwrap();
    let golden = policy.with_extension(ext);
    if std::env::var_os("TIER_BLESS").is_some() {
        std::fs::write(&golden, &got).unwrap();
        return None;
    }
    let want = std::fs::read_to_string(&golden).unwrap_or_default();
    (got != want).then(|| format!("{}:\n--- want\n{want}--- got\n{got}", golden.display()))
}

#[test]
fn decision_tables_match_their_goldens() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/table");
    let mut policies: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    policies.retain(|p| p.extension().is_some_and(|e| e == "tier"));
    policies.sort();
    assert!(!policies.is_empty());
    let failures: Vec<String> = policies
        .iter()
        .flat_map(|p| [check_golden(p, "markdown", "md"), check_golden(p, "csv", "csv")])
        .flatten()
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_example_policy_has_a_table() {
    let out = Command::cargo_bin("tier")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["table", "policies/hospitals.tier"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("### tier (hit first, best first)\n\n| # | tier | label |"), "{md}");
    assert!(md.contains("| 1 | VIP | VIP客户 |"), "{md}");
}

#[test]
fn a_policy_with_errors_has_no_table() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.tier");
    std::fs::write(&p, "schema { id: text key }\ntier A { when nope > 1 }\n").unwrap();
    let out = Command::cargo_bin("tier").unwrap().arg("table").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8(out.stderr).unwrap().contains("tier::unknown_name"));
}
