//! The schema's fields and the `let` definitions (with cycle detection).

use super::error::CheckError;
use super::model::{FieldInfo, LetInfo};
use super::refs::names_in;
use super::types::Ty;
use super::{keyword_span, Cx};
use crate::syntax::{Field, Item, Let, Policy, TypeKind};
use std::collections::HashMap;

impl Cx<'_> {
    /// Declares the fields of the first `schema`; returns the key field's slot.
    pub(super) fn schema(&mut self, policy: &Policy) -> Option<usize> {
        let schemas: Vec<_> = policy
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Schema(s) => Some(s),
                _ => None,
            })
            .collect();
        let Some(schema) = schemas.first() else {
            let span = policy.items.first().map_or(0..0, item_start);
            self.errors.push(CheckError::MissingSchema { span: span.into() });
            return None;
        };
        for extra in &schemas[1..] {
            self.errors.push(CheckError::DuplicateSection {
                what: "schema",
                span: keyword_span(&extra.span, "schema"),
                first: keyword_span(&schema.span, "schema"),
            });
        }
        let mut key: Option<&Field> = None;
        let mut columns: HashMap<String, &Field> = HashMap::new();
        for f in &schema.fields {
            if let Some(first) = self.field_index.get(&f.name.name).map(|&i| self.fields[i].span.clone()) {
                self.errors.push(CheckError::DuplicateField {
                    name: f.name.name.clone(),
                    span: f.name.span.clone().into(),
                    first: first.into(),
                });
                continue;
            }
            let column = f.from.first().map_or(f.name.name.clone(), |s| s.value.clone());
            if let Some(prev) = columns.insert(column.clone(), f) {
                self.errors.push(CheckError::DuplicateName {
                    what: "input column",
                    name: column.clone(),
                    span: f.span.clone().into(),
                    first: prev.span.clone().into(),
                });
            }
            if let Some(kspan) = &f.key {
                match key {
                    Some(k) => self.errors.push(CheckError::DuplicateKey {
                        span: kspan.clone().into(),
                        first: k.key.clone().unwrap_or_default().into(),
                    }),
                    None => key = Some(f),
                }
                if f.optional {
                    self.errors
                        .push(CheckError::OptionalKey { name: f.name.name.clone(), span: f.span.clone().into() });
                }
            }
            if let Some(t) = &f.time {
                self.errors.push(CheckError::MisplacedType {
                    message: "`time` marks the event time of an `events` block".into(),
                    span: t.clone().into(),
                    help: "declare event logs in `events NAME { .. }`; a customer field needs no `time`".into(),
                });
            }
            if f.ty.kind == TypeKind::DateTime {
                self.errors.push(CheckError::MisplacedType {
                    message: "a customer field cannot be a `datetime`".into(),
                    span: f.ty.span.clone().into(),
                    help: "use `date` (a time after the date is ignored); `datetime` is for event times".into(),
                });
            }
            self.declare(f, column);
        }
        if key.is_none() {
            self.errors.push(CheckError::MissingKey { span: keyword_span(&schema.span, "schema") });
        }
        key.and_then(|k| self.field_index.get(&k.name.name).copied())
    }

    pub(super) fn declare(&mut self, f: &Field, column: String) {
        let slot = self.fields.len();
        let (ty, period, enum_values) = match &f.ty.kind {
            TypeKind::Text => (Ty::Text, None, vec![]),
            TypeKind::Number => (Ty::Number, None, vec![]),
            TypeKind::Integer | TypeKind::Count => (Ty::Integer, None, vec![]),
            TypeKind::Money => (Ty::Money, None, vec![]),
            TypeKind::Date => (Ty::Date, None, vec![]),
            TypeKind::DateTime => (Ty::DateTime, None, vec![]),
            TypeKind::Bool => (Ty::Bool, None, vec![]),
            TypeKind::Rate(p) => (Ty::Rate, Some(*p), vec![]),
            TypeKind::Enum(values) => {
                let mut names: Vec<String> = Vec::new();
                for v in values {
                    if let Some(i) = names.iter().position(|n| *n == v.name) {
                        self.errors.push(CheckError::DuplicateName {
                            what: "enum value",
                            name: v.name.clone(),
                            span: v.span.clone().into(),
                            first: values[i].span.clone().into(),
                        });
                    } else {
                        names.push(v.name.clone());
                    }
                }
                (Ty::Enum(slot), None, names)
            }
        };
        self.field_index.insert(f.name.name.clone(), slot);
        self.fields.push(FieldInfo {
            name: f.name.name.clone(),
            ty,
            period,
            optional: f.optional,
            column,
            aliases: f.from.iter().skip(1).map(|s| s.value.clone()).collect(),
            enum_values,
            prefer: f.prefer.as_ref().map(|(higher, _)| *higher),
            range: None,
            currency: self.currency.clone().filter(|_| ty == Ty::Money),
            span: f.name.span.clone(),
        });
    }

    /// Types every `let`, each after the lets it uses; lets in a cycle are reported
    /// once and typed `Error`. Returns the lets and their evaluation order.
    pub(super) fn lets(&mut self, policy: &Policy) -> (Vec<LetInfo>, Vec<usize>) {
        let all = policy.items.iter().filter_map(|i| if let Item::Let(l) = i { Some(l) } else { None });
        self.lets_of(all.collect())
    }

    /// [`Cx::lets`] for a given list of definitions (also an `events` block's).
    pub(super) fn lets_of(&mut self, all: Vec<&Let>) -> (Vec<LetInfo>, Vec<usize>) {
        let mut defs: Vec<&Let> = Vec::new();
        for l in all {
            let first = self
                .field_index
                .get(&l.name.name)
                .map(|&i| self.fields[i].span.clone())
                .or_else(|| self.let_index.get(&l.name.name).map(|&i| defs[i].name.span.clone()));
            if let Some(first) = first {
                self.errors.push(CheckError::DuplicateName {
                    what: "name",
                    name: l.name.name.clone(),
                    span: l.name.span.clone().into(),
                    first: first.into(),
                });
                continue;
            }
            self.let_index.insert(l.name.name.clone(), defs.len());
            self.let_spans.push(l.name.span.clone());
            defs.push(l);
        }
        self.let_types = vec![Ty::Error; defs.len()];
        let deps: Vec<Vec<usize>> = defs
            .iter()
            .map(|l| names_in(&l.expr).iter().filter_map(|n| self.let_index.get(*n).copied()).collect())
            .collect();
        let (order, cyclic) = topo_order(&deps);
        for cycle in cyclic {
            // Not type-checked, so mark what the cycle reads as used here: one error
            // for the cycle, no "never used" warnings beside it.
            for &i in &cycle {
                for n in names_in(&defs[i].expr) {
                    if let Some(&slot) = self.field_index.get(n) {
                        self.used_fields.insert(slot);
                    } else if let Some(&slot) = self.let_index.get(n) {
                        self.used_lets.insert(slot);
                    }
                }
            }
            let names: Vec<&str> = cycle.iter().map(|&i| defs[i].name.name.as_str()).collect();
            let first = defs[cycle[0]];
            self.errors.push(CheckError::LetCycle {
                name: first.name.name.clone(),
                cycle: format!("{} → {}", names.join(" → "), names[0]),
                span: first.name.span.clone().into(),
            });
        }
        let mut typed: Vec<Option<LetInfo>> = vec![None; defs.len()];
        let mut depths = vec![0; defs.len()];
        for &i in &order {
            let expr = self.expr(&defs[i].expr);
            self.let_types[i] = expr.ty;
            depths[i] = expanded_depth(&expr, &depths);
            // Reported once, at the first let of a chain past the limit.
            if depths[i] > MAX_LET_DEPTH && deps[i].iter().all(|&j| depths[j] <= MAX_LET_DEPTH) {
                self.errors.push(CheckError::LetTooDeep {
                    name: defs[i].name.name.clone(),
                    depth: depths[i],
                    limit: MAX_LET_DEPTH,
                    span: defs[i].name.span.clone().into(),
                });
            }
            typed[i] = Some(LetInfo { name: defs[i].name.name.clone(), expr, span: defs[i].name.span.clone() });
        }
        let lets = typed
            .into_iter()
            .zip(&defs)
            .map(|(t, d)| {
                t.unwrap_or_else(|| LetInfo {
                    name: d.name.name.clone(),
                    expr: super::model::TExpr {
                        kind: super::model::TKind::Const(super::model::Const::Bool(false)),
                        ty: Ty::Error,
                        span: d.span.clone(),
                    },
                    span: d.name.span.clone(),
                })
            })
            .collect();
        (lets, order)
    }
}

