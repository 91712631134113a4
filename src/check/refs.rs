//! What an expression refers to: names in the AST, field slots in a typed tree.

use super::model::{LetInfo, TExpr, TKind};
use crate::syntax::{Expr, ExprKind};
use std::collections::{BTreeSet, HashSet};

/// Every bare name an expression mentions.
pub(super) fn names_in(e: &Expr) -> Vec<&str> {
    let mut out = Vec::new();
    collect_names(e, &mut out);
    out
}

fn collect_names<'a>(e: &'a Expr, out: &mut Vec<&'a str>) {
    crate::syntax::walk(e, &mut |x| {
        if let ExprKind::Name(n) = &x.kind {
            out.push(n);
        }
    });
}

/// The direct children of a typed expression.
pub fn children(t: &TExpr) -> Vec<&TExpr> {
    match &t.kind {
        TKind::Neg(x) | TKind::Not(x) | TKind::Is { value: x, .. } => vec![x],
        TKind::Arith(_, a, b) => vec![a, b],
        TKind::Compare(first, rest) => std::iter::once(&**first).chain(rest.iter().map(|(_, x)| x)).collect(),
        TKind::Between { value, low, high, .. } => vec![value, low, high],
        TKind::In { value, items, .. } => std::iter::once(&**value).chain(items).collect(),
        TKind::And(xs) | TKind::Or(xs) | TKind::Call(_, xs) => xs.iter().collect(),
        TKind::Const(_) | TKind::Field(_) | TKind::Let(_) | TKind::Today | TKind::Agg(_) | TKind::Pop(_) => vec![],
    }
}

/// The field slots an expression reads, through the lets it uses. Each let is
/// followed once, and on a heap stack: a chain of lets each using the last twice
/// would otherwise be visited exponentially often, or deeper than the stack.
pub fn fields_read(t: &TExpr, lets: &[LetInfo], out: &mut BTreeSet<usize>) {
    let mut seen = HashSet::new();
    let mut todo = vec![t];
    while let Some(t) = todo.pop() {
        match t.kind {
            TKind::Field(slot) => {
                out.insert(slot);
            }
            TKind::Let(slot) => todo.extend(lets.get(slot).filter(|_| seen.insert(slot)).map(|l| &l.expr)),
            _ => todo.extend(children(t)),
        }
    }
}

/// Whether an expression depends on the run date (`today`, `days_since`),
/// through lets (each followed once, as [`fields_read`] does).
pub fn reads_today(t: &TExpr, lets: &[LetInfo]) -> bool {
    let mut seen = HashSet::new();
    let mut todo = vec![t];
    while let Some(t) = todo.pop() {
        match &t.kind {
            TKind::Today
            | TKind::Call(
                super::model::Func::DaysSince | super::model::Func::MonthsSince | super::model::Func::YearsSince,
                _,
            ) => return true,
            TKind::Let(slot) => todo.extend(lets.get(*slot).filter(|_| seen.insert(*slot)).map(|l| &l.expr)),
            _ => todo.extend(children(t)),
        }
    }
    false
}

impl super::model::Checked {
    /// Whether any tier's condition depends on the run date.
    pub fn reads_today(&self) -> bool {
        let conditions = self.dimensions.iter().flat_map(|d| &d.tiers).filter_map(|t| t.condition.as_ref());
        conditions.into_iter().any(|c| reads_today(c, &self.lets))
    }
}
