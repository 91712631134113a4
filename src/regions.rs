//! `tier diff OLD NEW` without data: where in the input space two policy versions
//! decide differently. Each field either version compares with constants is cut
//! at every such constant (`days_since(d) <= 90` cuts `d` at today − 90); the
//! cells of that grid — a point or an open interval per number or date, a value
//! per enum, missing for optional fields — are regions where both versions'
//! every condition has one truth value, so running both evaluators on one
//! representative per cell decides the whole cell. Exact, like the
//! decision-table checks; integer fields get integer representatives only.

use crate::analysis::space::input_text;
use crate::check::{FieldInfo, Func, Ty};
use crate::compile::{Node, Program};
use crate::eval::{order, Evaluator, Value};
use crate::lookup::{inside, step};
use crate::number::{Date, Decimal};
use std::cmp::Ordering;

/// Cells per dimension at most.
const MAX_CELLS: usize = 1 << 17;
/// Regions listed per transition (the rest are counted).
const SHOWN: usize = 5;

/// Records that one version puts in `from` and the other in `to`.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub dimension: String,
    /// Tier names; `None` is no tier; `(overlap)` a `hit unique` conflict.
    pub from: Option<String>,
    pub to: Option<String>,
    /// How many grid cells move this way.
    pub cells: usize,
    /// The first few, each a conjunction of per-field ranges and a witness record.
    pub regions: Vec<Region>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub conditions: Vec<String>,
    pub witness: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegionsError {
    #[error("dimension `{dimension}` cannot be compared without data: {why}")]
    Unsupported { dimension: String, why: String },
    #[error("dimension `{dimension}` splits into {cells} regions, more than {MAX_CELLS}: compare on data with --data")]
    TooLarge { dimension: String, cells: usize },
}

/// One field's axis of the grid.
struct Axis {
    field: FieldInfo,
    /// Sorted constants (numbers, dates) or listed values (enums, text, bools).
    cuts: Vec<Value>,
    ordered: bool,
}

/// A class of one axis, in axis order.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    Missing,
    /// Between `cuts[i - 1]` (or nothing) and `cuts[i]`.
    Below(usize),
    At(usize),
    /// Above the last cut (everything, with no cuts).
    Above,
    /// A listed value of a discrete axis.
    Value(usize),
    /// Text equal to none of the listed values.
    Other,
}

impl Axis {
    /// The classes in order, each with a representative (`None`: empty).
    fn classes(&self) -> Vec<(Class, Option<Value>)> {
        let mut out = Vec::new();
        if self.field.optional {
            out.push((Class::Missing, Some(Value::Missing)));
        }
        if self.ordered {
            let integer = self.field.ty == Ty::Integer;
            for (i, c) in self.cuts.iter().enumerate() {
                let below = match i.checked_sub(1).and_then(|p| self.cuts.get(p)) {
                    None => step(c, false, integer),
                    Some(p) => inside(p, c, integer),
                };
                out.push((Class::Below(i), below));
                let whole = !integer || matches!(c, Value::Num(d) if d.fract().is_zero());
                out.push((Class::At(i), whole.then(|| c.clone())));
            }
            let above = match self.cuts.last() {
                Some(c) => step(c, true, integer),
                None => any_value(&self.field),
            };
            out.push((Class::Above, above));
        } else {
            out.extend(self.cuts.iter().enumerate().map(|(i, v)| (Class::Value(i), Some(v.clone()))));
            if !matches!(self.field.ty, Ty::Enum(_) | Ty::Bool) {
                out.push((Class::Other, Some(Value::Text("\u{1}other".into()))));
            }
        }
        out
    }

