//! A CSV input at hand whole (a mapped file) is cut into chunks at line ends
//! without first finding its quotes: the reader thread no longer reads every
//! byte before the workers do (that pass, the first to touch the file's
//! pages, was a fifth of a clean 10M-row run's samples once the file was
//! mapped). A line end inside a quoted field is the only way such a cut goes
//! wrong, and the chunk before it shows it: its quotes do not pair up.
//!
//! So a chunk the workers cannot read with its quotes paired, and whose
//! quotes are odd in number, was cut inside a field: it goes on to the end of
//! its last record ([`chunk`] reports where). The chunks after it that start
//! before that end were cut wrong too; put in order ([`super::merge`]), one
//! wholly inside is dropped, one that goes further is read again from there.
//!
//! A JSON array at hand whole is cut the same way, at a comma between a `}`
//! and a `{` (the reader thread's exact split was, once mapped, the first
//! read of every page and a tenth of the run). A chunk starts where an
//! element does (the first after the `[`; each next one where the one before
//! it really ended), so a cut inside a string or a nested value leaves its
//! last element unfinished, which no reader takes: `[` + chunk + `]` is not
//! JSON. The chunks of a valid array read as arrays of their own, and their
//! elements joined by the cut commas are the array's, so a chunk read
//! without error was cut between elements. One that is not read goes on to
//! where its last element ends ([`elements_chunk`]) and is read again.

use super::array_split::blank;
use super::json_rows::ws;
use super::Fallback;

/// A record longer than this is not looked for past a cut (the plain path
/// reads it): as when a read input holds a record not yet ended.
const MAX_RECORD: usize = 8 << 20;

/// The chunk `all[s..e]`, cut at a line end that may be inside a quoted
/// field, read by `fast` (the column decoder: `Err` where it does not take a
/// record) or else by `slow` (record by record). Returns the rendering and
/// where the chunk ends: `e`, or past it where `e` was inside a quoted field.
pub(super) fn chunk<T>(
    all: &[u8],
    (s, e): (usize, usize),
    mut fast: impl FnMut(&[u8]) -> Result<T, Fallback>,
    mut slow: impl FnMut(&[u8]) -> Result<T, Fallback>,
) -> (Result<T, Fallback>, usize) {
    let bytes = &all[s..e];
    // The column decoder only takes records whose quotes pair up: a chunk it
    // takes has an even number of them, and was cut outside any field.
    let rendered = fast(bytes);
    if rendered.is_ok() || memchr::memchr_iter(b'"', bytes).count().is_multiple_of(2) {
        return (rendered.or_else(|_| slow(bytes)), e);
    }
    match record_end(all, e) {
        Some(end) => (fast(&all[s..end]).or_else(|_| slow(&all[s..end])), end),
        None => (Err(Fallback), e),
    }
}

/// The end (after its line end) of the record that goes on at `from` inside
/// a quoted field; `None` where it does not end (within [`MAX_RECORD`]).
fn record_end(all: &[u8], from: usize) -> Option<usize> {
    let mut quoted = true;
    let rest = all.get(from..)?;
    for (i, &b) in rest.iter().take(MAX_RECORD).enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => return Some(from + i + 1),
            _ => {}
        }
    }
    // The input's last record, with no line end.
    (!quoted && rest.len() <= MAX_RECORD).then_some(all.len())
}

/// The elements of a JSON array input at hand whole: its bytes up to the
/// `]` that ends it; `None` where anything but white space follows that.
pub(super) fn before_close(all: &[u8]) -> Option<&[u8]> {
    let last = all.iter().rposition(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))?;
    (all[last] == b']').then(|| &all[..last])
}

