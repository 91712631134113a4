//! Event logs and metrics: the `events` block (its own scope of fields, lets and
//! `where` filters), `metric` definitions with their aggregates and population
//! functions, and the `population where` filter.
//!
//! Metrics become fields of the customer record, so tiers, lets, tests and the
//! analysis read them like any field. A metric reads the schema's fields and the
//! metrics above it; aggregates read the event scope.

use super::error::CheckError;
use super::expr::error_expr;
use super::model::{AggInfo, AggKind, Const, EventsInfo, FieldInfo, MetricInfo, PopInfo, PopKind, TExpr, TKind, Ties};
use super::refs::children;
use super::types::Ty;
use super::{keyword_span, Cx};
use crate::number::Decimal;
use crate::syntax::{Arg, Events, EventsEntry, ExprKind, Item, Let, Policy, Span, Window};

const AGGREGATES: [&str; 5] = ["count", "sum", "avg", "min", "max"];
const POPULATION: [&str; 4] = ["quantile_score", "rank", "percentile", "top"];

/// A name the call checker treats as an aggregate or population function.
pub(super) fn is_metric_function(name: &str, args: &[Arg]) -> bool {
    match name {
        // `min(a, b)` / `max(a, b)` stay the scalar functions.
        "min" | "max" => args.len() == 1,
        _ => AGGREGATES.contains(&name) || POPULATION.contains(&name),
    }
}

impl<'a> Cx<'a> {
    /// Checks the first `events` block into its own scope, kept in `events_cx`
    /// for the aggregates of the metrics.
    pub(super) fn events(&mut self, policy: &Policy) {
        let blocks: Vec<&Events> =
            policy.items.iter().filter_map(|i| if let Item::Events(e) = i { Some(e) } else { None }).collect();
        let Some(block) = blocks.first() else { return };
        for extra in &blocks[1..] {
            self.errors.push(CheckError::DuplicateSection {
                what: "events",
                span: keyword_span(&extra.span, "events"),
                first: keyword_span(&block.span, "events"),
            });
        }
        let mut ecx = Cx::new(self.source);
        ecx.currency = self.currency.clone();
        let (mut key, mut time) = (None, None);
        let mut lets: Vec<&Let> = Vec::new();
        for entry in &block.entries {
            match entry {
                EventsEntry::Field(f) => {
                    if let Some(&first) = ecx.field_index.get(&f.name.name) {
                        ecx.errors.push(CheckError::DuplicateField {
                            name: f.name.name.clone(),
                            span: f.name.span.clone().into(),
                            first: ecx.fields[first].span.clone().into(),
                        });
                        continue;
                    }
                    let column = f.from.first().map_or(f.name.name.clone(), |s| s.value.clone());
                    let slot = ecx.fields.len();
                    ecx.declare(f, column);
                    if let Some(k) = &f.key {
                        match key {
                            Some((_, first)) => ecx.errors.push(CheckError::DuplicateKey {
                                span: k.clone().into(),
                                first: std::ops::Range::clone(first).into(),
                            }),
                            None => key = Some((slot, k)),
                        }
                    }
                    if let Some(t) = &f.time {
                        if !matches!(ecx.fields[slot].ty, Ty::Date | Ty::DateTime) || time.is_some() {
                            ecx.errors.push(CheckError::MisplacedType {
                                message: "the `time` field must be one `date` or `datetime` field".into(),
                                span: t.clone().into(),
                                help: "mark the event's date-time, e.g. `at: datetime time from \"InvoiceDate\"`"
                                    .into(),
                            });
                        } else {
                            time = Some(slot);
                        }
                    }
                }
                EventsEntry::Let(l) => lets.push(l),
                EventsEntry::Where(_) => {}
            }
        }
        let (lets, let_order) = ecx.lets_of(lets);
        let filters: Vec<TExpr> = block
            .entries
            .iter()
            .filter_map(|e| if let EventsEntry::Where(w) = e { Some(ecx.condition(w)) } else { None })
            .collect();
        // Without a key the policy does not check; go on (with the first field) so
        // that the metrics are still checked and nothing else cascades.
        let key = match key {
            Some((k, _)) => k,
            None => {
                self.errors.push(CheckError::EventsWithoutKey { span: keyword_span(&block.span, "events") });
                0
            }
        };
        if key < ecx.fields.len() {
            ecx.used_fields.insert(key);
        }
        self.events = Some(EventsInfo {
            name: block.name.name.clone(),
            fields: ecx.fields.clone(),
            key,
            time,
            lets,
            let_order,
            filters,
            span: block.span.clone(),
        });
        self.events_cx = Some(Box::new(ecx));
    }

