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
}
