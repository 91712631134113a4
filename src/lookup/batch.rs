//! Deciding a dimension for a whole column batch at once: one classifying pass
//! per term over its column, then one table read per record.

use super::classes::{key64, key64_parts, key_class, Classes};
use super::Column;
use super::{Lookup, Term, OVERLAP};
use crate::compile::Node;
use crate::eval::{Evaluator, Value};
use crate::number::{Date, Decimal};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

impl Lookup {
    /// Column-wise decisions of dimension `i` for a batch of records whose
    /// field values are given by slot as columns (`columns[slot]`): one
    /// pass per term over its column, then one table read per record. Writes
    /// the tier index per record (`u16::MAX`: none) into `out` (`cells` is scratch
    /// space, kept by the caller across batches); `false` when this
    /// dimension has no table, a term reads more than one field, or a record falls in
    /// a `hit unique` conflict (decide those records one by one instead).
    /// `ev` evaluates the same program on the same day as this table: terms
    /// over a date remember each day's class.
    pub fn decide_batch(
        &self,
        i: usize,
        columns: &[Column],
        cells: &mut Vec<u32>,
        out: &mut Vec<u16>,
        ev: &Evaluator,
    ) -> bool {
        let Some(Some(table)) = self.dims.get(i) else { return false };
        // Columns of fields no term reads may be left empty by the caller.
        let rows = columns.iter().map(Column::len).max().unwrap_or(0);
        out.clear();
        out.resize(rows, 0);
        cells.clear();
        cells.resize(rows, 0);
        for t in &table.terms {
            // A term over one field (`days_since(last_purchase)`) is classed
            // from that field's column as a plain field is.
            let (slot, computed) = match &t.node {
                Node::Slot(slot) => (*slot, false),
                node => match single_slot(node) {
                    Some(slot) => (slot, true),
                    None => return false,
                },
            };
            let Some(column) = columns.get(slot).filter(|c| c.len() == rows) else { return false };
            if computed {
                term_classes(&t.node, slot, column, ev, t, cells);
                continue;
            }
            let count = t.count as u32;
            let fold = |cells: &mut [u32], class: &mut dyn FnMut(usize) -> u32| {
                for (r, cell) in cells.iter_mut().enumerate() {
                    *cell = *cell * count + class(r);
                }
            };
            match (column, &t.classes) {
                // The common case, numbers against integer keys, in a tight loop.
                (Column::Nums(ms, ss), Classes::Ordered(_, Some(keys))) if keys.cuts64.is_some() => {
                    let cuts64 = keys.cuts64.as_deref().unwrap_or(&[]);
                    for ((cell, &m), &s) in cells.iter_mut().zip(ms).zip(ss) {
                        let class = match key64_parts(m, u32::from(s), keys.scale) {
                            Some(k) => key_class(cuts64, k),
                            None => t.classes.class(&Value::Num(Decimal::new(m, u32::from(s)))) as u32,
                        };
                        *cell = *cell * count + class;
                    }
                }
                (Column::Values(values), Classes::Ordered(_, Some(keys))) => {
                    let cuts64 = keys.cuts64.as_deref().unwrap_or(&[]);
                    let fits = keys.cuts64.is_some();
                    for (cell, v) in cells.iter_mut().zip(values) {
                        let k = match v {
                            Value::Num(d) if fits => key64(d, keys.scale),
                            _ => None,
                        };
                        let class = match k {
                            Some(k) => key_class(cuts64, k),
                            None => t.classes.class(v) as u32,
                        };
                        *cell = *cell * count + class;
                    }
                }
                (Column::Values(values), classes) => fold(cells, &mut |r| classes.class(&values[r]) as u32),
                (column, classes) => fold(cells, &mut |r| classes.class(&column.get(r)) as u32),
            }
        }
        for (o, &cell) in out.iter_mut().zip(cells.iter()) {
            match table.cells.get(cell as usize) {
                Some(&OVERLAP) | None => return false,
                Some(&t) => *o = t,
            }
        }
        true
    }
}

