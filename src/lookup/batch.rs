//! Deciding a dimension for a whole column batch at once: one classifying pass
//! per term over its column, then one table read per record.

use super::{key64, key_class, Classes, Lookup, OVERLAP};
use crate::compile::Node;
use crate::eval::{Evaluator, Value};
use std::borrow::Cow;

impl Lookup {
    /// Column-wise decisions of dimension `i` for a batch of records whose
    /// field values are given by slot as columns (`columns[slot][record]`): one
    /// pass per term over its column, then one table read per record. Writes
    /// the tier index per record (`u16::MAX`: none) into `out` (`cells` is scratch
    /// space, kept by the caller across batches); `false` when this
    /// dimension has no table, a term reads more than one field, or a record falls in
    /// a `hit unique` conflict (decide those records one by one instead).
    pub fn decide_batch(
        &self,
        i: usize,
        columns: &[Vec<Value>],
        cells: &mut Vec<u32>,
        out: &mut Vec<u16>,
        ev: &Evaluator,
    ) -> bool {
        let Some(Some(table)) = self.dims.get(i) else { return false };
        // Columns of fields no term reads may be left empty by the caller.
        let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
        out.clear();
        out.resize(rows, 0);
        cells.clear();
        cells.resize(rows, 0);
        for t in &table.terms {
            let column = match &t.node {
                Node::Slot(slot) => match columns.get(*slot) {
                    Some(c) => Cow::Borrowed(c.as_slice()),
                    None => return false,
                },
                // A term over one field (`days_since(last_purchase)`): its
                // column of values first, computed by the evaluator itself.
                node => match single_slot(node).and_then(|s| Some((s, columns.get(s)?))) {
                    Some((slot, values)) => Cow::Owned(term_column(node, slot, values, ev)),
                    None => return false,
                },
            };
            let column = column.as_ref();
            if column.len() != rows {
                return false;
            }
            let count = t.count as u32;
            match &t.classes {
                // The common case, numbers against integer keys, in a tight loop.
                Classes::Ordered(_, Some(keys)) => {
                    let cuts64 = keys.cuts64.as_deref().unwrap_or(&[]);
                    let fits = keys.cuts64.is_some();
                    for (cell, v) in cells.iter_mut().zip(column) {
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
                classes => {
                    for (cell, v) in cells.iter_mut().zip(column) {
                        *cell = *cell * count + classes.class(v) as u32;
                    }
                }
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

/// A term's value for each record, from the column of the one field it reads.
fn term_column(node: &Node, slot: usize, values: &[Value], ev: &Evaluator) -> Vec<Value> {
    let mut frame = vec![Value::Missing; slot + 1];
    values
        .iter()
        .map(|v| {
            frame[slot] = v.clone();
            ev.value(node, &frame)
        })
        .collect()
}
