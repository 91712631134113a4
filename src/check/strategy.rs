//! Strategy maps: typed values, duplicate keys, and `extends` resolved in order.

use super::error::CheckError;
use super::model::{DimensionInfo, StrategyValue};
use super::schema::topo_order;
use super::suggest::did_you_mean;
use super::Cx;
use crate::syntax::{MapEntry, Strategy, Tier, TierClause, Value, ValueKind};
use indexmap::IndexMap;

impl Cx<'_> {
    pub(super) fn map(&mut self, entries: &[MapEntry]) -> IndexMap<String, StrategyValue> {
        let mut out: IndexMap<String, StrategyValue> = IndexMap::new();
        for (i, e) in entries.iter().enumerate() {
            if let Some(first) = entries[..i].iter().find(|p| p.key.name == e.key.name) {
                self.errors.push(CheckError::DuplicateName {
                    what: "key",
                    name: e.key.name.clone(),
                    span: e.key.span.clone().into(),
                    first: first.key.span.clone().into(),
                });
                continue;
            }
            let v = self.value(&e.value);
            out.insert(e.key.name.clone(), v);
        }
        out
    }

    pub(super) fn value(&mut self, v: &Value) -> StrategyValue {
        match &v.kind {
            ValueKind::Text(s) | ValueKind::Symbol(s) => StrategyValue::Text(s.clone()),
            ValueKind::Number(n) => StrategyValue::Number(n.value),
            ValueKind::Money(m) => StrategyValue::Money {
                currency: m.currency.clone(),
                amount: m.amount.value,
            },
            ValueKind::Rate(r) => StrategyValue::Rate {
                count: r.count.value,
                period: r.period,
            },
            ValueKind::Date(d) => StrategyValue::Date(*d),
            ValueKind::Bool(b) => StrategyValue::Bool(*b),
            ValueKind::List(xs) => StrategyValue::List(xs.iter().map(|x| self.value(x)).collect()),
            ValueKind::Map(entries) => StrategyValue::Map(self.map(entries)),
        }
    }

    /// Fills each tier's resolved strategy: what it extends, then its own entries.
    pub(super) fn strategies(&mut self, dim: &mut DimensionInfo, tiers: &[&Tier]) {
        let own: Vec<Option<&Strategy>> = tiers.iter().map(|t| self.own_strategy(t)).collect();
        let parent: Vec<Option<usize>> = own
            .iter()
            .map(|s| {
                let ext = s.and_then(|s| s.extends.as_ref())?;
                let found = tiers.iter().position(|t| t.name.name == ext.name);
                if found.is_none() {
                    let help = did_you_mean(&ext.name, tiers.iter().map(|t| t.name.name.as_str()));
                    self.errors.push(CheckError::UnknownExtends {
                        name: ext.name.clone(),
                        dimension: dim.name.clone(),
                        span: ext.span.clone().into(),
                        help,
                    });
                }
                found
            })
            .collect();
        let deps: Vec<Vec<usize>> = parent.iter().map(|p| p.iter().copied().collect()).collect();
        let (order, cycles) = topo_order(&deps);
        for cycle in cycles {
            let names: Vec<&str> = cycle.iter().map(|&i| tiers[i].name.name.as_str()).collect();
            let span = own[cycle[0]]
                .and_then(|s| s.extends.as_ref())
                .map_or(tiers[cycle[0]].name.span.clone(), |e| e.span.clone());
            self.errors.push(CheckError::ExtendsCycle {
                cycle: format!("{} → {}", names.join(" extends "), names[0]),
                span: span.into(),
            });
        }
        for i in order {
            let mut resolved = parent[i]
                .map(|p| dim.tiers[p].strategy.clone())
                .unwrap_or_default();
            if let Some(s) = own[i] {
                let entries = self.map(&s.entries);
                merge(&mut resolved, entries);
            }
            if let Some(t) = dim.tiers.get_mut(i) {
                t.has_strategy = own[i].is_some();
                t.strategy = resolved;
            }
        }
    }

    fn own_strategy<'t>(&mut self, t: &'t Tier) -> Option<&'t Strategy> {
        let mut found: Option<&Strategy> = None;
        for c in &t.clauses {
            let TierClause::Strategy(s) = c else { continue };
            if found.is_some() {
                self.errors.push(CheckError::DuplicateStrategy {
                    name: t.name.name.clone(),
                    span: s.span.clone().into(),
                });
            } else {
                found = Some(s);
            }
        }
        found
    }
}

/// Own entries over inherited ones; nested maps merge key by key.
fn merge(base: &mut IndexMap<String, StrategyValue>, over: IndexMap<String, StrategyValue>) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(StrategyValue::Map(b)), StrategyValue::Map(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}
