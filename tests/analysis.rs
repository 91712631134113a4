//! Decision-table analysis corpus: every `tests/analysis/X.tier` states the codes
//! it must produce (`# expect: tier::gap`, or `# expect: none`); the analysis must
//! produce exactly those, and every witness record it shows must reproduce the
//! problem when run through the evaluator.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use miette::Diagnostic;
use std::collections::BTreeSet;
use std::path::Path;
use tierlang::analysis::{analyze, Finding, Options, Record};
use tierlang::check::{check, StrategyValue};
use tierlang::compile::{compile, Program};
use tierlang::data::{decode, Cell};
use tierlang::eval::{Evaluator, Value};
use tierlang::number::Date;
use tierlang::syntax::parse;

struct Case {
    name: String,
    program: Program,
    today: Date,
    findings: Vec<Finding>,
}

fn run(path: &Path) -> Case {
    let src = std::fs::read_to_string(path).unwrap();
    let ast = parse(&src).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    let out = check(&ast, &src);
    let errors: Vec<String> = out.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    let checked = out.checked.unwrap();
    let today = match checked.meta.get("as_of") {
        Some(StrategyValue::Date(d)) => *d,
        _ => Date::parse("2024-06-30").unwrap(),
    };
    let program = compile(&checked);
    let findings = analyze(&checked, &program, &src, Options { today, explain_overlaps: false });
    Case { name: path.display().to_string(), program, today, findings }
}

/// The tiers (per dimension) a witness record gets, and which tiers it matches.
fn replay(case: &Case, record: &Record) -> (Vec<Option<String>>, Vec<Vec<String>>) {
    let mut frame: Vec<Value> = case
        .program
        .fields
        .iter()
        .map(|f| match record.iter().find(|(n, _)| *n == f.name) {
            Some((_, v)) => decode(f, Some(&Cell::Text(v.clone()))).unwrap_or_else(|e| panic!("{}: {e:?}", case.name)),
            None => Value::Missing,
        })
        .collect();
    let ev = Evaluator::new(&case.program, case.today);
    ev.prepare(&mut frame);
    let matched: Vec<Vec<String>> = case
        .program
        .dimensions
        .iter()
        .map(|d| {
            d.tiers
                .iter()
                .filter(|t| t.condition.as_ref().is_none_or(|c| ev.truth(c, &frame)))
                .map(|t| t.name.clone())
                .collect()
        })
        .collect();
    let chosen = match ev.evaluate(&mut frame) {
        Ok(ds) => {
            ds.iter().zip(&case.program.dimensions).map(|(d, dim)| d.tier.map(|i| dim.tiers[i].name.clone())).collect()
        }
        Err(_) => vec![None; case.program.dimensions.len()],
    };
    (chosen, matched)
}

fn dim_index(case: &Case, dimension: &str) -> usize {
    case.program.dimensions.iter().position(|d| d.name == dimension).unwrap()
}

fn dim_of_tier(case: &Case, tier: &str) -> usize {
    case.program.dimensions.iter().position(|d| d.tiers.iter().any(|t| t.name == tier)).unwrap()
}

/// Asserts that a finding's witness shows what the finding says.
fn verify(case: &Case, f: &Finding) {
    let ctx = format!("{}: {f}", case.name);
    match f {
        Finding::Gap { dimension, record, .. } => {
            let (chosen, matched) = replay(case, record);
            let d = dim_index(case, dimension);
            assert_eq!(chosen[d], None, "{ctx}");
            assert!(matched[d].is_empty(), "{ctx}");
        }
        Finding::Unreachable { tier, winner, record, .. } => {
            let (chosen, matched) = replay(case, record);
            let d = dim_of_tier(case, tier);
            assert_eq!(chosen[d].as_deref(), Some(winner.as_str()), "{ctx}");
            assert!(matched[d].contains(tier), "{ctx}");
        }
        Finding::Overlap { dimension, first, second, record, .. } => {
            let (_, matched) = replay(case, record);
            let d = dim_index(case, dimension);
            assert!(matched[d].contains(first) && matched[d].contains(second), "{ctx}");
        }
        Finding::OverlapNote { first, second, record, .. } => {
            let (chosen, matched) = replay(case, record);
            let d = dim_of_tier(case, first);
            assert!(matched[d].contains(first) && matched[d].contains(second), "{ctx}");
            assert_eq!(chosen[d].as_deref(), Some(first.as_str()), "{ctx}");
        }
        Finding::NonMonotone { before_tier, after_tier, record, after_record, field, .. } => {
            let d = dim_of_tier(case, before_tier);
            let (before, _) = replay(case, record);
            let (after, _) = replay(case, after_record);
            assert_eq!(before[d].as_deref(), Some(before_tier.as_str()), "{ctx}");
            assert_eq!(after[d].as_deref(), Some(after_tier.as_str()), "{ctx}");
            // Only the field in question moved.
            for ((n, a), (_, b)) in record.iter().zip(after_record) {
                assert!(n == field || a == b, "{ctx}: {n} changed too");
            }
        }
        _ => assert!(f.records().is_empty(), "{ctx}: unverified witness"),
    }
}

fn expected_codes(path: &Path) -> BTreeSet<String> {
    let src = std::fs::read_to_string(path).unwrap();
    let codes: BTreeSet<String> = src
        .lines()
        .filter_map(|l| l.strip_prefix("# expect:"))
        .flat_map(|l| l.split(',').map(|c| c.trim().to_string()))
        .filter(|c| c != "none")
        .collect();
    assert!(src.contains("# expect:"), "{}: no `# expect:` line", path.display());
    codes
}

#[test]
fn corpus_findings_match_and_witnesses_reproduce() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/analysis");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "tier"));
    files.sort();
    assert!(files.len() >= 20, "the analysis corpus has only {} cases", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let case = run(path);
        let got: BTreeSet<String> = case.findings.iter().map(|f| f.code().unwrap().to_string()).collect();
        let want = expected_codes(path);
        if got != want {
            let all: Vec<String> = case.findings.iter().map(|f| format!("  {} {f}", f.code().unwrap())).collect();
            failures.push(format!("{}: want {want:?}, got {got:?}\n{}", path.display(), all.join("\n")));
        }
        for f in &case.findings {
            verify(&case, f);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn example_policies_have_no_gaps_or_non_monotone_tiers() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "tier") {
            continue;
        }
        let case = run(&path);
        let bad: Vec<String> = case
            .findings
            .iter()
            .filter(|f| f.severity() != Some(miette::Severity::Advice))
            .map(|f| f.to_string())
            .collect();
        assert!(bad.is_empty(), "{}: {bad:?}", path.display());
        for f in &case.findings {
            verify(&case, f);
        }
    }
}
