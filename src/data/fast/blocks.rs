//! The input cut for the workers: blocks read at a time, split into chunks
//! of whole records at newlines outside quotes; or, for an input at hand
//! whole, slices of it (CSV cut at line ends alone, a JSON array between
//! objects: see `speculate`).

use super::array_split::{split_array, ArrayState};
use super::speculate::cut_elements;
use super::{Fallback, Format};
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

/// The reader of an input at hand whole: from `at` (after the header) on,
/// blocks of chunks cut where a record may end (see `speculate`), each a
/// slice of `bytes` (for a JSON array, up to its `]`). A block with no
/// whole record is looked for in twice as many bytes, and so on.
pub(super) fn slices<'a>(
    bytes: &'a [u8],
    mut at: usize,
    (block, chunk): (usize, usize),
    cut: Cut,
    tx: &std::sync::mpsc::SyncSender<Result<Block<'a>, Fallback>>,
) {
    let (first, mut want) = (at, block);
    loop {
        let end = at.saturating_add(want).min(bytes.len());
        let (part, eof) = (&bytes[at.min(end)..end], end == bytes.len());
        // CSV is cut at line ends, its quotes not looked for; a JSON array
        // between objects, its strings not looked for (see `speculate`).
        let cut = match cut {
            Cut::Elements => cut_elements(part, (eof, at == first), chunk),
            _ => Cut::Lines.blocks(part, eof, chunk, &mut ArrayState::default()),
        };
        let (chunks, rest) = match cut {
            Ok(cut) => cut,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        if rest > 0 {
            let last = chunks.last().map_or(0, |c| c.1);
            if !chunks.is_empty() && tx.send(Ok((Buf::Whole { all: bytes, at, len: last }, chunks))).is_err() {
                return;
            }
            (at, want) = (at + rest, block);
        } else {
            want = want.saturating_mul(2);
        }
        if eof {
            if at < bytes.len() {
                let _ = tx.send(Err(Fallback)); // an unterminated quote
            }
            return;
        }
    }
}

/// A block's bytes: read into a buffer (handed back to the reader once its
/// chunks are done), or `len` bytes from `at` of an input at hand whole.
pub(super) enum Buf<'a> {
    Read(Vec<u8>),
    Whole { all: &'a [u8], at: usize, len: usize },
}

impl<'a> Buf<'a> {
    /// The whole input and where the block starts in it.
    pub(super) fn whole(&self) -> Option<(&'a [u8], usize)> {
        match *self {
            Buf::Whole { all, at, .. } => Some((all, at)),
            Buf::Read(_) => None,
        }
    }
}

impl std::ops::Deref for Buf<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Buf::Read(buf) => buf,
            Buf::Whole { all, at, len } => &all[*at..*at + *len],
        }
    }
}

/// A block of whole records and its chunks.
pub(super) type Block<'a> = (Buf<'a>, Vec<(usize, usize)>);

/// Chunks (byte ranges) and where the bytes not yet cut start.
type Chunks = (Vec<(usize, usize)>, usize);

/// How the input splits into records: CSV records after a header, NDJSON
/// lines, or the elements of a JSON array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cut {
    Records,
    Lines,
    Elements,
}

impl Cut {
    /// The chunks of whole records at the start of `buf` (all of it at
    /// `eof`), and where the bytes not yet cut start.
    pub(super) fn blocks(
        self,
        buf: &[u8],
        eof: bool,
        chunk: usize,
        array: &mut ArrayState,
    ) -> Result<Chunks, Fallback> {
        let ends = |chunks: Vec<(usize, usize)>| {
            let rest = chunks.last().map_or(0, |c| c.1);
            Ok((chunks, rest))
        };
        match self {
            Cut::Records => ends(split(buf, eof, chunk)),
            Cut::Lines => ends(split_lines(buf, eof, chunk)),
            Cut::Elements => split_array(buf, eof, chunk, array),
        }
    }

    /// How a text format is cut (Excel and Parquet are not text).
    pub(super) fn of(format: Format) -> Option<Cut> {
        match format {
            Format::Csv => Some(Cut::Records),
            Format::Ndjson => Some(Cut::Lines),
            Format::Json => Some(Cut::Elements),
            Format::Parquet | Format::Xlsx => None,
        }
    }
}
