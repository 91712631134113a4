//! One field's values over a batch of records, stored by what they are: while
//! every value is a date, day numbers (4 bytes a value); while every value is a
//! number whose mantissa fits 64 bits, mantissas and scales (9 bytes); else
//! any values (24 bytes). A chunk's decoder pushes day numbers and mantissas
//! straight from the text, and [`super::Lookup::decide_batch`] classes them
//! without building a `Value` per record.

use crate::eval::Value;
use crate::number::{Date, Decimal};

#[derive(Debug, Clone)]
pub enum Column {
    Values(Vec<Value>),
    /// `Value::Num(Decimal::new(mantissa, scale))`, mantissas and scales apart.
    Nums(Vec<i64>, Vec<u8>),
    /// `Value::Date(Date(day))`.
    Days(Vec<i32>),
}

impl Default for Column {
    fn default() -> Self {
        Column::Values(Vec::new())
    }
}

impl From<Vec<Value>> for Column {
    fn from(values: Vec<Value>) -> Self {
        let mut c = Column::default();
        values.into_iter().for_each(|v| c.push(v));
        c
    }
}

/// A number's parts when it goes into a `Nums` column as itself: its mantissa
/// fits 64 bits, and it is not a negative zero (which `Decimal::new` would not give back).
fn parts(d: &Decimal) -> Option<(i64, u8)> {
    let m = i64::try_from(d.mantissa()).ok()?;
    (m != 0 || !d.is_sign_negative()).then_some((m, d.scale() as u8))
}

/// Whether `v` has a typed column: a date, or a number [`parts`] takes.
fn typed(v: &Value) -> bool {
    match v {
        Value::Date(_) => true,
        Value::Num(d) => parts(d).is_some(),
        _ => false,
    }
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Column::Values(v) => v.len(),
            Column::Nums(m, _) => m.len(),
            Column::Days(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Empties the column; its kind (and buffer) stays for the next batch.
    pub fn clear(&mut self) {
        self.truncate(0);
    }

    pub fn truncate(&mut self, n: usize) {
        match self {
            Column::Values(v) => v.truncate(n),
            Column::Nums(m, s) => {
                m.truncate(n);
                s.truncate(n);
            }
            Column::Days(d) => d.truncate(n),
        }
    }

    pub fn push(&mut self, v: Value) {
        match (&mut *self, &v) {
            (Column::Days(days), Value::Date(d)) => return days.push(d.0),
            (Column::Nums(ms, ss), Value::Num(d)) => {
                if let Some((m, s)) = parts(d) {
                    ms.push(m);
                    return ss.push(s);
                }
            }
            (Column::Values(values), _) if !values.is_empty() || !typed(&v) => return values.push(v),
            _ => {}
        }
        // An empty column takes the kind of its first value; one of another
        // kind holds every value as itself from here on.
        *self = match (self.is_empty(), &v) {
            (true, Value::Date(d)) => Column::Days(vec![d.0]),
            (true, Value::Num(d)) => match parts(d) {
                Some((m, s)) => Column::Nums(vec![m], vec![s]),
                None => Column::Values(vec![v]),
            },
            (true, _) => Column::Values(vec![v]),
            (false, _) => Column::Values((0..self.len()).map(|r| self.get(r)).chain(std::iter::once(v)).collect()),
        };
    }

    /// Pushes `Value::Num(Decimal::new(m, scale))`; `false` (nothing pushed)
    /// where no decimal has that scale.
    #[inline]
    #[must_use]
    pub fn push_num(&mut self, m: i64, scale: u32) -> bool {
        match self {
            Column::Nums(ms, ss) if scale <= Decimal::MAX_SCALE => {
                ms.push(m);
                ss.push(scale as u8);
            }
            _ => match Decimal::try_new(m, scale) {
                Ok(d) => self.push(Value::Num(d)),
                Err(_) => return false,
            },
        }
        true
    }

    /// Pushes `Value::Date(d)`.
    #[inline]
    pub fn push_day(&mut self, d: Date) {
        match self {
            Column::Days(days) => days.push(d.0),
            _ => self.push(Value::Date(d)),
        }
    }

    /// `n` copies of `v`.
    pub fn push_repeat(&mut self, v: &Value, n: usize) {
        (0..n).for_each(|_| self.push(v.clone()));
    }

    /// The value of record `r` (missing past the end).
    pub fn get(&self, r: usize) -> Value {
        match self {
            Column::Values(v) => v.get(r).cloned().unwrap_or(Value::Missing),
            Column::Nums(m, s) => match (m.get(r), s.get(r)) {
                (Some(&m), Some(&s)) => Value::Num(Decimal::new(m, u32::from(s))),
                _ => Value::Missing,
            },
            Column::Days(d) => d.get(r).map_or(Value::Missing, |&d| Value::Date(Date(d))),
        }
    }

    /// The mantissa and scale of record `r`'s number (`None`: not a number).
    #[inline]
    pub fn num_parts(&self, r: usize) -> Option<(i128, u32)> {
        match self {
            Column::Nums(m, s) => Some((i128::from(*m.get(r)?), u32::from(*s.get(r)?))),
            Column::Values(v) => match v.get(r)? {
                Value::Num(d) => Some((d.mantissa(), d.scale())),
                _ => None,
            },
            Column::Days(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Missing),
            (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Value::Num(Decimal::new(m, s))),
            (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Value::Num(-Decimal::new(m, s))),
            any::<u64>().prop_map(|m| Value::Num(Decimal::from(m) * Decimal::from(256))),
            (-1_000_000i32..1_000_000).prop_map(|d| Value::Date(Date(d))),
            "[a-c]{0,2}".prop_map(Value::Text),
        ]
    }

    proptest! {
        /// Whatever the kinds pushed, a column gives back each value as it was
        /// pushed (the same number, scale and sign included), and truncates
        /// and clears as a vector does.
        #[test]
        fn gives_back_what_was_pushed(values in proptest::collection::vec(value(), 0..40), cut in 0usize..40) {
            let mut c = Column::default();
            for v in &values {
                c.push(v.clone());
            }
            prop_assert_eq!(c.len(), values.len());
            for (r, v) in values.iter().enumerate() {
                let got = c.get(r);
                prop_assert_eq!(&got, v);
                if let (Value::Num(a), Value::Num(b)) = (&got, v) {
                    prop_assert_eq!(a.serialize(), b.serialize());
                }
                let parts = match v { Value::Num(d) => Some((d.mantissa(), d.scale())), _ => None };
                prop_assert_eq!(c.num_parts(r), parts);
            }
            c.truncate(cut);
            prop_assert_eq!(c.len(), values.len().min(cut));
            c.clear();
            prop_assert!(c.is_empty());
            prop_assert_eq!(c.get(0), Value::Missing);
        }
    }

    #[test]
    fn typed_pushes_are_their_values() {
        let mut c = Column::default();
        assert!(c.push_num(12345, 2));
        c.push(Value::Num(Decimal::new(-7, 0)));
        assert!(!c.push_num(1, 40)); // beyond any decimal's scale
        assert!(matches!(c, Column::Nums(..)));
        assert_eq!((c.len(), c.get(0)), (2, Value::Num(Decimal::new(12345, 2))));
        let mut d = Column::default();
        d.push_day(Date(10));
        d.push_day(Date(-3));
        assert!(matches!(d, Column::Days(_)));
        assert_eq!(d.get(1), Value::Date(Date(-3)));
        assert!(d.push_num(5, 0));
        assert_eq!((d.get(0), d.get(2)), (Value::Date(Date(10)), Value::Num(Decimal::new(5, 0))));
    }
}
