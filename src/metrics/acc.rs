//! One customer's accumulator per aggregate: counts, exact sums (kept in
//! range by the sum of their terms' magnitudes), extremes, averages, and the
//! number of distinct values (the values themselves: [`super::distinct`]).

use super::distinct::Distinct;
use crate::check::AggKind;
use crate::compile::AggProgram;
use crate::eval::{order, Value};
use crate::number::Decimal;
use std::cmp::Ordering;

#[derive(Debug, Clone)]
pub(super) enum Acc {
    Count(u64),
    /// How many values the aggregation's [`Distinct`] holds for
    /// this accumulator, and the last one (skipped without a lookup).
    Distinct {
        count: u64,
        last: Value,
    },
    /// The sum and the sum of the magnitudes of its terms ([`crate::data::magnitude`]):
    /// while that is in range, no order of adding overflows.
    Sum(Decimal, u128),
    Extreme(Value),
    Avg(Decimal, u64, u128),
}

/// Adds `d` to a sum unless that may take it out of range (then it is
/// marked out of range for good: its result is missing, never a wrong number).
fn add_term(sum: &mut Decimal, magnitude: &mut u128, d: Decimal) {
    *magnitude = magnitude.saturating_add(crate::data::magnitude(d));
    if *magnitude <= crate::data::MAX_TOTAL {
        *sum = sum.checked_add(d).unwrap_or(*sum);
    }
}

/// Two partial sums as one.
fn add_sums(sum: &mut Decimal, magnitude: &mut u128, other: Decimal, other_magnitude: u128) {
    *magnitude = magnitude.saturating_add(other_magnitude);
    if *magnitude <= crate::data::MAX_TOTAL {
        *sum = sum.checked_add(other).unwrap_or(*sum);
    }
}

pub(super) fn empty(agg: &AggProgram) -> Acc {
    match agg.kind {
        AggKind::Count => Acc::Count(0),
        AggKind::CountDistinct => Acc::Distinct { count: 0, last: Value::Missing },
        AggKind::Sum => Acc::Sum(Decimal::ZERO, 0),
        AggKind::Min | AggKind::Max => Acc::Extreme(Value::Missing),
        AggKind::Avg => Acc::Avg(Decimal::ZERO, 0, 0),
    }
}

/// Missing values are skipped, as SQL aggregates skip NULL. `seen`: the
/// distinct values and this accumulator's index there.
pub(super) fn update(acc: &mut Acc, kind: AggKind, v: &Value, seen: (&mut Distinct, usize)) {
    match acc {
        Acc::Count(c) => *c += 1,
        Acc::Distinct { count, last } => {
            // Events of one invoice usually come together: skip the lookup then.
            if !matches!(v, Value::Missing) && v != last {
                *count += u64::from(seen.0.insert(seen.1, v));
                match (last, v) {
                    (Value::Text(l), Value::Text(t)) => {
                        l.clear();
                        l.push_str(t);
                    }
                    (last, _) => *last = v.clone(),
                }
            }
        }
        Acc::Sum(s, m) => {
            if let Value::Num(d) = v {
                add_term(s, m, *d);
            }
        }
        Acc::Extreme(best) => extreme(best, kind, v),
        Acc::Avg(s, n, m) => {
            if let Value::Num(d) = v {
                add_term(s, m, *d);
                *n += 1;
            }
        }
    }
}

/// `v` kept in `best` where it is the new minimum or maximum.
fn extreme(best: &mut Value, kind: AggKind, v: &Value) {
    let want = if kind == AggKind::Min { Ordering::Less } else { Ordering::Greater };
    if !matches!(v, Value::Missing) && (matches!(best, Value::Missing) || order(v, best) == Some(want)) {
        *best = v.clone();
    }
}

/// Two partial accumulators of one aggregate, as one (distinct values are
/// merged apart, by [`Distinct::merge`]).
pub(super) fn combine(acc: &mut Acc, other: Acc, kind: AggKind) {
    match (acc, other) {
        (Acc::Count(a), Acc::Count(b)) => *a += b,
        (Acc::Sum(a, ma), Acc::Sum(b, mb)) => add_sums(a, ma, b, mb),
        (Acc::Avg(s, n, ms), Acc::Avg(t, m, mt)) => {
            add_sums(s, ms, t, mt);
            *n += m;
        }
        (Acc::Extreme(best), Acc::Extreme(v)) => extreme(best, kind, &v),
        _ => {}
    }
}

pub(super) fn result(acc: Acc, agg: &AggProgram) -> Value {
    let count = |c: u64| {
        let c = Decimal::from(c);
        Value::Num(agg.rate_factor.map_or(c, |f| c * f))
    };
    match acc {
        Acc::Count(c) => count(c),
        Acc::Distinct { count: c, .. } => count(c),
        // Out of the decimal range: no value rather than a wrong one.
        Acc::Sum(_, m) | Acc::Avg(_, _, m) if m > crate::data::MAX_TOTAL => Value::Missing,
        Acc::Sum(s, _) => Value::Num(s),
        Acc::Extreme(v) => v,
        Acc::Avg(_, 0, _) => Value::Missing,
        Acc::Avg(s, n, _) => s.checked_div(Decimal::from(n)).map_or(Value::Missing, Value::Num),
    }
}