    /// The customer key when there is no schema: the events' key field.
    pub(super) fn key_from_events(&mut self) -> Option<usize> {
        let ev = self.events.as_ref()?;
        let mut f: FieldInfo = ev.fields.get(ev.key)?.clone();
        f.optional = false;
        let slot = self.fields.len();
        self.field_index.insert(f.name.clone(), slot);
        self.fields.push(f);
        Some(slot)
    }

    /// Types every `metric` in source order and declares it as a field.
    pub(super) fn metrics(&mut self, policy: &Policy) -> Vec<MetricInfo> {
        let mut out: Vec<MetricInfo> = Vec::new();
        for item in &policy.items {
            let Item::Metric(m) = item else { continue };
            if let Some(&first) = self.field_index.get(&m.name.name) {
                self.errors.push(CheckError::DuplicateName {
                    what: "name",
                    name: m.name.name.clone(),
                    span: m.name.span.clone().into(),
                    first: self.fields[first].span.clone().into(),
                });
                continue;
            }
            self.metric_ctx = true;
            let expr = self.expr(&m.expr);
            self.metric_ctx = false;
            let ty = match expr.ty {
                Ty::DateTime => {
                    self.errors.push(CheckError::WrongType {
                        message: "a metric cannot be a date-time".into(),
                        span: expr.span.clone().into(),
                        found: "a date-time".into(),
                        help: Some("measure it in days, e.g. `days_since(max(at))`".into()),
                    });
                    Ty::Error
                }
                Ty::Lit => Ty::Number,
                t => t,
            };
            let population = self.population_level(&expr);
            let slot = self.fields.len();
            let period = rate_period(&expr, &self.aggregates);
            self.field_index.insert(m.name.name.clone(), slot);
            self.fields.push(FieldInfo {
                name: m.name.name.clone(),
                ty,
                period,
                optional: self.may_be_missing(&expr),
                column: m.name.name.clone(),
                aliases: Vec::new(),
                enum_values: Vec::new(),
                prefer: None,
                range: self.range_of(&expr),
                currency: None,
                span: m.name.span.clone(),
            });
            if population {
                self.population_fields.insert(slot);
            }
            out.push(MetricInfo { name: m.name.name.clone(), slot, expr, population, span: m.name.span.clone() });
        }
        out
    }

    /// `population where ...`: a condition over the schema and the metrics that
    /// are not themselves population-level.
    pub(super) fn population_filter(&mut self, policy: &Policy) -> Option<TExpr> {
        let filters: Vec<_> =
            policy.items.iter().filter_map(|i| if let Item::Population(p) = i { Some(p) } else { None }).collect();
        let first = filters.first()?;
        for extra in &filters[1..] {
            self.errors.push(CheckError::DuplicateSection {
                what: "population",
                span: keyword_span(&extra.span, "population"),
                first: keyword_span(&first.span, "population"),
            });
        }
        let t = self.condition(&first.expr);
        if self.population_level(&t) {
            self.errors.push(CheckError::MisplacedFunction {
                message: "the population filter reads a population-level metric".into(),
                span: t.span.clone().into(),
                help: "population functions are computed over the customers the filter keeps: filter on \
                       aggregates and fields only"
                    .into(),
            });
        }
        Some(t)
    }

    /// Whether a typed expression depends on a population function.
    pub(super) fn population_level(&self, t: &TExpr) -> bool {
        match &t.kind {
            TKind::Pop(_) => true,
            TKind::Field(slot) => self.population_fields.contains(slot),
            _ => children(t).into_iter().any(|c| self.population_level(c)),
        }
    }

