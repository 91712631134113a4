//! Decision-table analysis of a checked policy: unreachable tiers, gaps,
//! overlaps, dead conditions and non-monotone tiers, each shown with a concrete
//! record that was run through the evaluator before it is reported.

mod error;
pub(crate) mod explore;
mod monotone;
pub mod space;

pub use error::{Finding, Record};

use crate::check::{Checked, DimensionInfo, Hit, TExpr};
use crate::compile::{Node, Program};
use crate::eval::{Evaluator, Value};
use crate::number::Date;
use explore::{Explorer, Formula, Region};
use space::{Cell, Space};

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The date `today` stands for in criteria.
    pub today: Date,
    /// Also note, under `hit first`, which tier wins where two overlap.
    pub explain_overlaps: bool,
}

/// Runs every analysis on every dimension.
pub fn analyze(checked: &Checked, program: &Program, source: &str, options: Options) -> Vec<Finding> {
    let evaluator = Evaluator::new(program, options.today);
    let mut out = Vec::new();
    for (d, dim) in checked.dimensions.iter().enumerate() {
        let conditions: Vec<&TExpr> = dim.tiers.iter().filter_map(|t| t.condition.as_ref()).collect();
        let space = space::build(checked, &conditions, source, options.today);
        let cx = Dim { checked, program, source, dim, d, space: &space, evaluator: &evaluator, options };
        cx.run(&mut out);
    }
    out.sort_by_key(|f| f.labels().and_then(|mut l| l.next()).map_or(0, |l| l.offset()));
    out
}

use miette::Diagnostic;

/// The analysis of one dimension.
struct Dim<'a> {
    checked: &'a Checked,
    program: &'a Program,
    source: &'a str,
    dim: &'a DimensionInfo,
    d: usize,
    space: &'a Space,
    evaluator: &'a Evaluator<'a>,
    options: Options,
}

