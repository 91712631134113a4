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
            ValueKind::Number(n) if n.text.ends_with('%') => StrategyValue::Percent(n.value),
            ValueKind::Number(n) => StrategyValue::Number(n.value),
            ValueKind::Money(m) => {
                self.money_literal(m, &v.span);
                StrategyValue::Money { currency: m.currency.clone(), amount: m.amount.value }
            }
            ValueKind::Rate(r) => StrategyValue::Rate { count: r.count.value, period: r.period },
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
                    let names: Vec<String> = tiers.iter().take(12).map(|t| format!("`{}`", t.name.name)).collect();
                    let more = if tiers.len() > 12 { ", …" } else { "" };
                    let list = format!("the tiers of `{}` are {}{more}", dim.name, names.join(", "));
                    let help = Some(match did_you_mean(&ext.name, tiers.iter().map(|t| t.name.name.as_str())) {
                        Some(guess) => format!("{guess} ({list})"),
                        None => list,
                    });
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
            let mut resolved = parent[i].map(|p| dim.tiers[p].strategy.clone()).unwrap_or_default();
            if let Some(s) = own[i] {
                let entries = self.map(&s.entries);
                merge(&mut resolved, entries);
            }
            if let Some(t) = dim.tiers.get_mut(i) {
                t.has_strategy = own[i].is_some();
                t.extends = parent[i];
                t.own_keys = own[i].map_or(Vec::new(), |s| s.entries.iter().map(|e| e.key.name.clone()).collect());
                t.strategy = resolved;
            }
        }
        self.strategy_consistency(dim, tiers, &own);
    }

    /// A key's values have one kind across the tiers of a dimension, and when
    /// some tiers carry a strategy, every tier does.
    fn strategy_consistency(&mut self, dim: &DimensionInfo, tiers: &[&Tier], own: &[Option<&Strategy>]) {
        let mut seen: IndexMap<&str, (&'static str, &str, &crate::syntax::Span)> = IndexMap::new();
        for (t, s) in tiers.iter().zip(own) {
            for e in s.map_or(&[][..], |s| &s.entries) {
                let kind = value_kind(&e.value.kind);
                match seen.get(e.key.name.as_str()) {
                    Some((k, first_tier, first_span)) if *k != kind => {
                        self.errors.push(CheckError::StrategyTypeMismatch {
                            key: e.key.name.clone(),
                            kind,
                            tier: t.name.name.clone(),
                            first_kind: k,
                            first_tier: first_tier.to_string(),
                            span: e.value.span.clone().into(),
                            first: (*first_span).clone().into(),
                        })
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(&e.key.name, (kind, &t.name.name, &e.value.span));
                    }
                }
            }
        }
        if dim.tiers.iter().any(|t| t.has_strategy) {
            for t in dim.tiers.iter().filter(|t| !t.has_strategy) {
                self.errors.push(CheckError::MissingStrategy { tier: t.name.clone(), span: t.span.clone().into() });
            }
        }
    }

    fn own_strategy<'t>(&mut self, t: &'t Tier) -> Option<&'t Strategy> {
        let mut found: Option<&Strategy> = None;
        for c in &t.clauses {
            let TierClause::Strategy(s) = c else { continue };
            if found.is_some() {
                self.errors
                    .push(CheckError::DuplicateStrategy { name: t.name.name.clone(), span: s.span.clone().into() });
            } else {
                found = Some(s);
            }
        }
        found
    }
}

/// Own entries over inherited ones; nested maps merge key by key.
pub(crate) fn merge(base: &mut IndexMap<String, StrategyValue>, over: IndexMap<String, StrategyValue>) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(StrategyValue::Map(b)), StrategyValue::Map(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// The kind of a strategy value, for consistency across tiers (money and plain
/// numbers are one kind: `budget: 5000` and `budget: ¥5000` agree).
fn value_kind(v: &ValueKind) -> &'static str {
    match v {
        ValueKind::Text(_) | ValueKind::Symbol(_) => "text",
        ValueKind::Number(_) | ValueKind::Money(_) => "a number",
        ValueKind::Rate(_) => "a rate",
        ValueKind::Date(_) => "a date",
        ValueKind::Bool(_) => "true/false",
        ValueKind::List(_) => "a list",
        ValueKind::Map(_) => "a map",
    }
}
