//! Runs a policy's `test` blocks through the compiled program.

use crate::check::{Checked, Expectation, StrategyValue, TestInfo, Ty};
use crate::compile::{constant, Node, Program};
use crate::eval::{Decision, Evaluator, Value};
use crate::number::{Date, Decimal};
use crate::syntax::{CmpOp, Span};

#[derive(Debug, Clone)]
pub struct TestResult {
    pub name: String,
    pub span: Span,
    /// Empty when the test passed.
    pub failures: Vec<Failure>,
}

#[derive(Debug, Clone)]
pub struct Failure {
    pub span: Span,
    pub message: String,
}

/// Runs every test whose name contains `filter`. `as_of` fixes `today`; when it is
/// `None`, a test of a policy that reads `today` fails and says how to fix it.
pub fn run(
    checked: &Checked,
    program: &Program,
    as_of: Option<Date>,
    filter: Option<&str>,
) -> Vec<TestResult> {
    let uses_today = program_uses_today(program);
    checked
        .tests
        .iter()
        .filter(|t| filter.is_none_or(|f| t.name.contains(f)))
        .map(|t| {
            let failures = match (as_of, uses_today) {
                (None, true) => vec![Failure {
                    span: t.span.clone(),
                    message: "the policy reads `today`: fix it with `as_of: YYYY-MM-DD` in the policy header or `--as-of`".into(),
                }],
                _ => run_one(checked, program, t, as_of.unwrap_or(Date(0))),
            };
            TestResult { name: t.name.clone(), span: t.span.clone(), failures }
        })
        .collect()
}

fn run_one(checked: &Checked, program: &Program, t: &TestInfo, today: Date) -> Vec<Failure> {
    let mut frame: Vec<Value> = t
        .given
        .iter()
        .zip(&checked.fields)
        .map(|(g, f)| match g {
            Some(c) => constant(c),
            None if t.defaults && !f.optional => neutral(f.ty, today),
            None => Value::Missing,
        })
        .collect();
    let decisions = match Evaluator::new(program, today).evaluate(&mut frame) {
        Ok(d) => d,
        Err(e) => {
            return vec![Failure {
                span: t.span.clone(),
                message: e.to_string(),
            }]
        }
    };
    t.expects
        .iter()
        .filter_map(|e| check_expectation(program, &decisions, e))
        .collect()
}

/// The value an unset required field takes under `given defaults`.
fn neutral(ty: Ty, today: Date) -> Value {
    match ty {
        Ty::Text => Value::Text(String::new()),
        Ty::Bool => Value::Bool(false),
        Ty::Date => Value::Date(today),
        Ty::Enum(_) => Value::Enum(0),
        _ => Value::Num(Decimal::ZERO),
    }
}

fn tier_name(program: &Program, dim: usize, tier: Option<usize>) -> String {
    tier.and_then(|i| program.dimensions[dim].tiers.get(i))
        .map_or("no tier".into(), |t| format!("`{}`", t.name))
}

fn check_expectation(
    program: &Program,
    decisions: &[Decision],
    e: &Expectation,
) -> Option<Failure> {
    match e {
        Expectation::Tier {
            dimension,
            tier,
            span,
        } => {
            let got = decisions.get(*dimension)?.tier;
            (got != *tier).then(|| Failure {
                span: span.clone(),
                message: format!(
                    "expected {}, got {}{}",
                    tier_name(program, *dimension, *tier),
                    tier_name(program, *dimension, got),
                    dimension_suffix(program, *dimension)
                ),
            })
        }
        Expectation::Strategy {
            dimension,
            path,
            op,
            value,
            span,
        } => {
            let got = decisions.get(*dimension)?.tier;
            let tier = got.and_then(|i| program.dimensions[*dimension].tiers.get(i));
            let actual = tier.and_then(|t| lookup(&t.strategy, path));
            let key = path.join(".");
            let ok = actual.is_some_and(|a| strategy_holds(a, *op, value));
            (!ok).then(|| Failure {
                span: span.clone(),
                message: match actual {
                    Some(a) => format!(
                        "expected strategy.{key} {} {}, got {} (tier {})",
                        op.symbol(),
                        value.to_text(),
                        a.to_text(),
                        tier_name(program, *dimension, got)
                    ),
                    None => format!(
                        "expected strategy.{key} {} {}, but {} has no `{key}`",
                        op.symbol(),
                        value.to_text(),
                        tier_name(program, *dimension, got)
                    ),
                },
            })
        }
    }
}

fn dimension_suffix(program: &Program, dim: usize) -> String {
    if program.dimensions.len() > 1 {
        format!(" in dimension `{}`", program.dimensions[dim].name)
    } else {
        String::new()
    }
}

fn lookup<'a>(
    map: &'a indexmap::IndexMap<String, StrategyValue>,
    path: &[String],
) -> Option<&'a StrategyValue> {
    let (first, rest) = path.split_first()?;
    let v = map.get(first)?;
    match (rest.is_empty(), v) {
        (true, v) => Some(v),
        (false, StrategyValue::Map(inner)) => lookup(inner, rest),
        _ => None,
    }
}

fn strategy_holds(actual: &StrategyValue, op: CmpOp, expected: &StrategyValue) -> bool {
    match op {
        CmpOp::Eq => actual.same(expected),
        CmpOp::Ne => !actual.same(expected),
        _ => match (actual.comparable_number(), expected.comparable_number()) {
            (Some((ka, a)), Some((kb, b))) if ka == kb => op.holds(a.cmp(&b)),
            _ => false,
        },
    }
}

fn program_uses_today(p: &Program) -> bool {
    let conds = p
        .dimensions
        .iter()
        .flat_map(|d| d.tiers.iter().filter_map(|t| t.condition.as_ref()));
    p.lets.iter().map(|(_, n)| n).chain(conds).any(uses_today)
}

fn uses_today(n: &Node) -> bool {
    use crate::check::Func;
    match n {
        Node::Today | Node::Call(Func::DaysSince, _) => true,
        Node::Const(_) | Node::Slot(_) => false,
        Node::Neg(x) | Node::Not(x) | Node::Is { value: x, .. } => uses_today(x),
        Node::Arith(_, a, b) => uses_today(a) || uses_today(b),
        Node::Compare(a, rest) => uses_today(a) || rest.iter().any(|(_, x)| uses_today(x)),
        Node::Between {
            value, low, high, ..
        } => [value, low, high].iter().any(|x| uses_today(x)),
        Node::In { value, items, .. } => uses_today(value) || items.iter().any(uses_today),
        Node::And(xs) | Node::Or(xs) | Node::Call(_, xs) => xs.iter().any(uses_today),
    }
}