/// Cuts a JSON array's elements (`part` starts where an element does, after
/// the `[` where `opened`; at `eof` it ends before the `]`) into chunks of
/// about `size` bytes at commas between a `}` and a `{`, each chunk with the
/// comma after it but the last. Returns the chunks and where the bytes not
/// yet cut start. A trailing comma (a blank last chunk after a cut) hands
/// back: the plain path says why.
pub(super) fn cut_elements(
    part: &[u8],
    (eof, opened): (bool, bool),
    size: usize,
) -> Result<(Vec<(usize, usize)>, usize), Fallback> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    while let Some(comma) = next_cut(part, start.saturating_add(size.max(1))) {
        chunks.push((start, comma + 1));
        start = comma + 1;
    }
    if !eof {
        return Ok((chunks, start));
    }
    match blank(&part[start..]) {
        // Nothing after the last cut, or an empty array.
        true if start > 0 || !opened => Err(Fallback),
        true => Ok((chunks, part.len())),
        false => {
            chunks.push((start, part.len()));
            Ok((chunks, part.len()))
        }
    }
}

/// The first comma at or after `from` between a `}` and a `{` (white space
/// around it).
fn next_cut(b: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let brace = from + memchr::memchr(b'}', b.get(from..)?)?;
        let comma = ws(b, brace + 1);
        if b.get(comma) == Some(&b',') && b.get(ws(b, comma + 1)) == Some(&b'{') {
            return Some(comma);
        }
        from = brace + 1;
    }
}

/// The chunk `all[s..e]` of a JSON array's elements (`all` ends before the
/// array's `]`; the chunk ends after a cut comma, or at the end), read by
/// `read` (its elements, without the cut comma) as [`chunk`] reads a CSV one.
/// Returns the rendering and where the chunk ends: `e`, or past it where the
/// cut was not between elements.
pub(super) fn elements_chunk<T>(
    all: &[u8],
    (s, e): (usize, usize),
    mut read: impl FnMut(&[u8]) -> Result<T, Fallback>,
) -> (Result<T, Fallback>, usize) {
    let mut elements = |e: usize| {
        let body = if e == all.len() { &all[s..e] } else { &all[s..e - 1] };
        // An empty array is cut into no chunk; a blank one is an empty element.
        if blank(body) {
            return Err(Fallback);
        }
        read(body)
    };
    let rendered = elements(e);
    if rendered.is_ok() {
        return (rendered, e);
    }
    match element_end(all, s, e) {
        Some(end) if end != e => (elements(end), end),
        _ => (rendered, e),
    }
}

