//! Runs a policy's `test` blocks through the compiled program and explains every
//! failure: expected and actual tier, the criterion that decided, the conditions
//! of the expected tier that did not hold (with the record's values), and how the
//! two tiers' strategies differ.

use crate::check::{Checked, Expectation, StrategyValue, TestInfo, Ty};
use crate::compile::{constant, Node, Program};
use crate::coverage::Coverage;
use crate::eval::{Decision, Evaluator, Value};
use crate::number::{Date, Decimal};
use crate::syntax::{CmpOp, Span};
use indexmap::IndexMap;

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
    /// Why, one line each: the deciding criterion, failed conditions, strategy diff.
    pub details: Vec<String>,
}

impl Failure {
    fn new(span: Span, message: String) -> Self {
        Failure { span, message, details: Vec::new() }
    }
}

/// The tests of one policy, ready to run.
pub struct Suite<'a> {
    pub checked: &'a Checked,
    pub program: &'a Program,
    /// The policy text, to quote conditions.
    pub source: &'a str,
    /// What `today` is; `None` makes tests of a policy that reads `today` fail.
    pub as_of: Option<Date>,
}

impl Suite<'_> {
    /// Runs every test whose name contains `filter`, recording coverage if asked.
    pub fn run(&self, filter: Option<&str>, mut coverage: Option<&mut Coverage>) -> Vec<TestResult> {
        let uses_today = program_uses_today(self.program);
        self.checked
            .tests
            .iter()
            .filter(|t| filter.is_none_or(|f| t.name.contains(f)))
            .map(|t| {
                let failures = match (self.as_of, uses_today) {
                    (None, true) => vec![Failure::new(
                        t.span.clone(),
                        "the policy reads `today`: fix it with `as_of: YYYY-MM-DD` in the policy header or `--as-of`"
                            .into(),
                    )],
                    (as_of, _) => self.run_one(t, as_of.unwrap_or(Date(0)), coverage.as_deref_mut()),
                };
                TestResult { name: t.name.clone(), span: t.span.clone(), failures }
            })
            .collect()
    }

    fn run_one(&self, t: &TestInfo, today: Date, coverage: Option<&mut Coverage>) -> Vec<Failure> {
        let values = |given: &[Option<crate::check::Const>], defaults: bool| -> Vec<Value> {
            given
                .iter()
                .zip(&self.checked.fields)
                .map(|(g, f)| match g {
                    Some(c) => constant(c),
                    None if defaults && !f.optional => neutral(f.ty, today),
                    None => Value::Missing,
                })
                .collect()
        };
        let mut frame = values(&t.given, t.defaults);
        let evaluator = Evaluator::new(self.program, today);
        if let Some(mp) = self.program.metrics.as_ref().filter(|_| t.population.is_some()) {
            // Metrics not given are computed, population functions over the test's
            // population with the given record last (the `population where` filter
            // applies to all of them).
            let rows = t.population.iter().flatten().map(|g| values(g, false)).chain([frame.clone()]);
            let customers: Vec<crate::metrics::Customer> = rows
                .enumerate()
                .map(|(i, mut f)| {
                    f.resize(mp.frame_size, Value::Missing);
                    crate::metrics::Customer { key: i.to_string(), frame: f, kept: Vec::new() }
                })
                .collect();
            let given_key = (customers.len() - 1).to_string();
            let scored = crate::metrics::score(self.program, &evaluator, customers);
            if let Some((_, reason)) = scored.excluded.iter().find(|(c, _)| c.key == given_key) {
                return vec![Failure::new(t.span.clone(), format!("the given record is {reason}"))];
            }
            if let Some(c) = scored.kept.iter().find(|c| c.key == given_key) {
                frame = c.frame[..self.checked.fields.len()].to_vec();
            }
        }
        let decisions = match evaluator.evaluate(&mut frame) {
            Ok(d) => d,
            Err(e) => return vec![Failure::new(t.span.clone(), e.to_string())],
        };
        if let Some(c) = coverage {
            c.record(self.program, &evaluator, &frame);
        }
        t.expects.iter().filter_map(|e| self.expectation(&decisions, e, &evaluator, &frame)).collect()
    }

    fn expectation(&self, decisions: &[Decision], e: &Expectation, ev: &Evaluator, frame: &[Value]) -> Option<Failure> {
        match e {
            Expectation::Tier { dimension, tier, span } => {
                let got = decisions.get(*dimension)?.tier;
                if got == *tier {
                    return None;
                }
                let message = format!(
                    "expected {}, got {}{}",
                    self.tier_name(*dimension, *tier),
                    self.tier_name(*dimension, got),
                    self.dimension_suffix(*dimension)
                );
                let mut f = Failure::new(span.clone(), message);
                f.details = self.why(*dimension, *tier, got, ev, frame);
                Some(f)
            }
            Expectation::Strategy { dimension, path, op, value, span } => {
                let got = decisions.get(*dimension)?.tier;
                // With the strategies of the combinations that hold merged in.
                let merged = crate::combine::strategy(self.program, decisions, *dimension);
                let actual = merged.as_deref().and_then(|s| lookup(s, path));
                if actual.is_some_and(|a| strategy_holds(a, *op, value)) {
                    return None;
                }
                let key = path.join(".");
                let expected = format!("expected strategy.{key} {} {}", op.symbol(), value.to_text());
                let message = match actual {
                    Some(a) => format!("{expected}, got {} (tier {})", a.to_text(), self.tier_name(*dimension, got)),
                    None => format!("{expected}, but {} has no `{key}`", self.tier_name(*dimension, got)),
                };
                Some(Failure::new(span.clone(), message))
            }
        }
    }

    /// Why the record got `got` instead of `want`.
    fn why(&self, dim: usize, want: Option<usize>, got: Option<usize>, ev: &Evaluator, frame: &[Value]) -> Vec<String> {
        let info = &self.checked.dimensions[dim];
        let mut out = Vec::new();
        if let Some(g) = got {
            match &info.tiers[g].condition {
                Some(c) => out.push(format!("`{}` was chosen by `{}`", info.tiers[g].name, self.text(&c.span))),
                None => out.push(format!("`{}` is the `otherwise` tier", info.tiers[g].name)),
            }
        }
        if let Some(w) = want {
            let wanted = &self.program.dimensions[dim].tiers[w];
            match &wanted.condition {
                Some(cond) if !ev.truth(cond, frame) => {
                    let mut atoms = Vec::new();
                    atom_spans_and_nodes(info.tiers[w].condition.as_ref(), cond, &mut atoms);
                    for (span, node) in atoms {
                        if !ev.truth(node, frame) {
                            out.push(format!("`{}` does not hold: `{}` is false", wanted.name, self.text(&span)));
                        }
                    }
                }
                _ => {
                    let above = got.map_or(String::new(), |g| format!("`{}`", info.tiers[g].name));
                    out.push(format!("`{}` matches too, but {above} comes first", wanted.name));
                }
            }
            out.extend(self.values_read(dim, w, frame));
            if let Some(g) = got {
                out.extend(strategy_diff(&wanted.strategy, &self.program.dimensions[dim].tiers[g].strategy));
            }
        }
        out
    }

    /// `field = value` for the fields the expected tier's criterion reads.
    fn values_read(&self, dim: usize, tier: usize, frame: &[Value]) -> Option<String> {
        let cond = self.checked.dimensions[dim].tiers[tier].condition.as_ref()?;
        let mut slots = std::collections::BTreeSet::new();
        crate::check::fields_read(cond, &self.checked.lets, &mut slots);
        let parts: Vec<String> = slots
            .iter()
            .map(|&s| {
                let f = &self.checked.fields[s];
                format!("{} = {}", f.name, show(frame.get(s), f))
            })
            .collect();
        (!parts.is_empty()).then(|| format!("the record has {}", parts.join(", ")))
    }

    fn text(&self, span: &Span) -> &str {
        self.source.get(span.clone()).unwrap_or("?")
    }

    fn tier_name(&self, dim: usize, tier: Option<usize>) -> String {
        tier.and_then(|i| self.program.dimensions[dim].tiers.get(i))
            .map_or("no tier".into(), |t| format!("`{}`", t.name))
    }

    fn dimension_suffix(&self, dim: usize) -> String {
        if self.program.dimensions.len() > 1 {
            format!(" in dimension `{}`", self.program.dimensions[dim].name)
        } else {
            String::new()
        }
    }
}

