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
    /// The event log the metrics aggregate, if the policy declares one.
    pub events: Option<EventsInfo>,
    /// `metric` definitions in source order; each is also a field (`slot`).
    pub metrics: Vec<MetricInfo>,
    /// The aggregate call sites of the metrics (`TKind::Agg`).
    pub aggregates: Vec<AggInfo>,
    /// The population function call sites of the metrics (`TKind::Pop`).
    pub populations: Vec<PopInfo>,
    /// `population where ...`: the customers that are scored and tiered.
    pub population_filter: Option<TExpr>,
    pub budgets: Vec<BudgetInfo>,
    /// `when DIM is TIER and .. { strategy }`, in merge order (overrides last).
    pub combinations: Vec<CombinationInfo>,
}

/// `retention { .. }` of an ordered dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionInfo {
    /// Consecutive evaluations below the tier's criteria before a demotion (1:
    /// demote at once).
    pub demote_after: u32,
    /// At most this many tiers down per evaluation.
    pub at_most: Option<u32>,
    /// `keep TIER for N PERIOD after promotion`: (tier index, N, PERIOD).
    pub keep: Vec<(usize, u32, Period)>,
}

/// `budget NAME AMOUNT ..`: an amount split over one dimension's tiers.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetInfo {
    pub name: String,
    pub amount: Decimal,
    pub currency: Option<String>,
    pub period: Option<Period>,
    pub dimension: usize,
    /// Shares of the amount per tier (sum 1), or with `by weight` a weight per
    /// customer of the tier; 0 for tiers not listed.
    pub by_weight: bool,
    pub parts: Vec<Decimal>,
    pub span: Span,
}

/// A strategy for a combination of tiers of several dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct CombinationInfo {
    /// (dimension, tier) pairs that must all hold.
    pub conditions: Vec<(usize, usize)>,
    /// The dimension whose strategy it merges onto (the first it names).
    pub target: usize,
    pub override_: bool,
    pub strategy: IndexMap<String, StrategyValue>,
    /// `value is VIP and lifecycle is AtRisk`, for explanations.
    pub text: String,
    pub span: Span,
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
    /// Other names the column may have (`from "A" or "B"`), tried after `column`.
    pub aliases: Vec<String>,
    pub enum_values: Vec<String>,
    /// Declared direction: `Some(true)` for `prefer higher`.
    pub prefer: Option<bool>,
    /// The values it can take, when known (`quantile_score(x, 5)` is 1..=5):
    /// the analysis looks for gaps and overlaps inside this range only.
    pub range: Option<(Decimal, Decimal)>,
    /// For a money field of a policy with `currency:`, the code: a cell with
    /// another currency's symbol is rejected.
    pub currency: Option<String>,
    pub span: Span,
}

