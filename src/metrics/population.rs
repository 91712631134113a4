//! Population functions over one column of values, in customer order.
//!
//! Exact (decimal arithmetic, one sort per call), with the semantics published
//! analyses use: `quantile_score` is pandas' `qcut` (edges at the k/n quantiles
//! with linear interpolation, intervals closed on the right, the lowest edge
//! included) and `rank(ties: first)` is pandas' `rank(method="first")` (ties in
//! customer order). Missing values are not ranked and score missing.

use crate::check::{PopKind, Ties};
use crate::eval::Value;
use crate::number::Decimal;

/// What a population function computed, for explanations.
#[derive(Debug, Clone, PartialEq)]
pub struct PopResult {
    /// How many customers were ranked (those with a value).
    pub n: usize,
    /// `quantile_score`: the bucket edges, lowest first (`buckets + 1` of them).
    pub edges: Vec<Decimal>,
    /// `top`: the lowest value inside the top share.
    pub threshold: Option<Decimal>,
}

/// The function's value for each customer of `column`, and what it computed.
pub fn compute(kind: &PopKind, column: &[Value]) -> (Vec<Value>, PopResult) {
    // Positions of the customers with a value, sorted by value then position.
    let mut sorted: Vec<(Decimal, usize)> = column
        .iter()
        .enumerate()
        .filter_map(|(i, v)| if let Value::Num(d) = v { Some((*d, i)) } else { None })
        .collect();
    sort_values(&mut sorted);
    let n = sorted.len();
    let mut out = vec![Value::Missing; column.len()];
    let mut result = PopResult { n, edges: Vec::new(), threshold: None };
    match kind {
        PopKind::Rank(ties) => {
            for (a, b) in groups(&sorted) {
                for (k, &(_, i)) in sorted[a..b].iter().enumerate() {
                    let rank = match ties {
                        Ties::First => Decimal::from(a + k + 1),
                        Ties::Min => Decimal::from(a + 1),
                        Ties::Max => Decimal::from(b),
                        Ties::Average => Decimal::from(a + 1 + b) / Decimal::TWO,
                    };
                    out[i] = Value::Num(rank);
                }
            }
        }
        PopKind::Percentile => {
            for (a, b) in groups(&sorted) {
                let share = Decimal::from(b) / Decimal::from(n);
                for &(_, i) in &sorted[a..b] {
                    out[i] = Value::Num(share);
                }
            }
        }
        PopKind::QuantileScore { buckets, reversed } => {
            let q = *buckets as usize;
            let values: Vec<Decimal> = sorted.iter().map(|(d, _)| *d).collect();
            result.edges = edges(&values, q);
            for &(v, i) in &sorted {
                // The first bucket whose upper edge reaches the value.
                let b = (1..=q).find(|&b| v <= result.edges[b]).unwrap_or(q);
                let score = if *reversed { q + 1 - b } else { b };
                out[i] = Value::Num(Decimal::from(score));
            }
        }
        PopKind::Top(share) => {
            let take = (share * Decimal::from(n)).ceil();
            let take = rust_decimal::prelude::ToPrimitive::to_usize(&take).unwrap_or(n).min(n);
            // Highest first; among equal values, the earlier customer first.
            let mut desc = sorted.clone();
            desc.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
            for (k, &(v, i)) in desc.iter().enumerate() {
                out[i] = Value::Bool(k < take);
                if k + 1 == take {
                    result.threshold = Some(v);
                }
            }
        }
    }
    (out, result)
}

/// Sorts `(value, position)` pairs by value, then position. Where every value
/// is an `i128` at the largest scale among them (almost always), they are
/// compared as those integers: a decimal comparison aligns scales every time.
fn sort_values(pairs: &mut Vec<(Decimal, usize)>) {
    let scale = pairs.iter().map(|(d, _)| d.scale()).max().unwrap_or(0);
    let key = |d: &Decimal| 10i128.checked_pow(scale - d.scale()).and_then(|p| d.mantissa().checked_mul(p));
    match pairs.iter().map(|&(d, i)| Some((key(&d)?, i, d))).collect::<Option<Vec<_>>>() {
        Some(mut keyed) => {
            keyed.sort_unstable_by_key(|&(k, i, _)| (k, i));
            pairs.clear();
            pairs.extend(keyed.into_iter().map(|(_, i, d)| (d, i)));
        }
        None => pairs.sort_unstable(),
    }
}

/// `[start, end)` of each run of equal values in `sorted`.
fn groups(sorted: &[(Decimal, usize)]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=sorted.len() {
        if i == sorted.len() || sorted[i].0 != sorted[start].0 {
            out.push((start, i));
            start = i;
        }
    }
    out
}

