//! Budgets in SQL, to the cent as `crate::budget::allocate` splits them, with
//! the customers in key order (the evaluator's input order: for the same
//! split, feed `tier apply` its customers sorted by key).
//!
//! Shares: each tier's cents are constants (the largest-remainder split of the
//! amount over the tiers, computed here by `allocate` itself); within a tier
//! `cents / n` each, the first `cents mod n` customers one more. Weights: with
//! integer weights `w` (the policy's, scaled), a customer's exact share is
//! `T·w / Σw` cents: the floor, plus one cent for the `T − Σfloor` largest
//! remainders `T·w mod Σw` (ties: key order). Gone rows get 0.

use super::expr::Sql;
use super::SqlError;
use crate::number::Decimal;

/// Pushes the CTE(s) computing budget `i` as `__bI` over `prev`; returns the
/// last one's name.
pub(super) fn ctes(s: &Sql, i: usize, prev: &str, history: bool, out: &mut Vec<String>) -> Result<String, SqlError> {
    let b = &s.checked.budgets[i];
    let dim = &s.checked.dimensions[b.dimension];
    let id = |n: String| s.ident(&n);
    let tier = id(format!("__d{}", b.dimension));
    let key = s.ident(&s.checked.fields[s.checked.key].name);
    let gone = if history { id("__gone".into()) } else { "0".into() };
    let cent = s.number(Decimal::new(1, 2));
    // Per tier a whole number: its cents (shares) or its scaled weight.
    let per_tier: Vec<i64> = if b.by_weight {
        let scale = b.parts.iter().map(|p| p.normalize().scale()).max().unwrap_or(0);
        let unit = Decimal::from(10i64.pow(scale));
        b.parts.iter().map(|p| rust_decimal::prelude::ToPrimitive::to_i64(&(*p * unit)).unwrap_or(0)).collect()
    } else {
        let one_each: Vec<Option<usize>> = (0..b.parts.len()).map(Some).collect();
        let split = crate::budget::allocate(b, &one_each)
            .map_err(|m| s.unsupported(&m, "budgets are split in whole cents (at most 92,233,720,368,547,758.07)"))?;
        split.per_record.iter().map(|c| cents(*c)).collect()
    };
    let mut by_tier = format!("(CASE WHEN {gone} = 1 THEN 0");
    for (t, v) in dim.tiers.iter().zip(&per_tier) {
        by_tier.push_str(&format!(" WHEN {tier} = {} THEN {v}", s.text(&t.name)));
    }
    by_tier.push_str(" ELSE 0 END)");
    let name = id(format!("__budget{i}"));
    let col = id(format!("__b{i}"));
    if !b.by_weight {
        let part = format!("PARTITION BY {gone}, {tier}");
        let n = format!("COUNT(*) OVER ({part})");
        let k = format!("(ROW_NUMBER() OVER ({part} ORDER BY {key}) - 1)");
        let cents = format!(
            "CASE WHEN {tier} IS NULL THEN 0 ELSE {} + CASE WHEN {k} < {} THEN 1 ELSE 0 END END",
            s.int_div(&by_tier, &n),
            s.modulo(&by_tier, &n)
        );
        out.push(format!("{name} AS (\n  SELECT *, ({cents}) * {cent} AS {col}\n  FROM {prev}\n)"));
        return Ok(name);
    }
    let total = cents(b.amount);
    let (w, sum, floor, rem) =
        (id(format!("__w{i}")), id(format!("__ws{i}")), id(format!("__wf{i}")), id(format!("__wr{i}")));
    let weights = id(format!("__weights{i}"));
    out.push(format!(
        "{weights} AS (\n  SELECT *, {by_tier} AS {w}, SUM({by_tier}) OVER () AS {sum}\n  FROM {prev}\n)"
    ));
    let floors = id(format!("__floors{i}"));
    out.push(format!(
        "{floors} AS (\n  SELECT *, CASE WHEN {sum} = 0 THEN 0 ELSE {} END AS {floor}, CASE WHEN {sum} = 0 THEN 0 ELSE {} END AS {rem}\n  FROM {weights}\n)",
        s.int_div(&format!("{total} * {w}"), &sum),
        s.modulo(&format!("{total} * {w}"), &sum)
    ));
    let extra = format!(
        "CASE WHEN {sum} > 0 AND {gone} = 0 AND ROW_NUMBER() OVER (PARTITION BY {gone} ORDER BY {rem} DESC, {key}) <= {total} - SUM({floor}) OVER () THEN 1 ELSE 0 END"
    );
    out.push(format!("{name} AS (\n  SELECT *, ({floor} + {extra}) * {cent} AS {col}\n  FROM {floors}\n)"));
    Ok(name)
}

fn cents(d: Decimal) -> i64 {
    rust_decimal::prelude::ToPrimitive::to_i64(&(d * Decimal::ONE_HUNDRED).round()).unwrap_or(0)
}