/// A field value as a reader writes it (rates in the field's own period).
fn show(v: Option<&Value>, f: &crate::check::FieldInfo) -> String {
    match v {
        None | Some(Value::Missing) => "missing".into(),
        Some(Value::Num(d)) => match f.period {
            Some(p) => format!("{}/{}", (*d / p.per_year()).normalize(), p.name()),
            None => d.normalize().to_string(),
        },
        Some(Value::Text(s)) => format!("{s:?}"),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Date(d)) => d.to_string(),
        Some(Value::DateTime(s)) => crate::number::format_datetime(*s),
        Some(Value::Enum(i)) => f.enum_values.get(*i as usize).cloned().unwrap_or_default(),
    }
}

/// Pairs the conditions of a checked criterion with their compiled nodes.
fn atom_spans_and_nodes<'n>(t: Option<&crate::check::TExpr>, n: &'n Node, out: &mut Vec<(Span, &'n Node)>) {
    use crate::check::TKind;
    match (t.map(|t| &t.kind), n) {
        (Some(TKind::And(ts) | TKind::Or(ts)), Node::And(ns) | Node::Or(ns)) => {
            for (t, n) in ts.iter().zip(ns) {
                atom_spans_and_nodes(Some(t), n, out);
            }
        }
        (Some(TKind::Not(t)), Node::Not(n)) => atom_spans_and_nodes(Some(t), n, out),
        (Some(_), n) => out.push((t.map_or(0..0, |t| t.span.clone()), n)),
        (None, _) => {}
    }
}

