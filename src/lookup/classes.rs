//! A term's classes: the sorted constants it is compared with (numbers as
//! integer keys where they fit) or the values it is listed against, and the
//! one representative value per class the table is filled with.

use crate::eval::{order, Value};
use crate::number::Decimal;
use std::cmp::Ordering;

#[derive(Debug, Clone)]
pub(super) enum Classes {
    /// Sorted distinct constants: classes are missing, then below, at, between…, above.
    /// For numbers, the constants also as integer keys (see [`key`]).
    Ordered(Vec<Value>, Option<Keys>),
    /// Listed values: classes are missing, each value, anything else.
    Discrete(Vec<Value>),
}

/// Numbers compared as integers: `2 * floor(v * 10^scale)`, plus one when `v`
/// has digits beyond `scale`. With `scale` the largest scale among the cuts, a
/// value's key orders against a cut's key exactly as the decimals do, and an
/// integer comparison is several times cheaper than a decimal one.
#[derive(Debug, Clone)]
pub(super) struct Keys {
    pub(super) scale: u32,
    cuts: Vec<i128>,
    /// The same keys when they all fit an `i64`, for the batch loop.
    pub(super) cuts64: Option<Vec<i64>>,
}

/// [`key`] in 64-bit arithmetic, for values whose mantissa fits: reads the
/// decimal's parts without building an `i128` (`None`: use [`key`]).
#[inline]
pub(super) fn key64(d: &Decimal, scale: u32) -> Option<i64> {
    key64_parts(i64::try_from(d.mantissa()).ok()?, d.scale(), scale)
}

/// [`key64`] of the decimal with mantissa `m` and scale `s`.
#[inline]
pub(super) fn key64_parts(m: i64, s: u32, scale: u32) -> Option<i64> {
    if s > scale {
        return None;
    }
    m.checked_mul(i64::try_from(*POW10.get((scale - s) as usize)?).ok()? * 2)
}

fn key(d: &Decimal, scale: u32) -> Option<i128> {
    let (m, s) = (d.mantissa(), d.scale());
    if s <= scale {
        let p = *POW10.get((scale - s) as usize)?;
        if scale - s <= 9 {
            // |m| < 2^96 and 2 * 10^9 < 2^31: the product fits, no overflow check.
            Some(m.wrapping_mul(p * 2))
        } else {
            m.checked_mul(p)?.checked_mul(2)
        }
    } else {
        let p = *POW10.get((s - scale) as usize)?;
        m.div_euclid(p).checked_mul(2)?.checked_add(i128::from(m.rem_euclid(p) != 0))
    }
}