fn item_start(item: &Item) -> std::ops::Range<usize> {
    let span = match item {
        Item::Header(h) => &h.span,
        Item::Schema(s) => &s.span,
        Item::Events(e) => &e.span,
        Item::Metric(m) => &m.span,
        Item::Population(p) => &p.span,
        Item::Budget(b) => &b.span,
        Item::Combination(c) => &c.span,
        Item::Let(l) => &l.span,
        Item::Tier(t) => &t.span,
        Item::Dimension(d) => &d.span,
        Item::Test(t) => &t.span,
    };
    span.start..span.start
}

/// Depth-first topological order of `deps` (node → nodes it uses). Returns the
/// order of the nodes outside any cycle, and each cycle found (in path order).
pub(super) fn topo_order(deps: &[Vec<usize>]) -> (Vec<usize>, Vec<Vec<usize>>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
        Cyclic,
    }
    let mut marks = vec![Mark::New; deps.len()];
    let (mut order, mut cycles) = (Vec::new(), Vec::new());
    // The depth-first path, kept on the heap (a chain of thousands of lets must
    // not exhaust the stack): per node, the next dependency to visit and whether
    // all visited so far were fine.
    let mut path: Vec<(usize, usize, bool)> = Vec::new();
    for root in 0..deps.len() {
        let mut enter = Some(root);
        loop {
            // Entering a node either pushes it or gives its result at once.
            let mut result = None;
            if let Some(n) = enter.take() {
                match marks[n] {
                    Mark::Done => result = Some(true),
                    Mark::Cyclic => result = Some(false),
                    Mark::Active => {
                        let start = path.iter().position(|p| p.0 == n).unwrap_or(0);
                        let cycle: Vec<usize> = path[start..].iter().map(|p| p.0).collect();
                        for &p in &cycle {
                            marks[p] = Mark::Cyclic;
                        }
                        cycles.push(cycle);
                        result = Some(false);
                    }
                    Mark::New => {
                        marks[n] = Mark::Active;
                        path.push((n, 0, true));
                    }
                }
            }
            let Some(top) = path.last_mut() else { break };
            if let Some(ok) = result {
                top.2 &= ok;
            }
            if let Some(&d) = deps[top.0].get(top.1) {
                top.1 += 1;
                enter = Some(d);
                continue;
            }
            let (n, _, ok) = *top;
            path.pop();
            if marks[n] == Mark::Active {
                marks[n] = if ok { Mark::Done } else { Mark::Cyclic };
            }
            if marks[n] == Mark::Done {
                order.push(n);
            }
            match path.last_mut() {
                Some(parent) => parent.2 &= marks[n] == Mark::Done,
                None => break,
            }
        }
    }
    (order, cycles)
}

/// How deep an expression may nest with the lets it uses written out in place:
/// the passes that follow lets (analysis, SQL, explain) recurse that deep.
pub const MAX_LET_DEPTH: usize = 4 * crate::syntax::MAX_DEPTH;

/// The depth of `t` with each let replaced by its definition, given the lets'
/// own expanded depths (`t` itself is within the parser's nesting limit).
fn expanded_depth(t: &super::model::TExpr, lets: &[usize]) -> usize {
    match t.kind {
        super::model::TKind::Let(i) => 1 + lets.get(i).copied().unwrap_or(0),
        _ => 1 + super::refs::children(t).into_iter().map(|c| expanded_depth(c, lets)).max().unwrap_or(0),
    }
}
