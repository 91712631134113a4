//! A Parquet share's columns decoded by type, straight from Arrow arrays to
//! values: decimals and integers to numbers, date32 to dates, strings through
//! the plain text decoder; any other value through the plain path's own cell
//! code ([`cell`] and [`decode`]), so both paths take exactly the same
//! values. A value neither takes is an error here: the share is then read
//! again by the plain reader, which says why.

use super::Fallback;
use crate::check::{FieldInfo, Ty};
use crate::data::parquet_read::cell;
use crate::data::tabular::for_field;
use crate::data::value::{decode, decode_text, number};
use crate::eval::Value;
use crate::lookup::Column;
use crate::number::{Date, Decimal};
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Decimal128Type, Int32Type, Int64Type};
use arrow_array::Array;
use arrow_schema::DataType;

/// The plain path's value of row `i` of `a` in field `f`.
fn plain(f: &FieldInfo, a: &dyn Array, i: usize) -> Result<Value, Fallback> {
    decode(f, Some(&for_field(f, cell(a, i)))).map_err(|_| Fallback)
}

/// Every value of `a` as field `f` reads it, pushed to `column`; `None`: the
/// values are only checked (no tier reads the field).
pub(super) fn column(f: &FieldInfo, a: &dyn Array, mut column: Option<&mut Column>) -> Result<(), Fallback> {
    if column.is_none() && f.ty == Ty::Text && matches!(a.data_type(), DataType::Utf8 | DataType::LargeUtf8) {
        // Unread text: only whether each cell is there.
        let blank = |i: usize| !a.is_valid(i) || text(a, i).trim().is_empty();
        return if f.optional || !(0..a.len()).any(blank) { Ok(()) } else { Err(Fallback) };
    }
    let mut push = |v: Value| {
        if let Some(c) = column.as_mut() {
            c.push(v);
        }
    };
    let numeric = matches!(f.ty, Ty::Number | Ty::Money | Ty::Rate | Ty::Integer);
    // A decimal or integer is the text `to_string` gives it; the plain decoder
    // reads a non-negative one of up to 18 digits as this normalized decimal.
    let num = |d: Decimal, i: usize| match d.is_sign_negative() {
        false => number(f, d.normalize()).ok_or(Fallback),
        true => plain(f, a, i),
    };
    let missing = || decode_text(f, None).map_err(|_| Fallback);
    match a.data_type() {
        DataType::Decimal128(_, scale @ 0..=18) if numeric => {
            let a = a.as_primitive::<Decimal128Type>();
            for i in 0..a.len() {
                push(match a.is_valid(i) {
                    false => missing()?,
                    true => match a.value(i) {
                        v @ 0..=999_999_999_999_999_999 => match Decimal::try_from_i128_with_scale(v, *scale as u32) {
                            Ok(d) => num(d, i)?,
                            Err(_) => plain(f, a, i)?,
                        },
                        _ => plain(f, a, i)?,
                    },
                });
            }
        }
        DataType::Int64 if numeric => {
            let a = a.as_primitive::<Int64Type>();
            for i in 0..a.len() {
                push(if a.is_valid(i) { num(Decimal::from(a.value(i)), i)? } else { missing()? });
            }
        }
        DataType::Int32 if numeric => {
            let a = a.as_primitive::<Int32Type>();
            for i in 0..a.len() {
                push(if a.is_valid(i) { num(Decimal::from(a.value(i)), i)? } else { missing()? });
            }
        }
        DataType::Date32 if f.ty == Ty::Date => {
            let a = a.as_primitive::<Date32Type>();
            for i in 0..a.len() {
                let day = a.is_valid(i).then(|| Date(0).add_days(i64::from(a.value(i)))).flatten();
                push(match day {
                    Some(d) => Value::Date(d),
                    None => plain(f, a, i)?,
                });
            }
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            for i in 0..a.len() {
                push(match a.is_valid(i) {
                    true => decode_text(f, Some(text(a, i))).map_err(|_| Fallback)?,
                    false => missing()?,
                });
            }
        }
        _ => {
            for i in 0..a.len() {
                push(plain(f, a, i)?);
            }
        }
    }
    Ok(())
}

/// A string array's value at `i` (`""` for any other array).
pub(super) fn text(a: &dyn Array, i: usize) -> &str {
    match a.data_type() {
        DataType::Utf8 => a.as_string::<i32>().value(i),
        DataType::LargeUtf8 => a.as_string::<i64>().value(i),
        DataType::Utf8View => a.as_string_view().value(i),
        _ => "",
    }
}

/// Row `i` of `a` as text, as the plain reader takes a key or a kept cell
/// (`f`: the key's field, which reads a number in a date field as a date).
pub(super) fn raw(a: &dyn Array, i: usize, f: Option<&FieldInfo>, out: &mut Vec<u8>) {
    match a.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View if a.is_valid(i) => {
            out.extend_from_slice(text(a, i).as_bytes())
        }
        _ => {
            let c = match f {
                Some(f) => for_field(f, cell(a, i)),
                None => cell(a, i),
            };
            out.extend_from_slice(c.raw().as_bytes());
        }
    }
}
