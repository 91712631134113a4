//! Checked policy → program: one frame of slots (fields, then lets), expressions
//! without types or spans, constants folded. `eval` runs only this.

use crate::check::{
    AggKind, Checked, Const, DimensionInfo, FieldInfo, Func, Hit, PopKind, StrategyValue, TExpr, TKind,
};
use crate::eval::{arith, Value};
use crate::number::{Decimal, Period};
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
    /// How metrics are computed, when the policy has any.
    pub metrics: Option<MetricsProgram>,
    /// Strategies for combinations of tiers, in merge order (overrides last).
    pub combinations: Vec<crate::check::CombinationInfo>,
    pub budgets: Vec<crate::check::BudgetInfo>,
    /// The policy's title and header entries (`version`, `owner`, ...), for reports.
    pub title: Option<String>,
    pub meta: IndexMap<String, crate::check::StrategyValue>,
}

/// Metrics: aggregates over events, then population functions over customers.
///
/// A customer's metric frame is its fields (schema, then metrics) followed by
/// one slot per aggregate and one per population function call.
#[derive(Debug, Clone)]
pub struct MetricsProgram {
    pub events: Option<EventsProgram>,
    pub aggregates: Vec<AggProgram>,
    pub populations: Vec<PopProgram>,
    pub metrics: Vec<MetricProgram>,
    /// `population where`, over the metric frame.
    pub filter: Option<Node>,
    /// Fields of the schema (read from a customers file): the first `schema_fields`.
    pub schema_fields: usize,
    pub aggs_at: usize,
    pub pops_at: usize,
    pub frame_size: usize,
}

#[derive(Debug, Clone)]
pub struct EventsProgram {
    pub name: String,
    pub fields: Vec<FieldInfo>,
    pub key: usize,
    pub time: Option<usize>,
    /// `(slot, expr)` for each event let, in evaluation order.
    pub lets: Vec<(usize, Node)>,
    pub filters: Vec<Node>,
    pub frame_size: usize,
}

#[derive(Debug, Clone)]
pub struct AggProgram {
    pub kind: AggKind,
    pub arg: Option<Node>,
    pub window: Option<(u32, Period)>,
    pub rate_factor: Option<Decimal>,
}

#[derive(Debug, Clone)]
pub struct PopProgram {
    pub kind: PopKind,
    pub arg: Node,
    /// The argument depends on another population function.
    pub nested: bool,
}

#[derive(Debug, Clone)]
pub struct MetricProgram {
    pub name: String,
    pub slot: usize,
    pub expr: Node,
    pub population: bool,
    /// The population function calls this metric computes first, in order.
    pub pops: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct DimProgram {
    pub name: String,
    pub label: Option<String>,
    pub hit: Hit,
    /// Tiers best first (movements are promotions and demotions).
    pub ordered: bool,
    pub retention: Option<crate::check::RetentionInfo>,
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
        metrics: (!c.metrics.is_empty()).then(|| metrics(c)),
        combinations: c.combinations.clone(),
        budgets: c.budgets.clone(),
        title: c.title.clone(),
        meta: c.meta.clone(),
    }
}

fn metrics(c: &Checked) -> MetricsProgram {
    let n = c.fields.len();
    let layout = Layout { lets_at: n, aggs_at: n, pops_at: n + c.aggregates.len() };
    let events = c.events.as_ref().map(|e| {
        let m = e.fields.len();
        let at = Layout { lets_at: m, aggs_at: m, pops_at: m };
        EventsProgram {
            name: e.name.clone(),
            fields: e.fields.clone(),
            key: e.key,
            time: e.time,
            lets: e.let_order.iter().map(|&i| (m + i, lower(&e.lets[i].expr, &at))).collect(),
            filters: e.filters.iter().map(|f| lower(f, &at)).collect(),
            frame_size: m + e.lets.len(),
        }
    });
    let event_layout = events.as_ref().map_or(layout, |e| {
        let m = e.fields.len();
        Layout { lets_at: m, aggs_at: m, pops_at: m }
    });
    let first_metric = c.metrics.first().map_or(n, |m| m.slot);
    MetricsProgram {
        events,
        aggregates: c
            .aggregates
            .iter()
            .map(|a| AggProgram {
                kind: a.kind,
                arg: a.arg.as_ref().map(|x| lower(x, &event_layout)),
                window: a.window,
                rate_factor: a.rate_factor,
            })
            .collect(),
        populations: c
            .populations
            .iter()
            .map(|p| PopProgram { kind: p.kind.clone(), arg: lower(&p.arg, &layout), nested: p.nested })
            .collect(),
        metrics: c
            .metrics
            .iter()
            .map(|m| {
                let mut pops = Vec::new();
                pop_sites(&m.expr, c, &mut pops);
                pops.sort_unstable();
                pops.dedup();
                MetricProgram {
                    name: m.name.clone(),
                    slot: m.slot,
                    expr: lower(&m.expr, &layout),
                    population: m.population,
                    pops,
                }
            })
            .collect(),
        filter: c.population_filter.as_ref().map(|f| lower(f, &layout)),
        schema_fields: first_metric,
        aggs_at: layout.aggs_at,
        pops_at: layout.pops_at,
        frame_size: layout.pops_at + c.populations.len(),
    }
}

/// The population calls an expression makes, nested ones included.
fn pop_sites(t: &TExpr, c: &Checked, out: &mut Vec<usize>) {
    if let TKind::Pop(i) = t.kind {
        out.push(i);
        pop_sites(&c.populations[i].arg, c, out);
    }
    for x in crate::check::refs::children(t) {
        pop_sites(x, c, out);
    }
}

/// Where lets, aggregates and population results live in a frame.
#[derive(Debug, Clone, Copy)]
struct Layout {
    lets_at: usize,
    aggs_at: usize,
    pops_at: usize,
}

fn dimension(d: &DimensionInfo, n: usize) -> DimProgram {
    DimProgram {
        name: d.name.clone(),
        label: d.label.clone(),
        hit: d.hit,
        ordered: d.ordered,
        retention: d.retention.clone(),
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
    lower(t, &Layout { lets_at: n, aggs_at: n, pops_at: n })
}

fn lower(t: &TExpr, at: &Layout) -> Node {
    let b = |x: &TExpr| Box::new(lower(x, at));
    let all = |xs: &[TExpr]| xs.iter().map(|x| lower(x, at)).collect();
    match &t.kind {
        TKind::Const(c) => Node::Const(constant(c)),
        TKind::Field(slot) => Node::Slot(*slot),
        TKind::Let(i) => Node::Slot(at.lets_at + i),
        TKind::Agg(i) => Node::Slot(at.aggs_at + i),
        TKind::Pop(i) => Node::Slot(at.pops_at + i),
        TKind::Today => Node::Today,
        TKind::Neg(x) => match lower(x, at) {
            Node::Const(Value::Num(v)) => Node::Const(Value::Num(-v)),
            other => Node::Neg(Box::new(other)),
        },
        TKind::Arith(op, l, r) => match (lower(l, at), lower(r, at)) {
            (Node::Const(a), Node::Const(b)) => Node::Const(arith(*op, &a, &b)),
            (a, b) => Node::Arith(*op, Box::new(a), Box::new(b)),
        },
        TKind::Compare(first, rest) => {
            Node::Compare(b(first), rest.iter().map(|(op, x)| (*op, lower(x, at))).collect())
        }
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
