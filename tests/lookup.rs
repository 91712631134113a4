//! Decision tables (`lookup`) against the tree evaluator: on every policy of
//! `policies/`, `tests/analysis/`, `tests/check/` (those that check clean) and
//! `bench/`, generated records — values on, just off and between the policy's
//! own constants, missing optional fields — get the same decisions (or the same
//! error) from both.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use tierlang::check::{check, Ty};
use tierlang::compile::{compile, Node, Program};
use tierlang::eval::{Evaluator, Value};
use tierlang::lookup::Column;
use tierlang::number::Date;
use tierlang::syntax::parse;

fn policies() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["policies", "tests/analysis", "tests/check", "bench"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "tier") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn program(path: &Path) -> Option<Program> {
    let src = std::fs::read_to_string(path).unwrap();
    let ast = parse(&src).ok()?;
    let out = check(&ast, &src);
    if out.diagnostics.iter().any(|d| d.is_error()) {
        return None;
    }
    Some(compile(out.checked.as_ref()?))
}

fn constants(n: &Node, out: &mut Vec<Value>) {
    match n {
        Node::Const(v) => out.push(v.clone()),
        Node::Slot(_) | Node::Today => {}
        Node::Neg(x) | Node::Not(x) => constants(x, out),
        Node::Is { value, .. } => constants(value, out),
        Node::Arith(_, l, r) => {
            constants(l, out);
            constants(r, out);
        }
        Node::Compare(first, rest) => {
            constants(first, out);
            rest.iter().for_each(|(_, x)| constants(x, out));
        }
        Node::Between { value, low, high, .. } => [value, low, high].iter().for_each(|x| constants(x, out)),
        Node::In { value, items, .. } => {
            constants(value, out);
            items.iter().for_each(|x| constants(x, out));
        }
        Node::And(xs) | Node::Or(xs) | Node::Call(_, xs) => xs.iter().for_each(|x| constants(x, out)),
    }
}

/// Candidate values per field: the constants, a cent and a unit either side, zero.
fn candidates(p: &Program, today: Date) -> Vec<Vec<Value>> {
    let mut consts = Vec::new();
    for d in &p.dimensions {
        d.tiers.iter().filter_map(|t| t.condition.as_ref()).for_each(|c| constants(c, &mut consts));
    }
    p.lets.iter().for_each(|(_, n)| constants(n, &mut consts));
    let cent = Decimal::new(1, 2);
    let mut nums = vec![Decimal::ZERO, Decimal::from(-1), Decimal::new(12345, 1)];
    let mut dates = vec![today.0, today.0 - 1, today.0 + 1];
    for c in &consts {
        match c {
            Value::Num(d) => {
                nums.extend([*d, *d - cent, *d + cent, *d - Decimal::ONE, *d + Decimal::ONE]);
                if d.fract().is_zero() {
                    if let Ok(days) = i32::try_from(d.mantissa() / 10i128.pow(d.scale())) {
                        dates.extend([today.0 - days, today.0 - days - 1, today.0 - days + 1]);
                    }
                }
            }
            Value::Date(d) => dates.extend([d.0, d.0 - 1, d.0 + 1]),
            _ => {}
        }
    }
    let texts: Vec<Value> =
        consts.iter().filter(|c| matches!(c, Value::Text(_))).cloned().chain([Value::Text("other".into())]).collect();
    p.fields
        .iter()
        .map(|f| {
            let mut vs: Vec<Value> = match f.ty {
                Ty::Number | Ty::Money | Ty::Integer | Ty::Rate | Ty::Lit => {
                    nums.iter().map(|d| Value::Num(*d)).collect()
                }
                Ty::Date | Ty::DateTime => dates.iter().map(|d| Value::Date(Date(*d))).collect(),
                Ty::Enum(_) => (0..f.enum_values.len() as u32).map(Value::Enum).collect(),
                Ty::Bool => vec![Value::Bool(true), Value::Bool(false)],
                Ty::Text | Ty::Error => texts.clone(),
            };
            if f.optional {
                vs.push(Value::Missing);
            }
            vs
        })
        .collect()
}