/// The `q + 1` edges of `q` quantile buckets of sorted `values`: the k/q
/// quantile lies at position k·(n−1)/q, between two neighbours when fractional.
fn edges(values: &[Decimal], q: usize) -> Vec<Decimal> {
    let n = values.len();
    if n == 0 {
        return vec![Decimal::ZERO; q + 1];
    }
    (0..=q)
        .map(|k| {
            let h = k * (n - 1);
            let (lo, rem) = (h / q, h % q);
            if rem == 0 {
                values[lo]
            } else {
                let frac = Decimal::from(rem) / Decimal::from(q);
                values[lo] + (values[lo + 1] - values[lo]) * frac
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Sorted as integers at a common scale or (where one does not fit)
        /// as decimals, the order is the decimals' order, then position's.
        #[test]
        fn values_sort_as_decimals_do(parts in proptest::collection::vec((any::<i64>(), 0u32..=28, any::<bool>()), 0..30)) {
            let mut pairs: Vec<(Decimal, usize)> = parts
                .iter()
                .enumerate()
                // Some 96-bit mantissas, so that the common scale overflows.
                .map(|(i, &(m, s, big))| (if big { Decimal::from_i128_with_scale(i128::from(m) << 30, s) } else { Decimal::new(m % 1000, s % 3) }, i))
                .collect();
            let mut want = pairs.clone();
            want.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
            sort_values(&mut pairs);
            prop_assert_eq!(pairs, want);
        }
    }

    fn nums(xs: &[i64]) -> Vec<Value> {
        xs.iter().map(|&x| Value::Num(Decimal::from(x))).collect()
    }

    fn ints(vs: &[Value]) -> Vec<String> {
        vs.iter()
            .map(|v| match v {
                Value::Num(d) => d.normalize().to_string(),
                Value::Bool(b) => b.to_string(),
                _ => "-".into(),
            })
            .collect()
    }

    #[test]
    fn rank_tie_rules_match_pandas() {
        // pandas: Series([3, 1, 3, 2]).rank(method=...)
        let col = nums(&[3, 1, 3, 2]);
        assert_eq!(ints(&compute(&PopKind::Rank(Ties::First), &col).0), ["3", "1", "4", "2"]);
        assert_eq!(ints(&compute(&PopKind::Rank(Ties::Average), &col).0), ["3.5", "1", "3.5", "2"]);
        assert_eq!(ints(&compute(&PopKind::Rank(Ties::Min), &col).0), ["3", "1", "3", "2"]);
        assert_eq!(ints(&compute(&PopKind::Rank(Ties::Max), &col).0), ["4", "1", "4", "2"]);
    }

    #[test]
    fn quantile_score_matches_qcut() {
        // pandas.qcut([1..10], 4, labels=False) + 1 == [1,1,1,2,2,3,3,4,4,4]
        let col = nums(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        let (v, r) = compute(&PopKind::QuantileScore { buckets: 4, reversed: false }, &col);
        assert_eq!(ints(&v), ["1", "1", "1", "2", "2", "3", "3", "4", "4", "4"]);
        let e: Vec<String> = r.edges.iter().map(|d| d.normalize().to_string()).collect();
        assert_eq!(e, ["1", "3.25", "5.5", "7.75", "10"]);
        let (rev, _) = compute(&PopKind::QuantileScore { buckets: 4, reversed: true }, &col);
        assert_eq!(ints(&rev), ["4", "4", "4", "3", "3", "2", "2", "1", "1", "1"]);
    }

    #[test]
    fn missing_values_are_not_ranked() {
        let col = vec![Value::Num(Decimal::from(5)), Value::Missing, Value::Num(Decimal::ONE)];
        let (v, r) = compute(&PopKind::Rank(Ties::First), &col);
        assert_eq!(ints(&v), ["2", "-", "1"]);
        assert_eq!(r.n, 2);
    }

    #[test]
    fn top_share_takes_the_ceiling_ties_in_order() {
        // 5 customers, top 20% = 1; two share the highest value: the first wins.
        let col = nums(&[7, 9, 9, 1, 2]);
        let (v, r) = compute(&PopKind::Top(Decimal::new(2, 1)), &col);
        assert_eq!(ints(&v), ["false", "true", "false", "false", "false"]);
        assert_eq!(r.threshold, Some(Decimal::from(9)));
        let (v, _) = compute(&PopKind::Top(Decimal::new(5, 1)), &col);
        assert_eq!(ints(&v), ["true", "true", "true", "false", "false"]);
    }

    #[test]
    fn percentile_is_the_share_at_or_below() {
        let col = nums(&[10, 20, 20, 40]);
        let (v, _) = compute(&PopKind::Percentile, &col);
        assert_eq!(ints(&v), ["0.25", "0.75", "0.75", "1"]);
    }
}
