//! Nothing panics on user input: mutated policies (characters deleted, tokens
//! inserted) go through parse → check → compile → eval, and arbitrary cells go
//! through every field type's decoder.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use proptest::prelude::*;
use std::path::Path;
use tierlang::check::check;
use tierlang::compile::compile;
use tierlang::data::{decode, Cell};
use tierlang::eval::{Evaluator, Value};
use tierlang::number::Date;
use tierlang::syntax::parse;

/// Every policy the repository ships, valid and broken.
fn corpus() -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["policies", "tests/check"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if p.extension().is_some_and(|e| e == "tier") {
                out.push(std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    assert!(!out.is_empty(), "no policies found");
    out
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "#",
    "/",
    "-",
    "*",
    "==",
    "<=",
    "≥",
    " and ",
    " or ",
    " not ",
    " between ",
    " in ",
    " is missing",
    "tier X { otherwise }",
    "when ",
    "otherwise",
    "strategy ",
    "extends ",
    "let z = z",
    "100万",
    "1.2M",
    "20%",
    "0",
    "3/quarter",
    "2024-02-30",
    "today",
    "days_since(",
    "9999999999999999999999999999",
    "dimension d { hit unique ",
    "test \"t\" { given { ",
    "expect ",
    "missing",
    "¥",
    "客户",
    "\n",
];

/// Runs the whole pipeline; only panics matter here, results do not.
fn run_pipeline(src: &str) {
    let Ok(ast) = parse(src) else { return };
    let outcome = check(&ast, src);
    for d in &outcome.diagnostics {
        let _ = d.to_string();
    }
    let Some(checked) = outcome.checked else {
        return;
    };
    let program = compile(&checked);
    let evaluator = Evaluator::new(&program, Date(19_000));
    for fill in [Value::Missing, Value::Num(0.into()), Value::Text(String::new())] {
        let mut frame = vec![fill; program.fields.len()];
        let _ = evaluator.evaluate(&mut frame);
    }
    let suite =
        tierlang::testing::Suite { checked: &checked, program: &program, source: src, as_of: Some(Date(19_000)) };
    let mut coverage = tierlang::coverage::Coverage::new(&checked);
    let _ = suite.run(None, Some(&mut coverage));
    let _ = coverage.gaps(src);
}

fn char_boundary(s: &str, at: usize) -> usize {
    let mut i = at.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn mutated_policies_never_panic(file in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(),
                                    len in 0usize..12, token in any::<prop::sample::Index>()) {
        let files = corpus();
        let src = &files[file.index(files.len())];
        let start = char_boundary(src, at.index(src.len() + 1));
        let end = char_boundary(src, start + len);
        let mut mutated = String::from(&src[..start]);
        mutated.push_str(TOKENS[token.index(TOKENS.len())]);
        mutated.push_str(&src[end..]);
        run_pipeline(&mutated);
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
        run_pipeline(&src);
    }

    #[test]
    fn arbitrary_cells_never_panic(cell in "\\PC{0,30}") {
        let src = "schema { id: text key  a: money  b: count per week  c: date  d: bool  e: enum(X, Y)  f: integer  g: number? }
                   tier T { when a > 1 and b > 1/day and c > 2020-01-01 and d and e == X and f > 1 and g > 1 }";
        let ast = parse(src).unwrap();
        let checked = check(&ast, src).checked.unwrap();
        for f in &checked.fields {
            let _ = decode(f, Some(&Cell::Text(cell.clone())));
            let _ = decode(f, Some(&Cell::Json(serde_json::Value::String(cell.clone()))));
        }
    }
}

/// The fuzzers' findings (fuzz/regressions/policy/), through the CLI: `tier check`
/// and `tier test` exit 0 or 1, never a panic (101); a policy whose own test
/// passes is not reported unsatisfiable (the analysis claimed it was).
#[test]
fn fuzz_regressions_are_fixed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("fuzz/regressions/policy");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        seen += 1;
        for command in ["check", "test"] {
            let out = assert_cmd::Command::cargo_bin("tier").unwrap().arg(command).arg(&path).output().unwrap();
            assert!(matches!(out.status.code(), Some(0 | 1)), "{command} {}: {:?}", path.display(), out.status);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!err.contains("panicked"), "{command} {}: {err}", path.display());
            if path.to_string_lossy().contains("its-test-passes") {
                assert_eq!(out.status.code(), Some(0), "{command} {}: {err}", path.display());
            }
        }
    }
    assert!(seen >= 2, "the reproducers are in {}", dir.display());
}