    /// The values a metric can take, when a population function bounds them.
    fn range_of(&self, t: &TExpr) -> Option<(Decimal, Decimal)> {
        match &t.kind {
            TKind::Pop(i) => match self.populations[*i].kind {
                PopKind::QuantileScore { buckets, .. } => Some((Decimal::ONE, Decimal::from(buckets))),
                PopKind::Percentile => Some((Decimal::ZERO, Decimal::ONE)),
                _ => None,
            },
            _ => None,
        }
    }

    /// Conservatively: can this metric be missing for a customer?
    fn may_be_missing(&self, t: &TExpr) -> bool {
        match &t.kind {
            TKind::Agg(i) => {
                !matches!(self.aggregates[*i].kind, AggKind::Count | AggKind::CountDistinct | AggKind::Sum)
            }
            TKind::Field(slot) => self.fields[*slot].optional,
            TKind::Const(_) | TKind::Today => false,
            TKind::Arith(crate::syntax::BinOp::Div, _, _) => true,
            // Customers whose argument is missing are not scored (they are reported
            // as outside the population), unless it depends on another score.
            TKind::Pop(i) => {
                let arg = &self.populations[*i].arg;
                self.population_level(arg) && self.may_be_missing(arg)
            }
            _ => children(t).into_iter().any(|c| self.may_be_missing(c)),
        }
    }

    /// An aggregate or population function call, inside a metric.
    pub(super) fn metric_call(&mut self, name: &str, args: &[Arg], window: Option<&Window>, span: &Span) -> TExpr {
        let population = POPULATION.contains(&name);
        if !self.metric_ctx {
            let what = if population { "a population function" } else { "an aggregate" };
            self.errors.push(CheckError::MisplacedFunction {
                message: format!("`{name}(..)` is {what}: it can only be used in a `metric`"),
                span: span.clone().into(),
                help: format!(
                    "define it as a metric and use the metric here, e.g. `metric m = {name}(..)`{}",
                    if population { "" } else { " (`min`/`max` of two or more values work anywhere)" }
                ),
            });
            return error_expr(span);
        }
        if population {
            if let Some(w) = window {
                self.bad_argument("a window applies to aggregates over events", &w.span, "not an aggregate", "");
            }
            return self.population_call(name, args, span);
        }
        self.aggregate_call(name, args, window, span)
    }

