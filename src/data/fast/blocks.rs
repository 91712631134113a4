//! The input cut for the workers: blocks read at a time, split into chunks of
//! whole records at newlines outside quotes.

use super::Fallback;
use std::io::Read;

/// The longest unfinished record held while looking for its end.
const MAX_PENDING: usize = 8 << 20;

/// Reads until `buf` holds a block (or the input ends); returns the bytes read.
/// What `buf` already holds is the start of a record not yet ended, so at least
/// as much again is read: a record longer than a block (a huge field, a stray
/// quote) is found in linear time. One longer than [`MAX_PENDING`] is left to
/// the plain path, which keeps memory bounded.
pub(crate) fn fill(input: &mut impl Read, buf: &mut Vec<u8>, block: usize, chunk: usize) -> Result<usize, Fallback> {
    let start = buf.len();
    if start > MAX_PENDING {
        return Err(Fallback);
    }
    let want = block.max(start + chunk).max(2 * start);
    buf.reserve(want - start);
    // read_to_end fills the spare capacity without zeroing it first.
    input.take((want - start) as u64).read_to_end(buf).map_err(|_| Fallback)
}

/// The end (after its newline) of the record starting at `from`, outside quotes.
pub(crate) fn record_end(buf: &[u8], from: usize, eof: bool) -> Option<usize> {
    let mut quoted = false;
    for (i, &b) in buf[from..].iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => return Some(from + i + 1),
            _ => {}
        }
    }
    (eof && from < buf.len() && !quoted).then_some(buf.len())
}

/// Splits the complete records of `buf` into chunks of about `size` bytes.
/// Without `eof`, a last record with no newline yet is left for the next block.
/// Quotes are rare, so their positions are collected once; newlines are then
/// searched only near each chunk boundary, and one inside quotes is skipped.
pub(crate) fn split(buf: &[u8], eof: bool, size: usize) -> Vec<(usize, usize)> {
    let quotes: Vec<usize> = memchr::memchr_iter(b'"', buf).collect();
    let inside = |p: usize| quotes.partition_point(|&q| q < p) % 2 == 1;
    let outside_after = |mut at: usize| -> Option<usize> {
        loop {
            let nl = at + memchr::memchr(b'\n', buf.get(at..)?)?;
            if !inside(nl) {
                return Some(nl);
            }
            at = nl + 1;
        }
    };
    let mut chunks = Vec::new();
    let mut start = 0;
    while let Some(nl) = outside_after(start + size.max(1) - 1) {
        chunks.push((start, nl + 1));
        start = nl + 1;
    }
    // The rest: up to the last newline outside quotes.
    let mut end = buf.len();
    let mut last = start;
    while let Some(nl) = memchr::memrchr(b'\n', &buf[start..end]).map(|p| start + p) {
        if !inside(nl) {
            last = nl + 1;
            break;
        }
        end = nl;
    }
    if eof && quotes.len().is_multiple_of(2) && buf.len() > last {
        last = buf.len();
    }
    if last > start {
        chunks.push((start, last));
    }
    chunks
}

/// Splits the whole lines of `buf` into chunks of about `size` bytes (NDJSON:
/// a line break is never inside a record). At `eof` a last line without a
/// line break is whole.
pub(crate) fn split_lines(buf: &[u8], eof: bool, size: usize) -> Vec<(usize, usize)> {
    let mut chunks = Vec::new();
    let mut start = 0;
    while let Some(nl) = buf.get(start + size.max(1) - 1..).and_then(|rest| memchr::memchr(b'\n', rest)) {
        let end = start + size.max(1) - 1 + nl + 1;
        chunks.push((start, end));
        start = end;
    }
    let last = if eof { buf.len() } else { memchr::memrchr(b'\n', &buf[start..]).map_or(start, |p| start + p + 1) };
    if last > start {
        chunks.push((start, last));
    }
    chunks
}
