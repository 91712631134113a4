//! The search space of a dimension: for every field its criteria read, the
//! domain split into cells at every constant the field is compared with (after
//! inverting the arithmetic between the field and the comparison: `days_since(d)
//! <= 90` splits `d` at as-of − 90). Every criterion is constant on each product
//! of cells, which makes the analysis exact; subjects that cannot be inverted
//! (`a > b`, `a * b`) make it a labelled search over extra sample values.

use crate::check::{Checked, FieldInfo, Func, LetInfo, TExpr, TKind, Ty};
use crate::compile::constant;
use crate::eval::{arith, Value};
use crate::number::{Date, Decimal};
use crate::syntax::BinOp;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeSet;

/// One cell of a field's domain.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Exactly this value.
    Point(Value),
    /// Strictly between the bounds (`None` = unbounded); `rep` lies inside.
    Open {
        lo: Option<Value>,
        hi: Option<Value>,
        rep: Value,
    },
    Missing,
}

impl Cell {
    pub fn rep(&self) -> Value {
        match self {
            Cell::Point(v) | Cell::Open { rep: v, .. } => v.clone(),
            Cell::Missing => Value::Missing,
        }
    }
}

/// A field of the search and its cells, in increasing order (missing last).
#[derive(Debug, Clone)]
pub struct Var {
    pub slot: usize,
    pub cells: Vec<Cell>,
}

pub struct Space {
    pub vars: Vec<Var>,
    /// Why the analysis is not exact, if it is not (the subjects that could not be inverted).
    pub approximate: Vec<String>,
}

/// Builds the cells for the fields read by `conditions`.
pub fn build(checked: &Checked, conditions: &[&TExpr], source: &str, today: Date) -> Space {
    let mut slots = BTreeSet::new();
    for c in conditions {
        crate::check::fields_read(c, &checked.lets, &mut slots);
    }
    let mut bounds: Vec<Vec<Value>> = vec![Vec::new(); checked.fields.len()];
    let mut approximate = Vec::new();
    for c in conditions {
        for atom in atoms(c, &checked.lets) {
            for (subject, k) in comparisons(atom) {
                let mut found = Vec::new();
                let exact = invert(subject, k, &checked.lets, today, &mut found);
                // An approximate subject may still name values worth trying
                // (`contains(code, "x")`: a code with an x).
                for (slot, v) in found {
                    bounds[slot].push(v);
                }
                if !exact {
                    let text = source.get(subject.span.clone()).unwrap_or("?").to_string();
                    if !approximate.contains(&text) {
                        approximate.push(text);
                    }
                }
            }
        }
    }
    let sample = !approximate.is_empty();
    let vars = slots
        .into_iter()
        .map(|slot| Var { slot, cells: cells(&checked.fields[slot], &bounds[slot], sample) })
        .collect();
    Space { vars, approximate }
}

/// The leaves of a criterion under `and`, `or` and `not`, looking through
/// boolean lets.
fn atoms<'a>(t: &'a TExpr, lets: &'a [LetInfo]) -> Vec<&'a TExpr> {
    match &t.kind {
        TKind::And(xs) | TKind::Or(xs) => xs.iter().flat_map(|x| atoms(x, lets)).collect(),
        TKind::Not(x) => atoms(x, lets),
        TKind::Let(i) if t.ty == Ty::Bool => lets.get(*i).map_or(vec![t], |l| atoms(&l.expr, lets)),
        _ => vec![t],
    }
}

