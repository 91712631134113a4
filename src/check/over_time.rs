//! Tiers over time and money: `retention` rules of a dimension, `budget`s split
//! over a dimension's tiers, and strategies for combinations of tiers
//! (`when value is VIP and lifecycle is AtRisk { .. }`).

use super::error::CheckError;
use super::model::{BudgetInfo, CombinationInfo, DimensionInfo, RetentionInfo, TierInfo};
use super::suggest::did_you_mean;
use super::Cx;
use crate::number::Decimal;
use crate::syntax::{Item, Num, Policy, Retention, RetentionKind, Span, ValueKind};

impl Cx<'_> {
    /// The rules of a `retention` block, for an ordered dimension.
    pub(super) fn retention(&mut self, r: &Retention, tiers: &[TierInfo], ordered: bool) -> Option<RetentionInfo> {
        if !ordered {
            self.errors.push(CheckError::BadRetention {
                message: "retention rules need an ordered dimension".into(),
                span: (r.span.start..r.span.start + "retention".len()).into(),
                help: "promotion and demotion compare tiers: remove `unordered`, or the retention block".into(),
            });
            return None;
        }
        let mut info = RetentionInfo { demote_after: 1, at_most: None, keep: Vec::new() };
        let (mut after, mut at_most): (Option<&Span>, Option<&Span>) = (None, None);
        for rule in &r.rules {
            match &rule.kind {
                RetentionKind::PromoteImmediately => {}
                RetentionKind::DemoteAfter(n) => {
                    self.once(&mut after, &rule.span, "demote after");
                    info.demote_after = self.whole(n, &rule.span, "evaluations")?;
                }
                RetentionKind::DemoteAtMost(n) => {
                    self.once(&mut at_most, &rule.span, "demote at most");
                    info.at_most = Some(self.whole(n, &rule.span, "tiers")?);
                }
                RetentionKind::Keep { tier, count, period } => {
                    let Some(t) = tiers.iter().position(|t| t.name == tier.name) else {
                        let help = did_you_mean(&tier.name, tiers.iter().map(|t| t.name.as_str()));
                        self.errors.push(CheckError::UnknownTier {
                            what: "tier",
                            name: tier.name.clone(),
                            span: tier.span.clone().into(),
                            help,
                        });
                        continue;
                    };
                    if let Some((_, _, _)) = info.keep.iter().find(|k| k.0 == t) {
                        self.errors.push(CheckError::BadRetention {
                            message: format!("two `keep` rules for `{}`", tier.name),
                            span: rule.span.clone().into(),
                            help: "keep one period per tier".into(),
                        });
                    }
                    let n = self.whole(count, &rule.span, "periods")?;
                    info.keep.push((t, n, *period));
                }
            }
        }
        Some(info)
    }

    fn once<'s>(&mut self, seen: &mut Option<&'s Span>, span: &'s Span, what: &str) {
        if seen.is_some() {
            self.errors.push(CheckError::BadRetention {
                message: format!("two `{what}` rules contradict each other"),
                span: span.clone().into(),
                help: "state each rule once".into(),
            });
        }
        *seen = Some(span);
    }

    /// A whole number of at least 1.
    fn whole(&mut self, n: &Num, span: &Span, what: &str) -> Option<u32> {
        let v = crate::number::whole_u32(n.value).filter(|v| *v >= 1);
        if v.is_none() {
            self.errors.push(CheckError::BadRetention {
                message: format!("the number of {what} is a whole number of at least 1"),
                span: span.clone().into(),
                help: "e.g. `demote after 2 evaluations below`".into(),
            });
        }
        v
    }

    /// Every `budget`: its dimension (the one whose tiers it names), shares that
    /// add up to 100% (or weights), a positive amount.
    pub(super) fn budgets(&mut self, policy: &Policy, dims: &[DimensionInfo]) -> Vec<BudgetInfo> {
        let mut out: Vec<BudgetInfo> = Vec::new();
        for item in &policy.items {
            let Item::Budget(b) = item else { continue };
            if let Some(first) = out.iter().find(|o| o.name == b.name.name) {
                self.errors.push(CheckError::DuplicateName {
                    what: "budget",
                    name: b.name.name.clone(),
                    span: b.name.span.clone().into(),
                    first: first.span.clone().into(),
                });
                continue;
            }
            self.money_literals_in(&b.amount);
            let (amount, currency) = match &b.amount.kind {
                ValueKind::Money(m) => (m.amount.value, Some(m.currency.clone())),
                ValueKind::Number(n) => (n.value, None),
                _ => (Decimal::ZERO, None),
            };
            let bad = |message: String, span: &Span, label: &str, help: &str| CheckError::BadBudget {
                message,
                span: span.clone().into(),
                label: label.into(),
                help: help.into(),
            };
            if amount <= Decimal::ZERO {
                self.errors.push(bad(
                    "a budget amount is above zero".into(),
                    &b.amount.span,
                    "not above zero",
                    "e.g. `budget marketing ¥1M per year { .. }`",
                ));
            }
            // The dimension holding every tier named.
            let holds_all = |d: &DimensionInfo| b.entries.iter().all(|(t, _)| d.tiers.iter().any(|x| x.name == t.name));
            let Some(dimension) = dims.iter().position(holds_all) else {
                let unknown =
                    b.entries.iter().find(|(t, _)| !dims.iter().any(|d| d.tiers.iter().any(|x| x.name == t.name)));
                match unknown {
                    Some((t, _)) => {
                        let all = dims.iter().flat_map(|d| d.tiers.iter().map(|t| t.name.as_str()));
                        let help = did_you_mean(&t.name, all);
                        self.errors.push(CheckError::UnknownTier {
                            what: "tier",
                            name: t.name.clone(),
                            span: t.span.clone().into(),
                            help,
                        });
                    }
                    None => self.errors.push(bad(
                        format!("budget `{}` names tiers of different dimensions", b.name.name),
                        &b.name.span,
                        "mixed dimensions",
                        "a budget splits over one dimension's tiers: make one budget per dimension",
                    )),
                }
                continue;
            };
            let mut parts = vec![Decimal::ZERO; dims[dimension].tiers.len()];
            let mut seen = vec![false; parts.len()];
            for (t, n) in &b.entries {
                let i = dims[dimension].tiers.iter().position(|x| x.name == t.name).unwrap_or(0);
                if std::mem::replace(&mut seen[i], true) {
                    self.errors.push(bad(
                        format!("`{}` is listed twice", t.name),
                        &t.span,
                        "again",
                        "list each tier once",
                    ));
                }
                if n.value < Decimal::ZERO {
                    self.errors.push(bad("a share or weight is not negative".into(), &t.span, "negative", ""));
                }
                parts[i] = n.value;
            }
            let total: Decimal = parts.iter().copied().sum();
            if !b.by_weight && total != Decimal::ONE {
                self.errors.push(bad(
                    format!("the shares of budget `{}` add up to {}%, not 100%", b.name.name, (total * Decimal::from(100)).normalize()),
                    &b.name.span,
                    "shares do not add up",
                    "give every tier its share of the amount, e.g. `VIP: 50%, Important: 30%, General: 20%`; or split per customer `by weight`",
                ));
            }
            if b.by_weight && total.is_zero() {
                self.errors.push(bad(
                    "every weight is zero: nobody would get anything".into(),
                    &b.name.span,
                    "no weight",
                    "give the tiers that get the budget a weight above zero",
                ));
            }
            out.push(BudgetInfo {
                name: b.name.name.clone(),
                amount,
                currency,
                period: b.period,
                dimension,
                by_weight: b.by_weight,
                parts,
                span: b.name.span.clone(),
            });
        }
        out
    }

    /// Every `when DIM is TIER and ..` strategy: names resolved, and no key set
    /// to two values by combinations that can hold together (unless one says
    /// `override`, which wins). Returned in merge order: overrides last.
    pub(super) fn combinations(&mut self, policy: &Policy, dims: &[DimensionInfo]) -> Vec<CombinationInfo> {
        let mut out: Vec<CombinationInfo> = Vec::new();
        'items: for item in &policy.items {
            let Item::Combination(c) = item else { continue };
            let mut conditions: Vec<(usize, usize)> = Vec::new();
            for (d, t) in &c.conditions {
                let Some(di) = dims.iter().position(|x| x.name == d.name) else {
                    let help = did_you_mean(&d.name, dims.iter().map(|x| x.name.as_str()));
                    self.errors.push(CheckError::UnknownTier {
                        what: "dimension",
                        name: d.name.clone(),
                        span: d.span.clone().into(),
                        help,
                    });
                    continue 'items;
                };
                let Some(ti) = dims[di].tiers.iter().position(|x| x.name == t.name) else {
                    let help = did_you_mean(&t.name, dims[di].tiers.iter().map(|x| x.name.as_str()));
                    self.errors.push(CheckError::UnknownTier {
                        what: "tier",
                        name: t.name.clone(),
                        span: t.span.clone().into(),
                        help,
                    });
                    continue 'items;
                };
                if conditions.iter().any(|&(x, _)| x == di) {
                    self.errors.push(CheckError::StrategyConflict {
                        message: format!("dimension `{}` is named twice: a customer has one tier in it", d.name),
                        span: d.span.clone().into(),
                        other: c.conditions[0].0.span.clone().into(),
                        help: "name each dimension once; for several tiers write one `when` each".into(),
                    });
                    continue 'items;
                }
                conditions.push((di, ti));
            }
            let strategy = self.map(&c.strategy.entries);
            let text =
                c.conditions.iter().map(|(d, t)| format!("{} is {}", d.name, t.name)).collect::<Vec<_>>().join(" and ");
            out.push(CombinationInfo {
                target: conditions[0].0,
                conditions,
                override_: c.override_,
                strategy,
                text,
                span: c.span.start..c.span.start + "when".len(),
            });
        }
        // Two combinations that can hold for one customer must not disagree on a key.
        for (i, a) in out.iter().enumerate() {
            for b in &out[i + 1..] {
                let together = a.conditions.iter().all(|(d, t)| b.conditions.iter().all(|(e, u)| d != e || t == u));
                if !together || a.target != b.target || a.override_ != b.override_ {
                    continue;
                }
                for (k, v) in &a.strategy {
                    if b.strategy.get(k).is_some_and(|w| !w.same(v)) {
                        self.errors.push(CheckError::StrategyConflict {
                            message: format!(
                                "`{}` and `{}` can hold for the same customer and set `{k}` to different values",
                                a.text, b.text
                            ),
                            span: b.span.clone().into(),
                            other: a.span.clone().into(),
                            help: "say which wins: mark one `override` (`when .. override { strategy { .. } }`), or make the combinations exclusive".into(),
                        });
                    }
                }
            }
        }
        out.sort_by_key(|c| c.override_);
        out
    }
}