impl Dim<'_> {
    fn run(&self, out: &mut Vec<Finding>) {
        let explorer = Explorer::new(self.space, self.program, self.evaluator);
        if self.run_with(&explorer, out).is_err() {
            out.push(Finding::TooLarge {
                dimension: self.dim.name.clone(),
                boxes: explore::MAX_BOXES,
                steps: explore::MAX_WORK,
                span: self.dim.span.clone().into(),
            });
        }
        if !self.space.approximate.is_empty() {
            let subjects: Vec<String> = self.space.approximate.iter().map(|s| format!("`{s}`")).collect();
            out.push(Finding::Approximate {
                dimension: self.dim.name.clone(),
                subjects: subjects.join(", "),
                span: self.dim.span.clone().into(),
            });
        }
    }

    fn run_with(&self, ex: &Explorer, out: &mut Vec<Finding>) -> Result<(), explore::TooLarge> {
        let formulas = self.formulas();
        // Under `hit unique` every tier must be decided everywhere; under `hit
        // first` only the first that holds matters, which keeps the partition small.
        let regions = match self.dim.hit {
            Hit::Unique => ex.explore(&formulas, ex.full_box())?,
            Hit::First => ex.explore_first(&formulas, ex.full_box())?,
        };
        self.reachability(ex, &regions, out)?;
        self.gaps(ex, &regions, out);
        self.overlaps(ex, &regions, out)?;
        self.dead_conditions(ex, out)?;
        if self.dim.ordered && self.dim.hit == Hit::First {
            monotone::check(self, ex, &regions, out)?;
        }
        Ok(())
    }

    fn formulas(&self) -> Vec<Formula<'_>> {
        self.nodes().into_iter().map(|node| Formula { node, force: None }).collect()
    }

    fn nodes(&self) -> Vec<Option<&Node>> {
        self.program.dimensions[self.d].tiers.iter().map(|t| t.condition.as_ref()).collect()
    }

    /// A tier never chosen is either shadowed by tiers above it (with a record it
    /// matches that goes to another tier) or matches nothing at all.
    fn reachability(&self, ex: &Explorer, regions: &[Region], out: &mut Vec<Finding>) -> Result<(), explore::TooLarge> {
        let formulas = self.formulas();
        for (i, tier) in self.dim.tiers.iter().enumerate() {
            let chosen = match self.dim.hit {
                Hit::First => regions.iter().any(|r| r.first() == Some(i)),
                Hit::Unique => regions.iter().any(|r| r.holds(i)),
            };
            if chosen {
                continue;
            }
            let own = ex.explore(&formulas[i..=i], ex.full_box())?;
            let Some(example) = own.iter().find(|r| r.holds(0)) else {
                // "Never" is a claim about every record: only an exact analysis
                // can make it (a searched one may just not have tried the value).
                if !self.space.approximate.is_empty() {
                    continue;
                }
                out.push(Finding::NeverMatches {
                    tier: tier.name.clone(),
                    fields: self.fields_of(i),
                    span: tier.condition.as_ref().map_or(tier.span.clone(), |c| c.span.clone()).into(),
                });
                continue;
            };
            let frame = ex.frame(&example.ranges);
            let Some(winner) = (0..i).find(|&j| self.holds(j, &frame)) else {
                continue;
            };
            if !self.verify(&frame, |dec| dec == Some(winner) && self.holds(i, &frame)) {
                continue;
            }
            if tier.condition.is_none() {
                out.push(Finding::UnreachableOtherwise { tier: tier.name.clone(), span: tier.span.clone().into() });
                continue;
            }
            let mut shadowers = Vec::new();
            for j in 0..i {
                let pair = ex.explore(&[formulas[i], formulas[j]], ex.full_box())?;
                if pair.iter().any(|r| r.holds(0) && r.holds(1)) {
                    shadowers.push(j);
                }
            }
            let names: Vec<String> = shadowers.iter().map(|&j| format!("`{}`", self.dim.tiers[j].name)).collect();
            out.push(Finding::Unreachable {
                tier: tier.name.clone(),
                shadowers: match names.split_last() {
                    Some((last, [])) => format!("tier {last}"),
                    Some((last, rest)) => format!("tiers {} and {last}", rest.join(", ")),
                    None => "the tiers".into(),
                },
                winner: self.dim.tiers[winner].name.clone(),
                witness: self.witness(&frame),
                record: self.record(&frame),
                span: tier.span.clone().into(),
                shadower: self.dim.tiers[shadowers.first().copied().unwrap_or(winner)].span.clone().into(),
            });
        }
        Ok(())
    }

    fn gaps(&self, ex: &Explorer, regions: &[Region], out: &mut Vec<Finding>) {
        let gaps: Vec<&Region> = regions.iter().filter(|r| !r.truths.iter().any(|t| *t)).collect();
        let Some(first) = gaps.first() else { return };
        let frame = ex.frame(&first.ranges);
        if !self.verify(&frame, |dec| dec.is_none()) {
            return;
        }
        let mut described: Vec<String> = Vec::new();
        for g in &gaps {
            let d = self.describe(&g.ranges);
            if !described.contains(&d) {
                described.push(d);
            }
        }
        let more = described.len().saturating_sub(5);
        described.truncate(5);
        let mut regions_text = format!("records with no tier: {}", described.join("; "));
        if more > 0 {
            regions_text.push_str(&format!("; and {more} more region(s)"));
        }
        out.push(Finding::Gap {
            dimension: self.dim.name.clone(),
            witness: self.witness(&frame),
            record: self.record(&frame),
            regions: regions_text,
            span: self.dim.span.clone().into(),
        });
    }

    fn overlaps(&self, ex: &Explorer, regions: &[Region], out: &mut Vec<Finding>) -> Result<(), explore::TooLarge> {
        let unique = self.dim.hit == Hit::Unique;
        if !unique && !self.options.explain_overlaps {
            return Ok(());
        }
        let formulas = self.formulas();
        let n = self.dim.tiers.len();
        for i in 0..n {
            for j in i + 1..n {
                // Unique regions decide every tier; under `hit first` ask each pair.
                let pair;
                let both = if unique {
                    regions.iter().find(|r| r.holds(i) && r.holds(j))
                } else {
                    pair = ex.explore(&[formulas[i], formulas[j]], ex.full_box())?;
                    pair.iter().find(|r| r.holds(0) && r.holds(1))
                };
                let Some(r) = both else { continue };
                let frame = ex.frame(&r.ranges);
                if !(self.holds(i, &frame) && self.holds(j, &frame)) {
                    continue;
                }
                let (a, b) = (&self.dim.tiers[i], &self.dim.tiers[j]);
                let (witness, record) = (self.witness(&frame), self.record(&frame));
                let (first, second) = (a.name.clone(), b.name.clone());
                let (span, other) = (a.span.clone().into(), b.span.clone().into());
                out.push(if unique {
                    Finding::Overlap { dimension: self.dim.name.clone(), first, second, witness, record, span, other }
                } else {
                    Finding::OverlapNote { first, second, witness, record, span, other }
                });
            }
        }
        Ok(())
    }

    /// A condition is dead when forcing it true (or false) leaves its tier's
    /// criterion unchanged on every record.
    fn dead_conditions(&self, ex: &Explorer, out: &mut Vec<Finding>) -> Result<(), explore::TooLarge> {
        for (i, tier) in self.dim.tiers.iter().enumerate() {
            let (Some(node), Some(texpr)) =
                (self.program.dimensions[self.d].tiers[i].condition.as_ref(), tier.condition.as_ref())
            else {
                continue;
            };
            let mut pairs = Vec::new();
            leaves(texpr, node, &mut pairs);
            let matches_somewhere = ex
                .explore(&[Formula { node: Some(node), force: None }], ex.full_box())
                .is_ok_and(|rs| rs.iter().any(|r| r.holds(0)));
            if pairs.len() < 2 || !matches_somewhere {
                continue;
            }
            for (t, n) in &pairs {
                for forced in [true, false] {
                    let formulas = [
                        Formula { node: Some(node), force: None },
                        Formula { node: Some(node), force: Some((*n as *const Node, forced)) },
                    ];
                    let regions = ex.explore(&formulas, ex.full_box())?;
                    if regions.iter().all(|r| r.holds(0) == r.holds(1)) {
                        let condition = self.text(&t.span).to_string();
                        let why = if forced {
                            "whenever the rest of the criterion holds, so does this condition".to_string()
                        } else {
                            "whenever this condition holds, the rest of the criterion holds already".to_string()
                        };
                        out.push(Finding::DeadCondition {
                            condition,
                            tier: tier.name.clone(),
                            why,
                            span: t.span.clone().into(),
                        });
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    fn holds(&self, tier: usize, frame: &[Value]) -> bool {
        self.program.dimensions[self.d].tiers[tier].condition.as_ref().is_none_or(|c| self.evaluator.truth(c, frame))
    }

    /// Re-runs a witness through the evaluator; a witness that does not show the
    /// problem is never reported (and is a bug in the analysis).
    fn verify(&self, frame: &[Value], shows: impl Fn(Option<usize>) -> bool) -> bool {
        let mut fresh: Vec<Value> = frame[..self.program.fields.len()].to_vec();
        match self.evaluator.evaluate(&mut fresh) {
            Ok(decisions) => {
                let ok = shows(decisions[self.d].tier);
                debug_assert!(ok, "analysis witness does not reproduce");
                ok
            }
            Err(_) => self.dim.hit == Hit::Unique,
        }
    }

    /// `field = value, ...` for the fields the dimension reads.
    fn witness(&self, frame: &[Value]) -> String {
        let parts: Vec<String> = self
            .space
            .vars
            .iter()
            .map(|v| {
                let f = &self.checked.fields[v.slot];
                format!("{} = {}", f.name, display(f, &frame[v.slot]))
            })
            .collect();
        if parts.is_empty() {
            "any record".into()
        } else {
            parts.join(", ")
        }
    }

    /// The witness as data: each field the dimension reads, as an input cell.
    fn record(&self, frame: &[Value]) -> Record {
        self.space
            .vars
            .iter()
            .map(|v| {
                let f = &self.checked.fields[v.slot];
                (f.name.clone(), space::input_text(f, &frame[v.slot]))
            })
            .collect()
    }

    /// The constrained fields of a region, as ranges.
    fn describe(&self, ranges: &[(usize, usize)]) -> String {
        let parts: Vec<String> = self
            .space
            .vars
            .iter()
            .zip(ranges)
            .filter(|(v, (lo, hi))| !(*lo == 0 && *hi + 1 == v.cells.len()))
            .map(|(v, (lo, hi))| {
                let f = &self.checked.fields[v.slot];
                range_text(f, &v.cells[*lo..=*hi])
            })
            .collect();
        if parts.is_empty() {
            "every record".into()
        } else {
            parts.join(" and ")
        }
    }

    fn fields_of(&self, tier: usize) -> String {
        let mut slots = std::collections::BTreeSet::new();
        if let Some(c) = &self.dim.tiers[tier].condition {
            crate::check::fields_read(c, &self.checked.lets, &mut slots);
        }
        let names: Vec<String> = slots.iter().map(|&s| format!("`{}`", self.checked.fields[s].name)).collect();
        if names.is_empty() {
            "any field".into()
        } else {
            names.join(", ")
        }
    }

    fn text(&self, span: &crate::syntax::Span) -> &str {
        self.source.get(span.clone()).unwrap_or("?")
    }
}

/// Pairs the leaves of a checked criterion with its compiled nodes.
pub(crate) fn leaves<'t, 'n>(t: &'t TExpr, n: &'n Node, out: &mut Vec<(&'t TExpr, &'n Node)>) {
    use crate::check::TKind;
    match (&t.kind, n) {
        (TKind::And(ts) | TKind::Or(ts), Node::And(ns) | Node::Or(ns)) => {
            ts.iter().zip(ns).for_each(|(t, n)| leaves(t, n, out));
        }
        (TKind::Not(t), Node::Not(n)) => leaves(t, n, out),
        _ => out.push((t, n)),
    }
}

/// A value as a reader writes it: rates with their period, text quoted.
pub fn display(f: &crate::check::FieldInfo, v: &Value) -> String {
    match (v, f.period) {
        (Value::Missing, _) => "missing".into(),
        (Value::Num(_), Some(p)) => format!("{}/{}", space::input_text(f, v), p.name()),
        (Value::Text(s), _) => format!("{s:?}"),
        _ => space::input_text(f, v),
    }
}

/// `x = 5`, `x in (3, 5]`, `x ≥ 3`, `region in [North, South]`, `x is missing`.
fn range_text(f: &crate::check::FieldInfo, cells: &[Cell]) -> String {
    let name = &f.name;
    let missing = cells.contains(&Cell::Missing);
    let values: Vec<&Cell> = cells.iter().filter(|c| **c != Cell::Missing).collect();
    let body = match (values.first(), values.last()) {
        (None, _) | (_, None) => return format!("{name} is missing"),
        _ if matches!(f.ty, crate::check::Ty::Enum(_) | crate::check::Ty::Bool | crate::check::Ty::Text) => {
            if values.len() == 1 {
                return format!("{name} = {}", display(f, &values[0].rep()));
            }
            let vs: Vec<String> = values.iter().map(|c| display(f, &c.rep())).collect();
            format!("{name} in [{}]", vs.join(", "))
        }
        (Some(Cell::Point(v)), _) if values.len() == 1 => {
            format!("{name} = {} exactly", display(f, v))
        }
        (Some(first), Some(last)) => {
            let lower = match first {
                Cell::Point(v) => Some(format!("[{}", display(f, v))),
                Cell::Open { lo: Some(v), .. } => Some(format!("({}", display(f, v))),
                _ => None,
            };
            let upper = match last {
                Cell::Point(v) => Some(format!("{}]", display(f, v))),
                Cell::Open { hi: Some(v), .. } => Some(format!("{})", display(f, v))),
                _ => None,
            };
            match (lower, upper) {
                (Some(l), Some(u)) => format!("{name} in {l}, {u}"),
                (Some(l), None) => format!("{name} {} {}", if l.starts_with('[') { "≥" } else { ">" }, &l[1..]),
                (None, Some(u)) => format!("{name} {} {}", if u.ends_with(']') { "≤" } else { "<" }, &u[..u.len() - 1]),
                (None, None) => format!("any {name}"),
            }
        }
    };
    if missing {
        format!("({body} or missing)")
    } else {
        body
    }
}
