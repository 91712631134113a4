//! A CSV record's cells decoded by their fields' types into a chunk's columns:
//! plain numbers and ISO dates directly, anything else through the plain
//! decoder, so both paths accept exactly the same values.

use super::cells::{is_blank, plain_number, plain_parts, unquote};
use super::rows::{Batch, Rows};
use super::Fallback;
use crate::check::Ty;
use crate::data::value::{decode, decode_text};
use crate::eval::Value;
use crate::lookup::Column;
use crate::number::Date;

/// What is done with a field's cells, chosen once per run from its type and
/// whether anything reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Text nothing reads: checked not blank (a blank cell is decoded, which
    /// refuses it where the field is required).
    CheckText,
    /// A date nothing reads: checked to be an ISO date (any other is decoded).
    CheckDate,
    /// A date read: an ISO date's day onto the column, any other decoded.
    Day,
    /// A number with a whole number of periods a year (`per_year`, 1 but
    /// for rates): a plain one straight onto the column as mantissa and
    /// scale, any other decoded; kept if `read`.
    Number { ty: Ty, per_year: i64, read: bool },
    /// Any other field: decoded, and its value kept on the column if `read`.
    Decode { read: bool },
}

impl Step {
    pub(super) fn of(ty: Ty, read: bool, per_year: Option<i64>) -> Step {
        match (ty, read, per_year) {
            (Ty::Text, false, _) => Step::CheckText,
            (Ty::Date, false, _) => Step::CheckDate,
            (Ty::Date, true, _) => Step::Day,
            (Ty::Number | Ty::Money | Ty::Rate | Ty::Integer, read, Some(per_year)) => {
                Step::Number { ty, per_year, read }
            }
            (_, read, _) => Step::Decode { read },
        }
    }
}

/// A decoded cell: `Value::Num(Decimal::new(m, scale))`, `Value::Date(d)`, or any value.
pub(super) enum Cell {
    Num(i64, u32),
    Day(Date),
    Value(Value),
}

impl Rows<'_> {
    /// A record's cells decoded into `batch.columns`; `Err` at the first cell
    /// the column-wise decoder does not take (some columns then hold one more value).
    pub(super) fn decode_record(
        &self,
        columns: &[Option<usize>],
        bytes: &[u8],
        cells: &[(usize, usize)],
        batch: &mut Batch,
        scratch: &mut Vec<u8>,
    ) -> Result<(), Fallback> {
        self.decode_fields(|i| columns[i].and_then(|c| cells.get(c)).map(|&(a, b)| &bytes[a..b]), batch, scratch)
    }

    /// [`Rows::decode_record`] given each field's cell (`None`: no cell).
    pub(super) fn decode_fields<'a>(
        &self,
        raw: impl Fn(usize) -> Option<&'a [u8]>,
        batch: &mut Batch,
        scratch: &mut Vec<u8>,
    ) -> Result<(), Fallback> {
        for (i, (&step, column)) in self.steps.iter().zip(&mut batch.columns).enumerate() {
            self.decode_cell((i, step), raw(i), column, scratch)?;
        }
        Ok(())
    }

    /// Field `i`'s cell `raw` decoded by its `step` onto its `column`; `Err`
    /// where the column-wise decoder does not take it.
    #[inline]
    pub(super) fn decode_cell(
        &self,
        (i, step): (usize, Step),
        raw: Option<&[u8]>,
        column: &mut Column,
        scratch: &mut Vec<u8>,
    ) -> Result<(), Fallback> {
        let cell = match step {
            // A field no tier (nor the summary) reads is only checked, as
            // the plain path would: its column stays empty.
            Step::CheckText if raw.is_some_and(|r| unquote(r, scratch).is_ok_and(|t| !is_blank(t))) => return Ok(()),
            Step::CheckDate if raw.is_some_and(Date::is_iso) => return Ok(()),
            Step::Number { ty, per_year, read } => {
                let cell = match raw.and_then(plain_parts) {
                    Some(parts) => plain(ty, per_year, parts)?,
                    None => self.decode(i, raw, scratch)?,
                };
                if !read {
                    return Ok(());
                }
                cell
            }
            Step::CheckText | Step::CheckDate | Step::Decode { read: false } => {
                drop(self.decode(i, raw, scratch)?);
                return Ok(());
            }
            // An ISO date: its day straight onto the column; any other
            // date as any other cell.
            Step::Day => match raw.and_then(Date::parse_iso) {
                Some(d) => Cell::Day(d),
                None => self.decode(i, raw, scratch)?,
            },
            Step::Decode { read: true } => self.decode(i, raw, scratch)?,
        };
        match cell {
            Cell::Num(m, scale) if column.push_num(m, scale) => {}
            Cell::Num(..) => return Err(Fallback),
            Cell::Day(d) => column.push_day(d),
            Cell::Value(v) => column.push(v),
        }
        Ok(())
    }

    /// A cell by its field's type: plain numbers directly (as a mantissa and
    /// scale), anything else through the plain decoder (so both paths accept
    /// exactly the same values). ISO dates are read before this.
    fn decode(&self, field: usize, raw: Option<&[u8]>, scratch: &mut Vec<u8>) -> Result<Cell, Fallback> {
        let (f, per_year) = (&self.program.fields[field], self.per_year[field]);
        let Some(raw) = raw else { return decode(f, None).map(Cell::Value).map_err(|_| Fallback) };
        if matches!(f.ty, Ty::Number | Ty::Money | Ty::Rate | Ty::Integer) {
            // Short plain numbers: integer arithmetic only.
            if let (Some(parts), Some(k)) = (plain_parts(raw), per_year) {
                return plain(f.ty, k, parts);
            }
            if let Some(d) = plain_number(raw) {
                let d = match (f.ty, f.period) {
                    (Ty::Rate, _) if d.is_sign_negative() && !d.is_zero() => return Err(Fallback),
                    (Ty::Rate, Some(p)) => d.checked_mul(p.per_year()).ok_or(Fallback)?,
                    (Ty::Integer, _) if !d.fract().is_zero() => return Err(Fallback),
                    _ => d,
                };
                return Ok(Cell::Value(Value::Num(d)));
            }
        }
        let text = std::str::from_utf8(unquote(raw, scratch)?).map_err(|_| Fallback)?;
        decode_text(f, Some(text)).map(Cell::Value).map_err(|_| Fallback)
    }
}

/// A plain number (`(mantissa, scale)`) of a field of type `ty` with
/// `per_year` periods a year, as a cell; `Err` for what the plain decoder
/// refuses (a fraction for an integer, a negative rate) or cannot hold.
pub(super) fn plain(ty: Ty, per_year: i64, (m, scale): (i64, u32)) -> Result<Cell, Fallback> {
    if ty == Ty::Integer && scale > 0 && m % 10i64.pow(scale) != 0 || ty == Ty::Rate && m < 0 {
        return Err(Fallback);
    }
    Ok(Cell::Num(m.checked_mul(per_year).ok_or(Fallback)?, scale))
}
