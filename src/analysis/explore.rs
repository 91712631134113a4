//! Partitions the search space into boxes on which every formula is constant.
//!
//! A box is a range of cells per field. Each formula (a tier's criterion, possibly
//! with one condition replaced by a constant) is evaluated three-valued over the
//! box: a condition of one field is looked up cell by cell; a condition of several
//! fields is evaluated once every one of them is down to a single cell. A box where
//! some formula is undecided is split where a deciding condition changes value.
//! The work is proportional to the number of distinct regions, not to the product
//! of all cells.

use super::space::Space;
use crate::compile::{Node, Program};
use crate::eval::{Evaluator, Value};
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    True,
    False,
    Mixed,
}

/// A criterion to decide, with at most one condition forced to a constant.
#[derive(Clone, Copy)]
pub struct Formula<'n> {
    /// `None`: always true (`otherwise`).
    pub node: Option<&'n Node>,
    pub force: Option<(*const Node, bool)>,
}

/// A box on which every formula has one value.
#[derive(Debug, Clone)]
pub struct Region {
    /// Inclusive cell index ranges, one per variable of the space.
    pub ranges: Vec<(usize, usize)>,
    /// The value of each formula; with `explore_first`, up to the first true one.
    pub truths: Vec<bool>,
}

impl Region {
    /// Whether formula `i` holds on the region (false if it was not decided).
    pub fn holds(&self, i: usize) -> bool {
        self.truths.get(i) == Some(&true)
    }

    /// The first formula that holds: the tier a region's records get.
    pub fn first(&self) -> Option<usize> {
        self.truths.iter().position(|t| *t)
    }
}

pub struct TooLarge;

/// Boxes a search may split before it gives up.
pub const MAX_BOXES: usize = 400_000;

pub struct Explorer<'a> {
    pub space: &'a Space,
    pub program: &'a Program,
    pub evaluator: &'a Evaluator<'a>,
    /// Field slot → variable index.
    var_of_slot: HashMap<usize, usize>,
    /// Variables each condition reads, by node address.
    vars_of: std::cell::RefCell<HashMap<*const Node, Vec<usize>>>,
    /// Truth of a one-variable condition per cell.
    cache: std::cell::RefCell<HashMap<(*const Node, usize), bool>>,
    pub boxes: std::cell::Cell<usize>,
}

impl<'a> Explorer<'a> {
    pub fn new(space: &'a Space, program: &'a Program, evaluator: &'a Evaluator<'a>) -> Self {
        let var_of_slot = space.vars.iter().enumerate().map(|(i, v)| (v.slot, i)).collect();
        Explorer {
            space,
            program,
            evaluator,
            var_of_slot,
            vars_of: Default::default(),
            cache: Default::default(),
            boxes: std::cell::Cell::new(0),
        }
    }

    pub fn full_box(&self) -> Vec<(usize, usize)> {
        self.space.vars.iter().map(|v| (0, v.cells.len().saturating_sub(1))).collect()
    }

    /// Every region of `ranges` on which all formulas are decided.
    pub fn explore(&self, formulas: &[Formula], ranges: Vec<(usize, usize)>) -> Result<Vec<Region>, TooLarge> {
        self.partition(formulas, ranges, false)
    }

    /// Regions on which the *first* true formula is decided (hit first): formulas
    /// after it are left out of `truths`, which keeps the partition small.
    pub fn explore_first(&self, formulas: &[Formula], ranges: Vec<(usize, usize)>) -> Result<Vec<Region>, TooLarge> {
        self.partition(formulas, ranges, true)
    }

    fn partition(
        &self,
        formulas: &[Formula],
        ranges: Vec<(usize, usize)>,
        first_only: bool,
    ) -> Result<Vec<Region>, TooLarge> {
        let mut out = Vec::new();
        let mut stack = vec![ranges];
        let start = self.boxes.get();
        while let Some(ranges) = stack.pop() {
            self.boxes.set(self.boxes.get() + 1);
            if self.boxes.get() - start > MAX_BOXES {
                return Err(TooLarge);
            }
            let mut truths = Vec::with_capacity(formulas.len());
            let mut split = None;
            for f in formulas {
                match f.node.map_or(Tri::True, |n| self.eval3(n, f.force, &ranges)) {
                    Tri::True => {
                        truths.push(true);
                        if first_only {
                            break;
                        }
                    }
                    Tri::False => truths.push(false),
                    Tri::Mixed => {
                        split = f.node.and_then(|n| self.split(n, f.force, &ranges));
                        break;
                    }
                }
            }
            match split {
                Some((var, at)) => {
                    let (lo, hi) = ranges[var];
                    let mut left = ranges.clone();
                    left[var] = (lo, at - 1);
                    let mut right = ranges;
                    right[var] = (at, hi);
                    stack.push(right);
                    stack.push(left);
                }
                // Undecided but unsplittable cannot happen: single cells are concrete.
                None if truths.len() < formulas.len() && !truths.last().is_some_and(|t| *t) => {}
                None => out.push(Region { ranges, truths }),
            }
        }
        Ok(out)
    }

    /// The record at the low corner of a box: each variable's first cell.
    pub fn frame(&self, ranges: &[(usize, usize)]) -> Vec<Value> {
        let mut frame = vec![Value::Missing; self.program.fields.len()];
        for (v, (lo, _)) in self.space.vars.iter().zip(ranges) {
            frame[v.slot] = v.cells[*lo].rep();
        }
        self.evaluator.prepare(&mut frame);
        frame
    }

