//! No policy makes `tier` overflow its stack, panic or take exponential time:
//! nesting past the documented limit is `tier::too_deep` (docs/limits.md), and
//! policies just within it go through every pass (parse, fmt, check, compile,
//! eval, analysis, explain, SQL, decision tables, tests, diff) on a 2 MiB thread,
//! the default stack of a test thread, in debug builds.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use std::path::Path;
use tierlang::analysis::{analyze, Options};
use tierlang::check::check;
use tierlang::compile::compile;
use tierlang::eval::{Evaluator, Value};
use tierlang::explain::Explainer;
use tierlang::number::Date;
use tierlang::sql::Dialect;
use tierlang::syntax::{parse, SyntaxError};
use tierlang::testing::Suite;

/// A policy whose condition or strategy nests `n` levels of one construct.
fn nested(kind: &str, n: usize) -> String {
    let rep = |s: &str| s.repeat(n);
    let (cond, value) = match kind {
        "parens" => (format!("{}spend > 0{}", rep("("), rep(")")), "1".to_string()),
        "not" => (format!("{}spend > 0", rep("not ")), "1".to_string()),
        "neg" => (format!("{}spend < 0", rep("- ")), "1".to_string()),
        "plus" => (format!("{}spend > 0", rep("spend + ")), "1".to_string()),
        "call" => (format!("{}spend{} > 0", rep("max("), rep(", 1)")), "1".to_string()),
        "list" => ("spend > 0".to_string(), format!("{}1{}", rep("["), rep("]"))),
        "map" => ("spend > 0".to_string(), format!("{}1{}", rep("{ k: "), rep(" }"))),
        "lets" => {
            let lets: String = (1..=n).map(|i| format!("let a{i} = a{} + 1\n", i - 1)).collect();
            return format!(
                "schema {{ id: text key  spend: money }}\nlet a0 = spend\n{lets}\
                 tier A {{ when a{n} > 0 strategy {{ s: 1 }} }}\n\
                 tier B {{ otherwise strategy {{ s: 2 }} }}\n\
                 test \"t\" {{ given {{ spend: 1 }} expect strategy.s == 1 }}\n"
            );
        }
        "lets2" => {
            let lets: String = (1..=n).map(|i| format!("let a{i} = a{} + a{}\n", i - 1, i - 1)).collect();
            return format!(
                "schema {{ id: text key  spend: money }}\nlet a0 = spend\n{lets}\
                 tier A {{ when a{n} > 0 strategy {{ s: 1 }} }}\n\
                 tier B {{ otherwise strategy {{ s: 2 }} }}\n\
                 test \"t\" {{ given {{ spend: 1 }} expect strategy.s == 1 }}\n"
            );
        }
        _ => panic!("unknown kind {kind}"),
    };
    format!(
        "schema {{ id: text key  spend: money }}\n\
         tier A {{ when {cond} strategy {{ s: {value} }} }}\n\
         tier B {{ otherwise strategy {{ s: {value} }} }}\n\
         test \"t\" {{ given {{ spend: 1 }} expect strategy.s == {value} }}\n"
    )
}

/// Every pass over `src`; the syntax error, if any.
fn every_pass(src: &str) -> Option<SyntaxError> {
    let ast = match parse(src) {
        Ok(ast) => ast,
        Err(e) => return Some(e),
    };
    let formatted = tierlang::fmt::format(&ast, src);
    assert!(parse(&formatted).is_ok(), "fmt output does not parse");
    let outcome = check(&ast, src);
    let errors: Vec<String> = outcome.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "check errors: {errors:?}");
    if let Some(checked) = outcome.checked {
        every_later_pass(&checked, src);
    }
    None
}

fn every_later_pass(checked: &tierlang::check::Checked, src: &str) {
    let program = compile(checked);
    let today = Date::parse("2024-06-30").unwrap();
    let ev = Evaluator::new(&program, today);
    let mut frame = vec![Value::Missing; checked.fields.len()];
    let _ = ev.evaluate(&mut frame);
    let _ = analyze(checked, &program, src, Options { today, explain_overlaps: true });
    let explainer = Explainer::new(checked, &program, src, today);
    let _ = explainer.explain(&frame);
    let _ = tierlang::sql::compile(checked, &program, Dialect::Duckdb, "t", None, today);
    let _ = tierlang::table::tables(checked, src);
    let _ = Suite { checked, program: &program, source: src, as_of: Some(today) }.run(None, None);
    let _ = tierlang::regions::diff(&program, &program, today);
}

/// Runs `f` on a thread with the default 2 MiB stack of a test thread.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(2 << 20).spawn(f).unwrap().join().unwrap()
}