    fn aggregate_call(&mut self, name: &str, args: &[Arg], window: Option<&Window>, span: &Span) -> TExpr {
        let Some(mut ecx) = self.events_cx.take() else {
            self.errors.push(CheckError::MisplacedFunction {
                message: format!("`{name}(..)` aggregates events, but the policy has no `events` block"),
                span: span.clone().into(),
                help: "declare the event log: `events orders { customer: integer key  at: datetime time  .. }`".into(),
            });
            return error_expr(span);
        };
        let mut distinct = false;
        for a in args {
            if let Some(n) = &a.name {
                self.bad_argument(&format!("`{name}` has no option `{}`", n.name), &n.span, "unknown option", "");
            }
            if let Some(d) = &a.distinct {
                if name == "count" {
                    distinct = true;
                } else {
                    self.bad_argument(
                        &format!("`distinct` applies to `count`, not `{name}`"),
                        d,
                        "not here",
                        "count distinct values with `count(distinct invoice)`",
                    );
                }
            }
        }
        let arg = args.first().map(|a| ecx.expr(&a.value));
        self.events_cx = Some(ecx);
        let (kind, ty) = match (name, &arg) {
            ("count", None) => (AggKind::Count, Ty::Integer),
            ("count", Some(_)) if distinct && args.len() == 1 => (AggKind::CountDistinct, Ty::Integer),
            ("count", Some(_)) => {
                self.bad_argument(
                    "`count` counts events (`count()`) or distinct values (`count(distinct x)`)",
                    span,
                    "ambiguous count",
                    "write `count()` for events, `count(distinct x)` for distinct values",
                );
                return error_expr(span);
            }
            (_, Some(a)) if args.len() == 1 => {
                let numeric = a.ty.is_numeric() && a.ty != Ty::Rate;
                let ordered = numeric || matches!(a.ty, Ty::Date | Ty::DateTime | Ty::Error);
                let kind = match name {
                    "sum" => AggKind::Sum,
                    "avg" => AggKind::Avg,
                    "min" => AggKind::Min,
                    _ => AggKind::Max,
                };
                let ok = match kind {
                    AggKind::Sum | AggKind::Avg => numeric || a.ty == Ty::Error,
                    _ => ordered,
                };
                if !ok {
                    let what =
                        if matches!(kind, AggKind::Sum | AggKind::Avg) { "a number" } else { "a number or a date" };
                    self.errors.push(CheckError::WrongType {
                        message: format!("`{name}` takes {what}"),
                        span: a.span.clone().into(),
                        found: a.ty.describe().into(),
                        help: None,
                    });
                }
                let ty = match (kind, a.ty) {
                    (AggKind::Avg, Ty::Integer | Ty::Lit) => Ty::Number,
                    (_, Ty::Lit) => Ty::Number,
                    (_, t) => t,
                };
                (kind, ty)
            }
            _ => {
                self.errors.push(CheckError::WrongArity {
                    name: name.to_string(),
                    expected: "one argument",
                    got: args.len(),
                    span: span.clone().into(),
                });
                return error_expr(span);
            }
        };
        let window = window.and_then(|w| self.window(w));
        // A windowed count is a rate: events per window, normalised per year.
        let (ty, rate_factor) = match (kind, window) {
            (AggKind::Count | AggKind::CountDistinct, Some((n, p))) => {
                (Ty::Rate, Some(p.per_year() / Decimal::from(n)))
            }
            _ => (ty, None),
        };
        let index = self.aggregates.len();
        self.aggregates.push(AggInfo { kind, arg, window, rate_factor, span: span.clone() });
        TExpr { kind: TKind::Agg(index), ty, span: span.clone() }
    }

    fn window(&mut self, w: &Window) -> Option<(u32, crate::number::Period)> {
        if self.events.as_ref().is_some_and(|e| e.time.is_none()) {
            self.bad_argument(
                "a window needs the events' time",
                &w.span,
                "no `time` field",
                "mark the event time field, e.g. `at: datetime time from \"InvoiceDate\"`",
            );
            return None;
        }
        let n = match &w.count {
            None => 1,
            Some(n) => match crate::number::whole_u32(n.value).filter(|v| *v >= 1) {
                Some(v) => v,
                None => {
                    self.bad_argument("a window is a whole number of periods", &w.span, "not whole", "");
                    return None;
                }
            },
        };
        Some((n, w.period))
    }

