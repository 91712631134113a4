//! The run summary: per dimension and tier, how many records and how much of each
//! money field they hold, the Pareto curve of the first money field (the 80/20
//! view), and the row (and event) accounting.
//!
//! The parallel CSV path streams and keeps no per-record values, so it reports
//! the first money field per tier only; the other paths (which hold or can hold
//! the records) report every money field and the Pareto points.
//!
//! Totals are exact decimals, so they have a range ([`Decimal::MAX`], about
//! 7.9e28). Beside each money field's sums the summary keeps the sum of the
//! values' magnitudes (whole units, rounded up): while that is in range no sum
//! of any subset in any order can overflow, whatever the signs. A record that
//! would take it out of range does not fit the run ([`Summary::fits`]): the
//! plain paths reject it, the parallel path hands the run to the plain path.

use super::layout;
use super::{DataError, Location};
use crate::check::Ty;
use crate::compile::Program;
use crate::eval::{Decision, Value};
use crate::number::Decimal;
use std::fmt::Write;

#[derive(Debug, Clone)]
pub struct Summary {
    /// The money field summed per tier, if the schema has one.
    pub money_field: Option<usize>,
    /// Per dimension: `(count, money)` per tier, then one entry for "no tier".
    pub tiers: Vec<Vec<(u64, Decimal)>>,
    pub read: u64,
    pub written: u64,
    pub rejected: u64,
    /// Further money fields: per field, per dimension, per tier (and "no tier").
    pub more_money: Vec<(usize, Vec<Vec<Decimal>>)>,
    /// Every record's value of the first money field, for the Pareto points
    /// (`None` on the streaming path).
    pub values: Option<Vec<Decimal>>,
    /// Event accounting, for runs over an event log.
    pub events: Option<crate::metrics::EventCounts>,
    /// Customers left out of the population (`population where`), when metrics run.
    pub excluded: u64,
    /// Per money field (the first, then `more_money`'s): the sum of the
    /// magnitudes of the values added, in whole units rounded up, saturating.
    pub magnitudes: Vec<u128>,
}

/// The error for a record whose money field in `slot` does not fit the run's
/// totals ([`Summary::fits`]).
pub fn out_of_range(program: &Program, slot: usize, at: Location, values: &[Value]) -> DataError {
    let f = &program.fields[slot];
    let value = match values.get(slot) {
        Some(Value::Num(d)) => d.to_string(),
        _ => String::new(),
    };
    DataError::BadValue {
        at,
        column: f.column.clone(),
        value,
        expected: format!("an amount the total of `{}` can hold", f.name),
        help: "totals are exact while the magnitudes of a money field's values add up to at most \
               79,228,162,514,264,337,593,543,950,335; use a larger unit (thousands, millions) or split the input"
            .into(),
    }
}

/// The largest magnitude a total can have.
pub(crate) const MAX_TOTAL: u128 = 79_228_162_514_264_337_593_543_950_335;

/// `|d|` in whole units, rounded up.
pub(crate) fn magnitude(d: Decimal) -> u128 {
    // |d| ≤ Decimal::MAX < u128::MAX: the mantissa over 10^scale, rounded up.
    let m = d.mantissa().unsigned_abs();
    // This runs for every record: most amounts fit 64 bits and have a few
    // decimals, where dividing by a constant is a multiplication.
    let Ok(small) = u64::try_from(m) else { return m.div_ceil(10u128.pow(d.scale())) };
    u128::from(match d.scale() {
        0 => small,
        1 => small.div_ceil(10),
        2 => small.div_ceil(100),
        3 => small.div_ceil(1000),
        4 => small.div_ceil(10_000),
        s => 10u64.checked_pow(s).map_or(u64::from(small > 0), |unit| small.div_ceil(unit)),
    })
}