/// `events NAME { .. }`: the event fields, lets and filters, in their own scope.
#[derive(Debug, Clone)]
pub struct EventsInfo {
    pub name: String,
    pub fields: Vec<FieldInfo>,
    /// The customer id field (marked `key`).
    pub key: usize,
    /// The event time field (marked `time`), which windows and `as_of` use.
    pub time: Option<usize>,
    pub lets: Vec<LetInfo>,
    pub let_order: Vec<usize>,
    /// `where` clauses: an event counts when all hold.
    pub filters: Vec<TExpr>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct MetricInfo {
    pub name: String,
    /// Its slot among the fields, where tiers read it.
    pub slot: usize,
    pub expr: TExpr,
    /// Computed over all customers of a run (uses a population function).
    pub population: bool,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggKind {
    Count,
    CountDistinct,
    Sum,
    Min,
    Max,
    Avg,
}

impl AggKind {
    pub fn name(self) -> &'static str {
        match self {
            AggKind::Count | AggKind::CountDistinct => "count",
            AggKind::Sum => "sum",
            AggKind::Min => "min",
            AggKind::Max => "max",
            AggKind::Avg => "avg",
        }
    }
}

/// One aggregate over a customer's events.
#[derive(Debug, Clone)]
pub struct AggInfo {
    pub kind: AggKind,
    /// The per-event value (event scope); `None` for `count()`.
    pub arg: Option<TExpr>,
    /// `within last N PERIOD`.
    pub window: Option<(u32, Period)>,
    /// A windowed count is a rate: this is its per-year factor.
    pub rate_factor: Option<Decimal>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ties {
    /// In customer order (pandas `rank(method="first")`).
    First,
    /// The mean of the tied ranks (pandas' default).
    Average,
    Min,
    Max,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PopKind {
    /// `quantile_score(x, n)`: 1..n by quantile bucket (pandas `qcut`); reversed
    /// scores the lowest values highest.
    QuantileScore {
        buckets: u32,
        reversed: bool,
    },
    Rank(Ties),
    /// The share of customers whose value is at most this one's (0 < p <= 1).
    Percentile,
    /// `top(x, 20%)`: among the ceil(20% of n) highest, ties in customer order.
    Top(Decimal),
}

/// One population function call: its argument is evaluated for every customer.
#[derive(Debug, Clone)]
pub struct PopInfo {
    pub kind: PopKind,
    pub arg: TExpr,
    /// The argument itself depends on a population function.
    pub nested: bool,
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
    pub retention: Option<RetentionInfo>,
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
    /// The value of an aggregate (index into `Checked::aggregates`).
    Agg(usize),
    /// The value of a population function (index into `Checked::populations`).
    Pop(usize),
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
    /// `contains(text, part)`.
    Contains,
    /// `starts_with(text, prefix)`.
    StartsWith,
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
            Func::Contains => "contains",
            Func::StartsWith => "starts_with",
        }
    }
}

/// A strategy value, kept typed so JSON and CSV output can render it faithfully.
#[derive(Debug, Clone, PartialEq)]
pub enum StrategyValue {
    Text(String),
    Number(Decimal),
    /// A percentage as written (`20%`, stored as 0.2): written back as `20%`.
    Percent(Decimal),
    Money {
        currency: String,
        amount: Decimal,
    },
    Rate {
        count: Decimal,
        period: Period,
    },
    Bool(bool),
    Date(Date),
    List(Vec<StrategyValue>),
    Map(IndexMap<String, StrategyValue>),
}

#[derive(Debug, Clone)]
pub struct TestInfo {
    pub name: String,
    /// `population [..]`: field values by slot for each customer, in order.
    pub population: Option<Vec<Vec<Option<Const>>>>,
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
            StrategyValue::Rate { .. } | StrategyValue::Date(_) | StrategyValue::Percent(_) => {
                J::String(self.to_text())
            }
            StrategyValue::List(xs) => J::Array(xs.iter().map(Self::to_json).collect()),
            StrategyValue::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }

    /// Text form for CSV cells; lists and maps as JSON.
    pub fn to_text(&self) -> String {
        match self {
            StrategyValue::Text(s) => s.clone(),
            StrategyValue::Number(d) | StrategyValue::Money { amount: d, .. } => d.normalize().to_string(),
            StrategyValue::Percent(d) => format!("{}%", (*d * Decimal::ONE_HUNDRED).normalize()),
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
            StrategyValue::Number(d) | StrategyValue::Percent(d) | StrategyValue::Money { amount: d, .. } => {
                Some((0, *d))
            }
            StrategyValue::Rate { count, period } => Some((1, count.checked_mul(period.per_year())?)),
            _ => None,
        }
    }
}

/// An exact JSON number for a decimal (serde_json keeps its digits).
pub fn decimal_json(d: Decimal) -> serde_json::Value {
    let d = d.normalize();
    // A whole number of 64 bits: the same number, without text to parse.
    if let (0, Ok(i)) = (d.scale(), i64::try_from(d.mantissa())) {
        return serde_json::Value::Number(i.into());
    }
    let text = d.to_string();
    serde_json::from_str::<serde_json::Number>(&text).map_or(serde_json::Value::String(text), serde_json::Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whole numbers take a shortcut past the text: the JSON is the same
    /// number as the text's (trailing zeros and the sign of zero dropped).
    #[test]
    fn decimal_json_is_the_normalized_text_as_a_number() {
        for (m, s) in [(3260, 1), (0, 0), (-0, 2), (-15, 0), (i64::MAX, 0), (i64::MIN, 0), (12345, 2), (-5, 1)] {
            let d = Decimal::new(m, s);
            let text = d.normalize().to_string();
            assert_eq!(decimal_json(d).to_string(), text, "{d}");
            assert_eq!(decimal_json(d), serde_json::from_str::<serde_json::Value>(&text).unwrap(), "{d}");
        }
        assert_eq!(decimal_json(-Decimal::ZERO).to_string(), "0");
        assert_eq!(decimal_json(Decimal::MAX).to_string(), Decimal::MAX.to_string());
    }
}
