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
pub trait Table: Send {
    /// One record: a cell per column, in column order.
    fn row(&mut self, cells: &[Out], out: &mut dyn Write) -> std::io::Result<()>;
    /// Completes the document (with the summary, where the format has room).
    fn finish(self: Box<Self>, summary: Option<&SummaryTable>, out: &mut dyn Write) -> std::io::Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stage_values_fit_their_column_kind_or_are_refused() {
        let money = Column::new("budget.m", Kind::Money);
        assert_eq!(Out::from_json(&json!(12.5), &money).ok(), Some(Out::Num("12.5".parse().unwrap())));
        assert_eq!(Out::from_json(&json!(null), &money).ok(), Some(Out::Null));
        assert!(Out::from_json(&json!("twelve"), &money).is_err(), "text in a money column is an error");
        let date = Column::new("v_entered", Kind::Date);
        assert_eq!(
            Out::from_json(&json!("2025-01-31"), &date).ok(),
            Some(Out::Date(Date::parse("2025-01-31").unwrap()))
        );
        assert!(Out::from_json(&json!("2025-13-01"), &date).is_err());
        let text = Column::new("reason", Kind::Text);
        assert_eq!(Out::from_json(&json!(3), &text).ok(), Some(Out::Text("3".into())));
    }

    #[test]
    fn a_strategy_column_has_its_values_common_kind_else_text() {
        let n = |s: &str| StrategyValue::Number(s.parse().unwrap());
        assert_eq!(Kind::of_strategies([&n("1"), &n("2.5")]), Kind::Number);
        assert_eq!(Kind::of_strategies([&n("1"), &StrategyValue::Text("x".into())]), Kind::Text);
        assert_eq!(Kind::of_strategies([&StrategyValue::List(vec![])]), Kind::Json);
        assert_eq!(Out::strategy(&n("0.5"), Kind::Text), Out::Text("0.5".into()));
        assert_eq!(
            Out::strategy(&StrategyValue::Percent("0.15".parse().unwrap()), Kind::Percent),
            Out::Num("0.15".parse().unwrap())
        );
    }

    #[test]
    fn the_summary_table_skips_an_empty_no_tier_row() {
        let doc = json!({"money_field": "spend", "dimensions": {"tier": [
            {"tier": "VIP", "count": 2, "share": 0.5, "money": 100, "money_share": 0.8},
            {"tier": "Small", "count": 2, "share": 0.5, "money": 25, "money_share": 0.2},
            {"tier": null, "count": 0, "share": 0, "money": 0, "money_share": 0}]}});
        let t = SummaryTable::from_json(&doc);
        assert_eq!(t.money_field.as_deref(), Some("spend"));
        let tiers: Vec<_> = t.rows.iter().map(|r| (r.tier.clone(), r.count, r.money)).collect();
        assert_eq!(tiers, [(Some("VIP".into()), 2, Decimal::from(100)), (Some("Small".into()), 2, Decimal::from(25))]);
    }
}