    fn eval3(&self, n: &Node, force: Option<(*const Node, bool)>, ranges: &[(usize, usize)]) -> Tri {
        if let Some((p, b)) = force {
            if std::ptr::eq(n, p) {
                return if b { Tri::True } else { Tri::False };
            }
        }
        match n {
            Node::And(xs) => {
                let mut all = Tri::True;
                for x in xs {
                    match self.eval3(x, force, ranges) {
                        Tri::False => return Tri::False,
                        Tri::Mixed => all = Tri::Mixed,
                        Tri::True => {}
                    }
                }
                all
            }
            Node::Or(xs) => {
                let mut any = Tri::False;
                for x in xs {
                    match self.eval3(x, force, ranges) {
                        Tri::True => return Tri::True,
                        Tri::Mixed => any = Tri::Mixed,
                        Tri::False => {}
                    }
                }
                any
            }
            Node::Not(x) => match self.eval3(x, force, ranges) {
                Tri::True => Tri::False,
                Tri::False => Tri::True,
                Tri::Mixed => Tri::Mixed,
            },
            atom => self.atom3(atom, ranges),
        }
    }

    fn atom3(&self, atom: &Node, ranges: &[(usize, usize)]) -> Tri {
        let vars = self.vars(atom);
        match vars.as_slice() {
            [v] => {
                let (lo, hi) = ranges[*v];
                let first = self.cell_truth(atom, *v, lo);
                if (lo + 1..=hi).all(|c| self.cell_truth(atom, *v, c) == first) {
                    tri(first)
                } else {
                    Tri::Mixed
                }
            }
            vs if vs.iter().all(|v| ranges[*v].0 == ranges[*v].1) => {
                tri(self.evaluator.truth(atom, &self.frame(ranges)))
            }
            _ => Tri::Mixed,
        }
    }

    fn cell_truth(&self, atom: &Node, var: usize, cell: usize) -> bool {
        let key = (atom as *const Node, cell);
        if let Some(b) = self.cache.borrow().get(&key) {
            return *b;
        }
        let mut frame = vec![Value::Missing; self.program.fields.len()];
        let v = &self.space.vars[var];
        frame[v.slot] = v.cells[cell].rep();
        self.evaluator.prepare(&mut frame);
        let b = self.evaluator.truth(atom, &frame);
        self.cache.borrow_mut().insert(key, b);
        b
    }

    /// Where to split a box to decide `n`: in the first undecided condition, at
    /// the first cell where a one-variable condition changes value, else in the
    /// middle of its widest variable.
    fn split(&self, n: &Node, force: Option<(*const Node, bool)>, ranges: &[(usize, usize)]) -> Option<(usize, usize)> {
        let atom = self.undecided_atom(n, force, ranges)?;
        let vars = self.vars(atom);
        if let [v] = vars.as_slice() {
            let (lo, hi) = ranges[*v];
            let first = self.cell_truth(atom, *v, lo);
            return (lo + 1..=hi).find(|&c| self.cell_truth(atom, *v, c) != first).map(|c| (*v, c));
        }
        let widest =
            vars.iter().copied().filter(|v| ranges[*v].1 > ranges[*v].0).max_by_key(|v| ranges[*v].1 - ranges[*v].0)?;
        let (lo, hi) = ranges[widest];
        Some((widest, lo + (hi - lo).div_ceil(2)))
    }

    fn undecided_atom<'n>(
        &self,
        n: &'n Node,
        force: Option<(*const Node, bool)>,
        ranges: &[(usize, usize)],
    ) -> Option<&'n Node> {
        if force.is_some_and(|(p, _)| std::ptr::eq(n, p)) {
            return None;
        }
        match n {
            Node::And(xs) | Node::Or(xs) => xs.iter().find_map(|x| self.undecided_atom(x, force, ranges)),
            Node::Not(x) => self.undecided_atom(x, force, ranges),
            atom => (self.atom3(atom, ranges) == Tri::Mixed).then_some(atom),
        }
    }

    /// The variables a condition reads (through lets).
    fn vars(&self, atom: &Node) -> Vec<usize> {
        let key = atom as *const Node;
        if let Some(v) = self.vars_of.borrow().get(&key) {
            return v.clone();
        }
        let mut slots = BTreeSet::new();
        slots_read(atom, self.program, &mut slots);
        let vars: Vec<usize> = slots.iter().filter_map(|s| self.var_of_slot.get(s).copied()).collect();
        self.vars_of.borrow_mut().insert(key, vars.clone());
        vars
    }
}

fn tri(b: bool) -> Tri {
    if b {
        Tri::True
    } else {
        Tri::False
    }
}

/// Field slots a node reads, through the lets it uses. Each let is followed once,
/// on a heap stack (lets that each use the last twice would otherwise be visited
/// exponentially often).
pub fn slots_read(n: &Node, program: &Program, out: &mut BTreeSet<usize>) {
    let mut seen = BTreeSet::new();
    let mut todo = vec![n];
    while let Some(n) = todo.pop() {
        match n {
            Node::Slot(s) if *s < program.fields.len() => {
                out.insert(*s);
            }
            Node::Slot(s) => {
                if seen.insert(*s) {
                    todo.extend(program.lets.iter().find(|(slot, _)| slot == s).map(|(_, expr)| expr));
                }
            }
            Node::Const(_) | Node::Today => {}
            Node::Neg(x) | Node::Not(x) | Node::Is { value: x, .. } => todo.push(x),
            Node::Arith(_, a, b) => todo.extend([&**a, &**b]),
            Node::Compare(a, rest) => todo.extend(std::iter::once(&**a).chain(rest.iter().map(|(_, x)| x))),
            Node::Between { value, low, high, .. } => todo.extend([&**value, &**low, &**high]),
            Node::In { value, items, .. } => todo.extend(std::iter::once(&**value).chain(items)),
            Node::And(xs) | Node::Or(xs) | Node::Call(_, xs) => todo.extend(xs),
        }
    }
}
