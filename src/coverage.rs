//! Coverage: which tiers were chosen, and which criteria (a tier's whole `when`)
//! and conditions (its comparisons, `between`, `in`, `is` and boolean fields)
//! came out true and false, over test records or real data.
//!
//! A tier is *reached* when the tiers above it did not match (under `hit first`;
//! every tier is reached under `hit unique`); all conditions of a reached tier
//! are evaluated, without short-circuit, so each can show both outcomes.

use crate::check::{Checked, TExpr, TKind};
use crate::compile::{Node, Program};
use crate::eval::{Evaluator, Value};
use crate::syntax::Span;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcomes {
    pub true_count: u64,
    pub false_count: u64,
}

impl Outcomes {
    fn add(&mut self, holds: bool) {
        if holds {
            self.true_count += 1;
        } else {
            self.false_count += 1;
        }
    }
}

#[derive(Debug, Clone)]
pub struct ConditionCoverage {
    pub span: Span,
    pub outcomes: Outcomes,
}

#[derive(Debug, Clone)]
pub struct TierCoverage {
    pub name: String,
    pub span: Span,
    pub chosen: u64,
    /// `None` for `otherwise`.
    pub criterion: Option<(Span, Outcomes)>,
    pub conditions: Vec<ConditionCoverage>,
}

#[derive(Debug, Clone)]
pub struct DimensionCoverage {
    pub name: String,
    pub tiers: Vec<TierCoverage>,
    /// Records that matched no tier.
    pub unmatched: u64,
}

#[derive(Debug, Clone)]
pub struct Coverage {
    pub records: u64,
    pub dimensions: Vec<DimensionCoverage>,
}

/// An outcome nobody exercised, for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub span: Span,
    pub what: String,
}

impl Coverage {
    pub fn new(checked: &Checked) -> Self {
        let dimensions = checked
            .dimensions
            .iter()
            .map(|d| DimensionCoverage {
                name: d.name.clone(),
                unmatched: 0,
                tiers: d
                    .tiers
                    .iter()
                    .map(|t| {
                        let mut spans = Vec::new();
                        if let Some(c) = &t.condition {
                            atom_spans(c, &mut spans);
                        }
                        TierCoverage {
                            name: t.name.clone(),
                            span: t.span.clone(),
                            chosen: 0,
                            criterion: t.condition.as_ref().map(|c| (c.span.clone(), Outcomes::default())),
                            conditions: spans
                                .into_iter()
                                .map(|span| ConditionCoverage { span, outcomes: Outcomes::default() })
                                .collect(),
                        }
                    })
                    .collect(),
            })
            .collect();
        Coverage { records: 0, dimensions }
    }

    /// Records one record; `frame` must be prepared (lets computed).
    pub fn record(&mut self, program: &Program, evaluator: &Evaluator, frame: &[Value]) {
        self.records += 1;
        for (cov, dim) in self.dimensions.iter_mut().zip(&program.dimensions) {
            let unique = dim.hit == crate::check::Hit::Unique;
            let mut chosen = false;
            for (tc, tier) in cov.tiers.iter_mut().zip(&dim.tiers) {
                if chosen && !unique {
                    break;
                }
                let holds = match &tier.condition {
                    None => true,
                    Some(cond) => {
                        let mut atoms = Vec::new();
                        atom_nodes(cond, &mut atoms);
                        for (cc, atom) in tc.conditions.iter_mut().zip(atoms) {
                            cc.outcomes.add(evaluator.truth(atom, frame));
                        }
                        let holds = evaluator.truth(cond, frame);
                        if let Some((_, o)) = tc.criterion.as_mut() {
                            o.add(holds);
                        }
                        holds
                    }
                };
                if holds && !chosen {
                    tc.chosen += 1;
                    chosen = true;
                }
            }
            if !chosen {
                cov.unmatched += 1;
            }
        }
    }