/// `(subject, constant)` pairs an atom compares; a non-constant operand compared
/// with another non-constant one is paired with `None`.
fn comparisons(atom: &TExpr) -> Vec<(&TExpr, Option<Value>)> {
    let operands: Vec<&TExpr> = match &atom.kind {
        TKind::Compare(first, rest) => std::iter::once(&**first).chain(rest.iter().map(|(_, x)| x)).collect(),
        TKind::Between { value, low, high, .. } => vec![value, low, high],
        TKind::In { value, items, .. } => std::iter::once(&**value).chain(items).collect(),
        // Missing is a cell of its own: no split needed.
        TKind::Is { .. } => return vec![],
        // A boolean field or let used as a condition.
        _ => return vec![(atom, Some(Value::Bool(true)))],
    };
    let consts: Vec<Option<Value>> = operands.iter().map(|o| const_value(o)).collect();
    let mut out = Vec::new();
    for (i, o) in operands.iter().enumerate() {
        if consts[i].is_some() {
            continue;
        }
        let mut paired = false;
        for (j, k) in consts.iter().enumerate() {
            // Compare chains pair neighbours; between and in pair the value with all.
            let related = matches!(atom.kind, TKind::Compare(..)) && i.abs_diff(j) == 1 || i == 0 || j == 0;
            if let (Some(k), true) = (k, related && i != j) {
                out.push((*o, Some(k.clone())));
                paired = true;
            }
        }
        let other_subject = operands.iter().enumerate().any(|(j, _)| j != i && consts[j].is_none());
        if !paired || other_subject {
            out.push((*o, None));
        }
    }
    out
}

/// The value of a constant sub-expression (literals and arithmetic on them).
pub fn const_value(t: &TExpr) -> Option<Value> {
    match &t.kind {
        TKind::Const(c) => Some(constant(c)),
        TKind::Neg(x) => match const_value(x)? {
            Value::Num(d) => Some(Value::Num(-d)),
            _ => None,
        },
        TKind::Arith(op, a, b) => Some(arith(*op, &const_value(a)?, &const_value(b)?)),
        _ => None,
    }
}

/// Where a field must be split so that `subject` compared with `k` is constant on
/// each cell. False if the subject is not an invertible function of one field.
fn invert(subject: &TExpr, k: Option<Value>, lets: &[LetInfo], today: Date, out: &mut Vec<(usize, Value)>) -> bool {
    let Some(k) = k else { return false };
    let num = |v: &Value| match v {
        Value::Num(d) => Some(*d),
        _ => None,
    };
    match &subject.kind {
        TKind::Field(slot) => {
            out.push((*slot, k));
            true
        }
        TKind::Let(i) => lets.get(*i).is_some_and(|l| invert(&l.expr, Some(k), lets, today, out)),
        // Text functions: not inverted exactly, but the part searched for gives two
        // values to try (it, and a longer text starting with it).
        TKind::Call(Func::Contains | Func::StartsWith, args) => {
            if let (Some(TKind::Field(slot)), Some(TKind::Const(crate::check::Const::Text(part)))) =
                (args.first().map(|a| &a.kind), args.get(1).map(|a| &a.kind))
            {
                out.push((*slot, Value::Text(part.clone())));
                out.push((*slot, Value::Text(format!("{part}~"))));
            }
            false
        }
        TKind::Neg(x) => num(&k).is_some_and(|d| invert(x, Some(Value::Num(-d)), lets, today, out)),
        TKind::Arith(op, a, b) => match (const_value(a), const_value(b)) {
            (None, Some(c)) => {
                let back = match op {
                    BinOp::Add => arith(BinOp::Sub, &k, &c),
                    BinOp::Sub => arith(BinOp::Add, &k, &c),
                    BinOp::Mul => arith(BinOp::Div, &k, &c),
                    BinOp::Div => arith(BinOp::Mul, &k, &c),
                };
                back != Value::Missing && invert(a, Some(back), lets, today, out)
            }
            (Some(c), None) => {
                let back = match op {
                    BinOp::Add => arith(BinOp::Sub, &k, &c),
                    BinOp::Sub => arith(BinOp::Sub, &c, &k),
                    BinOp::Mul => arith(BinOp::Div, &k, &c),
                    BinOp::Div => return false,
                };
                back != Value::Missing && invert(b, Some(back), lets, today, out)
            }
            _ => false,
        },
        TKind::Call(Func::DaysSince, args) => match (args.first(), num(&k)) {
            (Some(d), Some(days)) => {
                let at = arith(BinOp::Sub, &Value::Date(today), &Value::Num(days));
                // A fractional number of days splits between two calendar days.
                let extra = arith(BinOp::Sub, &Value::Date(today), &Value::Num(days.ceil()));
                invert(d, Some(at), lets, today, out)
                    && (days.fract().is_zero() || invert(d, Some(extra), lets, today, out))
            }
            _ => false,
        },
        // Whole months or years: the value steps at the dates `months_before` gives,
        // so cut the date at the step to `k` and at the next one.
        TKind::Call(f @ (Func::MonthsSince | Func::YearsSince), args) => match (args.first(), num(&k)) {
            (Some(d), Some(k)) => {
                let per = if *f == Func::YearsSince { 12 } else { 1 };
                let Some(n) = k.floor().to_i64() else { return false };
                [n, n + 1].into_iter().all(|n| match n.checked_mul(per).and_then(|m| today.months_before(m)) {
                    Some(at) => invert(d, Some(Value::Date(at)), lets, today, out),
                    None => false,
                })
            }
            _ => false,
        },
        TKind::Call(Func::Abs, args) => match (args.first(), num(&k)) {
            (Some(x), Some(d)) => {
                invert(x, Some(Value::Num(d)), lets, today, out) && invert(x, Some(Value::Num(-d)), lets, today, out)
            }
            _ => false,
        },
        TKind::Call(Func::Min | Func::Max, args) => {
            args.iter().all(|a| const_value(a).is_some() || invert(a, Some(k.clone()), lets, today, out))
        }
        _ => false,
    }
}

