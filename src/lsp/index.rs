//! Names in a parsed policy: where each field, let, metric, tier, dimension and
//! test is defined and every place it is used, for hover, go to definition,
//! references, rename, completion and document symbols.

use crate::syntax::{walk, Span};
use crate::syntax::{
    Combination, Dimension, EventsEntry, Expr, ExprKind, Field, Item, Let, Policy, Test, TestItem, Tier, Value,
    ValueKind,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Field,
    Let,
    Metric,
    /// A field or let of the `events` block (its own scope).
    EventField,
    EventLet,
    /// A tier of the dimension with this index in `Index::dimensions`.
    Tier(usize),
    Dimension,
    Test,
}

#[derive(Debug, Clone)]
pub struct Def {
    pub name: String,
    pub kind: Kind,
    /// The name where it is defined.
    pub span: Span,
    /// The whole definition (a tier's block, a field's declaration).
    pub full: Span,
}

/// The names of one policy; dimension 0..n in source order, the tiers outside
/// any block forming the dimension `tier`.
#[derive(Debug, Clone, Default)]
pub struct Index {
    pub defs: Vec<Def>,
    /// `(definition, span)` for every use, definitions excluded.
    pub refs: Vec<(usize, Span)>,
    /// Dimension names, with the index of their `Kind::Dimension` def (none for
    /// the implicit `tier` dimension).
    pub dimensions: Vec<(String, Option<usize>)>,
    /// The values of each enum field, by field name, spelled as written
    /// (`"C D"` quoted).
    pub enums: Vec<(String, Vec<String>)>,
}

impl Index {
    pub fn build(policy: &Policy) -> Index {
        let mut ix = Index::default();
        ix.declare(policy);
        ix.resolve(policy);
        ix
    }

    /// The definition named at `offset`, whether at its definition or a use.
    pub fn at(&self, offset: usize) -> Option<usize> {
        let hit = |s: &Span| s.start <= offset && offset <= s.end;
        self.defs.iter().position(|d| hit(&d.span)).or_else(|| self.refs.iter().find(|(_, s)| hit(s)).map(|r| r.0))
    }

    /// Every use of a definition, and its definition first if asked.
    pub fn uses(&self, def: usize, with_definition: bool) -> Vec<Span> {
        let own = self.defs.get(def).filter(|_| with_definition).map(|d| d.span.clone());
        own.into_iter().chain(self.refs.iter().filter(|(d, _)| *d == def).map(|(_, s)| s.clone())).collect()
    }

    pub fn find(&self, name: &str, wanted: impl Fn(Kind) -> bool) -> Option<usize> {
        self.defs.iter().position(|d| d.name == name && wanted(d.kind))
    }

    pub fn dimension_index(&self, name: &str) -> Option<usize> {
        self.dimensions.iter().position(|(n, _)| n == name)
    }

    /// The tiers of a dimension, in order.
    pub fn tiers(&self, dim: usize) -> impl Iterator<Item = &Def> {
        self.defs.iter().filter(move |d| d.kind == Kind::Tier(dim))
    }

    /// The first dimension with a tier of this name.
    pub fn tier_dimension(&self, name: &str) -> Option<usize> {
        self.defs.iter().find_map(|d| match d.kind {
            Kind::Tier(dim) if d.name == name => Some(dim),
            _ => None,
        })
    }

    fn def(&mut self, name: &str, kind: Kind, span: &Span, full: &Span) -> usize {
        self.defs.push(Def { name: name.to_string(), kind, span: span.clone(), full: full.clone() });
        self.defs.len() - 1
    }

