//! Runs a compiled program on one record.
//!
//! Missing values: arithmetic on a missing value is missing, and so is division
//! by zero; every comparison (`<`, `==`, `between`, `in`, and their `not` forms)
//! on a missing value is false; `not (...)` negates the boolean it is given.
//!
//! Every record's values pass through here, so nothing may index out of bounds
//! or overflow: the two lints below hold the module to checked arithmetic.

#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::check::{Func, Hit};
use crate::compile::{Node, Program};
use crate::number::{Date, Decimal};
use crate::syntax::{BinOp, CmpOp};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::RoundingStrategy;
use std::cmp::Ordering;

/// A runtime value. Money, counts and rates (per year) are all `Num`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    Missing,
    Num(Decimal),
    Text(String),
    Bool(bool),
    Date(Date),
    /// Seconds since 1970-01-01 00:00 (event times; no time zone).
    DateTime(i64),
    Enum(u32),
}

/// The outcome of a record in one dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Index of the chosen tier, `None` when no tier matches.
    pub tier: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
pub enum EvalError {
    #[error("the record matches tiers {tiers} of dimension `{dimension}`, which is `hit unique`")]
    #[diagnostic(
        code(tier::unique_overlap),
        help("under `hit unique` a record may match one tier only: make the conditions exclusive")
    )]
    UniqueOverlap { dimension: String, tiers: String },
}

pub struct Evaluator<'p> {
    program: &'p Program,
    today: Date,
    /// Decision tables for the dimensions that have one (see `lookup`).
    lookup: Option<crate::lookup::Lookup>,
}

impl<'p> Evaluator<'p> {
    /// An evaluator that walks the condition trees (cheap to make).
    pub fn new(program: &'p Program, today: Date) -> Self {
        Evaluator { program, today, lookup: None }
    }

    /// An evaluator that first builds decision tables where the conditions allow
    /// (`lookup`): worth it for many records, same decisions.
    pub fn with_tables(program: &'p Program, today: Date) -> Self {
        Evaluator { program, today, lookup: Some(crate::lookup::Lookup::new(program, today)) }
    }

    /// The decision tables, if this evaluator built them.
    pub fn tables(&self) -> Option<&crate::lookup::Lookup> {
        self.lookup.as_ref()
    }

    /// How many dimensions are decided by a table.
    pub fn table_count(&self) -> usize {
        self.lookup.as_ref().map_or(0, |l| l.dims.iter().flatten().count())
    }

    /// Evaluates a record. `frame` holds the field values by slot; it is extended
    /// with the lets in place (reuse it across records to avoid allocation).
    /// As [`Evaluator::evaluate`], into a reused vector (no allocation per record).
    pub fn evaluate_into(&self, frame: &mut Vec<Value>, out: &mut Vec<Decision>) -> Result<(), EvalError> {
        self.prepare(frame);
        out.clear();
        for (i, d) in self.program.dimensions.iter().enumerate() {
            match self.lookup.as_ref().and_then(|l| l.decide(i, frame, self)) {
                Some(decision) => out.push(decision),
                None => out.push(self.decide(d, frame)?),
            }
        }
        Ok(())
    }

    pub fn evaluate(&self, frame: &mut Vec<Value>) -> Result<Vec<Decision>, EvalError> {
        let mut out = Vec::with_capacity(self.program.dimensions.len());
        self.evaluate_into(frame, &mut out)?;
        Ok(out)
    }

    /// Extends `frame` (field values by slot) with the values of the lets.
    pub fn prepare(&self, frame: &mut Vec<Value>) {
        frame.resize(self.program.frame_size, Value::Missing);
        for (slot, expr) in &self.program.lets {
            let v = self.value(expr, frame);
            if let Some(cell) = frame.get_mut(*slot) {
                *cell = v;
            }
        }
    }

    fn decide(&self, d: &crate::compile::DimProgram, frame: &[Value]) -> Result<Decision, EvalError> {
        let holds = |t: &crate::compile::TierProgram| t.condition.as_ref().is_none_or(|c| self.truth(c, frame));
        if d.hit == Hit::First {
            return Ok(Decision { tier: d.tiers.iter().position(holds) });
        }
        let mut matched = d.tiers.iter().enumerate().filter(|(_, t)| holds(t));
        let first = matched.next();
        if let Some(second) = matched.next() {
            let names: Vec<String> = [first, Some(second)]
                .into_iter()
                .flatten()
                .chain(matched)
                .map(|(_, t)| format!("`{}`", t.name))
                .collect();
            return Err(EvalError::UniqueOverlap { dimension: d.name.clone(), tiers: names.join(" and ") });
        }
        Ok(Decision { tier: first.map(|(i, _)| i) })
    }