/// The cells of one field's domain, split at `bounds`.
fn cells(f: &FieldInfo, bounds: &[Value], sample: bool) -> Vec<Cell> {
    let mut out = match f.ty {
        Ty::Enum(_) => (0..f.enum_values.len() as u32).map(|i| Cell::Point(Value::Enum(i))).collect(),
        Ty::Bool => vec![Cell::Point(Value::Bool(false)), Cell::Point(Value::Bool(true))],
        Ty::Text => {
            let mut texts: Vec<String> =
                bounds.iter().filter_map(|b| if let Value::Text(s) = b { Some(s.clone()) } else { None }).collect();
            texts.sort();
            texts.dedup();
            // Two more texts: one holding every part (for `contains` of several),
            // and one sharing no character with any part, so that it equals none
            // of them and contains or starts with none (`not contains(..)`).
            let all = format!("{}~other", texts.join(""));
            let used: std::collections::HashSet<char> = texts.iter().flat_map(|t| t.chars()).collect();
            let free = ['~', '#', '@', 'q', 'z', '\u{1}'].into_iter().chain('a'..='z').find(|c| !used.contains(c));
            let longest = texts.iter().map(|t| t.chars().count()).max().unwrap_or(0);
            let none = free.map(|c| c.to_string().repeat(longest + 1));
            texts.into_iter().chain([all]).chain(none).map(|s| Cell::Point(Value::Text(s))).collect()
        }
        Ty::Date => {
            let mut days: Vec<i64> = bounds
                .iter()
                .filter_map(|b| if let Value::Date(d) = b { Some(i64::from(d.0)) } else { None })
                .collect();
            if sample {
                days.extend([0, 19_000]);
            }
            // Only dates a record can hold (0000-01-01 to 9999-12-31).
            let date = |d: &Decimal| d.to_i32().filter(|d| (Date::MIN.0..=Date::MAX.0).contains(d)).is_some();
            line(days.into_iter().map(Decimal::from).collect(), true)
                .into_iter()
                .filter(|c| match c {
                    Cell::Point(Value::Num(d)) | Cell::Open { rep: Value::Num(d), .. } => date(d),
                    _ => true,
                })
                .map(|c| map_cell(c, |d| Value::Date(Date(d.to_i32().unwrap_or(0)))))
                .collect()
        }
        _ => {
            let mut nums: Vec<Decimal> =
                bounds.iter().filter_map(|b| if let Value::Num(d) = b { Some(*d) } else { None }).collect();
            // Split at the ends of a known range, so that every cell is inside or outside it.
            nums.extend(f.range.iter().flat_map(|&(lo, hi)| [lo, hi]));
            if sample {
                nums.extend([0, 1, 2, 3, 10, 100, 1_000, 10_000, 100_000, 1_000_000].map(Decimal::from));
            }
            let cells = line(
                nums.iter().copied().chain((f.ty == Ty::Rate).then_some(Decimal::ZERO)).collect(),
                f.ty == Ty::Integer,
            );
            // A rate counts events: the data never holds a negative one (the reader rejects it).
            let possible = |c: &Cell| {
                f.ty != Ty::Rate
                    || match c {
                        Cell::Point(Value::Num(d)) | Cell::Open { lo: Some(Value::Num(d)), .. } => {
                            !d.is_sign_negative() || d.is_zero()
                        }
                        Cell::Open { lo: None, .. } => false,
                        _ => true,
                    }
            };
            let in_range = |c: &Cell| match (f.range, c) {
                (Some((lo, hi)), Cell::Point(Value::Num(d)) | Cell::Open { rep: Value::Num(d), .. }) => {
                    *d >= lo && *d <= hi
                }
                _ => true,
            };
            cells.into_iter().filter(possible).filter(in_range).map(|c| map_cell(c, Value::Num)).collect()
        }
    };
    if f.optional {
        out.push(Cell::Missing);
    }
    out
}