    fn declare(&mut self, policy: &Policy) {
        let top_level = policy.items.iter().any(|i| matches!(i, Item::Tier(_)));
        if top_level {
            self.dimensions.push(("tier".into(), None));
        }
        for item in &policy.items {
            match item {
                Item::Schema(s) => s.fields.iter().for_each(|f| self.field(f, Kind::Field)),
                Item::Events(e) => {
                    for entry in &e.entries {
                        match entry {
                            EventsEntry::Field(f) => self.field(f, Kind::EventField),
                            EventsEntry::Let(l) => self.let_def(l, Kind::EventLet),
                            EventsEntry::Where(_) => {}
                        }
                    }
                }
                Item::Metric(m) => {
                    self.def(&m.name.name, Kind::Metric, &m.name.span, &m.span);
                }
                Item::Let(l) => self.let_def(l, Kind::Let),
                Item::Tier(t) => self.tier(t, 0),
                Item::Dimension(d) => self.dimension(d),
                Item::Test(t) => {
                    self.def(&t.name.value, Kind::Test, &t.name.span, &t.span);
                }
                Item::Header(_) | Item::Population(_) | Item::Budget(_) | Item::Combination(_) => {}
            }
        }
    }

    fn field(&mut self, f: &Field, kind: Kind) {
        if let crate::syntax::TypeKind::Enum(values) = &f.ty.kind {
            let spelled = values.iter().map(|v| if v.quoted { format!("{:?}", v.name) } else { v.name.clone() });
            self.enums.push((f.name.name.clone(), spelled.collect()));
        }
        self.def(&f.name.name, kind, &f.name.span, &f.span);
    }

    fn let_def(&mut self, l: &Let, kind: Kind) {
        self.def(&l.name.name, kind, &l.name.span, &l.span);
    }

    fn tier(&mut self, t: &Tier, dim: usize) {
        self.def(&t.name.name, Kind::Tier(dim), &t.name.span, &t.span);
    }

    fn dimension(&mut self, d: &Dimension) {
        let def = self.def(&d.name.name, Kind::Dimension, &d.name.span, &d.span);
        self.dimensions.push((d.name.name.clone(), Some(def)));
        let dim = self.dimensions.len() - 1;
        d.tiers.iter().for_each(|t| self.tier(t, dim));
    }

    fn resolve(&mut self, policy: &Policy) {
        for item in &policy.items {
            match item {
                Item::Events(e) => {
                    for entry in &e.entries {
                        match entry {
                            EventsEntry::Let(l) => self.expr(&l.expr, true),
                            EventsEntry::Where(w) => self.expr(w, true),
                            EventsEntry::Field(_) => {}
                        }
                    }
                }
                Item::Metric(m) => self.expr(&m.expr, true),
                Item::Population(p) => self.expr(&p.expr, false),
                Item::Let(l) => self.expr(&l.expr, false),
                Item::Tier(t) => self.tier_uses(t, 0),
                Item::Dimension(d) => {
                    let dim = self.dimension_index(&d.name.name).unwrap_or(0);
                    d.tiers.iter().for_each(|t| self.tier_uses(t, dim));
                    for rule in d.retention.iter().flat_map(|r| &r.rules) {
                        if let crate::syntax::RetentionKind::Keep { tier, .. } = &rule.kind {
                            self.tier_ref(dim, &tier.name, &tier.span);
                        }
                    }
                }
                Item::Budget(b) => {
                    for (tier, _) in &b.entries {
                        if let Some(dim) = self.tier_dimension(&tier.name) {
                            self.tier_ref(dim, &tier.name, &tier.span);
                        }
                    }
                }
                Item::Combination(c) => self.combination(c),
                Item::Test(t) => self.test(t),
                Item::Header(_) | Item::Schema(_) => {}
            }
        }
    }

    fn tier_uses(&mut self, t: &Tier, dim: usize) {
        for clause in &t.clauses {
            match clause {
                crate::syntax::TierClause::When(e) => self.expr(e, false),
                crate::syntax::TierClause::Strategy(s) => {
                    if let Some(ext) = &s.extends {
                        self.tier_ref(dim, &ext.name, &ext.span);
                    }
                }
                crate::syntax::TierClause::Otherwise(_) => {}
            }
        }
    }