    pub fn truth(&self, n: &Node, frame: &[Value]) -> bool {
        match n {
            Node::Compare(first, rest) => {
                let mut prev = self.value_ref(first, frame);
                for (op, rhs) in rest {
                    let next = self.value_ref(rhs, frame);
                    if !compare(*op, &prev, &next) {
                        return false;
                    }
                    prev = next;
                }
                true
            }
            Node::Between { negated, value, low, high } => {
                let v = self.value(value, frame);
                let (lo, hi) = (self.value(low, frame), self.value(high, frame));
                match (order(&v, &lo), order(&v, &hi)) {
                    (Some(a), Some(b)) => (a != Ordering::Less && b != Ordering::Greater) != *negated,
                    _ => false,
                }
            }
            Node::In { negated, value, items } => {
                let v = self.value(value, frame);
                if v == Value::Missing {
                    return false;
                }
                let found = items.iter().any(|i| order(&v, &self.value(i, frame)) == Some(Ordering::Equal));
                found != *negated
            }
            Node::Is { present, value } => (self.value(value, frame) != Value::Missing) == *present,
            Node::Not(x) => !self.truth(x, frame),
            Node::And(xs) => xs.iter().all(|x| self.truth(x, frame)),
            Node::Or(xs) => xs.iter().any(|x| self.truth(x, frame)),
            other => matches!(self.value(other, frame), Value::Bool(true)),
        }
    }

    pub fn value(&self, n: &Node, frame: &[Value]) -> Value {
        match n {
            Node::Const(v) => v.clone(),
            Node::Slot(i) => frame.get(*i).cloned().unwrap_or(Value::Missing),
            Node::Today => Value::Date(self.today),
            Node::Neg(x) => match self.value(x, frame) {
                // A decimal's range is symmetric: its negation is exact.
                #[allow(clippy::arithmetic_side_effects)]
                Value::Num(d) => Value::Num(-d),
                _ => Value::Missing,
            },
            // Operands read in place: no copy of a field per operation.
            Node::Arith(op, l, r) => arith(*op, &self.value_ref(l, frame), &self.value_ref(r, frame)),
            Node::Call(f, args) => self.call(*f, args, frame),
            cond => Value::Bool(self.truth(cond, frame)),
        }
    }

    /// [`Evaluator::value`] without a copy where the value already exists (a slot
    /// or a constant): comparisons and text functions read text this way.
    pub fn value_ref<'a>(&self, n: &'a Node, frame: &'a [Value]) -> std::borrow::Cow<'a, Value> {
        use std::borrow::Cow;
        match n {
            Node::Const(v) => Cow::Borrowed(v),
            Node::Slot(i) => frame.get(*i).map_or(Cow::Owned(Value::Missing), Cow::Borrowed),
            other => Cow::Owned(self.value(other, frame)),
        }
    }