    /// The condition a run of classes `lo..=hi` stands for; `None` when it is
    /// every value (no condition).
    fn describe(&self, classes: &[(Class, Option<Value>)], lo: usize, hi: usize) -> Option<String> {
        let name = &self.field.name;
        let text = |v: &Value| input_text(&self.field, v);
        let (first, last) = (classes[lo].0, classes[hi].0);
        let everything = lo == 0 && hi + 1 == classes.len();
        match (first, last) {
            (Class::Missing, _) => Some(format!("{name} is missing")),
            _ if everything => None,
            (Class::Value(_) | Class::Other, _) => {
                let names: Vec<String> = classes[lo..=hi]
                    .iter()
                    .map(|(c, v)| match (c, v) {
                        (Class::Value(_), Some(v)) => text(v),
                        _ => "any other".into(),
                    })
                    .collect();
                Some(if names.len() == 1 {
                    format!("{name} = {}", names[0])
                } else {
                    format!("{name} in [{}]", names.join(", "))
                })
            }
            (Class::At(i), Class::At(j)) if i == j => Some(format!("{name} = {}", text(&self.cuts[i]))),
            _ => {
                let lower = match first {
                    Class::Below(i) if i > 0 => Some(("<", text(&self.cuts[i - 1]))),
                    Class::At(i) => Some(("<=", text(&self.cuts[i]))),
                    Class::Above => self.cuts.last().map(|c| ("<", text(c))),
                    _ => None,
                };
                let upper = match last {
                    Class::Below(i) => Some(("<", text(&self.cuts[i]))),
                    Class::At(i) => Some(("<=", text(&self.cuts[i]))),
                    _ => None,
                };
                // An integer field with room for one value only: say which.
                if self.field.ty == Ty::Integer {
                    let num = |c: Class| match c {
                        Class::Below(i) | Class::At(i) => self.cuts.get(i),
                        Class::Above => self.cuts.last(),
                        _ => None,
                    };
                    let smallest = match (first, num(first)) {
                        (Class::At(_), Some(Value::Num(d))) => Some(d.ceil()),
                        (Class::Below(i), _) if i > 0 => match self.cuts.get(i - 1) {
                            Some(Value::Num(d)) => Some(d.floor() + Decimal::ONE),
                            _ => None,
                        },
                        (Class::Above, Some(Value::Num(d))) => Some(d.floor() + Decimal::ONE),
                        _ => None,
                    };
                    let largest = match (last, num(last)) {
                        (Class::At(_), Some(Value::Num(d))) => Some(d.floor()),
                        (Class::Below(_), Some(Value::Num(d))) => Some(d.ceil() - Decimal::ONE),
                        _ => None,
                    };
                    if let (Some(a), Some(b)) = (smallest, largest) {
                        if a == b {
                            return Some(format!("{name} = {}", text(&Value::Num(a))));
                        }
                    }
                }
                Some(match (lower, upper) {
                    (None, None) => format!("{name} is present"),
                    (Some((op, v)), None) => format!("{name} {} {v}", if op == "<" { ">" } else { ">=" }),
                    (None, Some((op, v))) => format!("{name} {op} {v}"),
                    (Some((lo, a)), Some((hi, b))) => format!("{a} {lo} {name} {hi} {b}"),
                })
            }
        }
    }
}

fn any_value(f: &FieldInfo) -> Option<Value> {
    Some(match f.ty {
        Ty::Date => Value::Date(Date(0)),
        Ty::Text => Value::Text("x".into()),
        Ty::Bool => Value::Bool(true),
        Ty::Enum(_) => Value::Enum(0),
        _ => Value::Num(Decimal::ZERO),
    })
}

