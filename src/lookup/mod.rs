//! Decision tables for evaluation: a dimension whose conditions only compare
//! *terms* (a field, a let, or `days_since(field)`) with constants is decided by
//! classifying each term's value — missing, below/at/between/above the constants
//! it is compared with (numbers, dates), or which listed value it equals (enums,
//! text, bools) — and looking the tier up in a table filled once per run.
//!
//! Exact by construction: every atom (`term OP constant`, `between`, `in`, `is
//! missing`) has one truth value per class, because the classes are cut at every
//! constant the atom mentions. The table is filled by running the ordinary
//! evaluator on one representative value per class, so both agree everywhere
//! (and `tests/lookup.rs` checks it on generated records). A `hit unique` cell
//! where two tiers match is flagged, and such records go to the ordinary
//! evaluator so that the error reads the same.

use crate::check::{Func, Hit};
use crate::compile::{DimProgram, Node, Program};
use crate::eval::{order, Decision, Evaluator, Value};
use crate::number::Date;
use crate::syntax::CmpOp;
use std::cmp::Ordering;

mod batch;
mod classes;
mod column;

pub(crate) use classes::{inside, step};
use classes::{Classes, Keys};
pub use column::Column;

/// Cells per dimension at most; larger dimensions use the tree evaluator.
const MAX_CELLS: usize = 1 << 16;

/// What a dimension's decision depends on, and the table of decisions.
#[derive(Debug, Clone)]
pub struct DimTable {
    terms: Vec<Term>,
    /// Per cell: the chosen tier (`u16::MAX` for none, `OVERLAP` for a `hit
    /// unique` conflict).
    cells: Vec<u16>,
}

const NONE: u16 = u16::MAX;
const OVERLAP: u16 = u16::MAX - 1;

#[derive(Debug, Clone)]
struct Term {
    node: Node,
    classes: Classes,
    /// `classes.count()`, kept for the per-record loop.
    count: usize,
    /// The classes of the days a term over one date has been seen with.
    memo: batch::DayMemo,
}

/// The tables for a program, one per dimension (`None`: that dimension is
/// decided by the tree evaluator).
#[derive(Debug, Clone)]
pub struct Lookup {
    pub dims: Vec<Option<DimTable>>,
}

impl Lookup {
    pub fn new(program: &Program, today: Date) -> Lookup {
        Lookup { dims: program.dimensions.iter().map(|d| DimTable::build(program, d, today)).collect() }
    }

    /// The decision of dimension `i` for a prepared frame (lets filled in);
    /// `None` when the tree evaluator must decide. Terms other than a plain slot
    /// (`days_since(field)`) are computed by `ev`, as the tree walk would.
    pub fn decide(&self, i: usize, frame: &[Value], ev: &Evaluator) -> Option<Decision> {
        let table = self.dims.get(i)?.as_ref()?;
        let mut cell = 0;
        for t in &table.terms {
            let class = match &t.node {
                Node::Slot(s) => t.classes.class(frame.get(*s).unwrap_or(&Value::Missing)),
                node => t.classes.class(&ev.value(node, frame)),
            };
            cell = cell * t.count + class;
        }
        match table.cells.get(cell).copied()? {
            OVERLAP => None,
            NONE => Some(Decision { tier: None }),
            t => Some(Decision { tier: Some(usize::from(t)) }),
        }
    }
}

impl DimTable {
    fn build(program: &Program, d: &DimProgram, today: Date) -> Option<DimTable> {
        if d.tiers.len() >= usize::from(OVERLAP) {
            return None;
        }
        let mut terms: Vec<(Node, Vec<Value>, bool)> = Vec::new(); // node, constants, ordered
        for t in &d.tiers {
            if let Some(c) = &t.condition {
                collect(c, &mut terms)?;
            }
        }
        let mut built = Vec::new();
        for (node, mut consts, ordered) in terms {
            consts.sort_by(|a, b| order(a, b).unwrap_or(Ordering::Equal));
            consts.dedup_by(|a, b| order(a, b) == Some(Ordering::Equal));
            let classes = if ordered {
                if !consts.iter().all(|c| matches!(c, Value::Num(_) | Value::Date(_))) {
                    return None;
                }
                let keys = Keys::new(&consts);
                Classes::Ordered(consts, keys)
            } else {
                if let Some(Value::Enum(_)) = consts.first() {
                    // Every value of the enum, so that "anything else" is empty.
                    let field = enum_field(&node, program)?;
                    consts = (0..program.fields[field].enum_values.len() as u32).map(Value::Enum).collect();
                }
                Classes::Discrete(consts)
            };
            let count = classes.count();
            let memo = batch::DayMemo::for_node(&node);
            built.push(Term { node, classes, count, memo });
        }
        let total = built.iter().try_fold(1usize, |acc, t| acc.checked_mul(t.count))?;
        if total > MAX_CELLS {
            return None;
        }
        // Conditions with terms replaced by slots of a frame of representatives.
        let conditions: Vec<Option<Node>> =
            d.tiers.iter().map(|t| t.condition.as_ref().map(|c| replace(c, &built))).collect();
        let ev = Evaluator::new(program, today);
        let mut cells = Vec::with_capacity(total);
        let mut frame = vec![Value::Missing; built.len()];
        for cell in 0..total {
            let mut rest = cell;
            let mut empty = false;
            for (i, t) in built.iter().enumerate().rev() {
                let n = t.count;
                match t.classes.representative(rest % n) {
                    Some(v) => frame[i] = v,
                    None => empty = true,
                }
                rest /= n;
            }
            if empty {
                cells.push(NONE); // no record falls here
                continue;
            }
            let holds = |c: &Option<Node>| c.as_ref().is_none_or(|c| ev.truth(c, &frame));
            let mut matched = conditions.iter().enumerate().filter(|(_, c)| holds(c)).map(|(i, _)| i);
            let first = matched.next();
            let value = match (first, d.hit) {
                (None, _) => NONE,
                (Some(_), Hit::Unique) if matched.next().is_some() => OVERLAP,
                (Some(t), _) => u16::try_from(t).ok()?,
            };
            cells.push(value);
        }
        Some(DimTable { terms: built, cells })
    }
}

