//! The summary a run with history or budgets adds: per dimension the migration
//! matrix (previous × now, customers and share of money) and the count of each
//! movement; per budget the amount each tier got. The stages themselves are
//! the library's (`tierlang::run`).

use std::fmt::Write as _;
use tierlang::compile::Program;
use tierlang::data::layout;
use tierlang::history::Movement;
use tierlang::number::Decimal;
use tierlang::run::OverTime;

/// The migration matrices, movement counts and budgets, as text and JSON.
pub(super) fn report(
    program: &Program,
    over_time: Option<&OverTime>,
    budgets: &[(tierlang::budget::Allocation, Vec<Option<usize>>)],
) -> (String, serde_json::Value) {
    let mut text = String::new();
    let mut json = serde_json::Map::new();
    if let Some((matrices, movements)) = over_time.map(|o| (&o.matrices, &o.movements)) {
        let mut dims = Vec::new();
        for (m, counts) in matrices.iter().zip(movements) {
            let _ = writeln!(text, "{}: previous \\ now (customers; share of money)", m.dimension);
            let all = m.new_tiers.iter().chain(&m.old_tiers);
            let width = all.map(|t| layout::width(t)).max().unwrap_or(0).max(8) + 2;
            let _ = writeln!(
                text,
                "  {}{}",
                layout::left("", width),
                m.new_tiers.iter().map(|t| layout::right(t, width)).collect::<String>()
            );
            for ((name, row), money) in m.old_tiers.iter().zip(&m.counts).zip(&m.money) {
                let cells: String = row
                    .iter()
                    .zip(money)
                    .map(|(c, v)| {
                        let share = if m.money_total.is_zero() {
                            Decimal::ZERO
                        } else {
                            *v * Decimal::from(100) / m.money_total
                        };
                        layout::right(&format!("{c} ({:.0}%)", share.round_dp(0)), width)
                    })
                    .collect();
                let _ = writeln!(text, "  {}{cells}", layout::left(name, width));
            }
            let kinds: Vec<String> = Movement::ALL
                .iter()
                .zip(counts)
                .filter(|(_, n)| **n > 0)
                .map(|(k, n)| format!("{} {n}", k.name()))
                .collect();
            let _ = writeln!(text, "  movements: {}\n", kinds.join(", "));
            let by_kind: serde_json::Map<String, serde_json::Value> =
                Movement::ALL.iter().zip(counts).map(|(k, n)| (k.name().to_string(), (*n).into())).collect();
            let money: Vec<Vec<serde_json::Value>> =
                m.money.iter().map(|r| r.iter().map(|v| tierlang::check::decimal_json(*v)).collect()).collect();
            dims.push(serde_json::json!({
                "dimension": m.dimension,
                "previous": m.old_tiers,
                "now": m.new_tiers,
                "counts": m.counts,
                "money": money,
                "movements": by_kind,
            }));
        }
        json.insert("history".into(), dims.into());
    }
    let mut out = Vec::new();
    for (b, (a, tiers_of)) in program.budgets.iter().zip(budgets) {
        let dim = &program.dimensions[b.dimension];
        let currency = b.currency.clone().unwrap_or_default();
        let _ = writeln!(text, "budget {}: {currency}{} over `{}`", b.name, a.total, dim.name);
        // Per tier: its customers, and the lowest and highest amount one got
        // (one amount unless odd cents differ), in one pass over the customers.
        let mut each: Vec<(usize, Option<Decimal>, Option<Decimal>)> = vec![(0, None, None); dim.tiers.len()];
        for (tier, amount) in tiers_of.iter().zip(&a.per_record) {
            if let Some((n, lo, hi)) = tier.and_then(|t| each.get_mut(t)) {
                *n += 1;
                // As `Iterator::min` and `max` pick among equal ones (1.0 and 1.00 print apart).
                *lo = Some(lo.filter(|l| *l <= *amount).unwrap_or(*amount));
                *hi = Some(hi.filter(|h| *h > *amount).unwrap_or(*amount));
            }
        }
        let mut tiers = Vec::new();
        for ((t, amount), &(n, lo, hi)) in a.per_tier.iter().enumerate().zip(&each) {
            let per = match (lo, hi) {
                (Some(l), Some(h)) if l == h => format!(" ({n} customers, {currency}{l} each)"),
                (Some(l), Some(h)) => format!(" ({n} customers, {currency}{l} to {currency}{h} each)"),
                _ => " (no customers)".to_string(),
            };
            let _ = writeln!(text, "  {} {currency}{amount}{per}", layout::left(&dim.tiers[t].name, 16));
            tiers.push(serde_json::json!({
                "tier": dim.tiers[t].name,
                "amount": tierlang::check::decimal_json(*amount),
                "customers": n,
                "per_customer_min": lo.map(tierlang::check::decimal_json),
                "per_customer_max": hi.map(tierlang::check::decimal_json),
            }));
        }
        if !a.unallocated.is_zero() {
            let _ = writeln!(
                text,
                "  {} {currency}{} (tiers with a share but no customers)",
                layout::left("unallocated", 16),
                a.unallocated
            );
        }
        let _ = writeln!(text);
        out.push(serde_json::json!({
            "budget": b.name,
            "total": tierlang::check::decimal_json(a.total),
            "tiers": tiers,
            "unallocated": tierlang::check::decimal_json(a.unallocated),
        }));
    }
    if !out.is_empty() {
        json.insert("budgets".into(), out.into());
    }
    (text, serde_json::Value::Object(json))
}
