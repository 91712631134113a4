//! One input cell to a runtime value, by the field's declared type.

use crate::check::{FieldInfo, Ty};
use crate::eval::Value;
use crate::number::{parse_data_number, Date};

/// A cell as the input format gave it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Json(serde_json::Value),
}

impl Cell {
    /// The cell as text, as it would appear in a CSV file.
    pub fn raw(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Json(serde_json::Value::String(s)) => s.clone(),
            Cell::Json(serde_json::Value::Null) => String::new(),
            Cell::Json(v) => v.to_string(),
        }
    }
}

/// Why a cell could not be read: what was expected, and an example of it.
#[derive(Debug, Clone, PartialEq)]
pub enum CellError {
    Empty,
    Invalid { expected: String, help: String },
}

/// Decodes a cell; an absent or empty cell is `Missing` for optional fields.
pub fn decode(field: &FieldInfo, cell: Option<&Cell>) -> Result<Value, CellError> {
    let text = match cell {
        None | Some(Cell::Json(serde_json::Value::Null)) => None,
        Some(Cell::Json(serde_json::Value::Bool(b))) if field.ty == Ty::Bool => return Ok(Value::Bool(*b)),
        Some(c) => Some(c.raw()),
    };
    decode_text(field, text.as_deref())
}

/// [`decode`] of a JSON record's value as found in its text (no copy of a
/// string without escapes).
pub(super) fn decode_json(field: &FieldInfo, value: Option<&super::json_object::Json>) -> Result<Value, CellError> {
    use super::json_object::Json;
    match value {
        None | Some(Json::Null) => decode_text(field, None),
        Some(Json::Bool(b)) if field.ty == Ty::Bool => Ok(Value::Bool(*b)),
        Some(v) => decode_text(field, Some(&v.text())),
    }
}

/// Decodes a cell given as text (`None`: no cell), as [`decode`] does.
pub fn decode_text(field: &FieldInfo, text: Option<&str>) -> Result<Value, CellError> {
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    let Some(text) = text else {
        return if field.optional { Ok(Value::Missing) } else { Err(CellError::Empty) };
    };
    if let (Ty::Money, Some(currency)) = (field.ty, &field.currency) {
        return money_in(text, currency);
    }
    parse(field, text).ok_or_else(|| invalid(field))
}

/// An amount in the policy's currency: its own symbols or none; another
/// currency's symbol is an error, never converted or ignored.
fn money_in(text: &str, currency: &str) -> Result<Value, CellError> {
    let Some((d, symbols)) = crate::number::parse_data_amount(text) else {
        return Err(invalid_money());
    };
    match symbols.into_iter().flatten().find(|s| !crate::number::symbol_fits(s, currency)) {
        None => Ok(Value::Num(d)),
        Some(s) => {
            let own = crate::number::symbols_of(currency);
            let own = if own.is_empty() { currency.to_string() } else { own.join(", ") };
            Err(CellError::Invalid {
                expected: format!("an amount in {currency}"),
                help: format!(
                    "`{s}` is another currency: the policy's amounts are in {currency} (written with {own} or no symbol); convert the amount before applying the policy"
                ),
            })
        }
    }
}

fn invalid_money() -> CellError {
    CellError::Invalid {
        expected: "an amount".into(),
        help: "amounts look like 1200, 1,200.50, ¥1,200, $5k or 120万".into(),
    }
}

fn parse(field: &FieldInfo, text: &str) -> Option<Value> {
    match field.ty {
        Ty::Text => Some(Value::Text(text.to_string())),
        Ty::Number | Ty::Money | Ty::Lit | Ty::Integer | Ty::Rate => {
            parse_data_number(text).and_then(|d| number(field, d))
        }
        Ty::Date => Date::parse(text).map(Value::Date),
        Ty::DateTime => crate::number::parse_datetime(text).map(Value::DateTime),
        Ty::Bool => parse_bool(text).map(Value::Bool),
        Ty::Enum(_) => field
            .enum_values
            .iter()
            .position(|v| v == text)
            .or_else(|| field.enum_values.iter().position(|v| v.eq_ignore_ascii_case(text)))
            .map(|i| Value::Enum(i as u32)),
        Ty::Error => None,
    }
}