fn enum_field(node: &Node, program: &Program) -> Option<usize> {
    match node {
        Node::Slot(s) if *s < program.fields.len() => Some(*s),
        _ => None,
    }
}

/// A node the table can classify: a field or let, or an age of one (a number
/// of days, months or years since it).
fn is_term(n: &Node) -> bool {
    match n {
        Node::Slot(_) => true,
        Node::Call(Func::DaysSince | Func::MonthsSince | Func::YearsSince, args) => {
            matches!(args.as_slice(), [Node::Slot(_)])
        }
        _ => false,
    }
}

fn constant(n: &Node) -> Option<&Value> {
    match n {
        Node::Const(v) if *v != Value::Missing => Some(v),
        _ => None,
    }
}

/// Records the constants each term is compared with; `None` if the condition
/// has a shape the table cannot decide.
fn collect(n: &Node, terms: &mut Vec<(Node, Vec<Value>, bool)>) -> Option<()> {
    let mut add = |term: &Node, consts: Vec<Value>, ordered: bool| -> Option<()> {
        match terms.iter_mut().find(|(t, _, _)| t == term) {
            Some((_, cs, o)) => {
                if !cs.is_empty() && !consts.is_empty() && *o != ordered {
                    return None;
                }
                if cs.is_empty() {
                    *o = ordered;
                }
                cs.extend(consts);
            }
            None => terms.push((term.clone(), consts, ordered)),
        }
        Some(())
    };
    let ordered_kind = |v: &Value| matches!(v, Value::Num(_) | Value::Date(_));
    match n {
        Node::And(xs) | Node::Or(xs) => xs.iter().try_for_each(|x| collect(x, terms)),
        Node::Not(x) => collect(x, terms),
        Node::Is { value, .. } if is_term(value) => add(value, Vec::new(), false),
        Node::Compare(first, rest) => {
            let operands: Vec<&Node> = std::iter::once(&**first).chain(rest.iter().map(|(_, x)| x)).collect();
            let term_nodes: Vec<&Node> = operands.iter().copied().filter(|x| is_term(x)).collect();
            let consts: Vec<Value> = operands.iter().filter_map(|x| constant(x).cloned()).collect();
            if term_nodes.len() != 1 || term_nodes.len() + consts.len() != operands.len() {
                return None;
            }
            let equality_only = rest.iter().all(|(op, _)| matches!(op, CmpOp::Eq | CmpOp::Ne));
            let ordered = consts.iter().all(ordered_kind);
            if !ordered && !equality_only {
                return None;
            }
            add(term_nodes[0], consts, ordered)
        }
        Node::Between { value, low, high, .. } if is_term(value) => {
            let consts = vec![constant(low)?.clone(), constant(high)?.clone()];
            if !consts.iter().all(ordered_kind) {
                return None;
            }
            add(value, consts, true)
        }
        Node::In { value, items, .. } if is_term(value) => {
            let consts: Vec<Value> = items.iter().map(|i| constant(i).cloned()).collect::<Option<_>>()?;
            let ordered = consts.iter().all(ordered_kind);
            if !ordered && consts.iter().any(ordered_kind) {
                return None;
            }
            add(value, consts, ordered)
        }
        _ => None,
    }
}

/// `n` with every term replaced by its index in `terms` (a frame slot).
fn replace(n: &Node, terms: &[Term]) -> Node {
    if let Some(i) = terms.iter().position(|t| t.node == *n) {
        return Node::Slot(i);
    }
    let b = |x: &Node| Box::new(replace(x, terms));
    match n {
        Node::Neg(x) => Node::Neg(b(x)),
        Node::Arith(op, l, r) => Node::Arith(*op, b(l), b(r)),
        Node::Compare(first, rest) => {
            Node::Compare(b(first), rest.iter().map(|(op, x)| (*op, replace(x, terms))).collect())
        }
        Node::Between { negated, value, low, high } => {
            Node::Between { negated: *negated, value: b(value), low: b(low), high: b(high) }
        }
        Node::In { negated, value, items } => {
            Node::In { negated: *negated, value: b(value), items: items.iter().map(|x| replace(x, terms)).collect() }
        }
        Node::Is { present, value } => Node::Is { present: *present, value: b(value) },
        Node::Not(x) => Node::Not(b(x)),
        Node::And(xs) => Node::And(xs.iter().map(|x| replace(x, terms)).collect()),
        Node::Or(xs) => Node::Or(xs.iter().map(|x| replace(x, terms)).collect()),
        Node::Call(f, xs) => Node::Call(*f, xs.iter().map(|x| replace(x, terms)).collect()),
        other => other.clone(),
    }
}