const POW10: [i128; 29] = {
    let mut t = [1i128; 29];
    let mut i = 1;
    while i < 29 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Data with up to this many decimals takes the multiply path of [`key`] (no
/// 128-bit division); the mantissa still fits: 7.9e28 × 10^6 < 1.7e38.
const KEY_SCALE: u32 = 6;

/// The class of key `k` among sorted cut keys: 1 + 2 per cut below it, + 1 if
/// it is at one. Cuts are few, so one branch-free pass beats a binary search.
pub(super) fn key_class<T: PartialOrd + Copy>(cuts: &[T], k: T) -> u32 {
    let mut class = 1;
    for &c in cuts {
        class += 2 * u32::from(c < k) + u32::from(c == k);
    }
    class
}

impl Keys {
    pub(super) fn new(cuts: &[Value]) -> Option<Keys> {
        let nums: Vec<&Decimal> =
            cuts.iter().map(|c| if let Value::Num(d) = c { Some(d) } else { None }).collect::<Option<_>>()?;
        let scale = nums.iter().map(|d| d.scale()).max().unwrap_or(0).max(KEY_SCALE);
        let cuts: Vec<i128> = nums.iter().map(|d| key(d, scale)).collect::<Option<_>>()?;
        let cuts64 = cuts.iter().map(|&c| i64::try_from(c).ok()).collect();
        Some(Keys { scale, cuts, cuts64 })
    }
}

impl Classes {
    pub(super) fn count(&self) -> usize {
        match self {
            Classes::Ordered(cuts, _) => 2 * cuts.len() + 2,
            Classes::Discrete(values) => values.len() + 2,
        }
    }

    pub(super) fn class(&self, v: &Value) -> usize {
        match (self, v) {
            (_, Value::Missing) => 0,
            (Classes::Ordered(_, Some(keys)), Value::Num(d)) => match key(d, keys.scale) {
                Some(k) => key_class(&keys.cuts, k) as usize,
                None => self.class_by_order(v),
            },
            _ => self.class_by_order(v),
        }
    }

    fn class_by_order(&self, v: &Value) -> usize {
        match self {
            Classes::Ordered(cuts, _) => {
                let p = cuts.partition_point(|c| order(c, v) == Some(Ordering::Less));
                match cuts.get(p).map(|c| order(c, v)) {
                    Some(Some(Ordering::Equal)) => 2 + 2 * p,
                    _ => 1 + 2 * p,
                }
            }
            Classes::Discrete(values) => {
                values.iter().position(|x| order(x, v) == Some(Ordering::Equal)).map_or(values.len() + 1, |i| i + 1)
            }
        }
    }

    /// A value of the class, `None` when the class is empty.
    pub(super) fn representative(&self, class: usize) -> Option<Value> {
        if class == 0 {
            return Some(Value::Missing);
        }
        match self {
            Classes::Ordered(cuts, _) => {
                let p = (class - 1) / 2;
                if class.is_multiple_of(2) {
                    return cuts.get(p).cloned();
                }
                let (lo, hi) = (p.checked_sub(1).and_then(|i| cuts.get(i)), cuts.get(p));
                between(lo, hi)
            }
            Classes::Discrete(values) => match values.get(class - 1) {
                Some(v) => Some(v.clone()),
                None => other_than(values),
            },
        }
    }
}

/// A value strictly between two cuts (either may be open).
fn between(lo: Option<&Value>, hi: Option<&Value>) -> Option<Value> {
    match (lo, hi) {
        (None, None) => Some(Value::Num(Decimal::ZERO)),
        (None, Some(h)) => step(h, false, false),
        (Some(l), None) => step(l, true, false),
        (Some(l), Some(h)) => inside(l, h, false),
    }
}

/// The value just past a cut (up) or before it, in the field's kind (`integer`:
/// whole numbers only). Shared with `regions`.
pub(crate) fn step(c: &Value, up: bool, integer: bool) -> Option<Value> {
    match c {
        // None past the ends of the number and date ranges: there is no value there.
        Value::Num(d) if integer => {
            if up { d.floor().checked_add(Decimal::ONE) } else { d.ceil().checked_sub(Decimal::ONE) }.map(Value::Num)
        }
        Value::Num(d) => {
            let one = Decimal::ONE;
            (if up { d.checked_add(one) } else { d.checked_sub(one) }).map(Value::Num)
        }
        Value::Date(d) => d.add_days(if up { 1 } else { -1 }).map(Value::Date),
        _ => None,
    }
}

/// A value strictly between two cuts, `None` when there is none of the kind.
pub(crate) fn inside(lo: &Value, hi: &Value, integer: bool) -> Option<Value> {
    match (lo, hi) {
        (Value::Num(l), Value::Num(h)) if integer => {
            let v = l.floor().checked_add(Decimal::ONE)?;
            (v < *h).then_some(Value::Num(v))
        }
        (Value::Num(l), Value::Num(h)) => {
            // Halves first when the sum would leave the number range.
            let mid = l.checked_add(*h).map_or(*l / Decimal::TWO + *h / Decimal::TWO, |s| s / Decimal::TWO);
            (mid > *l && mid < *h).then_some(Value::Num(mid))
        }
        (Value::Date(l), Value::Date(h)) => (h.days_since(*l) > 1).then(|| l.add_days(1).map(Value::Date)).flatten(),
        _ => None,
    }
}

/// A value of the same kind equal to none of `values` (`None`: there is none).
fn other_than(values: &[Value]) -> Option<Value> {
    match values.first() {
        None => Some(Value::Text("\u{0}other".into())),
        Some(Value::Text(_)) => Some(Value::Text("\u{0}other".into())),
        Some(Value::Bool(_)) => [true, false].into_iter().map(Value::Bool).find(|b| !values.contains(b)),
        // Enum values outside the listed ones: the caller lists the whole enum.
        _ => None,
    }
}