    fn combination(&mut self, c: &Combination) {
        for (dim, tier) in &c.conditions {
            if let Some(d) = self.dimension_index(&dim.name) {
                self.dimension_ref(d, &dim.span);
                self.tier_ref(d, &tier.name, &tier.span);
            }
        }
    }

    fn test(&mut self, t: &Test) {
        for item in &t.items {
            match item {
                TestItem::Given(g) => {
                    for e in &g.entries {
                        self.name_ref(&e.field.name, &e.field.span, false);
                    }
                }
                TestItem::Population(v) => self.population_keys(v),
                TestItem::ExpectTier(e) => {
                    let dim = match &e.dimension {
                        Some(d) => self.dimension_index(&d.name).inspect(|&i| self.dimension_ref(i, &d.span)),
                        None => e.tier.as_ref().and_then(|t| self.tier_dimension(&t.name)),
                    };
                    if let (Some(dim), Some(tier)) = (dim, &e.tier) {
                        self.tier_ref(dim, &tier.name, &tier.span);
                    }
                }
                TestItem::ExpectStrategy(e) => {
                    if let Some(d) = &e.dimension {
                        if let Some(i) = self.dimension_index(&d.name) {
                            self.dimension_ref(i, &d.span);
                        }
                    }
                }
            }
        }
    }

    fn population_keys(&mut self, v: &Value) {
        match &v.kind {
            ValueKind::List(items) => items.iter().for_each(|i| self.population_keys(i)),
            ValueKind::Map(entries) => {
                for e in entries {
                    self.name_ref(&e.key.name, &e.key.span, false);
                }
            }
            _ => {}
        }
    }

    fn expr(&mut self, e: &Expr, events: bool) {
        let mut names = Vec::new();
        walk(e, &mut |x| {
            if let ExprKind::Name(n) = &x.kind {
                names.push((n.clone(), x.span.clone()));
            }
        });
        for (name, span) in names {
            self.name_ref(&name, &span, events);
        }
    }

    /// A field, let or metric; event names first inside the events scope.
    fn name_ref(&mut self, name: &str, span: &Span, events: bool) {
        let event = |k| matches!(k, Kind::EventField | Kind::EventLet);
        let plain = |k| matches!(k, Kind::Field | Kind::Let | Kind::Metric);
        let found =
            if events { self.find(name, event).or_else(|| self.find(name, plain)) } else { self.find(name, plain) };
        if let Some(d) = found {
            self.refs.push((d, span.clone()));
        }
    }

    fn tier_ref(&mut self, dim: usize, name: &str, span: &Span) {
        if let Some(d) = self.find(name, |k| k == Kind::Tier(dim)) {
            self.refs.push((d, span.clone()));
        }
    }

    fn dimension_ref(&mut self, dim: usize, span: &Span) {
        if let Some((_, Some(def))) = self.dimensions.get(dim) {
            self.refs.push((*def, span.clone()));
        }
    }
}

/// Every expression of a policy (criteria, lets, metrics, filters).
pub fn exprs(policy: &Policy) -> Vec<&Expr> {
    let mut out = Vec::new();
    fn tier<'a>(t: &'a Tier, out: &mut Vec<&'a Expr>) {
        for c in &t.clauses {
            if let crate::syntax::TierClause::When(e) = c {
                out.push(e);
            }
        }
    }
    for item in &policy.items {
        match item {
            Item::Events(e) => {
                for entry in &e.entries {
                    match entry {
                        EventsEntry::Let(l) => out.push(&l.expr),
                        EventsEntry::Where(w) => out.push(w),
                        EventsEntry::Field(_) => {}
                    }
                }
            }
            Item::Metric(m) => out.push(&m.expr),
            Item::Population(p) => out.push(&p.expr),
            Item::Let(l) => out.push(&l.expr),
            Item::Tier(t) => tier(t, &mut out),
            Item::Dimension(d) => d.tiers.iter().for_each(|t| tier(t, &mut out)),
            _ => {}
        }
    }
    out
}
