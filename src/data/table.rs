//! Record-oriented outputs (Excel, Parquet): unlike CSV and JSON they are not
//! byte streams written row by row, but documents of typed columns declared up
//! front. The [`Writer`](super::Writer) hands them rows of typed cells; each
//! format's [`Table`] decides how a cell is stored and when bytes reach the
//! output (Parquet per row group, Excel at the end).

use crate::check::{FieldInfo, StrategyValue, Ty};
use crate::number::{Date, Decimal};
use std::io::Write;

/// What a column holds, so each format can store it natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// An amount: a decimal (Parquet), a number with a money format (Excel).
    Money,
    Number,
    Integer,
    /// A share such as 0.2, shown as 20% where the format can.
    Percent,
    Date,
    DateTime,
    Bool,
    /// Nested data as JSON text.
    Json,
}

/// An output column: its name and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

impl Column {
    pub fn new(name: impl Into<String>, kind: Kind) -> Self {
        Column { name: name.into(), kind }
    }
}

impl From<String> for Column {
    fn from(name: String) -> Self {
        Column { name, kind: Kind::Text }
    }
}

impl Kind {
    /// The kind of a schema field's values.
    pub fn of_field(f: &FieldInfo) -> Kind {
        match f.ty {
            Ty::Money => Kind::Money,
            Ty::Number | Ty::Lit | Ty::Rate => Kind::Number,
            Ty::Integer => Kind::Integer,
            Ty::Date => Kind::Date,
            Ty::DateTime => Kind::DateTime,
            Ty::Bool => Kind::Bool,
            Ty::Text | Ty::Enum(_) | Ty::Error => Kind::Text,
        }
    }

    /// The kind of a strategy value (lists and maps are JSON).
    fn of_strategy(v: &StrategyValue) -> Kind {
        match v {
            StrategyValue::Number(_) => Kind::Number,
            StrategyValue::Percent(_) => Kind::Percent,
            StrategyValue::Money { .. } => Kind::Money,
            StrategyValue::Bool(_) => Kind::Bool,
            StrategyValue::Date(_) => Kind::Date,
            StrategyValue::Text(_) | StrategyValue::Rate { .. } => Kind::Text,
            StrategyValue::List(_) | StrategyValue::Map(_) => Kind::Json,
        }
    }

    /// One kind for a strategy column: the values' common kind, else text.
    pub fn of_strategies<'a>(values: impl IntoIterator<Item = &'a StrategyValue>) -> Kind {
        let mut kinds = values.into_iter().map(Kind::of_strategy);
        let first = kinds.next().unwrap_or(Kind::Text);
        if kinds.all(|k| k == first) {
            first
        } else {
            Kind::Text
        }
    }
}

/// One typed output cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    Null,
    Text(String),
    Num(Decimal),
    Bool(bool),
    Date(Date),
    /// Seconds since 1970-01-01 00:00.
    DateTime(i64),
}

impl Out {
    /// A strategy value in a column of `kind`.
    pub fn strategy(v: &StrategyValue, kind: Kind) -> Out {
        match (v, kind) {
            (StrategyValue::Number(d) | StrategyValue::Percent(d) | StrategyValue::Money { amount: d, .. }, k)
                if k != Kind::Text =>
            {
                Out::Num(*d)
            }
            (StrategyValue::Bool(b), Kind::Bool) => Out::Bool(*b),
            (StrategyValue::Date(d), Kind::Date) => Out::Date(*d),
            _ => Out::Text(v.to_text()),
        }
    }

    /// A JSON value of a pipeline stage in a column of `column`'s kind; a
    /// value that does not fit the kind is an error, never dropped.
    pub fn from_json(v: &serde_json::Value, column: &Column) -> std::io::Result<Out> {
        use serde_json::Value as J;
        let bad = || std::io::Error::other(format!("column `{}`: `{v}` is not a {:?} value", column.name, column.kind));
        Ok(match (v, column.kind) {
            (J::Null, _) => Out::Null,
            (J::String(s), Kind::Text | Kind::Json) => Out::Text(s.clone()),
            (other, Kind::Text | Kind::Json) => Out::Text(other.to_string()),
            (J::Number(_), Kind::Money | Kind::Number | Kind::Integer | Kind::Percent) => {
                Out::Num(json_decimal(v).ok_or_else(bad)?)
            }
            (J::String(s), Kind::Date) => Out::Date(Date::parse(s).ok_or_else(bad)?),
            (J::String(s), Kind::DateTime) => Out::DateTime(crate::number::parse_datetime(s).ok_or_else(bad)?),
            (J::Bool(b), Kind::Bool) => Out::Bool(*b),
            _ => return Err(bad()),
        })
    }
}

/// A run's summary as a table (per dimension and tier: customers, their share,
/// money and its share), for formats that carry it beside the records.
#[derive(Debug, Clone, Default)]
pub struct SummaryTable {
    pub money_field: Option<String>,
    pub rows: Vec<SummaryRow>,
}

/// One tier of a dimension in the summary; tier `None` is "no tier".
#[derive(Debug, Clone)]
pub struct SummaryRow {
    pub dimension: String,
    pub tier: Option<String>,
    pub count: u64,
    pub share: Option<Decimal>,
    pub money: Decimal,
    pub money_share: Option<Decimal>,
}

impl SummaryTable {
    /// From the summary's JSON form (`Summary::to_json`).
    pub fn from_json(doc: &serde_json::Value) -> SummaryTable {
        let mut rows = Vec::new();
        for (dim, tiers) in doc["dimensions"].as_object().into_iter().flatten() {
            for t in tiers.as_array().into_iter().flatten() {
                let count = t["count"].as_u64().unwrap_or(0);
                if t["tier"].is_null() && count == 0 {
                    continue;
                }
                rows.push(SummaryRow {
                    dimension: dim.clone(),
                    tier: t["tier"].as_str().map(str::to_string),
                    count,
                    share: json_decimal(&t["share"]),
                    money: json_decimal(&t["money"]).unwrap_or_default(),
                    money_share: json_decimal(&t["money_share"]),
                });
            }
        }
        SummaryTable { money_field: doc["money_field"].as_str().map(str::to_string), rows }
    }
}

/// A JSON number as an exact decimal (`None` for anything else).
pub fn json_decimal(v: &serde_json::Value) -> Option<Decimal> {
    let serde_json::Value::Number(n) = v else { return None };
    let text = n.to_string();
    text.parse().ok().or_else(|| Decimal::from_scientific(&text).ok())
}

/// A record-oriented output format.
pub trait Table {
    /// One record: a cell per column, in column order.
    fn row(&mut self, cells: &[Out], out: &mut dyn Write) -> std::io::Result<()>;
    /// Completes the document (with the summary, where the format has room).
    fn finish(self: Box<Self>, summary: Option<&SummaryTable>, out: &mut dyn Write) -> std::io::Result<()>;
}
