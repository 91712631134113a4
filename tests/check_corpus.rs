//! The diagnostics corpus: every `tests/check/X.tier` names the codes `tier check`
//! must report for it (`# expect: tier::code`, one line each; `# flags: …` adds
//! command-line flags). The human report is compared with the golden
//! `X.tier.stderr`; `TIER_BLESS=1 cargo test --test check_corpus` rewrites the
//! goldens after a deliberate change (review the diff). The same corpus drives the
//! JSON, GitHub and SARIF formats, and the exit codes.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use assert_cmd::Command;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Codes `tier check` cannot be made to report from a small policy file.
const NOT_IN_CORPUS: &[(&str, &str)] = &[
    ("tier::internal", "a parser bug, not reachable from input"),
    ("tier::analysis_too_large", "needs a policy with tens of thousands of regions"),
];

struct Case {
    path: PathBuf,
    expect: BTreeSet<String>,
    flags: Vec<String>,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/check/` (one or more files per code) and `tests/analysis/` (the
/// decision-table corpus, whose clean policies say `# expect: none`; without an
/// `as_of:` header they are checked as of 2024-06-30, as tests/analysis.rs does).
fn corpus() -> Vec<Case> {
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in ["tests/check", "tests/analysis"] {
        let found = std::fs::read_dir(root().join(dir)).unwrap().map(|e| e.unwrap().path());
        files.extend(found.filter(|p| p.extension().is_some_and(|e| e == "tier")));
    }
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let src = std::fs::read_to_string(&path).unwrap();
            let expect_lines: Vec<&str> = src.lines().filter_map(|l| l.strip_prefix("# expect: ")).collect();
            assert!(!expect_lines.is_empty(), "{}: no `# expect:` line", path.display());
            let expect = expect_lines.iter().map(|c| c.trim()).filter(|c| *c != "none").map(String::from);
            let flags = src.lines().filter_map(|l| l.strip_prefix("# flags: ")).flat_map(|f| f.split_whitespace());
            let mut flags: Vec<String> = flags.map(String::from).collect();
            if path.parent().is_some_and(|d| d.ends_with("analysis")) && !src.contains("as_of:") {
                flags.extend(["--as-of".to_string(), "2024-06-30".to_string()]);
            }
            Case { path: path.strip_prefix(root()).unwrap().to_path_buf(), expect: expect.collect(), flags }
        })
        .collect()
}

fn tier(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("tier").unwrap().current_dir(root()).env("NO_COLOR", "1").args(args).output().unwrap()
}

fn check(case: &Case, format: &str) -> std::process::Output {
    let mut args = vec!["check", "--format", format];
    args.extend(case.flags.iter().map(String::as_str));
    let path = case.path.to_str().unwrap();
    args.push(path);
    tier(&args)
}

/// Every stable code the sources declare (`code(tier::…)`).
fn declared_codes() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    for file in ["src/check/error.rs", "src/analysis/error.rs", "src/syntax/error.rs"] {
        let src = std::fs::read_to_string(root().join(file)).unwrap();
        for part in src.split("code(tier::").skip(1) {
            let name: String = part.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            codes.insert(format!("tier::{name}"));
        }
    }
    codes
}

#[test]
fn the_corpus_is_large_and_covers_every_check_code() {
    let cases = corpus();
    assert!(cases.len() >= 45, "only {} corpus files", cases.len());
    let covered: BTreeSet<String> = cases.iter().flat_map(|c| c.expect.iter().cloned()).collect();
    let exempt: BTreeSet<String> = NOT_IN_CORPUS.iter().map(|(c, _)| c.to_string()).collect();
    let declared = declared_codes();
    // `tier test` reports test_failed; everything else comes from `tier check`.
    let missing: Vec<&String> = declared
        .iter()
        .filter(|c| !covered.contains(*c) && !exempt.contains(*c) && *c != "tier::test_failed")
        .collect();
    assert!(missing.is_empty(), "codes without a corpus file: {missing:?}");
}

#[test]
fn each_file_reports_exactly_its_expected_codes() {
    for case in corpus() {
        let out = check(&case, "json");
        let diags: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let got: BTreeSet<String> =
            diags.as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap().to_string()).collect();
        assert_eq!(got, case.expect, "{}", case.path.display());
        for d in diags.as_array().unwrap() {
            assert!(d["line"].as_u64().is_some_and(|l| l >= 1), "{}: no line in {d}", case.path.display());
            assert!(d["column"].as_u64().is_some_and(|c| c >= 1), "{}: no column in {d}", case.path.display());
            assert_eq!(d["file"], case.path.to_str().unwrap());
        }
    }
}