/// Transitions per dimension both versions have, in the new version's order.
pub fn diff(old: &Program, new: &Program, today: Date) -> Result<Vec<Transition>, RegionsError> {
    let mut out = Vec::new();
    for (nd, dim) in new.dimensions.iter().enumerate() {
        let Some(od) = old.dimensions.iter().position(|d| d.name == dim.name) else { continue };
        let mut axes: Vec<Axis> = Vec::new();
        for (p, d) in [(old, od), (new, nd)] {
            for c in p.dimensions[d].tiers.iter().filter_map(|t| t.condition.as_ref()) {
                collect(c, p, today, &mut axes)
                    .map_err(|why| RegionsError::Unsupported { dimension: dim.name.clone(), why })?;
            }
        }
        for a in &mut axes {
            a.cuts.sort_by(|x, y| order(x, y).unwrap_or(Ordering::Equal));
            a.cuts.dedup_by(|x, y| order(x, y) == Some(Ordering::Equal));
            if let Ty::Enum(_) = a.field.ty {
                a.cuts = (0..a.field.enum_values.len() as u32).map(Value::Enum).collect();
            } else if a.field.ty == Ty::Bool {
                a.cuts = vec![Value::Bool(true), Value::Bool(false)];
            }
        }
        let classes: Vec<Vec<(Class, Option<Value>)>> = axes.iter().map(Axis::classes).collect();
        let cells = classes.iter().try_fold(1usize, |n, c| n.checked_mul(c.len())).unwrap_or(usize::MAX);
        if cells > MAX_CELLS {
            return Err(RegionsError::TooLarge { dimension: dim.name.clone(), cells });
        }
        let (oe, ne) = (Evaluator::new(old, today), Evaluator::new(new, today));
        // Per transition, the cells (a class index per axis) that move that way.
        let mut moves: Vec<(Option<String>, Option<String>, Vec<Cell>)> = Vec::new();
        'cells: for cell in 0..cells {
            let mut rest = cell;
            let mut index = vec![0; axes.len()];
            for (a, c) in classes.iter().enumerate().rev() {
                index[a] = rest % c.len();
                rest /= c.len();
            }
            let mut values = Vec::with_capacity(axes.len());
            for (a, &i) in index.iter().enumerate() {
                match &classes[a][i].1 {
                    Some(v) => values.push(v),
                    None => continue 'cells, // no value of the field's kind lies there
                }
            }
            let (from, to) = (tier_of(old, &oe, od, &axes, &values), tier_of(new, &ne, nd, &axes, &values));
            if from == to {
                continue;
            }
            let ranges = index.iter().map(|&i| (i, i)).collect();
            match moves.iter_mut().find(|m| m.0 == from && m.1 == to) {
                Some(m) => m.2.push(ranges),
                None => moves.push((from, to, vec![ranges])),
            }
        }
        for (from, to, cells) in moves {
            let merged = merge(cells, &classes);
            let regions = merged
                .iter()
                .take(SHOWN)
                .map(|ranges| Region {
                    conditions: axes
                        .iter()
                        .zip(ranges)
                        .zip(&classes)
                        .filter_map(|((a, &(lo, hi)), c)| a.describe(c, lo, hi))
                        .collect(),
                    witness: axes
                        .iter()
                        .zip(ranges)
                        .zip(&classes)
                        .map(|((a, &(lo, _)), c)| {
                            let text = match &c[lo].1 {
                                Some(Value::Text(t)) if t.starts_with('\u{1}') => "(any other text)".to_string(),
                                Some(v) => input_text(&a.field, v),
                                None => String::new(),
                            };
                            (a.field.name.clone(), text)
                        })
                        .collect(),
                })
                .collect();
            out.push(Transition { dimension: dim.name.clone(), from, to, cells: merged.len(), regions });
        }
    }
    Ok(out)
}

/// A box of the grid: a run of class indices `lo..=hi` per axis.
type Cell = Vec<(usize, usize)>;

/// The tier (by name) `p` gives the record made of one value per axis.
fn tier_of(p: &Program, ev: &Evaluator, d: usize, axes: &[Axis], values: &[&Value]) -> Option<String> {
    let mut frame: Vec<Value> = p
        .fields
        .iter()
        .map(|f| {
            let at = axes.iter().position(|a| a.field.name == f.name);
            at.map_or(Value::Missing, |i| match values[i] {
                // Enum values by name: the versions may list them differently.
                Value::Enum(e) => {
                    let name = axes[i].field.enum_values.get(*e as usize);
                    let here = name.and_then(|n| f.enum_values.iter().position(|v| v == n));
                    here.map_or(Value::Missing, |h| Value::Enum(h as u32))
                }
                v => v.clone(),
            })
        })
        .collect();
    match ev.evaluate(&mut frame) {
        Ok(ds) => ds[d].tier.map(|t| p.dimensions[d].tiers[t].name.clone()),
        Err(_) => Some("(overlap)".to_string()),
    }
}

