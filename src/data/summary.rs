//! The run summary: per dimension and tier, how many records and how much of the
//! first money field they hold (the 80/20 view), and the row accounting.

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
}

impl Summary {
    pub fn new(program: &Program) -> Self {
        Summary {
            money_field: program.fields.iter().position(|f| f.ty == Ty::Money),
            tiers: program.dimensions.iter().map(|d| vec![(0, Decimal::ZERO); d.tiers.len() + 1]).collect(),
            read: 0,
            written: 0,
            rejected: 0,
        }
    }

    /// Adds the counts of another part of the same run.
    pub fn merge(&mut self, other: &Summary) {
        self.read += other.read;
        self.written += other.written;
        self.rejected += other.rejected;
        for (mine, theirs) in self.tiers.iter_mut().zip(&other.tiers) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                a.0 += b.0;
                a.1 += b.1;
            }
        }
    }

    pub fn add(&mut self, values: &[Value], decisions: &[Decision]) {
        let money = self.money_field.and_then(|i| values.get(i)).unwrap_or(&Value::Missing);
        self.add_money(money, decisions);
    }

    /// [`Summary::add`] given the record's money value alone.
    pub fn add_money(&mut self, money: &Value, decisions: &[Decision]) {
        self.written += 1;
        let money = match money {
            Value::Num(d) => *d,
            _ => Decimal::ZERO,
        };
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
        for (d, counts) in program.dimensions.iter().zip(&self.tiers) {
            let total: u64 = counts.iter().map(|c| c.0).sum();
            let total_money: Decimal = counts.iter().map(|c| c.1).sum();
            let _ = write!(out, "{:<16} {:>9} {:>7}", d.name, "count", "share");
            if let Some(m) = money_name {
                let _ = write!(out, " {:>20} {:>7}", m, "share");
            }
            out.push('\n');
            let names = d.tiers.iter().map(|t| t.name.as_str()).chain(["(no tier)"]);
            for (name, (count, money)) in names.zip(counts) {
                if name == "(no tier)" && *count == 0 {
                    continue;
                }
                let _ =
                    write!(out, "{:<16} {:>9} {:>7}", name, count, share(Decimal::from(*count), Decimal::from(total)));
                if money_name.is_some() {
                    let _ = write!(out, " {:>20} {:>7}", grouped(*money), share(*money, total_money));
                }
                out.push('\n');
            }
            out.push('\n');
        }
        let _ = writeln!(out, "rows read {} = written {} + rejected {}", self.read, self.written, self.rejected);
        out
    }

    pub fn to_json(&self, program: &Program) -> serde_json::Value {
        let dims: serde_json::Map<String, serde_json::Value> = program
            .dimensions
            .iter()
            .zip(&self.tiers)
            .map(|(d, counts)| {
                let names = d.tiers.iter().map(|t| serde_json::Value::String(t.name.clone())).chain([serde_json::Value::Null]);
                let rows: Vec<serde_json::Value> = names
                    .zip(counts)
                    .map(|(n, (c, m))| serde_json::json!({ "tier": n, "count": c, "money": crate::check::decimal_json(*m) }))
                    .collect();
                (d.name.clone(), serde_json::Value::Array(rows))
            })
            .collect();
        serde_json::json!({
            "rows_read": self.read,
            "rows_written": self.written,
            "rows_rejected": self.rejected,
            "money_field": self.money_field.map(|i| program.fields[i].name.clone()),
            "dimensions": dims,
        })
    }
}

fn share(part: Decimal, total: Decimal) -> String {
    if total.is_zero() {
        return "-".into();
    }
    format!("{:.1}%", (part * Decimal::from(100) / total).round_dp(1))
}

/// `1234567.891` → `1,234,567.89`.
fn grouped(d: Decimal) -> String {
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
