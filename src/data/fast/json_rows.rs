//! NDJSON lines and JSON array elements decoded column-wise. A record that is
//! a flat object (string
//! values without escapes or control characters, plain numbers, `true`,
//! `false`, `null`) is split in one pass and its values decoded as CSV cells
//! are: a string's content, a number as written, a boolean as `true`/`false`,
//! `null` as no cell, which is the text the plain reader hands the decoder.
//! Any other record (blank, nested values, escapes, an exponent, a repeated
//! key, a field's key written in another case, invalid JSON) is read by the
//! plain reader alone, so it is decided or set aside exactly as the plain path
//! would.

use super::recover::plain_record;
use super::rows::{put, Batch, Rendered, Rows};
use super::Fallback;
use crate::data::read::{column_names, kept_names};
use crate::data::Format;
use crate::eval::Evaluator;

/// A field's value in a line: `None` where the key is absent, `Some(None)`
/// for `null`, else the place of its text.
type Cell = Option<Option<(usize, usize)>>;

fn ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    i
}

/// The end of the number at `i` if it is plain: `-?(0|[1-9][0-9]*)(.[0-9]+)?`.
/// An exponent is left to the plain reader, which prints such a number anew.
fn number(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    i = match b.get(i) {
        Some(b'0') => i + 1,
        Some(b'1'..=b'9') => digits(i),
        _ => return None,
    };
    if b.get(i) == Some(&b'.') {
        let end = digits(i + 1);
        i = if end > i + 1 { end } else { return None };
    }
    (!matches!(b.get(i), Some(b'e' | b'E'))).then_some(i)
}

/// The closing quote of the string whose content starts at `i`; `None` where
/// the content has an escape or a control character.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let rest = b.get(i..)?;
    let q = memchr::memchr2(b'"', b'\\', rest)?;
    (rest[q] == b'"' && !rest[..q].iter().any(|&c| c < 0x20)).then_some(i + q)
}

/// Each field's column and aliases, as `(field, name)`.
type Names<'a> = [(usize, &'a [u8])];

/// An entry of a record: its key's place and its value's (`None`: null).
type Entry = ((usize, usize), Option<(usize, usize)>);