/// Points at each bound and open intervals between them, for a number line
/// (`whole`: integers only, so no fractional points or empty intervals).
fn line(mut bounds: Vec<Decimal>, whole: bool) -> Vec<Cell> {
    if whole {
        bounds = bounds.into_iter().flat_map(|b| [b.floor(), b.ceil()]).collect();
    }
    bounds.sort();
    bounds.dedup();
    let n = |d: Decimal| Value::Num(d);
    let Some((&first, _)) = bounds.split_first() else {
        return vec![Cell::Open { lo: None, hi: None, rep: n(Decimal::ZERO) }];
    };
    // Checked arithmetic: below the smallest decimal and above the largest
    // there is no value, so no cell (and no overflow).
    let mut out: Vec<Cell> = first
        .checked_sub(Decimal::ONE)
        .map(|rep| Cell::Open { lo: None, hi: Some(n(first)), rep: n(rep) })
        .into_iter()
        .collect();
    for (i, &b) in bounds.iter().enumerate() {
        out.push(Cell::Point(n(b)));
        let next = bounds.get(i + 1).copied();
        let rep = match next {
            None => b.checked_add(Decimal::ONE),
            Some(h) if whole => h.checked_sub(b).is_none_or(|gap| gap > Decimal::ONE).then_some(b + Decimal::ONE),
            Some(h) => Some(b.checked_add(h).map_or(b / Decimal::TWO + h / Decimal::TWO, |sum| sum / Decimal::TWO)),
        };
        if let Some(rep) = rep {
            out.push(Cell::Open { lo: Some(n(b)), hi: next.map(n), rep: n(rep) });
        }
    }
    out
}

fn map_cell(c: Cell, f: impl Fn(Decimal) -> Value) -> Cell {
    let conv = |v: Value| match v {
        Value::Num(d) => f(d),
        other => other,
    };
    match c {
        Cell::Point(v) => Cell::Point(conv(v)),
        Cell::Open { lo, hi, rep } => Cell::Open { lo: lo.map(conv), hi: hi.map(conv), rep: conv(rep) },
        Cell::Missing => Cell::Missing,
    }
}

/// Renders a field value as a data file would hold it (rates in the field's period).
pub fn input_text(f: &FieldInfo, v: &Value) -> String {
    match v {
        Value::Missing => String::new(),
        Value::Num(d) => match f.period {
            Some(p) => (*d / p.per_year()).normalize().to_string(),
            None => d.normalize().to_string(),
        },
        Value::Text(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Date(d) => d.to_string(),
        Value::DateTime(s) => crate::number::format_datetime(*s),
        Value::Enum(i) => f.enum_values.get(*i as usize).cloned().unwrap_or_default(),
    }
}
