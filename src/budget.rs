//! Budgets: an amount split over one dimension's tiers, then over the customers
//! in each, in cents, so that the amounts handed out add up exactly.
//!
//! Shares: tier t gets `amount × share_t`; the tier amounts are rounded to cents
//! by the largest-remainder method (ties: the better tier), so they add up to
//! the amount rounded to cents; a tier's cents are split evenly over its
//! customers, the first customers (in input order) getting the odd cents. A tier
//! with a share but no customers leaves its amount unallocated, and says so.
//! Weights: each customer gets `amount × w / Σw` over all customers, rounded the
//! same way across customers (ties: input order).

use crate::check::BudgetInfo;
use crate::number::Decimal;

#[derive(Debug, Clone, PartialEq)]
pub struct Allocation {
    /// Per record, in input order.
    pub per_record: Vec<Decimal>,
    /// Per tier of the budget's dimension, then "no tier".
    pub per_tier: Vec<Decimal>,
    /// What no customer received (a tier with a share but nobody in it).
    pub unallocated: Decimal,
    /// The amount in cents: `per_record` and `unallocated` add up to it.
    pub total: Decimal,
}

/// Splits `budget` over records whose tier in its dimension is `tiers[i]`;
/// `Err` says why it cannot be split exactly (an amount or weights out of range).
pub fn allocate(budget: &BudgetInfo, tiers: &[Option<usize>]) -> Result<Allocation, String> {
    let n_tiers = budget.parts.len();
    let out_of_range = || format!("budget `{}`: {} is out of range to split to the cent", budget.name, budget.amount);
    let total_cents = cents(budget.amount).ok_or_else(out_of_range)?;
    let mut per_record = vec![0i64; tiers.len()];
    let mut unallocated = 0i64;
    if budget.by_weight {
        let weight = |t: &Option<usize>| t.map_or(Decimal::ZERO, |t| budget.parts[t]);
        let sum = tiers.iter().map(weight).try_fold(Decimal::ZERO, Decimal::checked_add).ok_or_else(out_of_range)?;
        if sum.is_zero() {
            unallocated = total_cents;
        } else {
            let share = |t| Decimal::from(total_cents).checked_mul(weight(t))?.checked_div(sum);
            let exact: Option<Vec<Decimal>> = tiers.iter().map(share).collect();
            per_record = largest_remainder(&exact.ok_or_else(out_of_range)?, total_cents);
        }
    } else {
        let exact: Option<Vec<Decimal>> =
            budget.parts.iter().map(|s| Decimal::from(total_cents).checked_mul(*s)).collect();
        let exact = exact.ok_or_else(out_of_range)?;
        let tier_cents = largest_remainder(&exact, total_cents);
        for (t, &c) in tier_cents.iter().enumerate() {
            let members: Vec<usize> = (0..tiers.len()).filter(|&i| tiers[i] == Some(t)).collect();
            if members.is_empty() {
                unallocated += c;
                continue;
            }
            let n = members.len() as i64;
            for (k, &i) in members.iter().enumerate() {
                per_record[i] = c / n + i64::from((k as i64) < c % n);
            }
        }
    }
    let mut per_tier = vec![Decimal::ZERO; n_tiers + 1];
    for (i, &c) in per_record.iter().enumerate() {
        per_tier[tiers[i].unwrap_or(n_tiers)] += from_cents(c);
    }
    Ok(Allocation {
        per_record: per_record.into_iter().map(from_cents).collect(),
        per_tier,
        unallocated: from_cents(unallocated),
        total: from_cents(total_cents),
    })
}

/// The amount in whole cents, if an `i64` holds it.
fn cents(d: Decimal) -> Option<i64> {
    let c = d.checked_mul(Decimal::from(100))?.round();
    rust_decimal::prelude::ToPrimitive::to_i64(&c)
}

fn from_cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