    fn population_call(&mut self, name: &str, args: &[Arg], span: &Span) -> TExpr {
        let positional: Vec<&Arg> = args.iter().filter(|a| a.name.is_none()).collect();
        let options: Vec<&Arg> = args.iter().filter(|a| a.name.is_some()).collect();
        let expected = match name {
            "quantile_score" | "top" => 2,
            _ => 1,
        };
        if positional.len() != expected {
            self.errors.push(CheckError::WrongArity {
                name: name.to_string(),
                expected: if expected == 2 { "two arguments" } else { "one argument" },
                got: positional.len(),
                span: span.clone().into(),
            });
            return error_expr(span);
        }
        let arg = self.expr(&positional[0].value);
        if !(arg.ty.is_numeric() || arg.ty == Ty::Error) {
            self.errors.push(CheckError::WrongType {
                message: format!("`{name}` ranks numbers"),
                span: arg.span.clone().into(),
                found: arg.ty.describe().into(),
                help: None,
            });
        }
        let (mut ties, mut reversed) = (None, false);
        for o in &options {
            let Some(n) = &o.name else { continue };
            let word = match &o.value.kind {
                ExprKind::Name(w) => Some(w.as_str()),
                ExprKind::Bool(true) => Some("true"),
                ExprKind::Bool(false) => Some("false"),
                _ => None,
            };
            match (name, n.name.as_str(), word) {
                ("rank", "ties", Some(w @ ("first" | "average" | "min" | "max"))) => {
                    ties = Some(match w {
                        "first" => Ties::First,
                        "average" => Ties::Average,
                        "min" => Ties::Min,
                        _ => Ties::Max,
                    })
                }
                ("rank", "ties", _) => self.bad_argument(
                    "`ties` is one of first, average, min, max",
                    &o.value.span,
                    "unknown tie rule",
                    "`first` breaks ties in customer order, as pandas' `rank(method=\"first\")`",
                ),
                ("quantile_score", "reversed", Some(w @ ("true" | "false"))) => reversed = w == "true",
                ("quantile_score", "reversed", _) => {
                    self.bad_argument("`reversed` is true or false", &o.value.span, "not true/false", "")
                }
                _ => self.bad_argument(
                    &format!("`{name}` has no option `{}`", n.name),
                    &n.span,
                    "unknown option",
                    match name {
                        "rank" => "`rank` takes `ties: first | average | min | max`",
                        "quantile_score" => "`quantile_score` takes `reversed: true`",
                        _ => "",
                    },
                ),
            }
        }
        let second = positional.get(1).map(|a| self.expr(&a.value));
        let (kind, ty) = match name {
            "quantile_score" => {
                let buckets = second.as_ref().and_then(|s| match s.kind {
                    TKind::Const(Const::Num(n)) => crate::number::whole_u32(n),
                    _ => None,
                });
                let buckets = match buckets.filter(|b| (2..=100).contains(b)) {
                    Some(b) => b,
                    None => {
                        let at = second.as_ref().map_or(span, |s| &s.span);
                        self.bad_argument(
                            "the number of quantiles is a whole number from 2 to 100",
                            at,
                            "not 2..100",
                            "quintile scores are `quantile_score(x, 5)`",
                        );
                        2
                    }
                };
                (PopKind::QuantileScore { buckets, reversed }, Ty::Integer)
            }
            "rank" => {
                let ties = ties.unwrap_or(Ties::Average);
                (PopKind::Rank(ties), if ties == Ties::Average { Ty::Number } else { Ty::Integer })
            }
            "percentile" => (PopKind::Percentile, Ty::Number),
            _ => {
                let share = second.as_ref().and_then(|s| match s.kind {
                    TKind::Const(Const::Num(n)) if n > Decimal::ZERO && n <= Decimal::ONE => Some(n),
                    _ => None,
                });
                let share = share.unwrap_or_else(|| {
                    let at = second.as_ref().map_or(span, |s| &s.span);
                    self.bad_argument("the share is a percentage above 0% and at most 100%", at, "not a share", "");
                    Decimal::ONE
                });
                (PopKind::Top(share), Ty::Bool)
            }
        };
        let index = self.populations.len();
        let nested = self.population_level(&arg);
        self.populations.push(PopInfo { kind, arg, nested, span: span.clone() });
        TExpr { kind: TKind::Pop(index), ty, span: span.clone() }
    }

    fn bad_argument(&mut self, message: &str, span: &Span, label: &str, help: &str) {
        self.errors.push(CheckError::BadArgument {
            message: message.into(),
            span: span.clone().into(),
            label: label.into(),
            help: if help.is_empty() { "see docs/metrics.md".into() } else { help.into() },
        });
    }

    /// Warnings for unused event fields and lets, once the metrics have read them.
    pub(super) fn finish_events(&mut self) {
        if let Some(mut ecx) = self.events_cx.take() {
            let key = self.events.as_ref().map(|e| e.key);
            if let Some(slot) = self.events.as_ref().and_then(|e| e.time) {
                ecx.used_fields.insert(slot);
            }
            ecx.unused(key);
            self.errors.append(&mut ecx.errors);
        }
    }
}

/// The period of a metric that is a windowed count, for display and tests.
fn rate_period(t: &TExpr, aggs: &[AggInfo]) -> Option<crate::number::Period> {
    match t.kind {
        TKind::Agg(i) => aggs[i].window.filter(|_| aggs[i].rate_factor.is_some()).map(|(_, p)| p),
        _ => None,
    }
}
