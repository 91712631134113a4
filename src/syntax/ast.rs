//! The policy AST: what the author wrote, in source order, with byte spans.
//!
//! Nothing here is resolved or typed; `check` does that. Number literals keep the
//! author's spelling (`100万`) beside their exact value so `fmt` can print them back.

use crate::number::{Date, Decimal, Period};
use std::ops::Range;

/// Byte offsets into the policy source.
pub type Span = Range<usize>;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A quoted string literal, unescaped.
#[derive(Debug, Clone, PartialEq)]
pub struct Str {
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Header(Header),
    Schema(Schema),
    Events(Events),
    Metric(Metric),
    Population(Population),
    Budget(Budget),
    Combination(Combination),
    Let(Let),
    Tier(Tier),
    Dimension(Dimension),
    Test(Test),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub title: Option<Str>,
    pub entries: Vec<MapEntry>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub fields: Vec<Field>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: Ident,
    pub ty: TypeExpr,
    pub optional: bool,
    /// Span of the `key` marker, when present.
    pub key: Option<Span>,
    /// `from "A" or "B"`: the input column, with alternative names tried in order.
    pub from: Vec<Str>,
    /// Span of the `time` marker (the event time of an `events` block).
    pub time: Option<Span>,
    /// `prefer higher` (true) / `prefer lower`: which way the field counts.
    pub prefer: Option<(bool, Span)>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    Text,
    Number,
    Integer,
    /// `count` without a period: a whole number.
    Count,
    Money,
    Date,
    /// A date and time of day (event logs only).
    DateTime,
    Bool,
    Enum(Vec<EnumValue>),
    /// `count per PERIOD`.
    Rate(Period),
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumValue {
    pub name: String,
    pub quoted: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Let {
    pub name: Ident,
    pub expr: Expr,
    pub span: Span,
}

/// `events NAME { fields, lets, where }`: an event log, one row per event.
#[derive(Debug, Clone, PartialEq)]
pub struct Events {
    pub name: Ident,
    pub entries: Vec<EventsEntry>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventsEntry {
    Field(Field),
    Let(Let),
    /// `where EXPR`: only events for which it holds count.
    Where(Expr),
}

/// `metric NAME = EXPR`: a per-customer value (aggregates over events, population
/// functions over customers) that the tiers read like a field.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub name: Ident,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Retention {
    pub rules: Vec<RetentionRule>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RetentionRule {
    pub kind: RetentionKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RetentionKind {
    /// `promote immediately` (what happens anyway; stated for readers).
    PromoteImmediately,
    /// `demote after N evaluations below`.
    DemoteAfter(Num),
    /// `demote at most N tiers per evaluation`.
    DemoteAtMost(Num),
    /// `keep TIER for N PERIOD after promotion`.
    Keep { tier: Ident, count: Num, period: Period },
}

/// `budget NAME AMOUNT [per PERIOD] [by weight] { TIER: share-or-weight, .. }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    pub name: Ident,
    /// The amount; `Money` keeps the currency symbol as written.
    pub amount: Value,
    pub period: Option<Period>,
    pub by_weight: bool,
    pub entries: Vec<(Ident, Num)>,
    pub span: Span,
}

/// `when DIM is TIER and .. [override] { strategy { .. } }`: strategy for a
/// combination of tiers of several dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct Combination {
    pub conditions: Vec<(Ident, Ident)>,
    pub override_: bool,
    pub strategy: Strategy,
    pub span: Span,
}

/// `population where EXPR`: the customers that are scored and tiered.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    pub expr: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    pub name: Ident,
    pub label: Option<Str>,
    pub options: Vec<DimOption>,
    /// `retention { .. }`: how tiers change between evaluations.
    pub retention: Option<Retention>,
    pub tiers: Vec<Tier>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DimOptionKind {
    HitFirst,
    HitUnique,
    Ordered,
    Unordered,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DimOption {
    pub kind: DimOptionKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    pub name: Ident,
    pub label: Option<Str>,
    pub clauses: Vec<TierClause>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TierClause {
    When(Expr),
    Otherwise(Span),
    Strategy(Strategy),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Strategy {
    pub extends: Option<Ident>,
    pub entries: Vec<MapEntry>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MapEntry {
    pub key: Key,
    pub value: Value,
}

/// A map key: a bare word (keywords allowed) or a quoted string.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub quoted: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    Text(String),
    /// A bare word, read as text (`currency: CNY`) or as an enum value in tests.
    Symbol(String),
    Number(Num),
    Money(Money),
    Rate(Rate),
    Date(Date),
    Bool(bool),
    List(Vec<Value>),
    Map(Vec<MapEntry>),
}

/// A number literal: exact value and the author's spelling.
#[derive(Debug, Clone, PartialEq)]
pub struct Num {
    pub value: Decimal,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Money {
    pub currency: String,
    pub amount: Num,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    pub count: Num,
    pub period: Period,
    /// `per` instead of `/` in the source.
    pub spelled_per: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    pub name: Str,
    pub items: Vec<TestItem>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TestItem {
    Given(Given),
    /// `population [ {..}, .. ]`: the customers population functions rank against.
    Population(Value),
    ExpectTier(ExpectTier),
    ExpectStrategy(ExpectStrategy),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Given {
    /// `given defaults { .. }`: unset fields take neutral defaults.
    pub defaults: bool,
    pub entries: Vec<GivenEntry>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GivenEntry {
    pub field: Ident,
    /// `None` for `missing`.
    pub value: Option<Value>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExpectTier {
    pub dimension: Option<Ident>,
    /// `None` for `expect none`: no tier matches.
    pub tier: Option<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExpectStrategy {
    pub dimension: Option<Ident>,
    pub path: Vec<Key>,
    pub op: CmpOp,
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(Num),
    Money(Money),
    Rate(Rate),
    Date(Date),
    Text(String),
    Bool(bool),
    Name(String),
    Today,
    Call {
        func: Ident,
        args: Vec<Arg>,
        /// `within last N PERIOD` after an aggregate.
        window: Option<Window>,
    },
    Neg(Box<Expr>),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `a < b <= c`: every adjacent pair must hold.
    Compare {
        first: Box<Expr>,
        rest: Vec<(CmpOp, Expr)>,
    },
    Between {
        negated: bool,
        value: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
    },
    In {
        negated: bool,
        value: Box<Expr>,
        items: Vec<Expr>,
    },
    Is {
        negated: bool,
        value: Box<Expr>,
        present: bool,
    },
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

/// A call argument: `x`, `distinct x`, or an option `ties: first`.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: Option<Ident>,
    pub distinct: Option<Span>,
    pub value: Expr,
}

impl Arg {
    pub fn plain(value: Expr) -> Arg {
        Arg { name: None, distinct: None, value }
    }
}

/// `within last 12 months`: events from `as_of - 12 months` up to `as_of`.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// `None` when the count is left out (`within last quarter`).
    pub count: Option<Num>,
    pub period: Period,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }

    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
        }
    }
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }
}

/// Calls `f` on an expression and every expression inside it (the checker's
/// name references and the language server's index both walk this way).
pub fn walk<'a>(e: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Call { args, .. } => args.iter().for_each(|a| walk(&a.value, f)),
        ExprKind::Neg(x) | ExprKind::Not(x) => walk(x, f),
        ExprKind::Binary { lhs, rhs, .. } => {
            walk(lhs, f);
            walk(rhs, f);
        }
        ExprKind::Compare { first, rest } => {
            walk(first, f);
            rest.iter().for_each(|(_, x)| walk(x, f));
        }
        ExprKind::Between { value, low, high, .. } => {
            walk(value, f);
            walk(low, f);
            walk(high, f);
        }
        ExprKind::In { value, items, .. } => {
            walk(value, f);
            items.iter().for_each(|x| walk(x, f));
        }
        ExprKind::Is { value, .. } => walk(value, f),
        ExprKind::And(xs) | ExprKind::Or(xs) => xs.iter().for_each(|x| walk(x, f)),
        ExprKind::Number(_)
        | ExprKind::Money(_)
        | ExprKind::Rate(_)
        | ExprKind::Date(_)
        | ExprKind::Text(_)
        | ExprKind::Bool(_)
        | ExprKind::Name(_)
        | ExprKind::Today => {}
    }
}
