//! A CSV record's cells decoded by their fields' types into a chunk's columns:
//! plain numbers and ISO dates directly, anything else through the plain
//! decoder, so both paths accept exactly the same values.

use super::cells::{is_blank, plain_number, plain_parts, unquote};
use super::rows::{Batch, Rows};
use super::Fallback;
use crate::check::Ty;
use crate::data::value::{decode, decode_text};
use crate::eval::Value;
use crate::number::Date;

/// A decoded cell: `Value::Num(Decimal::new(m, scale))`, `Value::Date(d)`, or any value.
enum Cell {
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
        for (i, (((f, &read), &per_year), column)) in
            self.program.fields.iter().zip(&self.read).zip(&self.per_year).zip(&mut batch.columns).enumerate()
        {
            let raw = raw(i);
            // An ISO date: its day straight onto the column, or only checked
            // where nothing reads it; any other date as any other cell.
            let day = match (f.ty, raw) {
                (Ty::Date, Some(r)) => Date::parse_iso(r),
                _ => None,
            };
            match (f.ty, read, raw) {
                // A field no tier (nor the summary) reads is only checked, as
                // the plain path would: its column stays empty.
                (Ty::Date, false, _) if day.is_some() => {}
                (Ty::Text, false, Some(r)) if !is_blank(unquote(r, scratch)?) => {}
                (_, false, _) => drop(self.decode(f, raw, per_year, scratch)?),
                _ => match day.map_or_else(|| self.decode(f, raw, per_year, scratch), |d| Ok(Cell::Day(d)))? {
                    Cell::Num(m, scale) if column.push_num(m, scale) => {}
                    Cell::Num(..) => return Err(Fallback),
                    Cell::Day(d) => column.push_day(d),
                    Cell::Value(v) => column.push(v),
                },
            }
        }
        Ok(())
    }

    /// A cell by its field's type: plain numbers directly (as a mantissa and
    /// scale), anything else through the plain decoder (so both paths accept
    /// exactly the same values). ISO dates are read before this.
    fn decode(
        &self,
        f: &crate::check::FieldInfo,
        raw: Option<&[u8]>,
        per_year: Option<i64>,
        scratch: &mut Vec<u8>,
    ) -> Result<Cell, Fallback> {
        let Some(raw) = raw else { return decode(f, None).map(Cell::Value).map_err(|_| Fallback) };
        if matches!(f.ty, Ty::Number | Ty::Money | Ty::Rate | Ty::Integer) {
            // Short plain numbers: integer arithmetic only.
            if let (Some((m, scale)), Some(k)) = (plain_parts(raw), per_year) {
                if f.ty == Ty::Integer && scale > 0 && m % 10i64.pow(scale) != 0 || f.ty == Ty::Rate && m < 0 {
                    return Err(Fallback); // the plain decoder rejects these
                }
                return Ok(Cell::Num(m.checked_mul(k).ok_or(Fallback)?, scale));
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
