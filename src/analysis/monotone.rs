//! Non-monotone tiers: in a dimension ordered best first, getting more of
//! something that counts in a customer's favour must never move them to a lower
//! tier. Which way a field counts is read off the best tier that bounds it on one
//! side only (`spend >= 5000`: more is better; `days_since(last) <= 90`: a later
//! `last` is better).

use super::error::Finding;
use super::explore::{Explorer, Formula, Region};
use super::space::Cell;
use super::{display, Dim};
use crate::check::{Func, LetInfo, TExpr, TKind, Ty};
use crate::syntax::{BinOp, CmpOp};

pub(super) fn check(
    dim: &Dim,
    ex: &Explorer,
    regions: &[Region],
    out: &mut Vec<Finding>,
) -> Result<(), super::explore::TooLarge> {
    let formulas: Vec<Formula> = dim.nodes().into_iter().map(|node| Formula { node, force: None }).collect();
    let rank = |r: &Region| r.first().unwrap_or(dim.dim.tiers.len());
    for (v, var) in dim.space.vars.iter().enumerate() {
        let field = &dim.checked.fields[var.slot];
        if !matches!(field.ty, Ty::Number | Ty::Integer | Ty::Money | Ty::Rate | Ty::Date) {
            continue;
        }
        let Some((up, reason)) = direction(dim, var.slot) else {
            continue;
        };
        'regions: for r in regions {
            let (lo, hi) = r.ranges[v];
            let next = if up { hi + 1 } else { lo.wrapping_sub(1) };
            if next >= var.cells.len() || var.cells[next] == Cell::Missing {
                continue;
            }
            let mut face = r.ranges.clone();
            face[v] = (next, next);
            let after_regions = ex.explore_first(&formulas, face)?;
            // Falling into no tier at all is a gap, reported as such.
            for a in after_regions.iter().filter(|a| rank(a) > rank(r) && a.first().is_some()) {
                let after = ex.frame(&a.ranges);
                let mut before_ranges = a.ranges.clone();
                before_ranges[v] = if up { (hi, hi) } else { (lo, lo) };
                let before = ex.frame(&before_ranges);
                let (tb, ta) = (r.first(), a.first());
                if !(dim.verify(&before, |d| d == tb) && dim.verify(&after, |d| d == ta)) {
                    continue;
                }
                let name = |t: Option<usize>| t.map_or("no tier".to_string(), |i| dim.dim.tiers[i].name.clone());
                let span = |t: Option<usize>| t.map_or(dim.dim.span.clone(), |i| dim.dim.tiers[i].span.clone());
                out.push(Finding::NonMonotone {
                    change: if up { "more" } else { "less" },
                    field: field.name.clone(),
                    direction: if up { "upward" } else { "downward" },
                    reason,
                    before: format!("{} = {}", field.name, display(field, &before[var.slot]))
                        + &others(dim, &before, var.slot),
                    record: dim.record(&before),
                    before_tier: name(tb),
                    after_record: dim.record(&after),
                    after: format!("{} = {}", field.name, display(field, &after[var.slot])),
                    after_tier: name(ta),
                    span: span(tb).into(),
                    other: span(ta).into(),
                });
                break 'regions;
            }
        }
    }
    Ok(())
}

/// `, other = value` for the other fields of the witness.
fn others(dim: &Dim, frame: &[crate::eval::Value], except: usize) -> String {
    dim.space
        .vars
        .iter()
        .filter(|v| v.slot != except)
        .map(|v| {
            let f = &dim.checked.fields[v.slot];
            format!(", {} = {}", f.name, display(f, &frame[v.slot]))
        })
        .collect()
}

