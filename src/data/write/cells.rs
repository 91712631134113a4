//! The tier, label and strategy cells of a record, which depend on its
//! decisions alone: the writer makes them once per tier combination.

use super::{Format, Writer};
use crate::check::StrategyValue;
use crate::compile::Program;
use crate::data::table::{Kind, Out};
use crate::eval::Decision;
use indexmap::IndexMap;
use std::io::Write;

impl<W: Write> Writer<'_, W> {
    /// CSV: per dimension the tier and label, and the flattened strategy columns.
    pub(super) fn csv_cells_of(&self, decisions: &[Decision]) -> Vec<String> {
        let mut cells = Vec::new();
        for (i, ((d, cols), dec)) in self.program.dimensions.iter().zip(&self.columns).zip(decisions).enumerate() {
            let tier = dec.tier.and_then(|i| d.tiers.get(i));
            cells.push(tier.map_or(String::new(), |t| t.name.clone()));
            if self.tiers_only {
                continue;
            }
            cells.push(tier.and_then(|t| t.label.clone()).unwrap_or_default());
            let strategy = crate::combine::strategy(self.program, decisions, i);
            let flat: IndexMap<String, &StrategyValue> =
                strategy.as_deref().map(flatten).unwrap_or_default().into_iter().collect();
            cells.extend(cols.iter().map(|c| flat.get(c).map_or(String::new(), |v| v.to_text())));
        }
        cells
    }

    /// Per dimension the tier and label, and the strategy (columns, or JSON in Parquet).
    pub(super) fn tier_cells_of(&self, decisions: &[Decision]) -> Vec<Out> {
        let mut cells = Vec::new();
        let json = self.format == Format::Parquet;
        for (i, ((d, cols), kinds)) in self.program.dimensions.iter().zip(&self.columns).zip(&self.kinds).enumerate() {
            let tier = decisions.get(i).and_then(|dec| dec.tier).and_then(|t| d.tiers.get(t));
            cells.push(tier.map_or(Out::Null, |t| Out::Text(t.name.clone())));
            if self.tiers_only {
                continue;
            }
            cells.push(tier.and_then(|t| t.label.clone()).map_or(Out::Null, Out::Text));
            if !json {
                let strategy = crate::combine::strategy(self.program, decisions, i);
                let flat: IndexMap<String, &StrategyValue> =
                    strategy.as_deref().map(flatten).unwrap_or_default().into_iter().collect();
                cells.extend(
                    cols.iter().zip(kinds).map(|(c, k)| flat.get(c).map_or(Out::Null, |v| Out::strategy(v, *k))),
                );
            }
        }
        if json && !self.tiers_only {
            let record = self.json_record("", Vec::new(), decisions);
            cells.push(Out::Text(record.get("strategy").map_or(String::new(), |s| s.to_string())));
        }
        cells
    }
}

/// Per dimension, the kind of each flattened strategy column: the kind its
/// values share across the dimension's strategies, else text.
pub(super) fn strategy_kinds(program: &Program, columns: &[Vec<String>]) -> Vec<Vec<Kind>> {
    columns
        .iter()
        .enumerate()
        .map(|(d, cols)| {
            let all: Vec<(String, &StrategyValue)> =
                crate::combine::keys(program, d).into_iter().flat_map(|s| flatten(s)).collect();
            cols.iter().map(|c| Kind::of_strategies(all.iter().filter(|(k, _)| k == c).map(|(_, v)| *v))).collect()
        })
        .collect()
}

/// Nested strategy maps as dotted keys; lists and scalars are leaves.
pub(super) fn flatten(map: &IndexMap<String, StrategyValue>) -> Vec<(String, &StrategyValue)> {
    let mut out = Vec::new();
    for (k, v) in map {
        match v {
            StrategyValue::Map(inner) => {
                out.extend(flatten(inner).into_iter().map(|(ik, iv)| (format!("{k}.{ik}"), iv)));
            }
            _ => out.push((k.clone(), v)),
        }
    }
    out
}