/// Where the chunk from `s` (an element's start) really ends: after the first
/// comma between elements from `e - 1` on, or at the end of `all`; `None`
/// where it does not (within [`MAX_RECORD`] of `e`, or not at depth zero
/// outside strings).
fn element_end(all: &[u8], s: usize, e: usize) -> Option<usize> {
    let (mut depth, mut string, mut escaped) = (0usize, false, false);
    let limit = e.saturating_add(MAX_RECORD).min(all.len());
    for (i, &b) in all.iter().enumerate().take(limit).skip(s) {
        match (string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => string = false,
            (true, ..) => {}
            (false, _, b'"') => string = true,
            (false, _, b'{' | b'[') => depth += 1,
            (false, _, b'}' | b']') => depth = depth.checked_sub(1)?,
            (false, _, b',') if depth == 0 && i + 1 >= e => return Some(i + 1),
            _ => {}
        }
    }
    (limit == all.len() && !string && depth == 0).then_some(all.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_going_on_in_a_quoted_field_ends_at_its_first_line_end_outside() {
        let all = b"a,\"x\ny\",b\nc,d\n";
        assert_eq!(record_end(all, 5), Some(10)); // after `y",b\n`
        assert_eq!(record_end(b"a,\"x\ny\"\"z\",b\nc\n", 5), Some(13)); // a doubled quote stays inside
        assert_eq!(record_end(b"a,\"x\ny\",b", 5), Some(9)); // the last record, unended
        assert_eq!(record_end(b"a,\"x\ny,b\n", 5), None); // never closed
    }

    #[test]
    fn a_chunk_cut_inside_a_quoted_field_goes_on_to_its_record_end() {
        let all = b"1,\"a\nb\",c\n2,d\n";
        // Cut after `"a\n`: the quotes do not pair up, the chunk goes on.
        let read =
            |b: &[u8]| if memchr::memchr_iter(b'"', b).count().is_multiple_of(2) { Ok(()) } else { Err(Fallback) };
        let mut seen = Vec::new();
        let (got, end) = chunk(
            all,
            (0, 5),
            |b| {
                seen.push(b.to_vec());
                read(b)
            },
            |_| Err(Fallback),
        );
        assert!(got.is_ok());
        assert_eq!(end, 10);
        assert_eq!(seen, [b"1,\"a\n".to_vec(), b"1,\"a\nb\",c\n".to_vec()]);
        // Cut where the quotes pair up: read as it is, by `slow` if need be.
        let (got, end) = chunk(all, (10, 14), |_| Err(Fallback), |_| Ok(()));
        assert!(got.is_ok());
        assert_eq!(end, 14);
        // Cut inside a field that never closes: no record end, no rendering.
        let (got, _) = chunk(b"1,\"a\nb,c\n", (0, 5), read, |_| Ok(()));
        assert!(got.is_err());
    }

    #[test]
    fn an_array_is_cut_at_commas_between_objects() {
        let part = br#"{"a":1}, {"b":"}, {"} ,{"c":[{"d":2},{"e":3}]}"#;
        let (chunks, rest) = cut_elements(part, (true, true), 1).unwrap_or_default();
        // After each `}, {` (white space around the comma too), wherever it is.
        let cuts: Vec<&[u8]> = chunks.iter().map(|&(s, e)| &part[s..e]).collect();
        let want: [&[u8]; 5] = [br#"{"a":1},"#, br#" {"b":"},"#, br#" {"} ,"#, br#"{"c":[{"d":2},"#, br#"{"e":3}]}"#];
        assert_eq!(cuts, want);
        assert_eq!(rest, part.len());
        // Not at the end of a block: the bytes after the last cut are left.
        assert_eq!(cut_elements(part, (false, true), 1).map(|c| c.1), Ok(37));
        assert_eq!(cut_elements(part, (false, true), 1000), Ok((vec![], 0)));
        // An empty array is no chunk; blank after a cut, a trailing comma.
        assert_eq!(cut_elements(b" \n", (true, true), 1), Ok((vec![], 2)));
        assert_eq!(cut_elements(b" ", (true, false), 1), Err(Fallback));
        assert_eq!(before_close(b"[1, 2] \n"), Some(&b"[1, 2"[..]));
        assert_eq!(before_close(b"[1, 2] x"), None);
    }

    #[test]
    fn a_chunk_cut_inside_an_element_goes_on_to_its_end() {
        let all = br#"{"a":"}, {"}, {"b":[{"c":1}, {"d":2}]}, {"e":3}"#;
        // Taken where `[` + chunk + `]` is JSON (as a reader would take it).
        let json = |b: &[u8]| {
            let text = [&b"["[..], b, b"]"].concat();
            serde_json::from_slice::<serde_json::Value>(&text).map(|_| b.to_vec()).map_err(|_| Fallback)
        };
        let (got, end) = elements_chunk(all, (0, 8), json);
        assert_eq!((got, end), (Ok(br#"{"a":"}, {"}"#.to_vec()), 13));
        let (got, end) = elements_chunk(all, (13, 28), json);
        assert_eq!((got, end), (Ok(br#" {"b":[{"c":1}, {"d":2}]}"#.to_vec()), 39));
        let (got, end) = elements_chunk(all, (39, all.len()), json);
        assert_eq!((got, end), (Ok(br#" {"e":3}"#.to_vec()), all.len()));
        // Cut right but not read: an error, not a longer chunk.
        assert_eq!(elements_chunk(all, (0, 13), |_| Err::<(), _>(Fallback)), (Err(Fallback), 13));
        // A blank chunk is an empty element.
        assert_eq!(elements_chunk(b"{}, ,{}", (3, 5), json).0, Err(Fallback));
        // An element that never ends where it should: no end past the cut.
        assert_eq!(element_end(br#"{"a":"}, {"#, 0, 8), None);
        assert_eq!(element_end(br#"{"a":1}}, {}"#, 0, 9), None);
    }
}
