//! Value types and the unit rules of arithmetic and comparison.
//!
//! Money, rates, dates and plain numbers are distinct. A number literal (`100万`,
//! `20%`) is `Lit` and adapts to plain numbers and money, never to a rate: a rate
//! constant must say its period (`3/quarter`).

use crate::syntax::BinOp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Text,
    Number,
    Integer,
    Money,
    /// A count per period, normalised per year.
    Rate,
    Date,
    /// A date and time of day: event times only (a metric reduces it to days).
    DateTime,
    Bool,
    /// An enum, by index of its field.
    Enum(usize),
    /// A number literal: fits numbers, integers and money.
    Lit,
    /// Already reported; silences follow-on errors.
    Error,
}

impl Ty {
    pub fn describe(self) -> &'static str {
        match self {
            Ty::Text => "text",
            Ty::Number | Ty::Lit => "a number",
            Ty::Integer => "an integer",
            Ty::Money => "money",
            Ty::Rate => "a rate",
            Ty::Date => "a date",
            Ty::DateTime => "a date-time",
            Ty::Bool => "true/false",
            Ty::Enum(_) => "an enum value",
            Ty::Error => "an error",
        }
    }

    fn is_plain_number(self) -> bool {
        matches!(self, Ty::Number | Ty::Integer | Ty::Lit)
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, Ty::Number | Ty::Integer | Ty::Lit | Ty::Money | Ty::Rate)
    }
}

/// Why two types do not go together.
#[derive(Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// A rate beside a plain number: the fix is to write a period.
    RateWithNumber,
    Other,
}

/// The type of `lhs op rhs`.
pub fn arith(op: BinOp, l: Ty, r: Ty) -> Result<Ty, Mismatch> {
    use Ty::*;
    if l == Error || r == Error {
        return Ok(Error);
    }
    let rate_mix = (l == Rate && r.is_plain_number()) || (r == Rate && l.is_plain_number());
    Ok(match (op, l, r) {
        (_, Lit, Lit) => Lit,
        (BinOp::Div, a, b) if a.is_plain_number() && b.is_plain_number() => Number,
        (_, Integer, Integer) | (_, Integer, Lit) | (_, Lit, Integer) => Integer,
        (_, a, b) if a.is_plain_number() && b.is_plain_number() => Number,
        // Money: sums of money, scaled by numbers, ratios of money.
        (BinOp::Add | BinOp::Sub, Money, Money | Lit) | (BinOp::Add | BinOp::Sub, Lit, Money) => Money,
        (BinOp::Mul, Money, b) | (BinOp::Mul, b, Money) if b.is_plain_number() => Money,
        (BinOp::Div, Money, b) if b.is_plain_number() => Money,
        (BinOp::Div, Money, Money) => Number,
        // Money per event: annual purchase / orders per year.
        (BinOp::Div, Money, Rate) => Money,
        // Rates: sums of rates, scaled by numbers, ratios of rates.
        (BinOp::Add | BinOp::Sub, Rate, Rate) => Rate,
        (BinOp::Mul, Rate, b) | (BinOp::Mul, b, Rate) if b.is_plain_number() && b != Lit => Rate,
        (BinOp::Mul, Rate, Lit) | (BinOp::Mul, Lit, Rate) => Rate,
        (BinOp::Div, Rate, b) if b.is_plain_number() => Rate,
        (BinOp::Div, Rate, Rate) => Number,
        // Dates: a difference in days, a date moved by days.
        (BinOp::Sub, Date, Date) => Integer,
        (BinOp::Add | BinOp::Sub, Date, Integer | Lit) | (BinOp::Add, Integer | Lit, Date) => Date,
        _ if rate_mix => return Err(Mismatch::RateWithNumber),
        _ => return Err(Mismatch::Other),
    })
}

/// Whether `l` and `r` may be compared, and whether by order (`<`) or only equality.
pub fn comparable(l: Ty, r: Ty) -> Result<Order, Mismatch> {
    use Ty::*;
    if l == Error || r == Error {
        return Ok(Order::Total);
    }
    match (l, r) {
        (a, b) if a.is_plain_number() && b.is_plain_number() => Ok(Order::Total),
        (Money, Money | Lit) | (Lit, Money) | (Rate, Rate) | (Date, Date) => Ok(Order::Total),
        (DateTime, DateTime | Date) | (Date, DateTime) => Ok(Order::Total),
        (Text, Text) | (Bool, Bool) => Ok(Order::Equality),
        (Enum(a), Enum(b)) if a == b => Ok(Order::Equality),
        (Rate, b) | (b, Rate) if b.is_plain_number() => Err(Mismatch::RateWithNumber),
        _ => Err(Mismatch::Other),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Total,
    Equality,
}

/// The type two comparable operands share, for `min`/`max` results.
pub fn common(l: Ty, r: Ty) -> Ty {
    match (l, r) {
        (Ty::Lit, b) => b,
        (a, Ty::Lit) => a,
        (Ty::Integer, Ty::Number) | (Ty::Number, Ty::Integer) => Ty::Number,
        (a, _) => a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_rates_keep_their_units() {
        assert_eq!(arith(BinOp::Div, Ty::Money, Ty::Rate), Ok(Ty::Money));
        assert_eq!(arith(BinOp::Add, Ty::Money, Ty::Lit), Ok(Ty::Money));
        assert_eq!(arith(BinOp::Add, Ty::Money, Ty::Date), Err(Mismatch::Other));
        assert_eq!(arith(BinOp::Add, Ty::Rate, Ty::Lit), Err(Mismatch::RateWithNumber));
        assert_eq!(arith(BinOp::Sub, Ty::Date, Ty::Date), Ok(Ty::Integer));
        assert_eq!(arith(BinOp::Div, Ty::Integer, Ty::Integer), Ok(Ty::Number));
    }

    #[test]
    fn comparisons_need_matching_units() {
        assert_eq!(comparable(Ty::Money, Ty::Lit), Ok(Order::Total));
        assert_eq!(comparable(Ty::Money, Ty::Date), Err(Mismatch::Other));
        assert_eq!(comparable(Ty::Rate, Ty::Lit), Err(Mismatch::RateWithNumber));
        assert_eq!(comparable(Ty::Text, Ty::Text), Ok(Order::Equality));
        assert_eq!(comparable(Ty::Enum(1), Ty::Enum(2)), Err(Mismatch::Other));
    }
}
