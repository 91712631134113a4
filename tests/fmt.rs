//! `tier fmt`: golden files (`tests/fmt/X.tier` → `X.tier.formatted`) and the
//! formatter's laws over every policy in the repository and over generated ones:
//! formatting is idempotent, keeps the AST (but for spans) and keeps every comment.
//!
//! Regenerate the goldens after an intended layout change:
//!     TIER_BLESS=1 cargo test --test fmt

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use tierlang::fmt::format;
use tierlang::syntax::parse;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tier_files(dir: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    out.retain(|p| p.extension().is_some_and(|e| e == "tier"));
    out.sort();
    out
}

fn fmt_source(src: &str) -> String {
    let ast = parse(src).unwrap_or_else(|e| panic!("does not parse: {e:?}\n{src}"));
    format(&ast, src)
}

/// The AST's debug form with every byte span blanked out.
fn without_spans(src: &str) -> String {
    let debug = format!("{:?}", parse(src).unwrap());
    let mut out = String::with_capacity(debug.len());
    let bytes = debug.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let digits = |from: usize| bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
        let a = digits(i);
        let starts_number = a > 0 && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        if starts_number && debug[i + a..].starts_with("..") {
            let b = digits(i + a + 2);
            if b > 0 {
                out.push('_');
                i += a + 2 + b;
                continue;
            }
        }
        out.push(bytes[i] as char);
        i += 1;
    }
    out
}

fn comments(src: &str) -> Vec<String> {
    let mut all: Vec<String> = src
        .lines()
        .filter_map(|l| {
            let mut in_string = false;
            for (i, c) in l.char_indices() {
                match c {
                    '"' => in_string = !in_string,
                    '#' if !in_string => return Some(l[i..].trim_end().to_string()),
                    _ => {}
                }
            }
            None
        })
        .collect();
    all.sort();
    all
}

fn assert_laws(name: &str, src: &str) {
    let once = fmt_source(src);
    let twice = fmt_source(&once);
    assert_eq!(once, twice, "{name}: formatting is not idempotent");
    assert_eq!(without_spans(src), without_spans(&once), "{name}: formatting changed the AST");
    assert_eq!(comments(src), comments(&once), "{name}: formatting lost or changed a comment");
}

#[test]
fn goldens() {
    let bless = std::env::var_os("TIER_BLESS").is_some();
    let mut failures = Vec::new();
    let files = tier_files("tests/fmt");
    assert!(files.len() >= 2, "the fmt corpus is missing");
    for input in files {
        let golden = input.with_extension("tier.formatted");
        let got = fmt_source(&std::fs::read_to_string(&input).unwrap());
        if bless {
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if got != want {
            failures.push(format!("{}:\n--- want\n{want}\n--- got\n{got}", golden.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn laws_hold_for_every_policy_in_the_repository() {
    let mut n = 0;
    for dir in ["policies", "tests/check", "tests/analysis", "tests/fmt", "tests/events", "bench"] {
        for path in tier_files(dir) {
            let src = std::fs::read_to_string(&path).unwrap();
            if parse(&src).is_err() {
                continue; // the syntax-error cases of the check corpus
            }
            assert_laws(&path.display().to_string(), &src);
            n += 1;
        }
    }
    assert!(n >= 3, "too few policies found ({n})");
}

#[test]
fn the_canonical_layout_spells_operators_one_way() {
    let out = fmt_source("schema { id: text key  x: number }\ntier A { when x ≥ 1 and x ≤ 9 and x ≠ 5 and x = 2 }\n");
    assert!(out.contains("when x >= 1 and x <= 9 and x != 5 and x == 2"), "{out}");
    let out = fmt_source("tier A { when x > 100万 and y < 1.2M and z == 20% }");
    assert!(out.contains("x > 100万 and y < 1.2M and z == 20%"), "number spelling is kept: {out}");
}

#[test]
fn check_counts_the_files_that_need_formatting() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.tier");
    std::fs::write(&path, "tier A { otherwise }\n").unwrap();
    let out = assert_cmd::Command::cargo_bin("tier").unwrap().args(["fmt", "--check"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 of 1 file needs formatting"), "{stderr}");
}

// ------------------------------------------------------------------ generated policies

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["spend", "orders", "region", "last", "score", "avg"]).prop_map(str::to_string)
}

fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        name(),
        prop::sample::select(vec![
            "100万",
            "1.2M",
            "300k",
            "20%",
            "1_000",
            "0.1",
            "3/quarter",
            "2 per month",
            "2024-01-31",
            "\"text\"",
            "true",
            "today",
            "¥5000"
        ])
        .prop_map(str::to_string),
        (name(), name()).prop_map(|(a, b)| format!("max({a}, {b})")),
        name().prop_map(|a| format!("days_since({a})")),
    ]
}

/// Arithmetic, then predicates, then logic, with random spacing and parentheses.
fn arith() -> impl Strategy<Value = String> {
    atom().prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), prop::sample::select(vec!["+", "-", "*", "/"]), inner.clone())
                .prop_map(|(a, op, b)| format!("{a}{op} {b}")),
            inner.clone().prop_map(|a| format!("( {a})")),
            inner.prop_map(|a| format!("-{a}")),
        ]
    })
}