/// Sums that cannot overflow: `None` when out of range.
fn checked_sum(values: impl IntoIterator<Item = Decimal>) -> Option<Decimal> {
    values.into_iter().try_fold(Decimal::ZERO, Decimal::checked_add)
}

/// The shares of the top 1/5/10/20/50% of records (Pareto points).
pub const PARETO: [u32; 5] = [1, 5, 10, 20, 50];

impl Summary {
    pub fn new(program: &Program) -> Self {
        let money: Vec<usize> = (0..program.fields.len()).filter(|&i| program.fields[i].ty == Ty::Money).collect();
        let per_tier = || program.dimensions.iter().map(|d| vec![Decimal::ZERO; d.tiers.len() + 1]).collect();
        Summary {
            money_field: money.first().copied(),
            tiers: program.dimensions.iter().map(|d| vec![(0, Decimal::ZERO); d.tiers.len() + 1]).collect(),
            read: 0,
            written: 0,
            rejected: 0,
            more_money: money.iter().skip(1).map(|&m| (m, per_tier())).collect(),
            values: None,
            events: None,
            excluded: 0,
            magnitudes: vec![0; money.len()],
        }
    }

    /// A summary that keeps each record's money value for the Pareto points.
    pub fn with_values(program: &Program) -> Self {
        Summary { values: Some(Vec::new()), ..Summary::new(program) }
    }