#[test]
fn human_reports_match_their_goldens() {
    let bless = std::env::var_os("TIER_BLESS").is_some();
    let mut stale = Vec::new();
    for case in corpus() {
        let out = check(&case, "human");
        let got = String::from_utf8(out.stderr).unwrap();
        let golden = root().join(format!("{}.stderr", case.path.display()));
        if bless {
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if got != want {
            let diff = similar::TextDiff::from_lines(&want, &got).unified_diff().header("golden", "got").to_string();
            stale.push(format!("{}:\n{diff}", case.path.display()));
        }
        // Every report says where: the file, line and column of its first label.
        for code in &case.expect {
            assert!(got.contains(code.as_str()), "{}: {code} not in\n{got}", case.path.display());
        }
        let located = got.contains(&format!("[{}:", case.path.display()));
        assert!(located || case.expect.is_empty(), "{}: no location in\n{got}", case.path.display());
    }
    assert!(stale.is_empty(), "goldens differ (TIER_BLESS=1 to accept):\n{}", stale.join("\n"));
}

#[test]
fn exit_codes_follow_severity() {
    for case in corpus() {
        let out = check(&case, "json");
        let diags: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors = diags.as_array().unwrap().iter().any(|d| d["severity"] == "error");
        let warnings = diags.as_array().unwrap().iter().any(|d| d["severity"] == "warning");
        let code = out.status.code().unwrap();
        assert_eq!(code, if errors { 1 } else { 0 }, "{}", case.path.display());
        if warnings && !errors {
            let mut args = vec!["check", "--deny-warnings"];
            args.extend(case.flags.iter().map(String::as_str));
            args.push(case.path.to_str().unwrap());
            assert_eq!(tier(&args).status.code(), Some(1), "{} --deny-warnings", case.path.display());
        }
    }
    // Advice informs; it does not fail even with --deny-warnings.
    let approximate = tier(&["check", "--deny-warnings", "tests/check/approximate_analysis.tier"]);
    assert_eq!(approximate.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&approximate.stderr).contains("0 errors, 0 warnings, 1 note"));
    // Usage and I/O problems are exit 2.
    assert_eq!(tier(&["check", "no/such/policy.tier"]).status.code(), Some(2));
    assert_eq!(tier(&["check", "--format", "yaml", "policies"]).status.code(), Some(2));
}

#[test]
fn github_annotations_point_at_the_line() {
    for case in corpus() {
        let json: serde_json::Value = serde_json::from_slice(&check(&case, "json").stdout).unwrap();
        let out = String::from_utf8(check(&case, "github").stdout).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), json.as_array().unwrap().len(), "{}", case.path.display());
        for (line, d) in lines.iter().zip(json.as_array().unwrap()) {
            let kind = match d["severity"].as_str().unwrap() {
                "error" => "error",
                "warning" => "warning",
                _ => "notice",
            };
            let head = format!(
                "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::",
                case.path.display(),
                d["line"],
                d["column"],
                d["end_line"],
                d["end_column"],
                d["code"].as_str().unwrap().replace(':', "%3A"),
            );
            assert!(line.starts_with(&head), "{line}\nshould start with\n{head}");
            assert!(!line[head.len()..].contains('\n'));
        }
    }
}

#[test]
fn sarif_logs_validate_against_the_sarif_2_1_0_schema() {
    let dir = tempfile::tempdir().unwrap();
    let mut logs = Vec::new();
    for (i, case) in corpus().iter().enumerate() {
        let out = check(case, "sarif");
        let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let results = log["runs"][0]["results"].as_array().unwrap();
        let ids: BTreeSet<String> = results.iter().map(|r| r["ruleId"].as_str().unwrap().to_string()).collect();
        assert_eq!(ids, case.expect, "{}", case.path.display());
        let path = dir.path().join(format!("{i}.sarif"));
        std::fs::write(&path, &out.stdout).unwrap();
        logs.push(path);
    }
    let script = root().join("tests/tools/validate_sarif.py");
    let out = match std::process::Command::new("python3").arg(&script).args(&logs).output() {
        Ok(out) => out,
        Err(e) => {
            common::skip(&format!("sarif schema validation: python3 not runnable ({e}); .ci/run installs it"));
            return;
        }
    };
    if out.status.code() == Some(3) {
        common::skip(&format!("sarif schema validation: {}", String::from_utf8_lossy(&out.stdout).trim()));
        return;
    }
    assert!(out.status.success(), "SARIF does not validate:\n{}", String::from_utf8_lossy(&out.stdout));
    // The validator itself rejects a log without its tool driver.
    let broken = dir.path().join("broken.sarif");
    std::fs::write(&broken, r#"{"version":"2.1.0","runs":[{"tool":{},"results":[]}]}"#).unwrap();
    let out = std::process::Command::new("python3").arg(&script).arg(&broken).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn every_code_is_documented_in_docs_errors_md() {
    let doc = std::fs::read_to_string(root().join("docs/errors.md")).unwrap();
    let mut codes = declared_codes();
    // Data diagnostics are named by string in the reader's errors and the apply command.
    let apply = std::fs::read_to_string(root().join("src/cli/apply.rs")).unwrap()
        + &std::fs::read_to_string(root().join("src/cli/apply_metrics.rs")).unwrap()
        + &std::fs::read_to_string(root().join("src/data/error.rs")).unwrap();
    // `tier compile`'s code.
    let sql = std::fs::read_to_string(root().join("src/sql/mod.rs")).unwrap();
    for part in sql.split("code(tier::").skip(1) {
        codes.insert(format!("tier::{}", part.split(')').next().unwrap()));
    }
    for part in apply.split("\"tier::").skip(1) {
        codes.insert(format!("tier::{}", part.split('"').next().unwrap()));
    }
    assert!(codes.len() > 50, "{codes:?}");
    let missing: Vec<&String> = codes.iter().filter(|c| !doc.contains(&format!("### `{c}`"))).collect();
    assert!(missing.is_empty(), "codes without a section in docs/errors.md: {missing:?}");
}

#[test]
fn docs_errors_md_states_the_severity_each_code_is_reported_with() {
    let doc = std::fs::read_to_string(root().join("docs/errors.md")).unwrap();
    for case in corpus() {
        let json: serde_json::Value = serde_json::from_slice(&check(&case, "json").stdout).unwrap();
        for d in json.as_array().unwrap() {
            let code = d["code"].as_str().unwrap();
            let heading = format!("### `{code}`\n\n*");
            let at = doc.find(&heading).unwrap_or_else(|| panic!("{code} not in docs/errors.md")) + heading.len();
            let stated = doc[at..].split('.').next().unwrap();
            assert_eq!(stated, d["severity"].as_str().unwrap(), "{code} in docs/errors.md");
        }
    }
}