fn predicate() -> impl Strategy<Value = String> {
    prop_oneof![
        (arith(), prop::sample::select(vec!["<", "<=", "≤", ">", ">=", "≥", "==", "=", "!=", "≠"]), arith())
            .prop_map(|(a, op, b)| format!("{a} {op}{b}")),
        (arith(), arith(), arith()).prop_map(|(a, b, c)| format!("{a} <= {b} < {c}")),
        (arith(), arith(), arith(), any::<bool>())
            .prop_map(|(a, b, c, n)| format!("{a} {}between {b} and {c}", if n { "not " } else { "" })),
        (arith(), prop::collection::vec(arith(), 0..3)).prop_map(|(a, xs)| format!("{a} in [{}]", xs.join(","))),
        (name(), any::<bool>(), any::<bool>()).prop_map(|(a, n, p)| {
            format!("{a} is {}{}", if n { "not " } else { "" }, if p { "present" } else { "missing" })
        }),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    predicate().prop_recursive(3, 10, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|xs| xs.join(" and ")),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|xs| xs.join(" or\n   ")),
            inner.clone().prop_map(|a| format!("not ({a})")),
            inner.prop_map(|a| format!("(\n{a})")),
        ]
    })
}

fn comment() -> impl Strategy<Value = String> {
    prop::option::of(prop::sample::select(vec!["# note", "#  spaced", "# 客户 \"quoted\"", "#"]))
        .prop_map(|c| c.map_or(String::new(), |c| format!(" {c}")))
}

fn policy() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((condition(), comment(), comment()), 1..4),
        prop::collection::vec(arith(), 0..2),
        comment(),
    )
        .prop_map(|(tiers, lets, head)| {
            let mut src = format!("schema {{ id: text key{head}\n spend: money }}\n");
            for (i, l) in lets.iter().enumerate() {
                src.push_str(&format!("let l{i} = {l}\n"));
            }
            for (i, (cond, c1, c2)) in tiers.iter().enumerate() {
                src.push_str(&format!(
                    "tier T{i} \"层{i}\" {{{c1}\n when {cond}{c2}\n strategy {{ k: {i}, rate: {i}/month, list: [\"a\", {i}]{c1}\n }} }}\n"
                ));
            }
            src.push_str("tier Rest { otherwise }\ntest \"t\" { given defaults { spend: 1 } expect Rest }\n");
            src
        })
}

/// Top-level lets and tiers, and the entries of a schema, with comment lines and
/// blank lines anywhere between them.
fn commented_layout() -> impl Strategy<Value = String> {
    let between = prop::collection::vec(prop::sample::select(vec!["# note", "", "  # indented", "#"]), 0..4);
    (prop::collection::vec(between.clone(), 4), prop::collection::vec((between, 0..3usize), 1..6)).prop_map(
        |(schema_gaps, items)| {
            let mut src = "schema {\n id: text key\n".to_string();
            for (i, gap) in schema_gaps.iter().enumerate() {
                src.push_str(&(gap.join("\n") + "\n"));
                src.push_str(&format!(" f{i}: number\n"));
            }
            src.push_str("}\n");
            for (i, (gap, kind)) in items.iter().enumerate() {
                src.push_str(&(gap.join("\n") + "\n"));
                src.push_str(&match kind {
                    0 | 1 => format!("let l{i} = f{}\n", i % 4),
                    _ => format!("tier T{i} {{\n{}\n when f0 > {i}\n}}\n", gap.join("\n")),
                });
            }
            src + "tier Rest { otherwise }\n"
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn laws_hold_with_comments_and_blank_lines_anywhere(src in commented_layout()) {
        prop_assume!(parse(&src).is_ok());
        assert_laws("commented", &src);
    }

    #[test]
    fn laws_hold_for_generated_policies(src in policy()) {
        prop_assume!(parse(&src).is_ok());
        assert_laws("generated", &src);
    }
}