#[test]
#[ignore = "a probe: DEPTH_KIND=parens DEPTH_N=100 cargo test --test limits probe -- --ignored"]
fn probe() {
    let kind = std::env::var("DEPTH_KIND").unwrap();
    let n: usize = std::env::var("DEPTH_N").unwrap().parse().unwrap();
    let err = on_small_stack(move || every_pass(&nested(&kind, n)));
    println!("result: {err:?}");
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const KINDS: &[&str] = &["parens", "not", "neg", "plus", "call", "list", "map"];

#[test]
fn nesting_within_the_limit_goes_through_every_pass_on_a_small_stack() {
    for kind in KINDS {
        // One level below the limit for the construct (a `when` adds one, blocks a brace).
        let n = match *kind {
            "parens" => tierlang::syntax::MAX_DEPTH * 2 - 2,
            "list" | "map" => tierlang::syntax::MAX_DEPTH - 1,
            _ => tierlang::syntax::MAX_DEPTH - 2,
        };
        let src = nested(kind, n);
        let err = on_small_stack(move || every_pass(&src));
        assert!(err.is_none(), "{kind} nested {n} deep: {err:?}");
    }
}

#[test]
fn nesting_past_the_limit_is_too_deep_not_a_stack_overflow() {
    for kind in KINDS {
        for n in [tierlang::syntax::MAX_DEPTH * 2 + 1, 100_000] {
            let src = nested(kind, n);
            let err = on_small_stack(move || every_pass(&src));
            assert!(matches!(err, Some(SyntaxError::TooDeep { .. })), "{kind} nested {n} deep: {err:?}");
        }
    }
}

#[test]
fn the_cli_reports_too_deep_for_check_and_fmt() {
    let dir = tempfile::tempdir().unwrap();
    for kind in KINDS {
        let path = dir.path().join(format!("{kind}.tier"));
        std::fs::write(&path, nested(kind, 100_000)).unwrap();
        for cmd in ["check", "fmt", "test"] {
            let mut args = vec![cmd];
            if cmd == "fmt" {
                args.push("--check");
            }
            args.push(path.to_str().unwrap());
            let out = assert_cmd::Command::cargo_bin("tier").unwrap().args(&args).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.code().is_some_and(|c| c == 1 || c == 2),
                "tier {cmd} on {kind}: {:?}\n{stderr}",
                out.status
            );
            assert!(
                stderr.contains("tier::too_deep") || stderr.contains("nesting deeper"),
                "tier {cmd} on {kind}:\n{stderr}"
            );
        }
    }
}

#[test]
fn let_chains_within_the_limit_go_through_every_pass_on_a_small_stack() {
    let src = nested("lets", 120);
    assert!(on_small_stack(move || every_pass(&src)).is_none());
}

#[test]
fn let_chains_past_the_limit_are_too_deep() {
    let src = nested("lets", 5_000);
    let codes = on_small_stack(move || {
        let out = check(&parse(&src).unwrap(), &src);
        out.diagnostics
            .iter()
            .map(|d| format!("{:?}", miette::Diagnostic::code(d).map(|c| c.to_string())))
            .collect::<Vec<_>>()
    });
    assert_eq!(codes, ["Some(\"tier::too_deep\")"]);
}

#[test]
fn lets_each_used_twice_by_the_next_take_linear_time_in_every_pass() {
    // a30 written out in full has 2^30 leaves: any pass that expands lets
    // without sharing would not finish.
    let src = nested("lets2", 30);
    assert!(on_small_stack(move || every_pass(&src)).is_none());
}

