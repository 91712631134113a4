//! `tier test` reports: failure explanations, JSON, JUnit XML, `--run` skips,
//! coverage with `--threshold`, and `tier apply --coverage`.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use assert_cmd::Command;
use std::path::PathBuf;

const POLICY: &str = r#"schema { id: text key  spend: money  orders: count per quarter }
tier VIP "VIP客户" { when spend >= 100万 and orders >= 3/quarter strategy { visits: 1/month, gift: true } }
tier Important { when spend >= 30万 strategy { visits: 1/quarter } }
tier Small { otherwise }
test "1M with 2 orders a quarter" { given { spend: 100万, orders: 2 } expect VIP }
test "wrong strategy" { given { spend: 40万, orders: 1 } expect Important expect strategy.visits == 1/month }
test "small & <odd> \"name\"" { given { spend: 1, orders: 1 } expect Small }
"#;

fn policy_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.tier");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn tier() -> Command {
    Command::cargo_bin("tier").unwrap()
}

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn a_failure_says_what_differs_and_why() {
    let (_dir, path) = policy_file(POLICY);
    let out = tier().arg("test").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout_of(&out);
    for expected in [
        "FAIL ",
        "p.tier:5:6 1M with 2 orders a quarter",
        "p.tier:5:70: expected `VIP`, got `Important`",
        "`Important` was chosen by `spend >= 30万`",
        "`VIP` does not hold: `orders >= 3/quarter` is false",
        "the record has spend = 1000000, orders = 2/quarter",
        "strategy.visits: expected 1/month → got 1/quarter",
        "strategy.gift: expected true → got (unset)",
        "expected strategy.visits == 1/month, got 1/quarter (tier `Important`)",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(text.ends_with("1 passed, 2 failed\n"), "{text}");
}

#[test]
fn run_filters_and_counts_skipped_tests() {
    let (_dir, path) = policy_file(POLICY);
    let out = tier().arg("test").arg(&path).args(["--run", "small", "-v"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = stdout_of(&out);
    assert!(text.contains("PASS "), "{text}");
    assert!(text.ends_with("1 passed, 0 failed, 2 skipped\n"), "{text}");
}

#[test]
fn json_lists_every_test_with_its_failures() {
    let (_dir, path) = policy_file(POLICY);
    let out = tier().arg("test").arg(&path).args(["--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((doc["passed"].as_u64(), doc["failed"].as_u64(), doc["skipped"].as_u64()), (Some(1), Some(2), Some(0)));
    let tests = doc["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 3);
    assert_eq!(tests[0]["status"], "fail");
    assert_eq!(tests[0]["line"], 5);
    assert_eq!(tests[0]["failures"][0]["message"], "expected `VIP`, got `Important`");
    assert_eq!(tests[2]["status"], "pass");
    // The closing line goes to stderr so stdout stays JSON.
    assert!(String::from_utf8(out.stderr).unwrap().contains("1 passed, 2 failed"));
}

#[test]
fn junit_has_one_testcase_per_test_with_escaped_text() {
    let (_dir, path) = policy_file(POLICY);
    let out = tier().arg("test").arg(&path).args(["--format", "junit"]).output().unwrap();
    let xml = stdout_of(&out);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 3);
    assert_eq!(xml.matches("<failure ").count(), 2);
    assert!(xml.contains("tests=\"3\" failures=\"2\" skipped=\"0\""), "{xml}");
    assert!(xml.contains("name=\"small &amp; &lt;odd&gt; &quot;name&quot;\""), "{xml}");
    assert!(xml.contains("message=\"expected `VIP`, got `Important`\""), "{xml}");
    // Every element that opens closes.
    for tag in ["testsuites", "testsuite", "failure"] {
        assert_eq!(xml.matches(&format!("<{tag} ")).count(), xml.matches(&format!("</{tag}>")).count(), "{tag}");
    }
}

#[test]
fn coverage_reports_unexercised_outcomes_and_enforces_a_threshold() {
    let (_dir, path) = policy_file(POLICY);
    let out = tier().arg("test").arg(&path).arg("--coverage").output().unwrap();
    let text = stdout_of(&out);
    // Outcomes: 3 tiers chosen (VIP never); VIP's criterion and its 2 conditions
    // true/false (criterion never true, `orders` never true); Important's one
    // condition (its criterion is the same, counted once) both ways: 8 of 11.
    assert!(text.contains(": 72.7% (8/11 outcomes)"), "{text}");
    assert!(text.contains("p.tier:2:6: tier `VIP` never chosen"), "{text}");
    assert!(text.contains("condition `orders >= 3/quarter` never true"), "{text}");

    // All tests pass when filtered to the passing one; coverage then decides.
    let low =
        tier().arg("test").arg(&path).args(["--run", "small", "--coverage", "--threshold", "50"]).output().unwrap();
    assert_eq!(low.status.code(), Some(1), "below the threshold fails");
    assert!(String::from_utf8(low.stderr).unwrap().contains("is below the threshold of 50%"));
    let ok =
        tier().arg("test").arg(&path).args(["--run", "small", "--coverage", "--threshold", "10"]).output().unwrap();
    assert_eq!(ok.status.code(), Some(0));
}

#[test]
fn full_coverage_is_reachable() {
    let (_dir, path) = policy_file(
        r#"schema { id: text key  spend: money }
           tier Big { when spend >= 100 }
           tier Rest { otherwise }
           test "big" { given { spend: 100 } expect Big }
           test "small" { given { spend: 99.99 } expect Rest }"#,
    );
    let out = tier().arg("test").arg(&path).args(["--coverage", "--threshold", "100"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout_of(&out));
    assert!(stdout_of(&out).contains(": 100.0% (4/4 outcomes)"));
}

#[test]
fn apply_coverage_counts_hits_on_data() {
    let (dir, path) = policy_file(POLICY);
    let data = dir.path().join("d.csv");
    std::fs::write(&data, "id,spend,orders\na,2000000,4\nb,500000,1\nc,10,0\nd,20,0\n").unwrap();
    let out = tier().arg("apply").arg(&path).arg(&data).arg("--coverage").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("coverage on 4 records:"), "{err}");
    assert!(err.contains("tier.VIP: chosen 1"), "{err}");
    assert!(err.contains("spend >= 100万: true 1, false 3"), "{err}");
    assert!(err.contains("tier.Small: chosen 2"), "{err}");
    assert!(!err.contains("conditions never true"), "{err}");
}
