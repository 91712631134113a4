//! Static checks: resolve names, type expressions, check units, order tiers,
//! resolve strategies and tests. Every problem of a file is collected, not only
//! the first; a [`Checked`] policy exists only when there are no errors.

mod error;
mod events;
mod expr;
pub mod model;
mod over_time;
mod policy_tests;
pub mod refs;
mod schema;
pub(crate) mod strategy;
mod suggest;
mod tiers;
pub mod types;

pub use error::CheckError;
pub use model::*;
pub use refs::fields_read;
pub use types::Ty;

use crate::syntax::{Item, Policy};
use std::collections::{HashMap, HashSet};

/// The result of checking one policy.
#[derive(Debug)]
pub struct Outcome {
    /// Present when there are no errors (warnings allowed).
    pub checked: Option<Checked>,
    /// Errors and warnings, sorted by position.
    pub diagnostics: Vec<CheckError>,
}

/// Checking state shared by the passes.
pub(crate) struct Cx<'a> {
    source: &'a str,
    /// The header's `currency:` code: money in another currency is an error.
    currency: Option<String>,
    fields: Vec<FieldInfo>,
    field_index: HashMap<String, usize>,
    let_index: indexmap::IndexMap<String, usize>,
    let_types: Vec<Ty>,
    let_spans: Vec<crate::syntax::Span>,
    used_fields: HashSet<usize>,
    used_lets: HashSet<usize>,
    errors: Vec<CheckError>,
    /// The `events` block, and its scope while metrics are checked.
    events: Option<EventsInfo>,
    events_cx: Option<Box<Cx<'a>>>,
    /// Inside a `metric`: aggregates and population functions are allowed.
    metric_ctx: bool,
    aggregates: Vec<AggInfo>,
    populations: Vec<PopInfo>,
    /// Field slots of population-level metrics.
    population_fields: HashSet<usize>,
    /// Per combination strategy: the dimension it merges onto and its keys.
    combination_keys: Vec<(usize, Vec<String>)>,
}

impl<'a> Cx<'a> {
    fn new(source: &'a str) -> Self {
        Cx {
            source,
            currency: None,
            fields: Vec::new(),
            field_index: HashMap::new(),
            let_index: indexmap::IndexMap::new(),
            let_types: Vec::new(),
            let_spans: Vec::new(),
            used_fields: HashSet::new(),
            used_lets: HashSet::new(),
            errors: Vec::new(),
            events: None,
            events_cx: None,
            metric_ctx: false,
            aggregates: Vec::new(),
            populations: Vec::new(),
            population_fields: HashSet::new(),
            combination_keys: Vec::new(),
        }
    }
}

/// Checks a parsed policy. `source` is its text, used to quote it in messages.
pub fn check(policy: &Policy, source: &str) -> Outcome {
    let mut cx = Cx::new(source);
    let (title, meta) = cx.header(policy);
    cx.events(policy);
    let has_schema = policy.items.iter().any(|i| matches!(i, Item::Schema(_)));
    // An event log alone names the customers: its key is the record's key.
    let key = if has_schema || cx.events.is_none() { cx.schema(policy) } else { cx.key_from_events() };
    let metrics = cx.metrics(policy);
    let population_filter = cx.population_filter(policy);
    let (lets, let_order) = cx.lets(policy);
    let dimensions = cx.dimensions(policy);
    let budgets = cx.budgets(policy, &dimensions);
    let combinations = cx.combinations(policy, &dimensions);
    cx.combination_keys = combinations.iter().map(|c| (c.target, c.strategy.keys().cloned().collect())).collect();
    let tests = cx.tests(policy, &dimensions, &lets);
    cx.unused(key);
    cx.finish_events();
    let mut diagnostics = std::mem::take(&mut cx.errors);
    diagnostics.sort_by_key(CheckError::primary_offset);
    let ok = !diagnostics.iter().any(CheckError::is_error);
    let checked = match key {
        Some(key) if ok => Some(Checked {
            title,
            meta,
            fields: cx.fields,
            key,
            lets,
            let_order,
            dimensions,
            tests,
            events: cx.events,
            metrics,
            aggregates: cx.aggregates,
            populations: cx.populations,
            population_filter,
            budgets,
            combinations,
        }),
        _ => None,
    };
    Outcome { checked, diagnostics }
}

impl Cx<'_> {
    fn header(&mut self, policy: &Policy) -> (Option<String>, indexmap::IndexMap<String, StrategyValue>) {
        let mut first: Option<&crate::syntax::Header> = None;
        for item in &policy.items {
            let Item::Header(h) = item else { continue };
            match first {
                Some(f) => self.errors.push(CheckError::DuplicateSection {
                    what: "policy",
                    span: keyword_span(&h.span, "policy"),
                    first: keyword_span(&f.span, "policy"),
                }),
                None => first = Some(h),
            }
        }
        let Some(h) = first else {
            return (None, Default::default());
        };
        let meta = self.map(&h.entries);
        self.currency = match meta.get("currency") {
            Some(StrategyValue::Text(code)) => Some(code.clone()),
            _ => None,
        };
        // Amounts in the header itself were read before the currency was known.
        for e in &h.entries {
            self.money_literals_in(&e.value);
        }
        (h.title.as_ref().map(|t| t.value.clone()), meta)
    }

    /// An error for a money literal written in another currency than the
    /// policy's (`$1.5M` in a `currency: CNY` policy).
    pub(super) fn money_literal(&mut self, m: &crate::syntax::Money, span: &crate::syntax::Span) {
        let Some(currency) = &self.currency else { return };
        if crate::number::symbol_fits(&m.currency, currency) {
            return;
        }
        let own = crate::number::symbols_of(currency);
        let write =
            if own.is_empty() { "no symbol".to_string() } else { format!("`{}` or no symbol", own.join("`, `")) };
        self.errors.push(CheckError::ForeignCurrency {
            symbol: m.currency.clone(),
            currency: currency.clone(),
            span: span.clone().into(),
            help: format!("the policy's amounts are in {currency}: write {write}, or change `currency:`"),
        });
    }

    /// [`Cx::money_literal`] for every amount inside a value (lists and maps too).
    pub(super) fn money_literals_in(&mut self, v: &crate::syntax::Value) {
        match &v.kind {
            crate::syntax::ValueKind::Money(m) => self.money_literal(m, &v.span),
            crate::syntax::ValueKind::List(xs) => xs.iter().for_each(|x| self.money_literals_in(x)),
            crate::syntax::ValueKind::Map(entries) => entries.iter().for_each(|e| self.money_literals_in(&e.value)),
            _ => {}
        }
    }

    /// Warnings for fields and lets that nothing reads.
    fn unused(&mut self, key: Option<usize>) {
        for (slot, f) in self.fields.iter().enumerate() {
            if !self.used_fields.contains(&slot) && Some(slot) != key {
                self.errors.push(CheckError::UnusedField { name: f.name.clone(), span: f.span.clone().into() });
            }
        }
        for (name, &slot) in &self.let_index {
            if !self.used_lets.contains(&slot) {
                let span = self.let_spans[slot].clone();
                self.errors.push(CheckError::UnusedLet { name: name.clone(), span: span.into() });
            }
        }
    }
}

/// The span of the leading keyword of a block, for labels that should not
/// underline a whole block.
fn keyword_span(span: &crate::syntax::Span, keyword: &str) -> miette::SourceSpan {
    (span.start..span.start + keyword.len()).into()
}
