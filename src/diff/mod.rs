//! `tier diff`: what changes between two versions of a policy on real data — the
//! migration matrix per dimension, the share of customers and of money that
//! moves, and the strategy keys that change per tier.

mod compare;

pub use compare::{compare_records, compare_scored, Report, Version};

use crate::check::{Checked, StrategyValue};
use crate::number::Decimal;
use indexmap::IndexMap;

/// One dimension present in both versions.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Migration {
    pub dimension: String,
    /// Row and column labels: the tiers of the old / new version, then `(none)`.
    pub old_tiers: Vec<String>,
    pub new_tiers: Vec<String>,
    /// `counts[old][new]` records.
    pub counts: Vec<Vec<u64>>,
    /// `money[old][new]`: the sum of the money field.
    #[serde(skip)]
    pub money: Vec<Vec<Decimal>>,
    pub records: u64,
    pub moved: u64,
    pub money_total: Decimal,
    pub money_moved: Decimal,
}

impl Migration {
    pub fn new(dimension: &str, old_tiers: Vec<String>, new_tiers: Vec<String>) -> Self {
        let rows = old_tiers.len() + 1;
        let cols = new_tiers.len() + 1;
        Migration {
            dimension: dimension.to_string(),
            old_tiers: old_tiers.into_iter().chain(["(none)".to_string()]).collect(),
            new_tiers: new_tiers.into_iter().chain(["(none)".to_string()]).collect(),
            counts: vec![vec![0; cols]; rows],
            money: vec![vec![Decimal::ZERO; cols]; rows],
            records: 0,
            moved: 0,
            money_total: Decimal::ZERO,
            money_moved: Decimal::ZERO,
        }
    }

    /// Adds a record that got `old` and `new` (indices; `None` for no tier).
    pub fn add(&mut self, old: Option<usize>, new: Option<usize>, money: Decimal) -> bool {
        let o = old.unwrap_or(self.old_tiers.len() - 1);
        let n = new.unwrap_or(self.new_tiers.len() - 1);
        self.counts[o][n] += 1;
        self.money[o][n] += money;
        self.records += 1;
        self.money_total += money;
        let moved = self.old_tiers[o] != self.new_tiers[n];
        if moved {
            self.moved += 1;
            self.money_moved += money;
        }
        moved
    }
}

/// What changed in the strategy of a tier both versions have.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StrategyChange {
    pub dimension: String,
    pub tier: String,
    /// `(key, old, new)`; `None` where the key is absent.
    pub keys: Vec<(String, Option<String>, Option<String>)>,
}

/// Strategy keys that differ between the same-named tiers of the two versions.
pub fn strategy_changes(old: &Checked, new: &Checked) -> Vec<StrategyChange> {
    let mut out = Vec::new();
    for nd in &new.dimensions {
        let Some(od) = old.dimensions.iter().find(|d| d.name == nd.name) else { continue };
        for nt in &nd.tiers {
            let Some(ot) = od.tiers.iter().find(|t| t.name == nt.name) else { continue };
            let keys = changed_keys(&ot.strategy, &nt.strategy);
            if !keys.is_empty() {
                out.push(StrategyChange { dimension: nd.name.clone(), tier: nt.name.clone(), keys });
            }
        }
    }
    out
}

fn changed_keys(
    old: &IndexMap<String, StrategyValue>,
    new: &IndexMap<String, StrategyValue>,
) -> Vec<(String, Option<String>, Option<String>)> {
    let keys = old.keys().chain(new.keys().filter(|k| !old.contains_key(*k)));
    keys.filter(|k| !matches!((old.get(*k), new.get(*k)), (Some(a), Some(b)) if a.same(b)))
        .map(|k| (k.clone(), old.get(k).map(StrategyValue::to_text), new.get(k).map(StrategyValue::to_text)))
        .collect()
}