/// Whether more of a field is better (`true`) or worse, and why we think so.
fn direction(dim: &Dim, slot: usize) -> Option<(bool, String)> {
    if let Some(higher) = dim.checked.fields[slot].prefer {
        let word = if higher { "higher" } else { "lower" };
        return Some((higher, format!("declared `prefer {word}` in the schema")));
    }
    for t in &dim.dim.tiers {
        let Some(c) = &t.condition else { continue };
        let mut lower = false;
        let mut upper = false;
        let mut example = None;
        for atom in conjuncts(c) {
            for (is_lower, span) in bounds_on(atom, slot, &dim.checked.lets) {
                lower |= is_lower;
                upper |= !is_lower;
                example.get_or_insert(span);
            }
        }
        if lower != upper {
            let text = example.and_then(|s| dim.text(&s).into()).unwrap_or("?");
            return Some((lower, format!("inferred from `{}`: `{text}`", t.name)));
        }
        if lower && upper {
            continue;
        }
    }
    None
}

fn conjuncts(t: &TExpr) -> Vec<&TExpr> {
    match &t.kind {
        TKind::And(xs) => xs.iter().flat_map(conjuncts).collect(),
        _ => vec![t],
    }
}

/// For each one-sided bound an atom puts on the field: `true` for a lower bound.
fn bounds_on(atom: &TExpr, slot: usize, lets: &[LetInfo]) -> Vec<(bool, crate::syntax::Span)> {
    let mut out = Vec::new();
    match &atom.kind {
        TKind::Compare(first, rest) => {
            let operands: Vec<&TExpr> = std::iter::once(&**first).chain(rest.iter().map(|(_, x)| x)).collect();
            for (i, (op, _)) in rest.iter().enumerate() {
                let (l, r) = (operands[i], operands[i + 1]);
                let (sign_l, sign_r) = (sign(l, slot, lets), sign(r, slot, lets));
                // l op r with the field rising in l (sign +1) is a lower bound for `>`.
                let lower_if_rising = match op {
                    CmpOp::Gt | CmpOp::Ge => Some(true),
                    CmpOp::Lt | CmpOp::Le => Some(false),
                    _ => None,
                };
                if let Some(lr) = lower_if_rising {
                    if let Some(s) = sign_l.filter(|_| sign_r.is_none()) {
                        out.push((lr == (s > 0), atom.span.clone()));
                    }
                    if let Some(s) = sign_r.filter(|_| sign_l.is_none()) {
                        out.push((lr != (s > 0), atom.span.clone()));
                    }
                }
            }
        }
        TKind::Between { negated: false, value, .. } if sign(value, slot, lets).is_some() => {
            out.push((true, atom.span.clone()));
            out.push((false, atom.span.clone()));
        }
        _ => {}
    }
    out
}

/// +1 if the expression rises with the field, -1 if it falls, `None` if it does
/// not depend on the field alone in a monotone way.
fn sign(t: &TExpr, slot: usize, lets: &[LetInfo]) -> Option<i8> {
    let is_const = |x: &TExpr| super::space::const_value(x).is_some();
    let positive = |x: &TExpr| matches!(super::space::const_value(x), Some(crate::eval::Value::Num(d)) if d.is_sign_positive() && !d.is_zero());
    match &t.kind {
        TKind::Field(s) => (*s == slot).then_some(1),
        TKind::Let(i) => lets.get(*i).and_then(|l| sign(&l.expr, slot, lets)),
        TKind::Neg(x) => sign(x, slot, lets).map(|s| -s),
        TKind::Call(Func::DaysSince | Func::MonthsSince | Func::YearsSince, args) => {
            args.first().and_then(|x| sign(x, slot, lets)).map(|s| -s)
        }
        TKind::Arith(op, a, b) => match (is_const(a), is_const(b), op) {
            (false, true, BinOp::Add | BinOp::Sub) => sign(a, slot, lets),
            (false, true, BinOp::Mul | BinOp::Div) => sign(a, slot, lets).map(|s| if positive(b) { s } else { -s }),
            (true, false, BinOp::Add) => sign(b, slot, lets),
            (true, false, BinOp::Sub) => sign(b, slot, lets).map(|s| -s),
            (true, false, BinOp::Mul) => sign(b, slot, lets).map(|s| if positive(a) { s } else { -s }),
            _ => None,
        },
        _ => None,
    }
}