    /// Outcomes exercised and outcomes in all: each tier chosen, each criterion and
    /// condition true and false.
    pub fn score(&self) -> (usize, usize) {
        let mut covered = 0;
        let mut total = 0;
        for t in self.dimensions.iter().flat_map(|d| &d.tiers) {
            total += 1;
            covered += usize::from(t.chosen > 0);
            // A criterion of one condition is that condition: count it once.
            let criterion = t.criterion.iter().filter(|_| t.conditions.len() > 1);
            let outcomes = criterion.map(|(_, o)| o).chain(t.conditions.iter().map(|c| &c.outcomes));
            for o in outcomes {
                total += 2;
                covered += usize::from(o.true_count > 0) + usize::from(o.false_count > 0);
            }
        }
        (covered, total)
    }

    pub fn percent(&self) -> f64 {
        let (covered, total) = self.score();
        if total == 0 {
            100.0
        } else {
            covered as f64 * 100.0 / total as f64
        }
    }

    /// Every outcome never exercised, in source order.
    pub fn gaps(&self, source: &str) -> Vec<Gap> {
        let text = |s: &Span| source.get(s.clone()).unwrap_or("?").to_string();
        let mut out = Vec::new();
        for t in self.dimensions.iter().flat_map(|d| &d.tiers) {
            if t.chosen == 0 {
                out.push(Gap { span: t.span.clone(), what: format!("tier `{}` never chosen", t.name) });
            }
            let criterion = t.criterion.iter().map(|(s, o)| (s, o, "criterion"));
            let conditions = t.conditions.iter().map(|c| (&c.span, &c.outcomes, "condition"));
            for (span, o, kind) in criterion.chain(conditions) {
                if kind == "criterion" && t.conditions.len() == 1 {
                    continue; // the same text as its one condition
                }
                for (count, outcome) in [(o.true_count, "true"), (o.false_count, "false")] {
                    if count == 0 {
                        out.push(Gap { span: span.clone(), what: format!("{kind} `{}` never {outcome}", text(span)) });
                    }
                }
            }
        }
        out.sort_by_key(|g| g.span.start);
        out
    }

    pub fn to_json(&self, source: &str) -> serde_json::Value {
        let text = |s: &Span| source.get(s.clone()).unwrap_or("?").to_string();
        let outcomes = |o: &Outcomes| serde_json::json!({ "true": o.true_count, "false": o.false_count });
        let (covered, total) = self.score();
        serde_json::json!({
            "records": self.records,
            "covered": covered,
            "total": total,
            "percent": (self.percent() * 10.0).round() / 10.0,
            "dimensions": self.dimensions.iter().map(|d| serde_json::json!({
                "name": d.name,
                "unmatched": d.unmatched,
                "tiers": d.tiers.iter().map(|t| serde_json::json!({
                    "name": t.name,
                    "chosen": t.chosen,
                    "criterion": t.criterion.as_ref().map(|(s, o)| serde_json::json!({ "text": text(s), "outcomes": outcomes(o) })),
                    "conditions": t.conditions.iter().map(|c| serde_json::json!({
                        "text": text(&c.span), "outcomes": outcomes(&c.outcomes)
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// The conditions of a criterion: the leaves under `and`, `or` and `not`.
fn atom_spans(t: &TExpr, out: &mut Vec<Span>) {
    match &t.kind {
        TKind::And(xs) | TKind::Or(xs) => xs.iter().for_each(|x| atom_spans(x, out)),
        TKind::Not(x) => atom_spans(x, out),
        _ => out.push(t.span.clone()),
    }
}

/// The same leaves in the compiled program (compilation keeps this shape).
fn atom_nodes<'n>(n: &'n Node, out: &mut Vec<&'n Node>) {
    match n {
        Node::And(xs) | Node::Or(xs) => xs.iter().for_each(|x| atom_nodes(x, out)),
        Node::Not(x) => atom_nodes(x, out),
        _ => out.push(n),
    }
}
