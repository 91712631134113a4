//! Checked policy → program: one frame of slots (fields, then lets), expressions
//! without types or spans, constants folded. `eval` runs only this.

use crate::check::{Checked, Const, DimensionInfo, FieldInfo, Func, Hit, StrategyValue, TExpr, TKind};
use crate::eval::{arith, Value};
use crate::syntax::{BinOp, CmpOp};
use indexmap::IndexMap;

#[derive(Debug, Clone)]
pub struct Program {
    pub fields: Vec<FieldInfo>,
    pub key: usize,
    /// `(slot, expr)` for each let, in evaluation order.
    pub lets: Vec<(usize, Node)>,
    pub frame_size: usize,
    pub dimensions: Vec<DimProgram>,
}

#[derive(Debug, Clone)]
pub struct DimProgram {
    pub name: String,
    pub label: Option<String>,
    pub hit: Hit,
    pub tiers: Vec<TierProgram>,
}

#[derive(Debug, Clone)]
pub struct TierProgram {
    pub name: String,
    pub label: Option<String>,
    /// `None` for `otherwise`.
    pub condition: Option<Node>,
    pub strategy: IndexMap<String, StrategyValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Const(Value),
    Slot(usize),
    Today,
    Neg(Box<Node>),
    Arith(BinOp, Box<Node>, Box<Node>),
    Compare(Box<Node>, Vec<(CmpOp, Node)>),
    Between { negated: bool, value: Box<Node>, low: Box<Node>, high: Box<Node> },
    In { negated: bool, value: Box<Node>, items: Vec<Node> },
    Is { present: bool, value: Box<Node> },
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Call(Func, Vec<Node>),
}

pub fn compile(c: &Checked) -> Program {
    let n = c.fields.len();
    let lets = c.let_order.iter().map(|&i| (n + i, node(&c.lets[i].expr, n))).collect();
    Program {
        fields: c.fields.clone(),
        key: c.key,
        lets,
        frame_size: n + c.lets.len(),
        dimensions: c.dimensions.iter().map(|d| dimension(d, n)).collect(),
    }
}

fn dimension(d: &DimensionInfo, n: usize) -> DimProgram {
    DimProgram {
        name: d.name.clone(),
        label: d.label.clone(),
        hit: d.hit,
        tiers: d
            .tiers
            .iter()
            .map(|t| TierProgram {
                name: t.name.clone(),
                label: t.label.clone(),
                condition: t.condition.as_ref().map(|c| node(c, n)),
                strategy: t.strategy.clone(),
            })
            .collect(),
    }
}

/// Lowers a typed expression; `n` is the number of fields (lets follow them).
pub fn node(t: &TExpr, n: usize) -> Node {
    let b = |x: &TExpr| Box::new(node(x, n));
    let all = |xs: &[TExpr]| xs.iter().map(|x| node(x, n)).collect();
    match &t.kind {
        TKind::Const(c) => Node::Const(constant(c)),
        TKind::Field(slot) => Node::Slot(*slot),
        TKind::Let(i) => Node::Slot(n + i),
        TKind::Today => Node::Today,
        TKind::Neg(x) => match node(x, n) {
            Node::Const(Value::Num(v)) => Node::Const(Value::Num(-v)),
            other => Node::Neg(Box::new(other)),
        },
        TKind::Arith(op, l, r) => match (node(l, n), node(r, n)) {
            (Node::Const(a), Node::Const(b)) => Node::Const(arith(*op, &a, &b)),
            (a, b) => Node::Arith(*op, Box::new(a), Box::new(b)),
        },
        TKind::Compare(first, rest) => Node::Compare(b(first), rest.iter().map(|(op, x)| (*op, node(x, n))).collect()),
        TKind::Between { negated, value, low, high } => {
            Node::Between { negated: *negated, value: b(value), low: b(low), high: b(high) }
        }
        TKind::In { negated, value, items } => Node::In { negated: *negated, value: b(value), items: all(items) },
        TKind::Is { present, value } => Node::Is { present: *present, value: b(value) },
        TKind::Not(x) => Node::Not(b(x)),
        TKind::And(xs) => Node::And(all(xs)),
        TKind::Or(xs) => Node::Or(all(xs)),
        TKind::Call(f, xs) => Node::Call(*f, all(xs)),
    }
}

pub fn constant(c: &Const) -> Value {
    match c {
        Const::Num(d) => Value::Num(*d),
        Const::Text(s) => Value::Text(s.clone()),
        Const::Bool(b) => Value::Bool(*b),
        Const::Date(d) => Value::Date(*d),
        Const::Enum(i) => Value::Enum(*i),
    }
}