#[test]
fn tables_decide_like_the_tree_evaluator_on_every_corpus_policy() {
    let today = Date::parse("2024-06-30").unwrap();
    let (mut with_tables, mut checked) = (Vec::new(), 0);
    for path in policies() {
        let Some(p) = program(&path) else { continue };
        checked += 1;
        let tree = Evaluator::new(&p, today);
        let table = Evaluator::with_tables(&p, today);
        if table.table_count() > 0 {
            with_tables.push(path.file_name().unwrap().to_string_lossy().to_string());
        }
        let cands = candidates(&p, today);
        let strategy: Vec<_> = cands.iter().map(|vs| prop::sample::select(vs.clone())).collect();
        let mut runner = TestRunner::new(Config { cases: 300, failure_persistence: None, ..Config::default() });
        runner
            .run(&strategy, |frame| {
                let (mut a, mut b) = (frame.clone(), frame.clone());
                prop_assert_eq!(tree.evaluate(&mut a), table.evaluate(&mut b), "{}: {:?}", path.display(), frame);
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    assert!(checked > 40, "only {checked} policies");
    // The test means something only if tables are in use on most of them.
    for must in ["four_tiers.tier", "hospitals.tier", "private_banking.tier", "value_lifecycle.tier", "gap.tier"] {
        assert!(with_tables.iter().any(|n| n == must), "{must} has no table: {with_tables:?}");
    }
    assert!(with_tables.len() * 2 > checked, "{} of {checked} use tables", with_tables.len());
}

#[test]
fn batch_decisions_equal_record_by_record_ones() {
    let today = Date::parse("2024-06-30").unwrap();
    let mut batched = 0;
    for path in policies() {
        let Some(p) = program(&path) else { continue };
        let lookup = tierlang::lookup::Lookup::new(&p, today);
        let tree = Evaluator::new(&p, today);
        let cands = candidates(&p, today);
        // Every candidate value of every field, cycled so that columns differ.
        let rows = cands.iter().map(Vec::len).max().unwrap_or(0) * 3;
        let frames: Vec<Vec<Value>> = (0..rows)
            .map(|r| cands.iter().enumerate().map(|(f, vs)| vs[(r * (f + 1)) % vs.len()].clone()).collect())
            .collect();
        // Each column typed by its values (numbers, dates) where they allow.
        let columns: Vec<Column> =
            (0..p.fields.len()).map(|f| frames.iter().map(|fr| fr[f].clone()).collect::<Vec<_>>().into()).collect();
        for d in 0..p.dimensions.len() {
            let (mut cells, mut out) = (Vec::new(), Vec::new());
            if !lookup.decide_batch(d, &columns, &mut cells, &mut out, &tree) {
                continue;
            }
            batched += 1;
            for (r, frame) in frames.iter().enumerate() {
                let want = tree.evaluate(&mut frame.clone()).unwrap()[d].tier;
                let got = (out[r] != u16::MAX).then(|| usize::from(out[r]));
                assert_eq!(got, want, "{} dimension {d} record {frame:?}", path.display());
            }
        }
    }
    assert!(batched > 20, "only {batched} dimensions decided in batches");
}

#[test]
fn batch_ages_of_many_distinct_days_equal_record_by_record_ones() {
    // Ages are classed once per distinct day and remembered in a table of a
    // few thousand slots: forty years of days (so slots are shared by
    // several days), missing dates and the dates around every cut point must
    // all decide as the tree evaluator does.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let p = program(&root.join("bench/lifecycle.tier")).unwrap();
    let today = Date::parse("2025-06-30").unwrap();
    let lookup = tierlang::lookup::Lookup::new(&p, today);
    let tree = Evaluator::new(&p, today);
    let slot = |name: &str| p.fields.iter().position(|f| f.name == name).unwrap();
    let (first, last, spend) = (slot("first_purchase"), slot("last_purchase"), slot("annual_spend"));
    // Without missing dates the date columns hold day numbers; with them, values.
    for missing in [0, 2] {
        let days: Vec<Value> = (-20 * 366..20 * 366)
            .map(|d| Value::Date(today.add_days(d).unwrap()))
            .chain(std::iter::repeat_n(Value::Missing, missing))
            .collect();
        let frames: Vec<Vec<Value>> = (0..days.len())
            .map(|r| {
                let mut frame = vec![Value::Missing; p.fields.len()];
                frame[spend] = Value::Num(Decimal::from(1000));
                frame[last] = days[r].clone();
                frame[first] = days[(r * 7919) % days.len()].clone();
                frame
            })
            .collect();
        let columns: Vec<Column> =
            (0..p.fields.len()).map(|f| frames.iter().map(|fr| fr[f].clone()).collect::<Vec<_>>().into()).collect();
        assert_eq!(matches!(columns[last], Column::Days(_)), missing == 0);
        let d = p.dimensions.iter().position(|d| d.name == "lifecycle").unwrap();
        let (mut cells, mut out) = (Vec::new(), Vec::new());
        assert!(lookup.decide_batch(d, &columns, &mut cells, &mut out, &tree), "lifecycle is not decided in batches");
        let mut seen = std::collections::BTreeSet::new();
        for (r, frame) in frames.iter().enumerate() {
            let want = tree.evaluate(&mut frame.clone()).unwrap()[d].tier;
            let got = (out[r] != u16::MAX).then(|| usize::from(out[r]));
            assert_eq!(got, want, "record {frame:?}");
            seen.insert(got);
        }
        assert_eq!(seen.len(), 4, "every lifecycle tier is reached: {seen:?}");
    }
}