    /// Adds the counts of another part of the same run.
    pub fn merge(&mut self, other: &Summary) {
        self.read += other.read;
        self.written += other.written;
        self.rejected += other.rejected;
        self.excluded += other.excluded;
        for (a, b) in self.magnitudes.iter_mut().zip(&other.magnitudes) {
            *a = a.saturating_add(*b);
        }
        for (mine, theirs) in self.tiers.iter_mut().zip(&other.tiers) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                a.0 += b.0;
                a.1 = a.1.checked_add(b.1).unwrap_or(a.1); // exact while `out_of_range` is None
            }
        }
    }

    /// The slots of the money fields, in the order of `magnitudes`.
    fn money_slots(&self) -> impl Iterator<Item = usize> + '_ {
        self.money_field.into_iter().chain(self.more_money.iter().map(|(f, _)| *f))
    }

    /// Whether a record's money values can be added without taking a total out
    /// of range; `Err` holds the slot of the first field that cannot.
    pub fn fits(&self, values: &[Value]) -> Result<(), usize> {
        for (slot, sum) in self.money_slots().zip(&self.magnitudes) {
            if let Some(Value::Num(d)) = values.get(slot) {
                if sum.saturating_add(magnitude(*d)) > MAX_TOTAL {
                    return Err(slot);
                }
            }
        }
        Ok(())
    }

    /// The slot of the first money field whose totals went out of range (only
    /// when records were added without [`Summary::fits`]: the parallel path).
    pub fn out_of_range(&self) -> Option<usize> {
        self.money_slots().zip(&self.magnitudes).find(|(_, &m)| m > MAX_TOTAL).map(|(slot, _)| slot)
    }

    pub fn add(&mut self, values: &[Value], decisions: &[Decision]) {
        let money = self.money_field.and_then(|i| values.get(i)).unwrap_or(&Value::Missing);
        self.add_money(money, decisions);
        if let (Some(all), Value::Num(d)) = (self.values.as_mut(), money) {
            all.push(*d);
        }
        for ((field, dims), sum) in self.more_money.iter_mut().zip(self.magnitudes.iter_mut().skip(1)) {
            let Some(Value::Num(m)) = values.get(*field) else { continue };
            *sum = sum.saturating_add(magnitude(*m));
            for (sums, d) in dims.iter_mut().zip(decisions) {
                let i = d.tier.unwrap_or(sums.len() - 1);
                if let Some(s) = sums.get_mut(i) {
                    *s = s.checked_add(*m).unwrap_or(*s);
                }
            }
        }
    }

    /// `(percent of records, share of the money total)` for the top 1/5/10/20/50%
    /// of records by the first money field, when the values were kept.
    pub fn pareto(&self) -> Option<Vec<(u32, Decimal)>> {
        let mut values = self.values.clone()?;
        values.sort_unstable_by(|a, b| b.cmp(a));
        let total = checked_sum(values.iter().copied())?;
        if values.is_empty() || total <= Decimal::ZERO {
            return None;
        }
        let n = values.len() as u64;
        PARETO
            .iter()
            .map(|&p| {
                // The top p% is ceil(p·n/100) records.
                let k = (u64::from(p) * n).div_ceil(100) as usize;
                let top = checked_sum(values[..k.min(values.len())].iter().copied())?;
                Some((p, top.checked_div(total)?))
            })
            .collect()
    }

    /// [`Summary::add`] given the record's money value alone.
    pub fn add_money(&mut self, money: &Value, decisions: &[Decision]) {
        self.written += 1;
        let money = match money {
            Value::Num(d) => *d,
            _ => Decimal::ZERO,
        };
        if let Some(sum) = self.magnitudes.first_mut() {
            *sum = sum.saturating_add(magnitude(money));
        }
        for (counts, d) in self.tiers.iter_mut().zip(decisions) {
            let i = d.tier.unwrap_or(counts.len() - 1);
            if let Some(c) = counts.get_mut(i) {
                c.0 += 1;
                c.1 = c.1.checked_add(money).unwrap_or(c.1);
            }
        }
    }

    /// A plain-text table for stderr.
    pub fn render(&self, program: &Program) -> String {
        let mut out = String::new();
        let money_name = self.money_field.map(|i| program.fields[i].name.as_str());
        for (dim, (d, counts)) in program.dimensions.iter().zip(&self.tiers).enumerate() {
            let total: u64 = counts.iter().map(|c| c.0).sum();
            let total_money = checked_sum(counts.iter().map(|c| c.1)).unwrap_or_default();
            // The first column fits the longest tier name.
            let w =
                d.tiers.iter().map(|t| layout::width(&t.name)).chain([layout::width(&d.name), 16]).max().unwrap_or(16);
            let _ = write!(out, "{} {:>9} {:>7}", layout::left(&d.name, w), "count", "share");
            if let Some(m) = money_name {
                let _ = write!(out, " {} {:>7}", layout::right(m, 20), "share");
            }
            for (field, _) in &self.more_money {
                let _ = write!(out, " {} {:>7}", layout::right(&program.fields[*field].name, 20), "share");
            }
            out.push('\n');
            let names = d.tiers.iter().map(|t| t.name.as_str()).chain(["(no tier)"]);
            for (tier, (name, (count, money))) in names.zip(counts).enumerate() {
                if name == "(no tier)" && *count == 0 {
                    continue;
                }
                let count_share = share(Decimal::from(*count), Decimal::from(total));
                let _ = write!(out, "{} {:>9} {:>7}", layout::left(name, w), count, count_share);
                if money_name.is_some() {
                    let _ = write!(out, " {:>20} {:>7}", grouped(*money), share(*money, total_money));
                }
                for (_, dims) in &self.more_money {
                    let sums = &dims[dim];
                    let v = sums.get(tier).copied().unwrap_or_default();
                    let _ = write!(
                        out,
                        " {:>20} {:>7}",
                        grouped(v),
                        share(v, checked_sum(sums.iter().copied()).unwrap_or_default())
                    );
                }
                out.push('\n');
            }
            out.push('\n');
        }
        if let (Some(points), Some(m)) = (self.pareto(), money_name) {
            let cells: Vec<String> =
                points.iter().map(|(p, s)| format!("top {p}% {}", share(*s, Decimal::ONE))).collect();
            let _ = writeln!(out, "share of {m}: {}\n", cells.join(", "));
        }
        if let Some(e) = &self.events {
            let _ = writeln!(
                out,
                "events read {} = used {} + filtered {} + no customer id {} + after the as-of date {} + rejected {}",
                e.read, e.used, e.filtered, e.no_customer, e.after_as_of, e.rejected
            );
            let _ = writeln!(
                out,
                "customers {} = tiered {} + outside the population {} + rejected {}",
                self.read, self.written, self.excluded, self.rejected
            );
        } else {
            let _ = writeln!(out, "rows read {} = written {} + rejected {}", self.read, self.written, self.rejected);
        }
        out
    }

    pub fn to_json(&self, program: &Program) -> serde_json::Value {
        let dims: serde_json::Map<String, serde_json::Value> = program
            .dimensions
            .iter()
            .zip(&self.tiers)
            .enumerate()
            .map(|(dim, (d, counts))| {
                let names =
                    d.tiers.iter().map(|t| serde_json::Value::String(t.name.clone())).chain([serde_json::Value::Null]);
                let total: u64 = counts.iter().map(|c| c.0).sum();
                let total_money = checked_sum(counts.iter().map(|c| c.1)).unwrap_or_default();
                let rows: Vec<serde_json::Value> = names
                    .zip(counts)
                    .enumerate()
                    .map(|(t, (n, (c, m)))| {
                        let mut row = serde_json::json!({
                            "tier": n,
                            "count": c,
                            "share": ratio(Decimal::from(*c), Decimal::from(total)),
                            "money": crate::check::decimal_json(*m),
                            "money_share": ratio(*m, total_money),
                        });
                        for (field, dims) in &self.more_money {
                            let sums = &dims[dim];
                            let v = sums.get(t).copied().unwrap_or_default();
                            row[program.fields[*field].name.as_str()] = serde_json::json!({
                                "sum": crate::check::decimal_json(v),
                                "share": ratio(v, checked_sum(sums.iter().copied()).unwrap_or_default()),
                            });
                        }
                        row
                    })
                    .collect();
                (d.name.clone(), serde_json::Value::Array(rows))
            })
            .collect();
        let mut out = serde_json::json!({
            "rows_read": self.read,
            "rows_written": self.written,
            "rows_rejected": self.rejected,
            "money_field": self.money_field.map(|i| program.fields[i].name.clone()),
            "dimensions": dims,
        });
        if let Some(points) = self.pareto() {
            out["pareto"] = points
                .iter()
                .map(|(p, s)| serde_json::json!({ "top_percent": p, "share": crate::check::decimal_json(s.round_dp(6)) }))
                .collect();
        }
        if let Some(e) = &self.events {
            out["events"] = serde_json::to_value(e).unwrap_or_default();
            out["customers_excluded"] = self.excluded.into();
        }
        out
    }
}

/// `part / total` to 6 places, as a JSON number (`null` for an empty total).
fn ratio(part: Decimal, total: Decimal) -> serde_json::Value {
    match part.checked_div(total) {
        Some(r) if !total.is_zero() => crate::check::decimal_json(r.round_dp(6)),
        _ => serde_json::Value::Null,
    }
}

fn share(part: Decimal, total: Decimal) -> String {
    // The share first: `part × 100` may be out of range where the share is not.
    match part.checked_div(total).and_then(|r| r.checked_mul(Decimal::from(100))) {
        Some(r) if !total.is_zero() => format!("{:.1}%", r.round_dp(1)),
        _ => "-".into(),
    }
}

/// `1234567.891` → `1,234,567.89`.
pub fn grouped(d: Decimal) -> String {
    let text = format!("{:.2}", d.round_dp(2));
    let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |t| ("-", t));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}.{frac}")
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn money_is_grouped_in_thousands() {
        let d = |s: &str| s.parse().unwrap();
        assert_eq!(grouped(d("1234567.891")), "1,234,567.89");
        assert_eq!(grouped(d("999")), "999.00");
        assert_eq!(grouped(d("-1000")), "-1,000.00");
    }
}
