//! The fast path of `tier apply`: input read in blocks, split at record
//! boundaries (quote-aware CSV; NDJSON lines; JSON array elements; a Parquet
//! file's row groups, each worker reading its own), chunks decoded column by
//! column and decided on all cores, output written in input order. Only the
//! columns the policy reads are decoded; plain numbers and ISO dates go
//! straight onto typed columns (64-bit mantissas, day numbers: see
//! [`crate::lookup::Column`]); each output row is the key plus a precomputed suffix per tier
//! combination, rendered once by the plain [`Writer`](crate::data::Writer) so the bytes are
//! identical (Excel and Parquet: the plain writer itself, fed the decided rows).
//!
//! A record the column decoder does not take is decoded by the plain reader's
//! own decoder from its cells, or (another width than the header's) read by
//! the plain reader alone (`recover`), so it is decided or set aside as the
//! plain path would. What
//! the plain path must judge over the whole input — a repeated key, totals out
//! of range, a quote that does not open or close a field — makes [`apply`]
//! return [`Fallback`] before any output is committed; the caller then runs
//! the plain path, which reports the problem exactly as usual.
//!
//! Memory is bounded by the block size: one block of input and its output.
//! An input at hand whole (a file mapped into memory, see
//! [`crate::data::mapped`]) is cut into blocks the same way, each a slice of
//! it: nothing is copied.

mod array_split;
mod arrow;
mod blocks;
mod cells;
mod compare;
mod decode;
mod json_rows;
mod merge;
mod parquet;
mod pipeline;
mod records;
mod recover;
mod render;
mod rows;
mod sink;
mod speculate;

pub(crate) use blocks::{fill, record_end, split, split_lines};
pub(crate) use cells::{is_blank, plain_number, record, unquote, Split};

use super::Format;
use super::{Rejected, Summary};
use crate::compile::Program;
use crate::number::Date;
use blocks::Cut;
use pipeline::run_with;
use std::io::{Read, Write};

/// A text input: read block by block, or at hand whole, when its blocks are
/// slices of it: a mapped file (whose pages are let go of block by block) or
/// any bytes.
pub enum Source<'a, R> {
    Read(R),
    Mapped(&'a crate::data::mapped::Mapped),
    Whole(&'a [u8]),
}

impl<'a> Source<'a, std::io::Empty> {
    /// `bytes` at hand whole, with no reader.
    pub fn whole(bytes: &'a [u8]) -> Self {
        Source::Whole(bytes)
    }
}

/// Input read per block; output of a block is of similar size.
const BLOCK: usize = 4 << 20;
/// Records are handed to workers in chunks of about this many bytes (of
/// text), or this many rows (of a Parquet file).
const CHUNK: usize = 256 << 10;
/// Tier combinations (the product over dimensions) precomputed at most.
const MAX_COMBOS: usize = 4096;

/// The fast path cannot handle this input; run the plain path instead.
#[derive(Debug, PartialEq, Eq)]
pub struct Fallback;

/// How input is cut: blocks read at a time and chunks handed to workers
/// (bytes of text; for Parquet, `chunk` is rows per share). Only tests choose
/// other sizes (tiny ones, to put every boundary somewhere awkward).
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub block: usize,
    pub chunk: usize,
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes { block: BLOCK, chunk: CHUNK }
    }
}

/// Where bad records go with `--on-error skip`: the input's name (for their
/// locations) and a sink taking each, in input order; `Err` from the sink
/// stops the run (handed back).
pub struct Skip<'s> {
    pub source: &'s str,
    pub reject: &'s mut dyn FnMut(Rejected) -> Result<(), ()>,
}

/// Applies `program` to `input` in `in_format` on all cores: CSV; NDJSON,
/// whose lines are decoded by the plain reader in parallel; a JSON array,
/// cut between its elements and each chunk read as an array of its own;
/// Parquet, whose row groups each worker reads from the file at `path`
/// itself (Excel has no bytes to split, stdin Parquet no file: `Fallback`).
/// `shape` is the output format, `--tiers-only` and the `--keep` columns.
///
/// Without `skip` the first bad record hands the run back; with it, bad
/// records are set aside through it (a record the column decoder does not
/// take is read by the plain reader alone). Repeated keys, totals out of range
/// and quotes that do not open or close a field always hand the run back.
#[allow(clippy::too_many_arguments)]
pub fn apply<W: Write + Send>(
    program: &Program,
    (input, path): (Source<'_, impl Read + Send>, Option<&std::path::Path>),
    in_format: Format,
    out: &mut W,
    shape: (Format, bool, &[String]),
    today: Date,
    sizes: Sizes,
    skip: Option<Skip<'_>>,
) -> Result<Summary, Fallback> {
    match (Cut::of(in_format), in_format, path) {
        (Some(cut), ..) => run_with(program, input, out, shape, today, sizes, skip, (cut, None)),
        (None, Format::Parquet, Some(path)) => parquet::run(program, path, out, shape, today, sizes.chunk, skip),
        _ => Err(Fallback),
    }
}

/// Why [`apply_increasing`] handed the run back.
#[derive(Debug, PartialEq, Eq)]
pub enum Handback {
    /// Run the plain path (as [`apply`]'s [`Fallback`]).
    Plain,
    /// The keys do not only increase: run [`apply`] (its output and rejects
    /// so far are void).
    Unsorted,
}

/// [`apply`], betting that the keys increase (an export sorted by its key,
/// the usual case): keys that only increase (as trimmed bytes) are distinct,
/// so instead of hashing and gathering every key to find a repeat (a tenth of
/// the run at 10M rows), each chunk notes whether its keys increase and its
/// first and last, and the chunks are compared in order. At the first key not
/// above the one before, the bet is lost: [`Handback::Unsorted`], and the
/// caller runs [`apply`] on the input again. Parquet always hashes.
#[allow(clippy::too_many_arguments)]
pub fn apply_increasing<W: Write + Send>(
    program: &Program,
    input: Source<'_, impl Read + Send>,
    in_format: Format,
    out: &mut W,
    shape: (Format, bool, &[String]),
    today: Date,
    sizes: Sizes,
    skip: Option<Skip<'_>>,
) -> Result<Summary, Handback> {
    let cut = Cut::of(in_format).ok_or(Handback::Plain)?;
    let mut unsorted = false;
    run_with(program, input, out, shape, today, sizes, skip, (cut, Some(&mut unsorted))).map_err(|Fallback| {
        match unsorted {
            true => Handback::Unsorted,
            false => Handback::Plain,
        }
    })
}

/// [`apply`] to CSV without `--keep` or skipping, at explicit block and chunk sizes.
pub fn run_sized<W: Write + Send>(
    program: &Program,
    input: Source<'_, impl Read + Send>,
    out: &mut W,
    format: Format,
    tiers_only: bool,
    today: Date,
    sizes: Sizes,
) -> Result<Summary, Fallback> {
    run_with(program, input, out, (format, tiers_only, &[]), today, sizes, None, (Cut::Records, None))
}