/// The flat object at the start of `line` (after white space) split into
/// `cells`, one per field of `fields` (`names`: their columns and aliases):
/// where it ends, just after its `}`; `None` where it is not a flat object
/// this reads. `entries` collects every key and value, to tell a field written
/// in another case from an absent one and to find kept columns.
fn object(
    line: &[u8],
    (fields, names): (usize, &Names),
    cells: &mut Vec<Cell>,
    entries: &mut Vec<Entry>,
) -> Option<usize> {
    cells.clear();
    cells.resize(fields, None);
    entries.clear();
    let mut i = ws(line, 0);
    if line.get(i) != Some(&b'{') {
        return None;
    }
    i = ws(line, i + 1);
    if line.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            if line.get(i) != Some(&b'"') {
                return None;
            }
            let (key_start, key_end) = (i + 1, string_end(line, i + 1)?);
            let key = &line[key_start..key_end];
            i = ws(line, key_end + 1);
            if line.get(i) != Some(&b':') {
                return None;
            }
            i = ws(line, i + 1);
            let (value, end) = match line.get(i)? {
                b'"' => {
                    let end = string_end(line, i + 1)?;
                    (Some((i + 1, end)), end + 1)
                }
                b't' if line[i..].starts_with(b"true") => (Some((i, i + 4)), i + 4),
                b'f' if line[i..].starts_with(b"false") => (Some((i, i + 5)), i + 5),
                b'n' if line[i..].starts_with(b"null") => (None, i + 4),
                _ => {
                    let end = number(line, i)?;
                    (Some((i, end)), end)
                }
            };
            for &(f, _) in names.iter().filter(|(_, n)| *n == key) {
                if cells[f].is_some() {
                    // A repeated key (the plain reader takes the last value), or
                    // two of a field's names (it takes the first it lists).
                    return None;
                }
                cells[f] = Some(value);
            }
            entries.push(((key_start, key_end), value));
            i = ws(line, end);
            match line.get(i) {
                Some(b',') => i = ws(line, i + 1),
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    Some(i)
}

/// The end of the array element starting at `i`: the comma after it at depth
/// zero outside strings, or the chunk's end.
fn element_end(b: &[u8], mut i: usize) -> usize {
    let (mut depth, mut string) = (0usize, false);
    while i < b.len() {
        match (string, b[i]) {
            (true, b'\\') => i += 1,
            (true, b'"') | (false, b'"') => string = !string,
            (false, b'{' | b'[') => depth += 1,
            (false, b'}' | b']') => depth = depth.saturating_sub(1),
            (false, b',') if depth == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

impl Rows<'_> {
    /// One chunk of whole NDJSON lines, or of a JSON array's elements and the
    /// commas between them (`array`), decided and rendered; `first`: the
    /// chunk opens the input. `Err` hands the chunk to the plain reader whole.
    pub(super) fn json_chunk(
        &self,
        (bytes, array, first): (&[u8], bool, bool),
        ev: &Evaluator,
        batch: &mut Batch,
        source: &str,
    ) -> Rendered {
        if simdutf8::basic::from_utf8(bytes).is_err() {
            return Err(Fallback);
        }
        // Each kept column's names, in the order the plain reader tries them.
        let keep: Vec<Vec<String>> = self.keep.iter().map(|k| kept_names(&self.program.fields, k)).collect();
        let fields = &self.program.fields;
        let names: Vec<(usize, &[u8])> = (fields.iter().enumerate())
            .flat_map(|(i, f)| column_names(f).into_iter().map(move |n| (i, n.as_bytes())))
            .collect();
        batch.start(fields.len());
        let (mut keys, mut cells, mut entries, mut scratch) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut spots = Vec::with_capacity(keep.len());
        let (mut rejects, mut records, mut lines, mut counted) = (Vec::new(), 0, 0, 0);
        // An element alone is read as an array of one; a line as it is.
        let (format, open, close) =
            if array { (Format::Json, &b"["[..], &b"]"[..]) } else { (Format::Ndjson, &b""[..], &b""[..]) };
        let mut start = 0;
        while start < bytes.len() {
            let from = if array { ws(bytes, start) } else { start };
            if from == bytes.len() {
                break;
            }
            let bom = bytes[from..].starts_with("\u{feff}".as_bytes());
            if bom && !(first && from == 0) {
                return Err(Fallback); // a mark the plain reader skips on the input's first line only
            }
            // A flat object is split as it is read, which finds an array
            // element's end too (the comma after it); any other record is cut
            // out whole (its line; its element, brackets and strings counted)
            // for the plain reader.
            let mut split = |rec: &[u8]| match bom {
                true => None,
                false => object(rec, (fields.len(), &names), &mut cells, &mut entries).map(|e| ws(rec, e)),
            };
            let (end, flat) = match array {
                true => match split(&bytes[from..]).map(|e| from + e) {
                    Some(e) if e == bytes.len() || bytes[e] == b',' => (e, true),
                    _ => (element_end(bytes, from), false),
                },
                false => {
                    let end = memchr::memchr(b'\n', &bytes[from..]).map_or(bytes.len(), |p| from + p + 1);
                    (end, split(&bytes[from..end]) == Some(end - from))
                }
            };
            start = if array { end + 1 } else { end };
            let rec = &bytes[from..end];
            let taken = batch.keys.len();
            let split = flat && absent_ok(&cells, rec, (&names, &entries)) && {
                spots.clear();
                keep.iter().all(|names| kept(rec, &entries, names).map(|v| spots.push(v)).is_some())
            };
            let raw = |i: usize| cells.get(i).copied().flatten().flatten().map(|(a, b)| &rec[a..b]);
            if split && self.decode_fields(raw, batch, &mut scratch).is_ok() {
                let key = raw(self.program.key).unwrap_or_default();
                batch.keys.push(put(key, &mut keys));
                for spot in &spots {
                    batch.kept.push(put(spot.map_or(&b""[..], |(a, b)| &rec[a..b]), &mut keys));
                }
                records += 1;
                continue;
            }
            batch.columns.iter_mut().for_each(|c| c.truncate(taken));
            match plain_record(self, (open, source, format), (rec, close))? {
                None => {} // a blank line is no record
                Some(Ok(row)) => {
                    batch.push_row(row, &self.read, &mut keys);
                    records += 1;
                }
                Some(Err(mut rejected)) => {
                    // Lines are counted up to a record set aside only.
                    lines += memchr::memchr_iter(b'\n', &bytes[counted..from]).count() as u64;
                    counted = from;
                    rejected.error.shift(records, lines);
                    rejects.push(rejected);
                    records += 1;
                }
            }
        }
        self.render(&keys, false, batch, ev, (records, rejects))
    }
}

/// Whether every field absent from a record is absent for the plain reader
/// too: no key spells one of its names in another case.
fn absent_ok(cells: &[Cell], line: &[u8], (names, entries): (&Names, &[Entry])) -> bool {
    let spelled = |n: &[u8]| entries.iter().any(|&((a, b), _)| line[a..b].eq_ignore_ascii_case(n));
    names.iter().all(|&(f, n)| cells[f].is_some() || !spelled(n))
}

/// A kept column's value in a record as the plain reader finds it: the first
/// of `names` written as a key (`Some(None)`: none is, or it is null); `None`
/// where the plain reader would take a key in another case, or one of two.
fn kept(line: &[u8], entries: &[Entry], names: &[String]) -> Option<Option<(usize, usize)>> {
    for n in names {
        let mut exact = entries.iter().filter(|((a, b), _)| &line[*a..*b] == n.as_bytes());
        match (exact.next(), exact.next()) {
            (Some(&(_, value)), None) => return Some(value),
            (Some(_), Some(_)) => return None,
            (None, _) if entries.iter().any(|((a, b), _)| line[*a..*b].eq_ignore_ascii_case(n.as_bytes())) => {
                return None
            }
            (None, _) => {}
        }
    }
    Some(None)
}
