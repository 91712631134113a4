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

use super::compare::same;
use super::recover::plain_record;
use super::rows::{put, Batch, Rendered, Rows};
use super::Fallback;
use crate::data::read::{column_names, kept_names};
use crate::data::Format;
use crate::eval::Evaluator;
use wide::u8x16;

/// A field's value in a line: `None` where the key is absent, `Some(None)`
/// for `null`, else the place of its text.
type Cell = Option<Option<(usize, usize)>>;

/// Where the JSON white space from `i` ends.
pub(super) fn ws(b: &[u8], mut i: usize) -> usize {
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
/// the content has an escape or a control character. Sixteen bytes at a
/// time: a record's strings are short, and a search call per string (then a
/// second pass for control characters) was a quarter of the run.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let splat = u8x16::splat;
    let mut at = i;
    while let Some(block) = b.get(at..at + 16) {
        let mut lanes = [0u8; 16];
        lanes.copy_from_slice(block);
        let v = u8x16::new(lanes);
        let control = v.min(splat(0x1f)).simd_eq(v);
        let stops = (v.simd_eq(splat(b'"')) | v.simd_eq(splat(b'\\')) | control).to_bitmask();
        if stops != 0 {
            let k = at + stops.trailing_zeros() as usize;
            return (b[k] == b'"').then_some(k);
        }
        at += 16;
    }
    let k = at + b.get(at..)?.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
    (b[k] == b'"').then_some(k)
}

/// Each field's column and aliases, as `(field, name)`, and for each place
/// in a record the name found there in the record before: an export writes
/// its keys in one order, so a key is matched with one comparison.
struct Names<'a> {
    names: Vec<(usize, &'a [u8])>,
    /// No two names are spelled alike (else every key is looked for in all).
    distinct: bool,
    hints: Vec<Option<usize>>,
}

impl<'a> Names<'a> {
    fn new(names: Vec<(usize, &'a [u8])>) -> Self {
        let distinct = names.iter().enumerate().all(|(i, a)| names[..i].iter().all(|b| a.1 != b.1));
        Names { names, distinct, hints: Vec::new() }
    }

    /// Calls `put` with each field `key` names (the `k`th key of its
    /// record) while it returns true; false where it does not.
    fn each(&mut self, k: usize, key: &[u8], mut put: impl FnMut(usize) -> bool) -> bool {
        if let Some(&(f, n)) = self.hints.get(k).copied().flatten().and_then(|j| self.names.get(j)) {
            if self.distinct && same(n, key) {
                return put(f);
            }
        }
        let mut first = None;
        for (j, &(f, n)) in self.names.iter().enumerate() {
            if same(n, key) {
                first = first.or(Some(j));
                if !put(f) {
                    return false;
                }
            }
        }
        if self.hints.len() <= k {
            self.hints.resize(k + 1, None);
        }
        self.hints[k] = first;
        true
    }
}

/// An entry of a record: its key's place and its value's (`None`: null).
type Entry = ((usize, usize), Option<(usize, usize)>);

/// The flat object at the start of `line` (after white space) split into
/// `cells`, one per field of `fields` (`names`: their columns and aliases):
/// where it ends, just after its `}`; `None` where it is not a flat object
/// this reads. `entries` collects every key and value, to tell a field written
/// in another case from an absent one and to find kept columns.
fn object(
    line: &[u8],
    (fields, names): (usize, &mut Names),
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
            // A repeated key (the plain reader takes the last value), or two
            // of a field's names (it takes the first it lists), is not read here.
            let put = |f: usize| cells[f].replace(value).is_none();
            if !names.each(entries.len(), key, put) {
                return None;
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
        let mut names = Names::new(
            (fields.iter().enumerate())
                .flat_map(|(i, f)| column_names(f).into_iter().map(move |n| (i, n.as_bytes())))
                .collect(),
        );
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
                false => object(rec, (fields.len(), &mut names), &mut cells, &mut entries).map(|e| ws(rec, e)),
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
            if array && end == from {
                return Err(Fallback); // an empty element: `,,`, or `,` first
            }
            start = if array { end + 1 } else { end };
            let rec = &bytes[from..end];
            let taken = batch.keys.len();
            let split = flat && absent_ok(&cells, rec, (&names.names, &entries)) && {
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
        // An array's chunk is elements with commas between them: one that
        // ends after a comma (or is blank) is no such list.
        if array && start <= bytes.len() {
            return Err(Fallback);
        }
        self.render(&keys, false, batch, ev, (records, rejects))
    }
}

/// Whether every field absent from a record is absent for the plain reader
/// too: no key spells one of its names in another case.
fn absent_ok(cells: &[Cell], line: &[u8], (names, entries): (&[(usize, &[u8])], &[Entry])) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A string's end found sixteen bytes at a time is where a byte at a
        /// time finds it: the first quote, unless an escape or a control
        /// character comes first; in strings of every length around a block.
        #[test]
        fn a_string_ends_at_its_first_quote_before_any_escape_or_control(
            bytes in prop::collection::vec(prop::sample::select(b"ab\"\\\x01\x1f \xe9".to_vec()), 0..70),
            from in 0usize..40,
        ) {
            let want = bytes.get(from..).and_then(|rest| {
                let k = rest.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
                (rest[k] == b'"').then_some(from + k)
            });
            prop_assert_eq!(string_end(&bytes, from), want);
        }
    }

    /// A key is matched by the name found at its place in the record before,
    /// and by all names where that one is not it, or two names are alike.
    #[test]
    fn keys_find_their_fields_in_any_order() {
        let fields = |names: &mut Names, keys: &[&str]| -> Vec<Vec<usize>> {
            let each = |(k, key): (usize, &&str)| {
                let mut found = Vec::new();
                names.each(k, key.as_bytes(), |f| {
                    found.push(f);
                    true
                });
                found
            };
            keys.iter().enumerate().map(each).collect()
        };
        let mut names = Names::new(vec![(0, b"id"), (1, b"spend"), (1, b"total"), (2, b"orders")]);
        assert_eq!(fields(&mut names, &["id", "spend", "orders"]), [vec![0], vec![1], vec![2]]);
        assert_eq!(fields(&mut names, &["orders", "total", "note", "id"]), [vec![2], vec![1], vec![], vec![0]]);
        assert_eq!(fields(&mut names, &["id", "total", "spend"]), [vec![0], vec![1], vec![1]]);
        // Two fields named alike: both, every time.
        let mut names = Names::new(vec![(0, b"id"), (1, b"x"), (2, b"x")]);
        assert_eq!(fields(&mut names, &["x", "x"]), [vec![1, 2], vec![1, 2]]);
        assert_eq!(fields(&mut names, &["x", "id"]), [vec![1, 2], vec![0]]);
        // Stopped where `put` says so.
        assert!(!names.each(0, b"x", |_| false));
    }
}
