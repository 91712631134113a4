//! The checked policy: every name resolved, every expression typed, rates
//! normalised per year, strategies resolved through `extends`. Only `check` builds it.

use super::types::Ty;
use crate::number::{Date, Decimal, Period};
use crate::syntax::{BinOp, CmpOp, Span};
use indexmap::IndexMap;

#[derive(Debug, Clone)]
pub struct Checked {
    pub title: Option<String>,
    /// Header entries (`version`, `owner`, `currency`) as written.
    pub meta: IndexMap<String, StrategyValue>,
    pub fields: Vec<FieldInfo>,
    pub key: usize,
    pub lets: Vec<LetInfo>,
    /// Indices into `lets` in evaluation order (each after the lets it uses).
    pub let_order: Vec<usize>,
    pub dimensions: Vec<DimensionInfo>,
    pub tests: Vec<TestInfo>,
}

#[derive(Debug, Clone)]
pub struct FieldInfo {
    pub name: String,
    pub ty: Ty,
    /// The declared rate period for `count per PERIOD` fields.
    pub period: Option<Period>,
    pub optional: bool,
    /// The input column (`from "..."`, else the name).
    pub column: String,
    pub enum_values: Vec<String>,
    /// Declared direction: `Some(true)` for `prefer higher`.
    pub prefer: Option<bool>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct LetInfo {
    pub name: String,
    pub expr: TExpr,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    First,
    Unique,
}

#[derive(Debug, Clone)]
pub struct DimensionInfo {
    pub name: String,
    pub label: Option<String>,
    pub hit: Hit,
    pub ordered: bool,
    pub tiers: Vec<TierInfo>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct TierInfo {
    pub name: String,
    pub label: Option<String>,
    /// `None` for `otherwise`.
    pub condition: Option<TExpr>,
    /// The resolved strategy (own entries over those it extends).
    pub strategy: IndexMap<String, StrategyValue>,
    pub has_strategy: bool,
    /// The tier whose strategy this one `extends`, by index in the dimension.
    pub extends: Option<usize>,
    /// The keys this tier's own `strategy` block sets (the rest are inherited).
    pub own_keys: Vec<String>,
    pub span: Span,
}

/// A typed expression over field and let slots.
#[derive(Debug, Clone, PartialEq)]
pub struct TExpr {
    pub kind: TKind,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TKind {
    Const(Const),
    Field(usize),
    Let(usize),
    Today,
    Neg(Box<TExpr>),
    Arith(BinOp, Box<TExpr>, Box<TExpr>),
    Compare(Box<TExpr>, Vec<(CmpOp, TExpr)>),
    Between {
        negated: bool,
        value: Box<TExpr>,
        low: Box<TExpr>,
        high: Box<TExpr>,
    },
    In {
        negated: bool,
        value: Box<TExpr>,
        items: Vec<TExpr>,
    },
    /// `is missing` (`present == false`) / `is present`.
    Is {
        present: bool,
        value: Box<TExpr>,
    },
    Not(Box<TExpr>),
    And(Vec<TExpr>),
    Or(Vec<TExpr>),
    Call(Func, Vec<TExpr>),
}

/// A constant value. Numbers, money and rates (per year) are all decimals.
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    Num(Decimal),
    Text(String),
    Bool(bool),
    Date(Date),
    Enum(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Min,
    Max,
    Abs,
    Round,
    DaysSince,
    /// Whole months from a date to `today` (a month is complete on the same day
    /// of a later month, or its last day when that month is shorter).
    MonthsSince,
    /// Whole years, as ages are counted: `months_since / 12`, rounded down.
    YearsSince,
}

impl Func {
    pub fn name(self) -> &'static str {
        match self {
            Func::Min => "min",
            Func::Max => "max",
            Func::Abs => "abs",
            Func::Round => "round",
            Func::DaysSince => "days_since",
            Func::MonthsSince => "months_since",
            Func::YearsSince => "years_since",
        }
    }
}

/// A strategy value, kept typed so JSON and CSV output can render it faithfully.
#[derive(Debug, Clone, PartialEq)]
pub enum StrategyValue {
    Text(String),
    Number(Decimal),
    Money { currency: String, amount: Decimal },
    Rate { count: Decimal, period: Period },
    Bool(bool),
    Date(Date),
    List(Vec<StrategyValue>),
    Map(IndexMap<String, StrategyValue>),
}

#[derive(Debug, Clone)]
pub struct TestInfo {
    pub name: String,
    /// Field values by slot; `None` = missing.
    pub given: Vec<Option<Const>>,
    /// `given defaults`: unset required fields take neutral values.
    pub defaults: bool,
    pub expects: Vec<Expectation>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Expectation {
    /// `tier: None` expects that no tier matches.
    Tier {
        dimension: usize,
        tier: Option<usize>,
        span: Span,
    },
    Strategy {
        dimension: usize,
        path: Vec<String>,
        op: CmpOp,
        value: StrategyValue,
        span: Span,
    },
}

impl StrategyValue {
    /// JSON form: numbers and money as exact numbers, rates as `"1/month"`,
    /// dates as `"YYYY-MM-DD"`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            StrategyValue::Text(s) => J::String(s.clone()),
            StrategyValue::Number(d) | StrategyValue::Money { amount: d, .. } => decimal_json(*d),
            StrategyValue::Bool(b) => J::Bool(*b),
            StrategyValue::Rate { .. } | StrategyValue::Date(_) => J::String(self.to_text()),
            StrategyValue::List(xs) => J::Array(xs.iter().map(Self::to_json).collect()),
            StrategyValue::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }

    /// Text form for CSV cells; lists and maps as JSON.
    pub fn to_text(&self) -> String {
        match self {
            StrategyValue::Text(s) => s.clone(),
            StrategyValue::Number(d) | StrategyValue::Money { amount: d, .. } => d.normalize().to_string(),
            StrategyValue::Bool(b) => b.to_string(),
            StrategyValue::Rate { count, period } => {
                format!("{}/{}", count.normalize(), period.name())
            }
            StrategyValue::Date(d) => d.to_string(),
            StrategyValue::List(_) | StrategyValue::Map(_) => self.to_json().to_string(),
        }
    }

    /// Equality as a reader means it: `1/month == 12/year`, `0.50 == 0.5`.
    pub fn same(&self, other: &StrategyValue) -> bool {
        match (self.comparable_number(), other.comparable_number()) {
            (Some(a), Some(b)) => a == b,
            _ => match (self, other) {
                (StrategyValue::List(a), StrategyValue::List(b)) => {
                    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
                }
                (StrategyValue::Map(a), StrategyValue::Map(b)) => {
                    a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v.same(w)))
                }
                (a, b) => a == b,
            },
        }
    }

    /// A number to order by: plain numbers and money by value, rates per year.
    pub fn comparable_number(&self) -> Option<(u8, Decimal)> {
        match self {
            StrategyValue::Number(d) | StrategyValue::Money { amount: d, .. } => Some((0, *d)),
            StrategyValue::Rate { count, period } => Some((1, *count * period.per_year())),
            _ => None,
        }
    }
}

/// An exact JSON number for a decimal (serde_json keeps its digits).
pub fn decimal_json(d: Decimal) -> serde_json::Value {
    let text = d.normalize().to_string();
    serde_json::from_str::<serde_json::Number>(&text).map_or(serde_json::Value::String(text), serde_json::Value::Number)
}