/// Joins cells that differ in one axis only and sit next to each other on it
/// (empty classes between them do not separate them; `missing` stays apart),
/// axis by axis, twice: a few boxes instead of many cells.
fn merge(mut cells: Vec<Cell>, classes: &[Vec<(Class, Option<Value>)>]) -> Vec<Cell> {
    for _ in 0..2 {
        for a in 0..classes.len() {
            let others =
                |c: &Cell| -> Cell { c.iter().enumerate().filter(|(i, _)| *i != a).map(|(_, r)| *r).collect() };
            cells.sort_by(|x, y| others(x).cmp(&others(y)).then(x[a].cmp(&y[a])));
            let mut out: Vec<Cell> = Vec::with_capacity(cells.len());
            for c in cells {
                if let Some(prev) = out.last_mut() {
                    let (hi, lo) = (prev[a].1, c[a].0);
                    let gap_empty = (hi + 1..lo).all(|i| classes[a][i].1.is_none());
                    let missing = |i: usize| classes[a][i].0 == Class::Missing;
                    if others(prev) == others(&c) && lo > hi && gap_empty && !missing(hi) && !missing(lo) {
                        prev[a].1 = c[a].1;
                        continue;
                    }
                }
                out.push(c);
            }
            cells = out;
        }
    }
    cells
}

/// Adds the constants a condition compares fields with to their axes.
fn collect(n: &Node, p: &Program, today: Date, axes: &mut Vec<Axis>) -> Result<(), String> {
    match n {
        Node::And(xs) | Node::Or(xs) => xs.iter().try_for_each(|x| collect(x, p, today, axes)),
        Node::Not(x) => collect(x, p, today, axes),
        Node::Is { value, .. } => add(value, &[], p, today, axes),
        Node::Compare(first, rest) => {
            let operands: Vec<&Node> = std::iter::once(&**first).chain(rest.iter().map(|(_, x)| x)).collect();
            let (terms, consts): (Vec<&Node>, Vec<&Node>) =
                operands.into_iter().partition(|x| !matches!(x, Node::Const(_)));
            match terms.as_slice() {
                [term] => add(term, &consts.iter().filter_map(|c| konst(c)).collect::<Vec<_>>(), p, today, axes),
                _ => Err("a condition compares two fields or expressions".into()),
            }
        }
        Node::Between { value, low, high, .. } => {
            let consts: Vec<Value> = [low, high].iter().filter_map(|c| konst(c)).collect();
            add(value, &consts, p, today, axes)
        }
        Node::In { value, items, .. } => {
            let consts: Vec<Value> = items.iter().filter_map(konst).collect();
            add(value, &consts, p, today, axes)
        }
        Node::Const(_) => Ok(()),
        _ => Err("a condition is not a comparison of a field with constants".into()),
    }
}

fn konst(n: &Node) -> Option<Value> {
    match n {
        Node::Const(v) => Some(v.clone()),
        _ => None,
    }
}

/// Records `consts` on the axis of the field `term` reads (a field, or
/// `days_since` of a date field, whose day counts become dates).
fn add(term: &Node, consts: &[Value], p: &Program, today: Date, axes: &mut Vec<Axis>) -> Result<(), String> {
    let (slot, cuts) = match term {
        Node::Slot(s) if *s < p.fields.len() => (*s, consts.to_vec()),
        Node::Call(Func::DaysSince, args) => match args.as_slice() {
            [Node::Slot(s)] if *s < p.fields.len() => {
                let dates = consts.iter().filter_map(|c| match c {
                    Value::Num(k) => {
                        let (lo, hi) = (k.floor(), k.ceil());
                        let day = |x: Decimal| i32::try_from(x.mantissa() / 10i128.pow(x.scale())).ok();
                        Some([day(lo), day(hi)].into_iter().flatten().map(|k| Value::Date(Date(today.0 - k))))
                    }
                    _ => None,
                });
                (*s, dates.flatten().collect())
            }
            _ => return Err("`days_since` of an expression".into()),
        },
        Node::Slot(_) => return Err("a condition reads a `let`; compare on data with --data".into()),
        _ => return Err("a condition computes with fields; compare on data with --data".into()),
    };
    let field = &p.fields[slot];
    let ordered = matches!(field.ty, Ty::Number | Ty::Money | Ty::Integer | Ty::Rate | Ty::Date | Ty::Lit);
    match axes.iter_mut().find(|a| a.field.name == field.name) {
        Some(a) => {
            if std::mem::discriminant(&a.field.ty) != std::mem::discriminant(&field.ty) {
                return Err(format!("field `{}` has another type in the other version", field.name));
            }
            a.field.optional |= field.optional;
            a.cuts.extend(cuts);
        }
        None => axes.push(Axis { field: field.clone(), cuts, ordered }),
    }
    Ok(())
}
