//! Cells of a CSV record: split in one pass, unquoted, plain numbers parsed.

use super::Fallback;
use crate::data::scan::Scan;
use crate::number::Decimal;

/// `[-]digits[.digits]` with at most 18 digits, as an `i64` mantissa and scale.
pub(super) fn plain_parts(raw: &[u8]) -> Option<(i64, u32)> {
    let (neg, digits) = sign_and_digits(raw, 18)?;
    let (m, scale) = mantissa::<i64>(digits)?;
    Some((if neg { -m } else { m }, scale))
}

/// `[-]digits[.digits]`, at most 28 digits: the only shape parsed here.
pub(crate) fn plain_number(raw: &[u8]) -> Option<Decimal> {
    if let Some((m, scale)) = plain_parts(raw) {
        return Some(Decimal::new(m, scale)); // no 128-bit arithmetic
    }
    let (neg, digits) = sign_and_digits(raw, 28)?;
    let (m, scale) = mantissa::<i128>(digits)?;
    Decimal::try_from_i128_with_scale(if neg { -m } else { m }, scale).ok()
}

/// The sign and the digits (with at most one inner `.`) of a plain number.
fn sign_and_digits(raw: &[u8], max: usize) -> Option<(bool, &[u8])> {
    let (neg, digits) = match raw.first() {
        Some(b'-') => (true, &raw[1..]),
        _ => (false, raw),
    };
    let ok = !digits.is_empty() && digits.len() <= max && digits[0] != b'.' && digits[digits.len() - 1] != b'.';
    ok.then_some((neg, digits))
}

/// The digits as an integer mantissa and the number of decimals.
fn mantissa<T>(digits: &[u8]) -> Option<(T, u32)>
where
    T: Copy + From<u8> + std::ops::Mul<Output = T> + std::ops::Add<Output = T>,
{
    let (mut m, mut scale, mut dot) = (T::from(0), 0u32, false);
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                m = m * T::from(10) + T::from(b - b'0');
                scale += u32::from(dot);
            }
            b'.' if !dot => dot = true,
            _ => return None,
        }
    }
    Some((m, scale))
}

/// Splits the record starting at `start` into `cells` (raw bytes, quotes kept)
/// in one pass; returns where the next record starts. A quote inside an
/// unquoted field, anything after a closing quote but a separator, and a lone
/// `\r` (the csv crate ends a record there) give up.
pub(crate) fn record(
    bytes: &[u8],
    start: usize,
    cells: &mut Vec<(usize, usize)>,
    scan: &mut Scan<'_>,
) -> Result<usize, Fallback> {
    cells.clear();
    let n = bytes.len();
    let mut i = start;
    loop {
        let cell = i;
        if bytes.get(i) == Some(&b'"') {
            i += 1;
            loop {
                let p = memchr::memchr(b'"', &bytes[i..]).ok_or(Fallback)?;
                i += p + 1;
                if bytes.get(i) == Some(&b'"') {
                    i += 1;
                } else {
                    break;
                }
            }
        } else {
            i = scan.next(i);
        }
        cells.push((cell, i));
        match bytes.get(i) {
            Some(b',') => i += 1,
            Some(b'\n') => return Ok(i + 1),
            Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => return Ok(i + 2),
            Some(b'\r') if i + 1 == n => return Ok(n),
            None => return Ok(n),
            Some(_) => return Err(Fallback),
        }
    }
}

/// A field's content: quotes removed and doubled quotes undone.
pub(crate) fn unquote<'a>(raw: &'a [u8], scratch: &'a mut Vec<u8>) -> Result<&'a [u8], Fallback> {
    if raw.first() != Some(&b'"') {
        return Ok(raw);
    }
    let inner = raw.get(1..raw.len() - 1).ok_or(Fallback)?;
    if !inner.contains(&b'"') {
        return Ok(inner);
    }
    scratch.clear();
    let mut i = 0;
    while i < inner.len() {
        scratch.push(inner[i]);
        i += if inner[i] == b'"' { 2 } else { 1 };
    }
    Ok(scratch)
}

/// Empty after trimming white space the way the plain decoder does (Unicode).
pub(crate) fn is_blank(cell: &[u8]) -> bool {
    if cell.first().is_some_and(u8::is_ascii_graphic) {
        return false;
    }
    std::str::from_utf8(cell).map_or(true, |t| t.trim().is_empty())
}

/// Where splitting by the chunk's separators has got to: the next separator
/// and the next special byte (`"` or `\r`).
#[derive(Default)]
pub(super) struct Split {
    sep: usize,
    special: usize,
}

impl Split {
    /// The record starting at `start` split into `cells` by the separators,
    /// as [`record`] splits it; returns where the next record starts, or
    /// `None` when the record holds a quote or a `\r` other than its line
    /// end's (then [`record`] splits it).
    pub(super) fn record(
        &mut self,
        bytes: &[u8],
        start: usize,
        seps: &[u32],
        specials: &[u32],
        cells: &mut Vec<(usize, usize)>,
    ) -> Option<usize> {
        cells.clear();
        // Never behind `start` (a record split by [`record`] moves it on).
        self.skip_to(start, seps, specials);
        let special = specials.get(self.special).map_or(usize::MAX, |&p| p as usize);
        let (mut cell, mut i) = (start, self.sep);
        while let Some(&p) = seps.get(i) {
            let p = p as usize;
            i += 1;
            if bytes.get(p) != Some(&b'\n') {
                cells.push((cell, p));
                cell = p + 1;
                continue;
            }
            let mut end = p;
            if special < p {
                // Only the `\r` of a `\r\n` line end is split here.
                let next = specials.get(self.special + 1).map_or(usize::MAX, |&q| q as usize);
                if special + 1 != p || bytes.get(special) != Some(&b'\r') || next < p {
                    return None;
                }
                (end, self.special) = (special, self.special + 1);
            }
            cells.push((cell, end));
            self.sep = i;
            return Some(p + 1);
        }
        if special < bytes.len() {
            return None;
        }
        cells.push((cell, bytes.len()));
        self.sep = i;
        Some(bytes.len())
    }

    /// Skips the separators and special bytes before `at`.
    fn skip_to(&mut self, at: usize, seps: &[u32], specials: &[u32]) {
        while seps.get(self.sep).is_some_and(|&p| (p as usize) < at) {
            self.sep += 1;
        }
        while specials.get(self.special).is_some_and(|&p| (p as usize) < at) {
            self.special += 1;
        }
    }
}