/// `strategy.KEY: expected → actual` for each key the two tiers disagree on.
fn strategy_diff(want: &IndexMap<String, StrategyValue>, got: &IndexMap<String, StrategyValue>) -> Vec<String> {
    let show = |v: Option<&StrategyValue>| v.map_or("(unset)".to_string(), StrategyValue::to_text);
    let keys = want.keys().chain(got.keys().filter(|k| !want.contains_key(*k)));
    keys.filter(|k| !matches!((want.get(*k), got.get(*k)), (Some(a), Some(b)) if a.same(b)))
        .map(|k| format!("strategy.{k}: expected {} → got {}", show(want.get(k)), show(got.get(k))))
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

fn lookup<'a>(map: &'a IndexMap<String, StrategyValue>, path: &[String]) -> Option<&'a StrategyValue> {
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
    let conds = p.dimensions.iter().flat_map(|d| d.tiers.iter().filter_map(|t| t.condition.as_ref()));
    p.lets.iter().map(|(_, n)| n).chain(conds).any(uses_today)
}

fn uses_today(n: &Node) -> bool {
    use crate::check::Func;
    match n {
        Node::Today | Node::Call(Func::DaysSince | Func::MonthsSince | Func::YearsSince, _) => true,
        Node::Const(_) | Node::Slot(_) => false,
        Node::Neg(x) | Node::Not(x) | Node::Is { value: x, .. } => uses_today(x),
        Node::Arith(_, a, b) => uses_today(a) || uses_today(b),
        Node::Compare(a, rest) => uses_today(a) || rest.iter().any(|(_, x)| uses_today(x)),
        Node::Between { value, low, high, .. } => [value, low, high].iter().any(|x| uses_today(x)),
        Node::In { value, items, .. } => uses_today(value) || items.iter().any(uses_today),
        Node::And(xs) | Node::Or(xs) | Node::Call(_, xs) => xs.iter().any(uses_today),
    }
}