#[test]
fn a_policy_without_tiers_does_not_panic_tier_test() {
    let out = assert_cmd::Command::cargo_bin("tier")
        .unwrap()
        .current_dir(root())
        .args(["test", "tests/check/no_tiers_with_test.tier"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `days_since(d + f)` and friends with `f` near the ends of 32 bits: the date
/// leaves 0000..9999 and is missing (no tier reads it), in debug and release alike.
#[test]
fn date_arithmetic_out_of_range_is_missing() {
    let src = "policy { as_of: 2024-06-30 }\n\
               schema { id: text key  d: date  f: integer }\n\
               tier Plus { when days_since(d + f) > 1000 or days_since(d + f) < -1000 }\n\
               tier Minus { when days_since(d - f) > 1000 or days_since(d - f) < -1000 }\n\
               tier Months { when months_since(d + f) > 1 or years_since(d - f) < -1 or (d - f) - d > 1 }\n\
               tier Other { otherwise }\n";
    let out = check(&parse(src).unwrap(), src);
    let checked = out.checked.unwrap_or_else(|| panic!("{:?}", out.diagnostics));
    let program = compile(&checked);
    let ev = Evaluator::new(&program, Date::parse("2024-06-30").unwrap());
    let d = Value::Date(Date::parse("2024-01-01").unwrap());
    for f in [i64::from(i32::MIN), i64::from(i32::MIN) + 1, i64::from(i32::MAX), -3_000_000, 3_000_000] {
        let mut frame = vec![Value::Text("1".into()), d.clone(), Value::Num(f.into())];
        let decisions = ev.evaluate(&mut frame).unwrap();
        assert_eq!(decisions[0].tier, Some(3), "f = {f}");
    }
}

/// `tier explain` / `apply --explain` on amounts at the ends of the decimal
/// model: the gaps and distances are computed with checked arithmetic.
#[test]
fn explain_survives_the_ends_of_the_decimal_range() {
    use rust_decimal::Decimal;
    let src = "policy { as_of: 2024-06-30 }\n\
               schema { id: text key  spend: money  orders: count per month  rate: number  joined: date }\n\
               tier VIP { when spend > 1M and orders >= 3/month and rate > 0.5 and joined < 2020-01-01 }\n\
               tier Mid { when spend between 0.000000000000000000000000001 and 1M or rate < -1 }\n\
               tier Low { otherwise }\n";
    let out = check(&parse(src).unwrap(), src);
    let checked = out.checked.unwrap_or_else(|| panic!("{:?}", out.diagnostics));
    let program = compile(&checked);
    let today = Date::parse("2024-06-30").unwrap();
    let explainer = Explainer::new(&checked, &program, src, today);
    let ev = Evaluator::new(&program, today);
    let tiny = Decimal::from_scientific("1e-25").unwrap();
    let amounts = [Decimal::MIN, Decimal::MAX, tiny, -tiny, Decimal::ZERO, Decimal::new(1, 28)];
    let dates = [Date::MIN, Date::MAX, Date::parse("2024-01-01").unwrap()];
    for a in amounts {
        for b in amounts {
            for j in dates {
                let fields = vec![Value::Text("1".into()), Value::Num(a), Value::Num(b), Value::Num(b), Value::Date(j)];
                let _ = explainer.explain(&fields);
                let mut frame = fields.clone();
                let decisions = ev.evaluate(&mut frame).unwrap();
                let _ = explainer.columns_for(&decisions, &fields);
            }
        }
    }
}

/// Constants at the ends of the number and date ranges go through the analysis
/// (its cells step one past each bound) and every other pass without overflow.
#[test]
fn constants_at_the_ends_of_the_ranges_go_through_every_pass() {
    let src = "policy { as_of: 2024-06-30 }\n\
               schema { id: text key  spend: money  r: count per month  j: date  n: integer }\n\
               tier A { when spend > 79228162514264337593543950335 or r > 79228162514264337593543950/year }\n\
               tier B { when spend < 0.0000000000000000000000000001 and spend > -79228162514264337593543950335 }\n\
               tier C { when j > 9999-12-31 or j < 0000-01-01 or days_since(j) > 79228162514264337593543950335 }\n\
               tier D { when n >= 79228162514264337593543950335 or n <= -79228162514264337593543950335 }\n\
               tier E { otherwise }\n";
    let src = src.to_string();
    assert!(on_small_stack(move || every_pass(&src)).is_none());
}

/// A criterion of 4,000 `and`s and a chain of 1,000 tiers each extending the
/// last: the analysis is near-linear or stops at its budget with a note, so
/// both finish in seconds (the `and`s took minutes and the chain half a minute).
#[test]
fn large_policies_are_analysed_within_the_budget() {
    let conds: Vec<String> = (0..4000).map(|i| format!("spend > {i}")).collect();
    let ands = format!(
        "schema {{ id: text key  spend: money }}\ntier A {{ when {} }}\ntier B {{ otherwise }}\n",
        conds.join(" and ")
    );
    let tiers: Vec<String> = (1..1000)
        .map(|i| format!("tier T{i} {{ when spend > {} strategy extends T{} {{ k{i}: {i} }} }}", 1000 - i, i - 1))
        .collect();
    let chain = format!(
        "schema {{ id: text key  spend: money }}\ntier T0 {{ when spend > 1000 strategy {{ k0: 0 }} }}\n{}\n\
         tier Rest {{ otherwise strategy {{ k0: 1 }} }}\n",
        tiers.join("\n")
    );
    for src in [ands, chain] {
        assert!(src.len() < 100_000);
        let out = check(&parse(&src).unwrap(), &src);
        let checked = out.checked.unwrap();
        let program = compile(&checked);
        let today = Date::parse("2024-06-30").unwrap();
        let started = std::time::Instant::now();
        let _ = analyze(&checked, &program, &src, Options { today, explain_overlaps: false });
        println!("analysis took {:?}", started.elapsed());
        // `apply --explain` per record: the nearest tier up is found without
        // searching every tier above.
        let explainer = Explainer::new(&checked, &program, &src, today);
        let ev = Evaluator::new(&program, today);
        let started = std::time::Instant::now();
        for spend in 0..20 {
            let fields = vec![Value::Text("1".into()), Value::Num(spend.into())];
            let mut frame = fields.clone();
            let decisions = ev.evaluate(&mut frame).unwrap();
            let _ = explainer.columns_for(&decisions, &fields);
        }
        println!("explaining 20 records took {:?}", started.elapsed());
    }
}