/// A number read from a cell (a decimal as [`parse_data_number`] gives it)
/// as a numeric `field` takes it: a whole number for an integer, a count
/// per period scaled to a year for a rate.
pub(crate) fn number(field: &FieldInfo, d: rust_decimal::Decimal) -> Option<Value> {
    match field.ty {
        Ty::Integer => d.fract().is_zero().then_some(Value::Num(d)),
        Ty::Rate => {
            // A rate counts events per period: never negative.
            let per_year = field.period.map_or(rust_decimal::Decimal::ONE, |p| p.per_year());
            let count = Some(d).filter(|d| !d.is_sign_negative() || d.is_zero());
            count.and_then(|d| d.checked_mul(per_year)).map(Value::Num)
        }
        _ => Some(Value::Num(d)),
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "是" => Some(true),
        "false" | "no" | "n" | "0" | "否" => Some(false),
        _ => None,
    }
}

fn invalid(field: &FieldInfo) -> CellError {
    let (expected, help) = match field.ty {
        Ty::Money => return invalid_money(),
        Ty::Number | Ty::Lit => ("a number", "numbers look like 42, 1,234.5, 12% or 3.5k".to_string()),
        Ty::Integer => ("a whole number", "whole numbers look like 42 or 1,200".to_string()),
        Ty::Rate => {
            let period = field.period.map_or("year", |p| p.name());
            let name = &field.name;
            ("a count", format!("`{name}` is counted per {period}: write zero or a positive number such as 12"))
        }
        Ty::Date => ("a date", "dates are ISO 8601: 2024-06-30 (a time after the date is ignored)".to_string()),
        Ty::DateTime => ("a date-time", "date-times look like 2011-12-09 12:50:00 or 2011-12-09T12:50".to_string()),
        Ty::Bool => ("true or false", "write true/false, yes/no or 1/0".to_string()),
        Ty::Enum(_) => ("an allowed value", format!("`{}` is one of: {}", field.name, field.enum_values.join(", "))),
        Ty::Text | Ty::Error => ("text", String::new()),
    };
    CellError::Invalid { expected: expected.to_string(), help }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::{Decimal, Period};

    fn field(ty: Ty, optional: bool) -> FieldInfo {
        FieldInfo {
            name: "f".into(),
            ty,
            period: Some(Period::Quarter),
            optional,
            column: "f".into(),
            aliases: vec![],
            enum_values: vec!["North".into(), "South".into()],
            prefer: None,
            range: None,
            currency: None,
            span: 0..0,
        }
    }

    fn text(s: &str) -> Option<Cell> {
        Some(Cell::Text(s.into()))
    }

    #[test]
    fn cells_decode_by_type() {
        let d = |s: &str| Value::Num(s.parse::<Decimal>().unwrap());
        assert_eq!(decode(&field(Ty::Money, false), text("¥1,200.50").as_ref()), Ok(d("1200.50")));
        assert_eq!(decode(&field(Ty::Rate, false), text("3").as_ref()), Ok(d("12")));
        assert_eq!(decode(&field(Ty::Bool, false), text("Yes").as_ref()), Ok(Value::Bool(true)));
        assert_eq!(decode(&field(Ty::Enum(0), false), text("south").as_ref()), Ok(Value::Enum(1)));
        assert!(decode(&field(Ty::Integer, false), text("2.5").as_ref()).is_err());
        assert_eq!(decode(&field(Ty::Money, true), text("  ").as_ref()), Ok(Value::Missing));
        assert_eq!(decode(&field(Ty::Money, false), None), Err(CellError::Empty));
        let json = Some(Cell::Json(serde_json::json!(999999.99)));
        assert_eq!(decode(&field(Ty::Money, false), json.as_ref()), Ok(d("999999.99")));
    }
}
