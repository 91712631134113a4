//! Population functions as window functions over the customers kept, exactly
//! as src/metrics/population.rs computes them: customers whose argument is
//! missing are not ranked (and score missing); "customer order", which breaks
//! ties for `rank(ties: first)` and `top`, is the key's order.
//!
//! - `rank`: `ROW_NUMBER` (first), `RANK` (min), the count of values at or
//!   below (max), the mean of those two (average);
//! - `percentile`: the count at or below over the count;
//! - `top(x, s)`: the first ceil(s·n) by value, highest first, then by key;
//! - `quantile_score(x, q)`: pandas' `qcut` edges (the k/q quantile at position
//!   k·(n−1)/q of the sorted values, interpolated linearly) computed in one row
//!   from `ROW_NUMBER` positions with integer arithmetic only, then the first
//!   bucket whose upper edge reaches the value (buckets closed on the right).

use super::expr::Sql;
use super::{Dialect, SqlError};
use crate::check::{PopKind, Ties};
use crate::number::Decimal;

/// Pushes the CTE(s) computing population function `i` as column `__pI` over
/// `prev`; returns the name of the last.
pub(super) fn cte(s: &Sql, i: usize, prev: &str, out: &mut Vec<String>) -> Result<String, SqlError> {
    let p = &s.checked.populations[i];
    let v = s.value(&p.arg)?;
    let key = s.ident(&s.checked.fields[s.checked.key].column);
    let nn = format!("CASE WHEN {v} IS NULL THEN 1 ELSE 0 END");
    let over = |order: &str| format!("OVER (PARTITION BY {nn} ORDER BY {order})");
    // The count of values at or below this one (the default frame takes the ties).
    let at_or_below = format!("COUNT(*) {}", over(&v));
    let name = s.ident(&format!("__pop{i}"));
    let col = s.ident(&format!("__p{i}"));
    let value = match &p.kind {
        PopKind::Rank(Ties::First) => format!("ROW_NUMBER() {}", over(&format!("{v}, {key}"))),
        PopKind::Rank(Ties::Min) => format!("RANK() {}", over(&v)),
        PopKind::Rank(Ties::Max) => at_or_below,
        PopKind::Rank(Ties::Average) => format!("(RANK() {} + {at_or_below}) / 2.0", over(&v)),
        PopKind::Percentile => s.divide(&at_or_below, &format!("COUNT(*) OVER (PARTITION BY {nn})")),
        PopKind::Top(share) => {
            // ceil(share · n) in integers: share = m / 10^scale.
            let share = share.normalize();
            let unit = Decimal::from(10u64.pow(share.scale()));
            let m = share * unit;
            let n = format!("COUNT(*) OVER (PARTITION BY {nn})");
            let take =
                s.int_div(&format!("({} * {n} + {})", s.number(m), s.number(unit - Decimal::ONE)), &s.number(unit));
            let first = format!("ROW_NUMBER() {}", over(&format!("{v} DESC, {key}")));
            format!("CASE WHEN {first} <= {take} THEN TRUE ELSE FALSE END")
        }
        PopKind::QuantileScore { buckets, reversed } => {
            let q = *buckets;
            let score = |b: u32| if *reversed { q + 1 - b } else { b };
            if q <= 1 {
                format!("{}", score(1))
            } else {
                let edges = quantile_edges(s, i, &v, q, prev, out);
                let mut case = String::from("CASE");
                for k in 1..q {
                    case.push_str(&format!(" WHEN {v} <= {} THEN {}", s.ident(&format!("__e{i}_{k}")), score(k)));
                }
                let case = format!("{case} ELSE {} END", score(q));
                let cte = format!(
                    "{name} AS (\n  SELECT {prev}.*, CASE WHEN {v} IS NULL THEN NULL ELSE {case} END AS {col}\n  FROM {prev} CROSS JOIN {edges}\n)"
                );
                out.push(cte);
                return Ok(name);
            }
        }
    };
    out.push(format!(
        "{name} AS (\n  SELECT *, CASE WHEN {v} IS NULL THEN NULL ELSE {value} END AS {col}\n  FROM {prev}\n)"
    ));
    Ok(name)
}

/// CTEs giving one row with the inner edges `__eI_1 .. __eI_(q-1)` of the
/// quantile buckets of `v` over `prev`; returns the name of that row's CTE.
fn quantile_edges(s: &Sql, i: usize, v: &str, q: u32, prev: &str, out: &mut Vec<String>) -> String {
    let id = |n: &str| s.ident(n);
    let sorted = id(&format!("__sorted{i}"));
    let (val, pos, m) = (id("__v"), id("__pos"), id("__m"));
    out.push(format!(
        "{sorted} AS (\n  SELECT {v} AS {val}, ROW_NUMBER() OVER (ORDER BY {v}) - 1 AS {pos}, COUNT(*) OVER () - 1 AS {m}\n  FROM {prev}\n  WHERE {v} IS NOT NULL\n)"
    ));
    // Edge k lies at k·m/q: below it position lo (lo·q = k·m − rem), above lo + 1.
    let mut picks = Vec::new();
    let mut edges = Vec::new();
    for k in 1..q {
        let rem_of = s.modulo(&format!("{k} * {m}"), &q.to_string());
        let at = format!("({k} * {m} - {rem_of})");
        let (lo, hi, rem) = (id(&format!("__lo{k}")), id(&format!("__hi{k}")), id(&format!("__rem{k}")));
        picks.push(format!("MAX(CASE WHEN {pos} * {q} = {at} THEN {val} END) AS {lo}"));
        picks.push(format!("MAX(CASE WHEN ({pos} - 1) * {q} = {at} THEN {val} END) AS {hi}"));
        picks.push(format!("MAX({rem_of}) AS {rem}"));
        let between = s.divide(&format!("({hi} - {lo}) * {rem}"), &q.to_string());
        edges
            .push(format!("CASE WHEN {rem} = 0 THEN {lo} ELSE {lo} + {between} END AS {}", id(&format!("__e{i}_{k}"))));
    }
    let name = id(&format!("__edges{i}"));
    out.push(format!(
        "{name} AS (\n  SELECT {}\n  FROM (SELECT {}\n    FROM {sorted}) {}\n)",
        edges.join(",\n    "),
        picks.join(",\n      "),
        id("__picked")
    ));
    name
}

impl Sql<'_> {
    /// The remainder of integers (BigQuery has no `%`).
    pub fn modulo(&self, a: &str, b: &str) -> String {
        match self.dialect {
            Dialect::Bigquery => format!("MOD({a}, {b})"),
            _ => format!("({a}) % {b}"),
        }
    }

    /// Integer division of non-negative integers.
    pub fn int_div(&self, a: &str, b: &str) -> String {
        match self.dialect {
            Dialect::Sqlite | Dialect::Postgres => format!("({a} / {b})"),
            Dialect::Duckdb => format!("({a} // {b})"),
            Dialect::Spark => format!("({a} div {b})"),
            Dialect::Bigquery => format!("DIV({a}, {b})"),
        }
    }
}
