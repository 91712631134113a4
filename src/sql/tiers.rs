//! The tiers part of a query: `decided` (each dimension's tier by `CASE WHEN`
//! in tier order) over a source of one row per customer, the history and
//! budgets, then labels, strategies as JSON, metric values, the history
//! columns and the budgets, as `tier apply` writes them.

use super::expr::Sql;
use super::{Dialect, SqlError};
use crate::check::{Hit, StrategyValue};
use crate::compile::Program;
use crate::eval::Decision;
use std::fmt::Write as _;

/// Pushes `decided` (the tiers by the criteria, and the metric values) over
/// `source` (a table, or the last metrics CTE), then the history and budget
/// CTEs; returns the final `SELECT`.
pub(super) fn query(
    s: &Sql,
    program: &Program,
    source: &str,
    previous: Option<&str>,
    ctes: &mut Vec<String>,
) -> Result<String, SqlError> {
    let checked = s.checked;
    let history = previous.is_some() || checked.dimensions.iter().any(|d| d.retention.is_some());
    // With history, the criteria's tier is `__cD` and the tier after the
    // retention rules `__dD` (which strategies and budgets read).
    let criteria = |d: usize| s.ident(&format!("{}{d}", if history { "__c" } else { "__d" }));
    let key = &checked.fields[checked.key];
    let mut cols = vec![format!("    {} AS {}", s.ident(&key.column), s.ident(&key.name))];
    for (d, dim) in checked.dimensions.iter().enumerate() {
        let mut case = String::from("    CASE\n");
        let conds: Vec<String> = dim
            .tiers
            .iter()
            .map(|t| t.condition.as_ref().map_or(Ok("TRUE".to_string()), |c| s.cond(c)))
            .collect::<Result<_, _>>()?;
        if dim.hit == Hit::Unique && conds.len() > 1 {
            // Two matching tiers: the evaluator rejects the record; here it gets no tier.
            let count: Vec<String> = conds.iter().map(|c| format!("(CASE WHEN {c} THEN 1 ELSE 0 END)")).collect();
            let _ = writeln!(case, "      WHEN {} > 1 THEN NULL", count.join(" + "));
        }
        for (t, c) in dim.tiers.iter().zip(&conds) {
            let _ =
                writeln!(case, "      -- {}{}", t.name, t.label.as_ref().map_or(String::new(), |l| format!(" ({l})")));
            let _ = writeln!(case, "      WHEN {c} THEN {}", s.text(&t.name));
        }
        let _ = write!(case, "    END AS {}", criteria(d));
        cols.push(case);
    }
    for (j, m) in checked.metrics.iter().enumerate() {
        cols.push(format!("    {} AS {}", s.value(&m.expr)?, s.ident(&format!("__m{j}"))));
    }
    ctes.push(format!("decided AS (\n  SELECT\n{}\n  FROM {source}\n)", cols.join(",\n")));
    let mut last = "decided".to_string();
    if history {
        last = super::history::ctes(s, previous, ctes);
    }
    for i in 0..checked.budgets.len() {
        last = super::budget::ctes(s, i, &last, history, ctes)?;
    }
    let mut out = format!("SELECT\n  {}", s.ident(&key.name));
    for (d, dim) in checked.dimensions.iter().enumerate() {
        let tier = s.ident(&format!("__d{d}"));
        let _ = write!(out, ",\n  {tier} AS {}", s.ident(&dim.name));
        let mut label = String::from("CASE");
        for t in &dim.tiers {
            let l = t.label.as_ref().map_or("NULL".to_string(), |l| s.text(l));
            let _ = write!(label, " WHEN {tier} = {} THEN {l}", s.text(&t.name));
        }
        let _ = write!(out, ",\n  {label} END AS {}", s.ident(&format!("{}_label", dim.name)));
        let _ = write!(out, ",\n  {} AS {}", s.strategy_case(program, d)?, s.ident(&format!("{}_strategy", dim.name)));
    }
    // Metric values as `tier apply` writes them: a rate in its own period.
    for (j, m) in checked.metrics.iter().enumerate() {
        let col = s.ident(&format!("__m{j}"));
        let per_year = checked.fields[m.slot].period.map(|p| p.per_year());
        let value = match per_year {
            Some(p) if p != crate::number::Decimal::ONE => s.divide(&col, &s.number(p)),
            _ => col,
        };
        let _ = write!(out, ",\n  {value} AS {}", s.ident(&m.name));
    }
    if history {
        for (d, dim) in checked.dimensions.iter().enumerate() {
            for c in super::history::COLUMNS {
                let _ = write!(
                    out,
                    ",\n  {} AS {}",
                    s.ident(&format!("__h{d}_{c}")),
                    s.ident(&format!("{}_{c}", dim.name))
                );
            }
        }
    }
    for (i, b) in checked.budgets.iter().enumerate() {
        let _ = write!(out, ",\n  {} AS {}", s.ident(&format!("__b{i}")), s.ident(&format!("budget.{}", b.name)));
    }
    let _ = writeln!(out, "\nFROM {last}");
    Ok(out)
}

impl Sql<'_> {
    /// The strategy JSON of dimension `d`: per tier, and per combination of tiers
    /// where `when … { strategy }` combinations apply.
    pub fn strategy_case(&self, program: &Program, d: usize) -> Result<String, SqlError> {
        let others: Vec<usize> = {
            let mut v: Vec<usize> = program
                .combinations
                .iter()
                .filter(|c| c.target == d)
                .flat_map(|c| c.conditions.iter().map(|&(x, _)| x))
                .filter(|&x| x != d)
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        // Every combination of this dimension's tier and the others' tiers.
        let mut combos: Vec<Vec<(usize, Option<usize>)>> = vec![vec![]];
        for &x in std::iter::once(&d).chain(&others) {
            let n = program.dimensions[x].tiers.len();
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    (0..=n).map(move |t| {
                        let mut c = c.clone();
                        c.push((x, (t < n).then_some(t)));
                        c
                    })
                })
                .collect();
        }
        let mut case = String::from("CASE");
        for c in combos {
            let mut decisions = vec![Decision { tier: None }; program.dimensions.len()];
            for &(x, t) in &c {
                decisions[x].tier = t;
            }
            let Some(strategy) = crate::combine::strategy(program, &decisions, d) else { continue };
            let cond: Vec<String> = c
                .iter()
                .map(|&(x, t)| {
                    let col = self.ident(&format!("__d{x}"));
                    match t {
                        Some(t) => format!("{col} = {}", self.text(&program.dimensions[x].tiers[t].name)),
                        None => format!("{col} IS NULL"),
                    }
                })
                .collect();
            let _ = write!(case, "\n    WHEN {} THEN {}", cond.join(" AND "), self.json(&strategy));
        }
        Ok(case + "\n  END")
    }

    fn json(&self, m: &indexmap::IndexMap<String, StrategyValue>) -> String {
        let text = serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()).to_string();
        let lit = self.text(&text);
        match self.dialect {
            Dialect::Duckdb => format!("CAST({lit} AS JSON)"),
            Dialect::Postgres => format!("CAST({lit} AS JSONB)"),
            Dialect::Sqlite => format!("json({lit})"),
            Dialect::Spark => lit,
            Dialect::Bigquery => format!("PARSE_JSON({lit})"),
        }
    }
}
