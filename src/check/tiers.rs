//! Dimensions and their tiers: options, conditions, order, duplicates.

use super::error::CheckError;
use super::model::{DimensionInfo, Hit, TExpr, TKind, TierInfo};
use super::types::Ty;
use super::Cx;
use crate::syntax::{DimOption, DimOptionKind, Item, Policy, Span, Tier, TierClause};

/// The name of the dimension formed by tiers outside any `dimension` block.
pub const DEFAULT_DIMENSION: &str = "tier";

/// A dimension as written: the implicit one or a `dimension` block.
struct DimSource<'p> {
    name: String,
    name_span: Span,
    label: Option<String>,
    options: &'p [DimOption],
    retention: Option<&'p crate::syntax::Retention>,
    tiers: Vec<&'p Tier>,
}

impl Cx<'_> {
    pub(super) fn dimensions(&mut self, policy: &Policy) -> Vec<DimensionInfo> {
        let sources = gather(policy);
        if sources.iter().all(|d| d.tiers.is_empty()) {
            self.errors.push(CheckError::NoTiers { span: (0..0).into() });
        }
        let mut out: Vec<DimensionInfo> = Vec::new();
        for d in sources {
            if let Some(first) = out.iter().find(|o| o.name == d.name) {
                self.errors.push(CheckError::DuplicateName {
                    what: "dimension",
                    name: d.name.clone(),
                    span: d.name_span.clone().into(),
                    first: first.span.clone().into(),
                });
                continue;
            }
            if d.tiers.is_empty() {
                self.errors.push(CheckError::NoTiers { span: d.name_span.clone().into() });
            }
            let (hit, ordered) = self.options(d.options);
            let tiers = self.tiers(&d.name, &d.tiers);
            let retention = d.retention.and_then(|r| self.retention(r, &tiers, ordered));
            let mut info =
                DimensionInfo { name: d.name, label: d.label, hit, ordered, tiers, retention, span: d.name_span };
            self.strategies(&mut info, &d.tiers);
            out.push(info);
        }
        out
    }

    fn options(&mut self, options: &[DimOption]) -> (Hit, bool) {
        let (mut hit, mut ordered): (Option<&DimOption>, Option<&DimOption>) = (None, None);
        for o in options {
            let slot = match o.kind {
                DimOptionKind::HitFirst | DimOptionKind::HitUnique => &mut hit,
                DimOptionKind::Ordered | DimOptionKind::Unordered => &mut ordered,
            };
            match slot {
                Some(prev) if prev.kind != o.kind => self.errors.push(CheckError::ConflictingOptions {
                    first_option: option_text(prev.kind).into(),
                    option: option_text(o.kind).into(),
                    span: o.span.clone().into(),
                    first: prev.span.clone().into(),
                }),
                _ => *slot = Some(o),
            }
        }
        let hit = match hit.map(|o| o.kind) {
            Some(DimOptionKind::HitUnique) => Hit::Unique,
            _ => Hit::First,
        };
        (hit, ordered.is_none_or(|o| o.kind == DimOptionKind::Ordered))
    }

    fn tiers(&mut self, dimension: &str, tiers: &[&Tier]) -> Vec<TierInfo> {
        let mut out: Vec<TierInfo> = Vec::new();
        for (i, t) in tiers.iter().enumerate() {
            if let Some(first) = out.iter().find(|o| o.name == t.name.name) {
                self.errors.push(CheckError::DuplicateTier {
                    name: t.name.name.clone(),
                    dimension: dimension.into(),
                    span: t.name.span.clone().into(),
                    first: first.span.clone().into(),
                });
            }
            let condition = self.tier_condition(t);
            if condition.is_none() {
                if let Some(next) = tiers.get(i + 1) {
                    self.errors.push(CheckError::OtherwiseNotLast {
                        name: t.name.name.clone(),
                        dimension: dimension.into(),
                        next: next.name.name.clone(),
                        span: t.name.span.clone().into(),
                        shadowed: next.name.span.clone().into(),
                    });
                }
            }
            out.push(TierInfo {
                name: t.name.name.clone(),
                label: t.label.as_ref().map(|l| l.value.clone()),
                condition,
                strategy: Default::default(),
                has_strategy: false,
                extends: None,
                own_keys: Vec::new(),
                span: t.name.span.clone(),
            });
        }
        out
    }

    /// The tier's `when` clauses joined by `and`; `None` for `otherwise`.
    fn tier_condition(&mut self, t: &Tier) -> Option<TExpr> {
        let mut whens: Vec<TExpr> = Vec::new();
        let mut otherwise: Option<&Span> = None;
        for clause in &t.clauses {
            match clause {
                TierClause::When(e) => whens.push(self.condition(e)),
                TierClause::Otherwise(span) => otherwise = Some(span),
                TierClause::Strategy(_) => {}
            }
        }
        match (otherwise, whens.len()) {
            (Some(span), n) => {
                if n > 0 {
                    self.errors
                        .push(CheckError::WhenAndOtherwise { name: t.name.name.clone(), span: span.clone().into() });
                }
                None
            }
            (None, 0) => {
                self.errors
                    .push(CheckError::MissingCondition { name: t.name.name.clone(), span: t.name.span.clone().into() });
                Some(TExpr { kind: TKind::And(vec![]), ty: Ty::Bool, span: t.name.span.clone() })
            }
            (None, 1) => whens.pop(),
            (None, _) => {
                let span = whens[0].span.start..whens[whens.len() - 1].span.end;
                Some(TExpr { kind: TKind::And(whens), ty: Ty::Bool, span })
            }
        }
    }
}

fn option_text(kind: DimOptionKind) -> &'static str {
    match kind {
        DimOptionKind::HitFirst => "hit first",
        DimOptionKind::HitUnique => "hit unique",
        DimOptionKind::Ordered => "ordered",
        DimOptionKind::Unordered => "unordered",
    }
}

fn gather(policy: &Policy) -> Vec<DimSource<'_>> {
    let mut out: Vec<DimSource> = Vec::new();
    let mut implicit: Option<usize> = None;
    for item in &policy.items {
        match item {
            Item::Tier(t) => {
                let i = *implicit.get_or_insert_with(|| {
                    out.push(DimSource {
                        name: DEFAULT_DIMENSION.into(),
                        name_span: t.name.span.clone(),
                        label: None,
                        options: &[],
                        retention: None,
                        tiers: vec![],
                    });
                    out.len() - 1
                });
                out[i].tiers.push(t);
            }
            Item::Dimension(d) => out.push(DimSource {
                name: d.name.name.clone(),
                name_span: d.name.span.clone(),
                label: d.label.as_ref().map(|l| l.value.clone()),
                options: &d.options,
                retention: d.retention.as_ref(),
                tiers: d.tiers.iter().collect(),
            }),
            _ => {}
        }
    }
    out
}