/// The one field slot a term reads, if it reads exactly one (through
/// arithmetic and function calls, beside constants and `today`).
fn single_slot(node: &Node) -> Option<usize> {
    fn walk(n: &Node, slot: &mut Option<usize>) -> Option<()> {
        match n {
            Node::Slot(s) if slot.is_none_or(|t| t == *s) => {
                *slot = Some(*s);
                Some(())
            }
            Node::Const(_) | Node::Today => Some(()),
            Node::Neg(x) => walk(x, slot),
            Node::Arith(_, l, r) => walk(l, slot).and_then(|()| walk(r, slot)),
            Node::Call(_, args) => args.iter().try_for_each(|a| walk(a, slot)),
            // A second field, or a condition.
            _ => None,
        }
    }
    let mut slot = None;
    walk(node, &mut slot)?;
    slot
}

/// Days remembered per term, direct-mapped (`day % MEMO`): any 44 years of
/// days each have a slot of their own, so a date column (a few thousand
/// distinct days, usually within a decade or two) never evicts its own days.
const MEMO: usize = 1 << 14;

/// A term's class per day, shared by the workers: slot `day % MEMO` holds the
/// last day seen there (high 32 bits) and its class plus one (low 32 bits; 0:
/// empty). One word per entry, so a relaxed load sees a whole entry or none;
/// two workers filling one slot store the same class for the same day.
/// Only a term computed from a field has one (`Node::Slot` terms are classed
/// straight from their column): empty for the others.
#[derive(Debug)]
pub(super) struct DayMemo(Box<[AtomicU64]>);

impl DayMemo {
    pub(super) fn for_node(node: &Node) -> Self {
        let size = if matches!(node, Node::Slot(_)) { 0 } else { MEMO };
        DayMemo((0..size).map(|_| AtomicU64::new(0)).collect())
    }
}

impl Clone for DayMemo {
    fn clone(&self) -> Self {
        DayMemo((0..self.0.len()).map(|_| AtomicU64::new(0)).collect())
    }
}

impl DayMemo {
    #[inline]
    fn get(&self, day: i32) -> Option<u32> {
        let entry = self.0.get(day.rem_euclid(MEMO as i32) as usize)?.load(Relaxed);
        (entry != 0 && (entry >> 32) as u32 == day as u32).then_some((entry as u32).wrapping_sub(1))
    }

    fn set(&self, day: i32, class: u32) {
        if let (Some(slot), Some(c)) = (self.0.get(day.rem_euclid(MEMO as i32) as usize), class.checked_add(1)) {
            slot.store(u64::from(day as u32) << 32 | u64::from(c), Relaxed);
        }
    }
}

/// Folds the class of a term over one field into each record's `cells`. The
/// evaluator computes the term (`days_since(d)`, `months_since(d)`, …) exactly
/// as it would record by record; a date's class is computed once and
/// remembered, since the term depends on nothing else (constants and `today`,
/// fixed for the table's life).
fn term_classes(node: &Node, slot: usize, column: &Column, ev: &Evaluator, term: &Term, cells: &mut [u32]) {
    let mut frame = vec![Value::Missing; slot + 1];
    let mut class_of = |v: Value| {
        frame[slot] = v;
        term.classes.class(&ev.value(node, &frame)) as u32
    };
    let mut class = |v: Value| match v {
        Value::Date(d) => match term.memo.get(d.0) {
            Some(class) => class,
            None => {
                let class = class_of(v);
                term.memo.set(d.0, class);
                class
            }
        },
        v => class_of(v),
    };
    let count = term.count as u32;
    match column {
        // Day numbers: no value to read but the day.
        Column::Days(days) => {
            for (cell, &d) in cells.iter_mut().zip(days) {
                let class = match term.memo.get(d) {
                    Some(class) => class,
                    None => class(Value::Date(Date(d))),
                };
                *cell = *cell * count + class;
            }
        }
        column => {
            for (r, cell) in cells.iter_mut().enumerate() {
                *cell = *cell * count + class(column.get(r));
            }
        }
    }
}