/// Whole cents for each exact amount, adding up to `total`: floors, then one more
/// cent to the largest fractions (ties: the earlier).
fn largest_remainder(exact: &[Decimal], total: i64) -> Vec<i64> {
    let mut out: Vec<i64> = exact.iter().map(|e| cents_floor(*e)).collect();
    let mut left = total - out.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..exact.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    for &i in order.iter().cycle().take(exact.len().max(1) * 2) {
        if left <= 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

fn cents_floor(e: Decimal) -> i64 {
    let f = e.floor();
    rust_decimal::prelude::ToPrimitive::to_i64(&f).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(amount: &str, by_weight: bool, parts: &[&str]) -> BudgetInfo {
        BudgetInfo {
            name: "b".into(),
            amount: amount.parse().unwrap(),
            currency: None,
            period: None,
            dimension: 0,
            by_weight,
            parts: parts.iter().map(|p| p.parse().unwrap()).collect(),
            span: 0..0,
        }
    }

    #[test]
    fn shares_split_to_the_cent_with_odd_cents_to_the_first_customers() {
        // 100.00 at 50/30/20 over tiers with 3, 1 and 0 customers.
        let b = budget("100", false, &["0.5", "0.3", "0.2"]);
        let a = allocate(&b, &[Some(0), Some(1), Some(0), Some(0), None]).unwrap();
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(a.per_record, [d("16.67"), d("30.00"), d("16.67"), d("16.66"), d("0.00")]);
        assert_eq!(a.unallocated, d("20.00"));
        assert_eq!(a.per_record.iter().copied().sum::<Decimal>() + a.unallocated, a.total);
    }

    #[test]
    fn thirds_of_a_cent_still_add_up() {
        let b = budget("0.10", false, &["0.3333", "0.3333", "0.3334"]);
        let a = allocate(&b, &[Some(0), Some(1), Some(2)]).unwrap();
        assert_eq!(a.per_record.iter().copied().sum::<Decimal>(), a.total);
    }

    proptest::proptest! {
        /// Whatever the amount, shares or weights and tiers: the amounts handed
        /// out and the unallocated rest add up to the amount in cents, and none
        /// is negative.
        #[test]
        fn allocations_add_up_to_the_cent(
            cents in 1i64..10_000_000,
            parts in proptest::collection::vec(0u32..1000, 1..5),
            tiers in proptest::collection::vec(proptest::option::of(0usize..5), 0..40),
            by_weight: bool,
        ) {
            let n = parts.len();
            let tiers: Vec<Option<usize>> = tiers.into_iter().map(|t| t.filter(|&t| t < n)).collect();
            let sum: u32 = parts.iter().sum::<u32>().max(1);
            // Shares: the parts scaled to add up to exactly 1 (the last takes the rest).
            let mut shares: Vec<Decimal> = parts.iter().map(|&p| Decimal::new(i64::from(p) * 1000 / i64::from(sum), 3)).collect();
            let rest = Decimal::ONE - shares.iter().copied().sum::<Decimal>();
            shares[n - 1] += rest;
            let b = BudgetInfo {
                name: "b".into(),
                amount: Decimal::new(cents, 2),
                currency: None,
                period: None,
                dimension: 0,
                by_weight,
                parts: if by_weight { parts.iter().map(|&p| Decimal::from(p)).collect() } else { shares },
                span: 0..0,
            };
            let a = allocate(&b, &tiers).unwrap();
            proptest::prop_assert_eq!(a.per_record.iter().copied().sum::<Decimal>() + a.unallocated, a.total);
            proptest::prop_assert!(a.per_record.iter().all(|c| !c.is_sign_negative()));
            proptest::prop_assert_eq!(a.per_tier.iter().copied().sum::<Decimal>(), a.total - a.unallocated);
        }
    }

    #[test]
    fn weights_split_over_customers() {
        // Weights 2, 1, 1 (tiers 0, 1, 1) of 10.00: 5.00, 2.50, 2.50.
        let b = budget("10", true, &["2", "1"]);
        let a = allocate(&b, &[Some(0), Some(1), Some(1)]).unwrap();
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(a.per_record, [d("5.00"), d("2.50"), d("2.50")]);
        // 1.00 over three equal weights: 0.34, 0.33, 0.33.
        let b = budget("1", true, &["1"]);
        let a = allocate(&b, &[Some(0), Some(0), Some(0)]).unwrap();
        assert_eq!(a.per_record, [d("0.34"), d("0.33"), d("0.33")]);
    }
}
