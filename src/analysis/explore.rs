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

/// A one-variable condition over its variable's cells: true on cell 0 or not,
/// and the (sorted) cells where its truth flips.
struct Changes {
    first: bool,
    flips: Vec<usize>,
}

impl Changes {
    /// The first flip in `lo + 1..=hi`: the range is mixed exactly when there is one.
    fn flip_within(&self, lo: usize, hi: usize) -> Option<usize> {
        let i = self.flips.partition_point(|&c| c <= lo);
        self.flips.get(i).copied().filter(|&c| c <= hi)
    }

    fn at(&self, cell: usize) -> bool {
        self.first ^ (self.flips.partition_point(|&c| c <= cell) % 2 == 1)
    }
}

/// Boxes a search may split before it gives up.
pub const MAX_BOXES: usize = 400_000;

/// Steps (a box decided, a condition looked up on a cell) all the searches of
/// one explorer may take before they give up: this bounds the analysis of a
/// dimension whatever its size (a criterion of thousands of `and`s, a thousand
/// tiers), at a few seconds in a release build.
pub const MAX_WORK: u64 = 30_000_000;

pub struct Explorer<'a> {
    pub space: &'a Space,
    pub program: &'a Program,
    pub evaluator: &'a Evaluator<'a>,
    /// Field slot → variable index.
    var_of_slot: HashMap<usize, usize>,
    /// Variables each condition reads, by node address.
    vars_of: std::cell::RefCell<HashMap<*const Node, Vec<usize>>>,
    /// Per one-variable condition, its truth on the first cell and the cells
    /// where it changes (so a box's range is decided by a binary search).
    cache: std::cell::RefCell<HashMap<*const Node, std::rc::Rc<Changes>>>,
    pub boxes: std::cell::Cell<usize>,
    /// Steps taken so far, against [`MAX_WORK`].
    pub work: std::cell::Cell<u64>,
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
            work: std::cell::Cell::new(0),
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
            self.work.set(self.work.get() + formulas.len() as u64);
            if self.boxes.get() - start > MAX_BOXES || self.work.get() > MAX_WORK {
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
        // A box decided after the budget ran out may rest on placeholders.
        if self.work.get() > MAX_WORK {
            return Err(TooLarge);
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
        self.work.set(self.work.get() + 1);
        let vars = self.vars(atom);
        match vars.as_slice() {
            [v] => {
                let (lo, hi) = ranges[*v];
                let changes = self.changes(atom, *v);
                match changes.flip_within(lo, hi) {
                    None => tri(changes.at(lo)),
                    Some(_) => Tri::Mixed,
                }
            }
            vs if vs.iter().all(|v| ranges[*v].0 == ranges[*v].1) => {
                tri(self.evaluator.truth(atom, &self.frame(ranges)))
            }
            _ => Tri::Mixed,
        }
    }

    /// Where a one-variable condition flips over its variable's cells, worked
    /// out once per condition (each cell evaluated once: a step of the budget).
    fn changes(&self, atom: &Node, var: usize) -> std::rc::Rc<Changes> {
        let key = atom as *const Node;
        if let Some(c) = self.cache.borrow().get(&key) {
            return c.clone();
        }
        if self.work.get() > MAX_WORK {
            // Over budget: the search that asked gives up (see `partition`), so
            // this placeholder never decides anything.
            return std::rc::Rc::new(Changes { first: false, flips: Vec::new() });
        }
        let v = &self.space.vars[var];
        self.work.set(self.work.get() + v.cells.len() as u64);
        let mut frame = vec![Value::Missing; self.program.fields.len()];
        let mut truth = |cell: &super::space::Cell| {
            frame[v.slot] = cell.rep();
            self.evaluator.prepare(&mut frame);
            self.evaluator.truth(atom, &frame)
        };
        let first = v.cells.first().is_some_and(&mut truth);
        let (mut flips, mut last) = (Vec::new(), first);
        for (i, cell) in v.cells.iter().enumerate().skip(1) {
            let t = truth(cell);
            if t != last {
                flips.push(i);
                last = t;
            }
        }
        let changes = std::rc::Rc::new(Changes { first, flips });
        self.cache.borrow_mut().insert(key, changes.clone());
        changes
    }

    /// Where to split a box to decide `n`: in the first undecided condition, at
    /// the first cell where a one-variable condition changes value, else in the
    /// middle of its widest variable.
    fn split(&self, n: &Node, force: Option<(*const Node, bool)>, ranges: &[(usize, usize)]) -> Option<(usize, usize)> {
        let atom = self.undecided_atom(n, force, ranges)?;
        let vars = self.vars(atom);
        if let [v] = vars.as_slice() {
            let (lo, hi) = ranges[*v];
            return self.changes(atom, *v).flip_within(lo, hi).map(|c| (*v, c));
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