    fn call(&self, f: Func, args: &[Node], frame: &[Value]) -> Value {
        if let (Func::Contains | Func::StartsWith, [a, b]) = (f, args) {
            return match (&*self.value_ref(a, frame), &*self.value_ref(b, frame)) {
                // A one-byte text is ASCII (`"C"` in an invoice number), never
                // part of a wider character in UTF-8: a byte search.
                (Value::Text(a), Value::Text(b)) if f == Func::Contains => Value::Bool(match b.as_bytes() {
                    &[c] => a.as_bytes().contains(&c),
                    _ => a.contains(b.as_str()),
                }),
                (Value::Text(a), Value::Text(b)) => Value::Bool(a.starts_with(b.as_str())),
                _ => Value::Missing,
            };
        }
        // One argument (abs, round, days_since): no argument vector per record.
        if let [arg] = args {
            return match (f, self.value(arg, frame)) {
                (Func::Abs, Value::Num(d)) => Value::Num(d.abs()),
                (Func::Round, Value::Num(d)) => {
                    Value::Num(d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero))
                }
                (Func::DaysSince, Value::Date(d)) => Value::Num(Decimal::from(self.today.days_since(d))),
                // Whole days from the event to the start of `today`, rounded down.
                (Func::DaysSince, Value::DateTime(s)) => {
                    let secs = i64::from(self.today.0).checked_mul(86_400).and_then(|t| t.checked_sub(s));
                    secs.map_or(Value::Missing, |secs| Value::Num(Decimal::from(secs.div_euclid(86_400))))
                }
                (Func::MonthsSince, Value::Date(d)) => Value::Num(Decimal::from(months_between(d, self.today))),
                (Func::YearsSince, Value::Date(d)) => {
                    Value::Num(Decimal::from(months_between(d, self.today).div_euclid(12)))
                }
                _ => Value::Missing,
            };
        }
        let vals: Vec<Value> = args.iter().map(|a| self.value(a, frame)).collect();
        if vals.contains(&Value::Missing) {
            return Value::Missing;
        }
        match (f, vals.as_slice()) {
            (Func::Min | Func::Max, [first, rest @ ..]) => {
                let want = if f == Func::Min { Ordering::Less } else { Ordering::Greater };
                rest.iter().fold(first.clone(), |best, v| if order(v, &best) == Some(want) { v.clone() } else { best })
            }
            (Func::Abs, [Value::Num(d)]) => Value::Num(d.abs()),
            (Func::Round, [Value::Num(d), rest @ ..]) => {
                let dp = match rest.first() {
                    Some(Value::Num(p)) => p.to_u32().unwrap_or(0).min(20),
                    _ => 0,
                };
                Value::Num(d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero))
            }
            (Func::DaysSince, [Value::Date(d)]) => Value::Num(Decimal::from(self.today.days_since(*d))),
            _ => Value::Missing,
        }
    }
}

/// Whole months from `from` to `to` (negative when `to` is earlier): a month is
/// complete on the same day of a later month, or on its last day when that
/// month has no such day (31 January to 28 February is one month).
// Years are 32-bit: these 64-bit sums cannot overflow.
#[allow(clippy::arithmetic_side_effects)]
pub fn months_between(from: Date, to: Date) -> i64 {
    let ((fy, fm, fd), (ty, tm, td)) = (from.ymd(), to.ymd());
    let months = (i64::from(ty) - i64::from(fy)) * 12 + i64::from(tm) - i64::from(fm);
    let month_end = to.is_month_end();
    let reached = td >= fd || month_end;
    if months > 0 && !reached {
        months - 1
    } else if months < 0 && (td > fd && !month_end) {
        months + 1
    } else {
        months
    }
}

/// `l op r` on runtime values; overflow and division by zero give `Missing`.
pub fn arith(op: BinOp, l: &Value, r: &Value) -> Value {
    let out = match (l, r) {
        (Value::Num(a), Value::Num(b)) => match op {
            BinOp::Add => a.checked_add(*b),
            BinOp::Sub => a.checked_sub(*b),
            BinOp::Mul => a.checked_mul(*b),
            BinOp::Div => a.checked_div(*b),
        }
        .map(Value::Num),
        (Value::Date(a), Value::Date(b)) if op == BinOp::Sub => Some(Value::Num(Decimal::from(a.days_since(*b)))),
        // A date outside 0000..9999, or a day count beyond 64 bits, is missing.
        (Value::Date(a), Value::Num(days)) | (Value::Num(days), Value::Date(a)) => {
            let days = days.fract().is_zero().then(|| days.to_i64()).flatten();
            let signed = if op == BinOp::Sub { days.and_then(i64::checked_neg) } else { days };
            signed.and_then(|d| a.add_days(d)).map(Value::Date)
        }
        _ => None,
    };
    out.unwrap_or(Value::Missing)
}

// A 32-bit day number times 86,400 fits 64 bits.
#[allow(clippy::arithmetic_side_effects)]
pub fn order(l: &Value, r: &Value) -> Option<Ordering> {
    match (l, r) {
        (Value::Num(a), Value::Num(b)) => Some(a.cmp(b)),
        (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
        (Value::DateTime(a), Value::DateTime(b)) => Some(a.cmp(b)),
        (Value::DateTime(a), Value::Date(b)) => Some(a.cmp(&(i64::from(b.0) * 86_400))),
        (Value::Date(a), Value::DateTime(b)) => Some((i64::from(a.0) * 86_400).cmp(b)),
        (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Enum(a), Value::Enum(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn compare(op: CmpOp, l: &Value, r: &Value) -> bool {
    order(l, r).is_some_and(|o| op.holds(o))
}
