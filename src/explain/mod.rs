//! `tier explain`: why a record got its tier — each tier from the top, each
//! condition with the record's values — where each strategy value comes from, and
//! the smallest change that would move the record up to each better tier.
//!
//! The way up uses the analysis partition (`analysis::explore`): among the regions
//! where a better tier is the one chosen, the nearest to the record (fewest fields
//! changed, then smallest relative change), moved to just inside the region's
//! bounds (a cent for money, one for integers, one per period for rates, a day for
//! dates). Every move is re-evaluated before it is shown.

mod customer;

pub use customer::{find_record, history_lines, metric_lines, HistoryLine, MetricLine, NotFound, ScoreLine};

use crate::analysis::explore::{Explorer, Formula, Region};
use crate::analysis::space::{self, Cell, Space};
use crate::analysis::{display, leaves};
use crate::check::{Checked, DimensionInfo, FieldInfo, Hit, Ty};
use crate::compile::Program;
use crate::eval::{Evaluator, Value};
use crate::number::{Date, Decimal};
use std::collections::BTreeSet;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Explanation {
    pub dimensions: Vec<DimensionExplanation>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DimensionExplanation {
    pub dimension: String,
    /// The chosen tier, `None` when no tier matched.
    pub tier: Option<String>,
    pub label: Option<String>,
    pub tiers: Vec<TierTrace>,
    pub strategy: Vec<StrategyLine>,
    pub way_up: Vec<WayUp>,
    /// Why there is no way up (an `unordered` dimension).
    pub way_up_note: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TierTrace {
    pub tier: String,
    pub label: Option<String>,
    /// `chosen`, `matches` (but a tier above won), or `fails`.
    pub outcome: &'static str,
    pub otherwise: bool,
    pub conditions: Vec<ConditionTrace>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ConditionTrace {
    pub condition: String,
    pub holds: bool,
    /// `field = value` for the fields the condition reads.
    pub values: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct StrategyLine {
    pub key: String,
    pub value: serde_json::Value,
    /// The tier whose `strategy` block set the value (differs from the chosen tier
    /// when inherited through `extends`).
    pub from: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct WayUp {
    pub tier: String,
    pub changes: Vec<Change>,
    /// Fields that would have to change but are not the customer's to change
    /// (enums, text, true/false): the tier cannot be reached by effort alone.
    pub requires: Vec<String>,
    /// The summed relative change of the moved fields: sort by it to find the
    /// customers closest to an upgrade.
    pub distance: Decimal,
    /// The moved record's values, as a data file would hold them.
    #[serde(skip)]
    pub record: Vec<(String, String)>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Change {
    pub field: String,
    pub from: String,
    pub to: String,
    /// `+120000`, `+2/quarter`, `+30 days`; `None` when set from missing.
    pub delta: Option<String>,
}

pub struct Explainer<'a> {
    checked: &'a Checked,
    program: &'a Program,
    source: &'a str,
    today: Date,
    /// Per ordered dimension, the analysis partition (built once, used per record).
    partitions: Vec<Option<(Space, Vec<Region>)>>,
}

impl<'a> Explainer<'a> {
    pub fn new(checked: &'a Checked, program: &'a Program, source: &'a str, today: Date) -> Self {
        let ev = Evaluator::new(program, today);
        let partitions = checked
            .dimensions
            .iter()
            .enumerate()
            .map(|(d, dim)| {
                if !dim.ordered {
                    return None;
                }
                let conditions: Vec<&crate::check::TExpr> =
                    dim.tiers.iter().filter_map(|t| t.condition.as_ref()).collect();
                let space = space::build(checked, &conditions, source, today);
                let ex = Explorer::new(&space, program, &ev);
                let formulas: Vec<Formula> = program.dimensions[d]
                    .tiers
                    .iter()
                    .map(|t| Formula { node: t.condition.as_ref(), force: None })
                    .collect();
                let regions = ex.explore_first(&formulas, ex.full_box()).ok()?;
                Some((space, regions))
            })
            .collect();
        Explainer { checked, program, source, today, partitions }
    }

    /// The nearest tier above `chosen` in dimension `d` that the customer can reach
    /// by changing their own figures (else the nearest at all), and how (for
    /// `tier apply --explain`); `frame` holds the record's fields by slot.
    pub fn next_up(&self, d: usize, chosen: Option<usize>, frame: &[Value]) -> Option<WayUp> {
        let above = chosen.unwrap_or(self.checked.dimensions[d].tiers.len());
        let ev = Evaluator::new(self.program, self.today);
        // Nearest tier first; stop at the first the customer can reach alone (a
        // thousand tiers above would otherwise each be searched per record).
        let mut first = None;
        for way in (0..above).rev().filter_map(|target| self.nearest(d, target, &ev, frame)) {
            if way.requires.is_empty() {
                return Some(way);
            }
            first.get_or_insert(way);
        }
        first
    }

    /// Explains a record given as field values by slot.
    pub fn explain(&self, fields: &[Value]) -> Explanation {
        let ev = Evaluator::new(self.program, self.today);
        let mut frame = fields.to_vec();
        ev.prepare(&mut frame);
        let mut dimensions: Vec<DimensionExplanation> =
            self.checked.dimensions.iter().enumerate().map(|(d, dim)| self.dimension(d, dim, &ev, &frame)).collect();
        // Strategies of tier combinations (`when value is VIP and ..`), with their source.
        let decisions: Vec<crate::eval::Decision> = dimensions
            .iter()
            .zip(&self.checked.dimensions)
            .map(|(e, dim)| crate::eval::Decision {
                tier: dim.tiers.iter().position(|t| Some(&t.name) == e.tier.as_ref()),
            })
            .collect();
        for (d, e) in dimensions.iter_mut().enumerate() {
            let Some(merged) = crate::combine::strategy(self.program, &decisions, d) else { continue };
            for c in crate::combine::applying(self.program, &decisions, d) {
                for k in c.strategy.keys() {
                    let line = StrategyLine {
                        key: k.clone(),
                        value: merged.get(k).map_or(serde_json::Value::Null, |v| v.to_json()),
                        from: format!("when {}", c.text),
                    };
                    match e.strategy.iter_mut().find(|l| &l.key == k) {
                        Some(l) => *l = line,
                        None => e.strategy.push(line),
                    }
                }
            }
        }
        Explanation { dimensions }
    }

    fn dimension(&self, d: usize, dim: &DimensionInfo, ev: &Evaluator, frame: &[Value]) -> DimensionExplanation {
        let prog = &self.program.dimensions[d];
        let holds: Vec<bool> =
            prog.tiers.iter().map(|t| t.condition.as_ref().is_none_or(|c| ev.truth(c, frame))).collect();
        let chosen = match dim.hit {
            Hit::First => holds.iter().position(|h| *h),
            Hit::Unique => (holds.iter().filter(|h| **h).count() == 1).then(|| holds.iter().position(|h| *h)).flatten(),
        };
        let tiers = dim
            .tiers
            .iter()
            .zip(&prog.tiers)
            .enumerate()
            .map(|(i, (info, t))| {
                let mut conditions = Vec::new();
                if let (Some(te), Some(node)) = (&info.condition, &t.condition) {
                    let mut pairs = Vec::new();
                    leaves(te, node, &mut pairs);
                    for (te, node) in pairs {
                        conditions.push(ConditionTrace {
                            condition: self.text(&te.span),
                            holds: ev.truth(node, frame),
                            values: self.values(te, frame),
                        });
                    }
                }
                let outcome = match (Some(i) == chosen, holds[i]) {
                    (true, _) => "chosen",
                    (false, true) => "matches",
                    (false, false) => "fails",
                };
                TierTrace {
                    tier: info.name.clone(),
                    label: info.label.clone(),
                    outcome,
                    otherwise: info.condition.is_none(),
                    conditions,
                }
            })
            .collect();
        let strategy = chosen.map_or(Vec::new(), |c| self.strategy(dim, c));
        let (way_up, way_up_note) = if !dim.ordered {
            (Vec::new(), Some(format!("`{}` is unordered: no tier is above another", dim.name)))
        } else {
            (self.way_up(d, dim, chosen, ev, frame), None)
        };
        DimensionExplanation {
            dimension: dim.name.clone(),
            tier: chosen.map(|c| dim.tiers[c].name.clone()),
            label: chosen.and_then(|c| dim.tiers[c].label.clone()),
            tiers,
            strategy,
            way_up,
            way_up_note,
        }
    }

    fn values(&self, te: &crate::check::TExpr, frame: &[Value]) -> Vec<String> {
        let mut slots = BTreeSet::new();
        crate::check::fields_read(te, &self.checked.lets, &mut slots);
        slots
            .iter()
            .map(|&s| format!("{} = {}", self.checked.fields[s].name, display(&self.checked.fields[s], &frame[s])))
            .collect()
    }

    /// The resolved strategy with the tier that set each value.
    fn strategy(&self, dim: &DimensionInfo, tier: usize) -> Vec<StrategyLine> {
        dim.tiers[tier]
            .strategy
            .iter()
            .map(|(k, v)| {
                let mut from = tier;
                while !dim.tiers[from].own_keys.contains(k) {
                    match dim.tiers[from].extends {
                        Some(p) => from = p,
                        None => break,
                    }
                }
                StrategyLine { key: k.clone(), value: v.to_json(), from: dim.tiers[from].name.clone() }
            })
            .collect()
    }

    /// Column names `tier apply --explain` adds, per dimension.
    pub fn columns(&self) -> Vec<String> {
        let names = ["reason", "next", "next_gap", "next_distance"];
        self.checked.dimensions.iter().flat_map(|d| names.map(|n| format!("{}_{n}", d.name))).collect()
    }

    /// The values of [`Explainer::columns`] for one record: the criterion that
    /// decided, the nearest tier above, what it takes and how far it is.
    pub fn columns_for(&self, decisions: &[crate::eval::Decision], fields: &[Value]) -> Vec<serde_json::Value> {
        use serde_json::Value as J;
        let mut out = Vec::new();
        for (d, (dim, dec)) in self.checked.dimensions.iter().zip(decisions).enumerate() {
            let reason = match dec.tier.map(|t| &dim.tiers[t]) {
                Some(t) => t.condition.as_ref().map_or("otherwise".to_string(), |c| self.text(&c.span)),
                None => String::new(),
            };
            out.push(J::String(reason));
            match self.next_up(d, dec.tier, fields) {
                Some(w) => {
                    let moves: Vec<String> = w
                        .changes
                        .iter()
                        .map(|c| {
                            format!("{} {} → {}", c.field, c.delta.clone().unwrap_or_else(|| c.from.clone()), c.to)
                        })
                        .collect();
                    out.push(J::String(w.tier));
                    out.push(J::String(moves.join(" and ")));
                    out.push(crate::check::decimal_json(w.distance.round_dp(10)));
                }
                None => out.extend([J::Null, J::Null, J::Null]),
            }
        }
        out
    }

    /// For each tier above the chosen one (all tiers when none matched).
    fn way_up(
        &self,
        d: usize,
        dim: &DimensionInfo,
        chosen: Option<usize>,
        ev: &Evaluator,
        frame: &[Value],
    ) -> Vec<WayUp> {
        let above = chosen.unwrap_or(dim.tiers.len());
        (0..above).filter_map(|target| self.nearest(d, target, ev, frame)).collect()
    }

    /// The cheapest verified move of the record into a region where `target` wins.
    fn nearest(&self, d: usize, target: usize, ev: &Evaluator, frame: &[Value]) -> Option<WayUp> {
        let (space, regions) = self.partitions.get(d)?.as_ref()?;
        let mut best: Option<((usize, usize, Decimal), Vec<Value>)> = None;
        for r in regions.iter().filter(|r| r.first() == Some(target)) {
            let mut moved: Vec<Value> = frame[..self.program.fields.len()].to_vec();
            let mut cost = (0usize, 0usize, Decimal::ZERO);
            for (v, (lo, hi)) in space.vars.iter().zip(&r.ranges) {
                let f = &self.checked.fields[v.slot];
                let current = &frame[v.slot];
                let cells = &v.cells[*lo..=*hi];
                if cells.iter().any(|c| inside(c, current)) {
                    continue;
                }
                let to = move_into(f, cells, current);
                cost.0 += usize::from(!controllable(f));
                cost.1 += 1;
                cost.2 = cost.2.saturating_add(relative(current, &to));
                moved[v.slot] = to;
            }
            if best.as_ref().is_some_and(|(c, _)| *c <= cost) {
                continue;
            }
            let mut check = moved.clone();
            if ev.evaluate(&mut check).ok().and_then(|ds| ds[d].tier) == Some(target) {
                best = Some((cost, moved));
            }
        }
        let (cost, moved) = best?;
        let mut changes = Vec::new();
        let mut requires = Vec::new();
        for (slot, f) in self.checked.fields.iter().enumerate() {
            if moved[slot] == frame[slot] {
                continue;
            }
            if !controllable(f) {
                requires.push(format!("{} = {}", f.name, display(f, &moved[slot])));
            }
            changes.push(Change {
                field: f.name.clone(),
                from: display(f, &frame[slot]),
                to: display(f, &moved[slot]),
                delta: delta(f, &frame[slot], &moved[slot]),
            });
        }
        let record = space.vars.iter().map(|v| {
            let f = &self.checked.fields[v.slot];
            (f.name.clone(), space::input_text(f, &moved[v.slot]))
        });
        Some(WayUp {
            tier: self.checked.dimensions[d].tiers[target].name.clone(),
            changes,
            requires,
            distance: cost.2,
            record: record.collect(),
        })
    }

    fn text(&self, span: &crate::syntax::Span) -> String {
        self.source.get(span.clone()).unwrap_or("?").to_string()
    }
}

/// Numbers, money, rates and dates are the customer's to change; enums, text and
/// flags (region, channel) are not.
fn controllable(f: &FieldInfo) -> bool {
    matches!(f.ty, Ty::Number | Ty::Integer | Ty::Money | Ty::Rate | Ty::Date)
}

fn inside(cell: &Cell, v: &Value) -> bool {
    match (cell, v) {
        (Cell::Missing, Value::Missing) => true,
        (Cell::Point(p), v) => p == v,
        (Cell::Open { lo, hi, .. }, v) if *v != Value::Missing => {
            lo.as_ref().is_none_or(|l| order(l, v) == Some(std::cmp::Ordering::Less))
                && hi.as_ref().is_none_or(|h| order(v, h) == Some(std::cmp::Ordering::Less))
        }
        _ => false,
    }
}

fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// The smallest step of a field: a cent of money, one of an integer, one per the
/// field's period for a rate, a day for a date.
fn step(f: &FieldInfo) -> Decimal {
    match (f.ty, f.period) {
        (Ty::Integer, _) => Decimal::ONE,
        (Ty::Rate, Some(p)) => p.per_year(),
        _ => Decimal::new(1, 2),
    }
}

/// The value in `cells` (a contiguous range) nearest to `current`.
fn move_into(f: &FieldInfo, cells: &[Cell], current: &Value) -> Value {
    let values: Vec<&Cell> = cells.iter().filter(|c| **c != Cell::Missing).collect();
    let (Some(first), Some(last)) = (values.first(), values.last()) else { return Value::Missing };
    let below = |c: &Cell| match c {
        Cell::Point(p) => order(current, p) == Some(std::cmp::Ordering::Less),
        Cell::Open { lo: Some(l), .. } => order(current, l) != Some(std::cmp::Ordering::Greater),
        _ => false,
    };
    // One step past a bound, if the step stays within numbers and dates.
    let nudge = |v: &Value, up: bool| match v {
        Value::Num(d) => if up { d.checked_add(step(f)) } else { d.checked_sub(step(f)) }.map(Value::Num),
        Value::Date(d) => d.add_days(if up { 1 } else { -1 }).map(Value::Date),
        other => Some(other.clone()),
    };
    let edge = |c: &Cell, up: bool| match c {
        Cell::Point(p) => p.clone(),
        Cell::Open { lo: Some(l), hi, rep } if up => {
            nudge(l, true).and_then(|v| fits(v, hi.as_ref(), true)).unwrap_or_else(|| rep.clone())
        }
        Cell::Open { hi: Some(h), lo, rep } if !up => {
            nudge(h, false).and_then(|v| fits(v, lo.as_ref(), false)).unwrap_or_else(|| rep.clone())
        }
        other => other.rep(),
    };
    if *current == Value::Missing || matches!(f.ty, Ty::Enum(_) | Ty::Bool | Ty::Text) {
        return first.rep();
    }
    if below(first) {
        edge(first, true)
    } else {
        edge(last, false)
    }
}

/// `v` if it stays strictly inside the other bound.
fn fits(v: Value, bound: Option<&Value>, up: bool) -> Option<Value> {
    let want = if up { std::cmp::Ordering::Less } else { std::cmp::Ordering::Greater };
    bound.is_none_or(|b| order(&v, b) == Some(want)).then_some(v)
}

/// How far `to` is from `from`, relative to `from` (a year for dates); a
/// distance beyond the decimal range (from 1e-25 to 1M) counts as the largest.
fn relative(from: &Value, to: &Value) -> Decimal {
    match (from, to) {
        (Value::Num(a), Value::Num(b)) if !a.is_zero() => {
            b.checked_sub(*a).and_then(|gap| gap.checked_div(*a)).map_or(Decimal::MAX, |r| r.abs())
        }
        (Value::Date(a), Value::Date(b)) => Decimal::from(b.days_since(*a).abs()) / Decimal::from(365),
        _ => Decimal::ONE,
    }
}

fn delta(f: &FieldInfo, from: &Value, to: &Value) -> Option<String> {
    let sign =
        |d: Decimal| if d.is_sign_negative() { format!("{}", d.normalize()) } else { format!("+{}", d.normalize()) };
    match (from, to) {
        // A gap beyond the decimal range (from the most negative amount to a
        // positive one) is said to be so.
        (Value::Num(a), Value::Num(b)) => Some(match (b.checked_sub(*a), f.period) {
            (None, _) => "beyond the number range".to_string(),
            (Some(gap), Some(p)) => match gap.checked_div(p.per_year()) {
                Some(per) => format!("{}/{}", sign(per), p.name()),
                None => "beyond the number range".to_string(),
            },
            (Some(gap), None) => sign(gap),
        }),
        (Value::Date(a), Value::Date(b)) => Some(format!("{} days", sign(Decimal::from(b.days_since(*a))))),
        _ => None,
    }
}

impl StrategyLine {
    pub fn value_text(&self) -> String {
        match &self.value {
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        }
    }
}
