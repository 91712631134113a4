//! Cells of a CSV record: split in one pass, unquoted, plain numbers parsed.

use super::Fallback;
use crate::data::scan::Scan;
pub(crate) use crate::number::{plain_number, plain_parts};

/// Splits the record starting at `start` onto the end of `cells` (raw bytes,
/// quotes kept) in one pass; returns where the next record starts. A quote inside an
/// unquoted field, anything after a closing quote but a separator, and a lone
/// `\r` (the csv crate ends a record there) give up.
pub(crate) fn record(
    bytes: &[u8],
    start: usize,
    cells: &mut Vec<(usize, usize)>,
    scan: &mut Scan<'_>,
) -> Result<usize, Fallback> {
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
pub(crate) struct Split {
    sep: usize,
    special: usize,
}

impl Split {
    /// The record starting at `start` split onto the end of `cells` by the
    /// separators, as [`record`] splits it; returns where the next record
    /// starts, or `None` (`cells` as it was) when the record holds a quote or
    /// a `\r` other than its line end's (then [`record`] splits it).
    pub(crate) fn record(
        &mut self,
        bytes: &[u8],
        start: usize,
        seps: &[u32],
        specials: &[u32],
        cells: &mut Vec<(usize, usize)>,
    ) -> Option<usize> {
        let base = cells.len();
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
                    cells.truncate(base);
                    return None;
                }
                (end, self.special) = (special, self.special + 1);
            }
            cells.push((cell, end));
            self.sep = i;
            return Some(p + 1);
        }
        if special < bytes.len() {
            cells.truncate(base);
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
