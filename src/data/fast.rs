//! The fast path of `tier apply` for CSV input: input read in blocks, split at
//! record boundaries (quote-aware), chunks parsed and evaluated on all cores,
//! output written in input order. Only the columns the policy reads are decoded;
//! plain numbers are parsed straight to decimals; each output row is the key plus
//! a precomputed suffix per tier combination, rendered once by the plain
//! [`Writer`] so the bytes are identical.
//!
//! Anything unusual — a cell the plain decoder rejects, a quote inside an
//! unquoted field, a blank line, a record of the wrong width, invalid UTF-8 —
//! makes [`run`] return [`Fallback`] before any output is committed; the caller
//! then runs the plain path, which reports the problem exactly as usual.
//! Memory is bounded by the block size: one block of input and its output.

use super::value::{decode, decode_text};
use super::{Format, Summary, Writer};
use crate::check::Ty;
use crate::compile::Program;
use crate::eval::{Decision, Evaluator, Value};
use crate::number::{Date, Decimal};
use std::io::{Read, Write};

/// Input read per block; output of a block is of similar size.
const BLOCK: usize = 4 << 20;
/// Records are handed to workers in chunks of about this many bytes.
const CHUNK: usize = 64 << 10;
/// The longest unfinished record held while looking for its end.
const MAX_PENDING: usize = 8 << 20;
/// Tier combinations (the product over dimensions) precomputed at most.
const MAX_COMBOS: usize = 4096;

/// The fast path cannot handle this input; run the plain path instead.
#[derive(Debug)]
pub struct Fallback;

/// How input is cut: blocks read at a time and chunks handed to workers. Only
/// tests choose other sizes (tiny ones, to put every boundary somewhere awkward).
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

/// Applies `program` to CSV `input`, writing `format` to `out`.
pub fn run<W: Write + Send>(
    program: &Program,
    input: impl Read + Send,
    out: &mut W,
    format: Format,
    tiers_only: bool,
    today: Date,
) -> Result<Summary, Fallback> {
    run_sized(program, input, out, format, tiers_only, today, Sizes::default())
}

/// [`run`] copying the input columns `keep` right after the key (`--keep`).
pub fn run_keeping<W: Write + Send>(
    program: &Program,
    input: impl Read + Send,
    out: &mut W,
    shape: (Format, bool, &[String]),
    today: Date,
    sizes: Sizes,
) -> Result<Summary, Fallback> {
    run_with(program, input, out, shape, today, sizes)
}

/// [`run`] with explicit block and chunk sizes.
pub fn run_sized<W: Write + Send>(
    program: &Program,
    input: impl Read + Send,
    out: &mut W,
    format: Format,
    tiers_only: bool,
    today: Date,
    sizes: Sizes,
) -> Result<Summary, Fallback> {
    run_with(program, input, out, (format, tiers_only, &[]), today, sizes)
}

/// The run: `shape` is the output format, `--tiers-only` and the kept columns.
fn run_with<W: Write + Send>(
    program: &Program,
    mut input: impl Read + Send,
    out: &mut W,
    (format, tiers_only, keep): (Format, bool, &[String]),
    today: Date,
    sizes: Sizes,
) -> Result<Summary, Fallback> {
    if !matches!(format, Format::Csv | Format::Ndjson) {
        return Err(Fallback); // JSON's separators, Excel's and Parquet's typed cells
    }
    let Sizes { block, chunk } = sizes;
    let (block, chunk) = (block.max(1), chunk.max(1));
    let mut rows = Rows::new(program, format, tiers_only, keep)?;
    let ev = Evaluator::with_tables(program, today);
    let mut buf: Vec<u8> = Vec::with_capacity(block + chunk);
    let mut eof;
    let columns = loop {
        eof = fill(&mut input, &mut buf, block, chunk)? == 0;
        if let Some(end) = record_end(&buf, 0, eof) {
            let columns = rows.columns(&buf[..end])?;
            buf.drain(..end);
            break columns;
        }
        if eof {
            return Err(Fallback); // no header: the plain path says what is missing
        }
    };
    out.write_all(&rows.header).map_err(|_| Fallback)?;
    let (rows, ev, columns) = (&rows, &ev, &columns);
    let (job_tx, job_rx) = std::sync::mpsc::channel::<Job>();
    let job_rx = &std::sync::Mutex::new(job_rx);
    // Three stages overlap: a reader cuts blocks at record boundaries, this thread
    // evaluates each block's chunks on all cores, a writer writes in order.
    std::thread::scope(|s| {
        let (block_tx, block_rx) = std::sync::mpsc::sync_channel::<Result<Block, Fallback>>(1);
        let (out_tx, out_rx) = std::sync::mpsc::sync_channel::<Vec<Vec<u8>>>(2);
        // Processed blocks go back to the reader: no fresh pages per block.
        let (free_tx, free_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        s.spawn(move || {
            loop {
                let chunks = split(&buf, eof, chunk);
                if let Some(&(_, last)) = chunks.last() {
                    let mut next = free_rx.try_recv().unwrap_or_else(|_| Vec::with_capacity(block + chunk));
                    next.clear();
                    next.extend_from_slice(&buf[last..]);
                    buf.truncate(last);
                    if block_tx.send(Ok((std::mem::replace(&mut buf, next), chunks))).is_err() {
                        return;
                    }
                }
                if eof {
                    if !buf.is_empty() {
                        let _ = block_tx.send(Err(Fallback)); // an unterminated quote
                    }
                    return;
                }
                match fill(&mut input, &mut buf, block, chunk) {
                    Ok(n) => eof = n == 0,
                    Err(e) => {
                        let _ = block_tx.send(Err(e));
                        return;
                    }
                }
            }
        });
        let writer = s.spawn(move || -> Result<(), Fallback> {
            for parts in out_rx {
                for bytes in parts {
                    out.write_all(&bytes).map_err(|_| Fallback)?;
                }
            }
            Ok(())
        });
        // One worker per core for the whole run, fed chunk jobs across block
        // boundaries (no barrier per block); results come back tagged with their
        // sequence number and are put in order here.
        let (done_tx, done_rx) = std::sync::mpsc::channel::<(usize, Rendered)>();
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            s.spawn(move || {
                let mut batch = Batch::default();
                loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((buf, seq, (a, b))) = job else { return };
                    let rendered = rows.chunk(columns, &buf[a..b], ev, &mut batch);
                    drop(buf); // before the result: the block is free once all results are in
                    if done_tx.send((seq, rendered)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let mut summary = Summary::new(program);
        let mut result = Ok(());
        let mut next_seq = 0;
        let mut early: std::collections::HashMap<usize, Rendered> = std::collections::HashMap::new();
        let mut seen = super::key_set::KeySet::default();
        // Collects the results of `want` chunks starting at `from`, in order.
        let mut collect = |from: usize, want: usize| -> Result<Vec<Vec<u8>>, Fallback> {
            let mut parts = Vec::with_capacity(want);
            for seq in from..from + want {
                let rendered = loop {
                    if let Some(r) = early.remove(&seq) {
                        break r;
                    }
                    let (got, r) = done_rx.recv().map_err(|_| Fallback)?;
                    if got == seq {
                        break r;
                    }
                    early.insert(got, r);
                };
                let (bytes, part, keys) = rendered?;
                // A key seen twice (or a hash collision, rarer than one in a
                // trillion) goes to the plain path, which compares the keys
                // themselves and names both records.
                seen.extend(keys).map_err(|_| Fallback)?;
                summary.merge(&part);
                parts.push(bytes);
            }
            Ok(parts)
        };
        // The block whose chunks are being evaluated while the next is dispatched.
        let mut pending: Option<(std::sync::Arc<Vec<u8>>, usize, usize)> = None;
        for item in block_rx {
            let step = item.and_then(|(buf, chunks)| {
                let buf = std::sync::Arc::new(buf);
                let first = next_seq;
                for &range in &chunks {
                    job_tx.send((buf.clone(), next_seq, range)).map_err(|_| Fallback)?;
                    next_seq += 1;
                }
                let done = match pending.replace((buf, first, chunks.len())) {
                    Some((prev, from, n)) => {
                        let parts = collect(from, n)?;
                        if let Ok(v) = std::sync::Arc::try_unwrap(prev) {
                            let _ = free_tx.send(v);
                        }
                        Some(parts)
                    }
                    None => None,
                };
                if let Some(parts) = done {
                    out_tx.send(parts).map_err(|_| Fallback)?;
                }
                Ok(())
            });
            if let Err(e) = step {
                result = Err(e);
                break; // dropping the receiver stops the reader
            }
        }
        if result.is_ok() {
            if let Some((_, from, n)) = pending.take() {
                result = collect(from, n).and_then(|parts| out_tx.send(parts).map_err(|_| Fallback));
            }
        }
        drop(job_tx); // workers finish what is queued and stop
        drop(out_tx);
        let written = writer.join().unwrap_or(Err(Fallback));
        // Totals out of range: the plain path names the record that does not fit.
        let unique = if result.is_ok() { seen.finish().map_err(|_| Fallback) } else { Ok(()) };
        result.and(written).and(unique).and_then(|()| {
            if summary.out_of_range().is_some() {
                Err(Fallback)
            } else {
                Ok(summary)
            }
        })
    })
}

/// A worker's buffers, reused from chunk to chunk.
#[derive(Default)]
struct Batch {
    /// Decoded values, one column per field.
    columns: Vec<Vec<Value>>,
    /// Each record's kept cells (byte ranges in the chunk), record after record.
    kept: Vec<(usize, usize)>,
    /// Each record's key cell (byte range in the chunk).
    keys: Vec<(usize, usize)>,
    /// Per dimension, each record's tier (`u16::MAX`: none).
    tiers: Vec<Vec<u16>>,
    cells: Vec<u32>,
    frame: Vec<Value>,
    decisions: Vec<Decision>,
}

/// A chunk to evaluate: its block, its place in the output, its byte range.
type Job = (std::sync::Arc<Vec<u8>>, usize, (usize, usize));

/// A block of whole records and its chunks.
type Block = (Vec<u8>, Vec<(usize, usize)>);

/// Reads until `buf` holds a block (or the input ends); returns the bytes read.
/// What `buf` already holds is the start of a record not yet ended, so at least
/// as much again is read: a record longer than a block (a huge field, a stray
/// quote) is found in linear time. One longer than [`MAX_PENDING`] is left to
/// the plain path, which keeps memory bounded.
pub(super) fn fill(input: &mut impl Read, buf: &mut Vec<u8>, block: usize, chunk: usize) -> Result<usize, Fallback> {
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
pub(super) fn record_end(buf: &[u8], from: usize, eof: bool) -> Option<usize> {
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
pub(super) fn split(buf: &[u8], eof: bool, size: usize) -> Vec<(usize, usize)> {
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

/// The length of the header a writer without kept columns writes (rows are
/// rendered without them: kept cells go between the key and the suffix).
fn header_without_kept(program: &Program, format: Format, tiers_only: bool) -> Result<usize, Fallback> {
    let mut header = Vec::new();
    Writer::new(&mut header, format, program, Vec::new(), tiers_only)
        .and_then(|w| w.finish().map(|_| ()))
        .map_err(|_| Fallback)?;
    Ok(header.len())
}

/// A chunk's rendered rows, their summary and the hashes of their keys.
type Rendered = Result<(Vec<u8>, Summary, Vec<u64>), Fallback>;

/// A 64-bit hash of a key as the plain reader compares it (trimmed).
fn key_hash(key: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().build_hasher();
    h.write(std::str::from_utf8(key).map_or(key, |k| k.trim().as_bytes()));
    h.finish()
}

/// What a row needs: the program, the header bytes and the per-tier suffixes.
struct Rows<'p> {
    program: &'p Program,
    format: Format,
    header: Vec<u8>,
    /// Bytes before the key of every row (`{"id":` in NDJSON).
    prefix: Vec<u8>,
    /// Bytes after the key, per tier combination (mixed radix over dimensions).
    suffixes: Vec<Vec<u8>>,
    /// Fields per record, from the header.
    width: usize,
    /// Whether the program reads each field (an unread text field is only
    /// checked, not copied).
    read: Vec<bool>,
    /// Per field, what a plain number is multiplied by: a rate's periods per
    /// year (`count per quarter`: 4), else 1; `None` where that is not whole.
    per_year: Vec<Option<i64>>,
    /// Tiers per dimension plus one ("no tier"): the mixed radix of `suffixes`.
    radix: Vec<usize>,
    /// `--keep`: the names, their input columns (from the header), and in JSON
    /// the bytes before each value (`,"name":`).
    keep: &'p [String],
    kept_columns: Vec<usize>,
    kept_json: Vec<Vec<u8>>,
}

const SENTINEL: &str = "\u{1}KEY\u{1}";

impl<'p> Rows<'p> {
    fn new(program: &'p Program, format: Format, tiers_only: bool, keep: &'p [String]) -> Result<Self, Fallback> {
        let radix: Vec<usize> = program.dimensions.iter().map(|d| d.tiers.len() + 1).collect();
        let combos: usize = radix.iter().product();
        if combos > MAX_COMBOS {
            return Err(Fallback);
        }
        let mut header = Vec::new();
        {
            let w = Writer::with_kept(&mut header, format, program, keep.to_vec(), Vec::new(), tiers_only)
                .map_err(|_| Fallback)?;
            w.finish().map_err(|_| Fallback)?;
        }
        let marker = match format {
            Format::Csv => SENTINEL.as_bytes().to_vec(),
            _ => serde_json::to_string(SENTINEL).map_err(|_| Fallback)?.into_bytes(),
        };
        let plain_header = header_without_kept(program, format, tiers_only)?;
        let mut prefix = Vec::new();
        let mut suffixes = Vec::with_capacity(combos);
        for combo in 0..combos {
            let decisions = decisions_of(combo, &radix);
            let mut row = Vec::new();
            let mut w = Writer::new(&mut row, format, program, Vec::new(), tiers_only).map_err(|_| Fallback)?;
            w.write(SENTINEL, &decisions, &[]).map_err(|_| Fallback)?;
            w.finish().map_err(|_| Fallback)?;
            let row = row.get(plain_header..).ok_or(Fallback)?;
            let at = find(row, &marker).ok_or(Fallback)?;
            prefix = row[..at].to_vec();
            suffixes.push(row[at + marker.len()..].to_vec());
        }
        let read = super::record::fields_read(program);
        let per_year = program
            .fields
            .iter()
            .map(|f| match (f.ty, f.period) {
                (Ty::Rate, Some(p)) => {
                    let n = p.per_year();
                    if n.fract().is_zero() {
                        i64::try_from(n.mantissa() / 10i128.pow(n.scale())).ok()
                    } else {
                        None
                    }
                }
                _ => Some(1),
            })
            .collect();
        let kept_json = keep
            .iter()
            .map(|k| serde_json::to_string(k).map(|name| format!(",{name}:").into_bytes()))
            .collect::<Result<_, _>>()
            .map_err(|_| Fallback)?;
        let kept_columns = Vec::new();
        Ok(Rows {
            program,
            format,
            header,
            prefix,
            suffixes,
            width: 0,
            read,
            per_year,
            radix,
            keep,
            kept_columns,
            kept_json,
        })
    }

    /// The input column of each field, from the header record.
    fn columns(&mut self, header: &[u8]) -> Result<Vec<Option<usize>>, Fallback> {
        let text = std::str::from_utf8(header).map_err(|_| Fallback)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // The header splits like any record (the same `record`), then unquotes.
        let (mut cells, mut scratch) = (Vec::new(), Vec::new());
        record(text.as_bytes(), 0, &mut cells)?;
        let mut fields = Vec::with_capacity(cells.len());
        for &(a, b) in &cells {
            let name = unquote(&text.as_bytes()[a..b], &mut scratch)?;
            fields.push(String::from_utf8(name.to_vec()).map_err(|_| Fallback)?);
        }
        self.width = fields.len();
        self.kept_columns = self
            .keep
            .iter()
            .map(|k| super::read::kept_column(&fields, &self.program.fields, k))
            .collect::<Option<_>>()
            .ok_or(Fallback)?;
        super::read::column_index(&fields, &self.program.fields, "").map_err(|_| Fallback)
    }

    /// One chunk of complete records: rendered rows and their summary.
    fn chunk(&self, columns: &[Option<usize>], bytes: &[u8], ev: &Evaluator, batch: &mut Batch) -> Rendered {
        let mut out = Vec::with_capacity(bytes.len() / 2);
        let mut summary = Summary::new(self.program);
        let width = columns.iter().flatten().max().map_or(0, |m| m + 1);
        if std::str::from_utf8(bytes).is_err() {
            return Err(Fallback);
        }
        let fields = self.program.fields.len();
        batch.columns.resize_with(fields, Vec::new);
        batch.columns.iter_mut().for_each(Vec::clear);
        batch.keys.clear();
        batch.kept.clear();
        let mut cells: Vec<(usize, usize)> = Vec::new();
        let mut scratch = Vec::new();
        // Pass 1: split and decode every record into one column per field.
        let mut start = 0;
        while start < bytes.len() {
            start = record(bytes, start, &mut cells)?;
            if cells.len() != self.width || cells.len() < width || (cells.len() == 1 && cells[0].0 == cells[0].1) {
                return Err(Fallback);
            }
            for ((((f, col), &read), &per_year), column) in
                self.program.fields.iter().zip(columns).zip(&self.read).zip(&self.per_year).zip(&mut batch.columns)
            {
                let raw = col.and_then(|c| cells.get(c)).map(|&(a, b)| &bytes[a..b]);
                match (f.ty, read, raw) {
                    // Text the policy does not read: the plain path only checks it is there.
                    (Ty::Text, false, Some(r)) if !is_blank(unquote(r, &mut scratch)?) => column.push(Value::Missing),
                    _ => column.push(self.decode(f, raw, per_year, &mut scratch)?),
                }
            }
            let key = columns[self.program.key].and_then(|c| cells.get(c)).copied().unwrap_or((0, 0));
            batch.keys.push(key);
            batch.kept.extend(self.kept_columns.iter().map(|&c| cells.get(c).copied().unwrap_or((0, 0))));
        }
        // Pass 2: every dimension column-wise where its table allows.
        let dims = self.program.dimensions.len();
        batch.tiers.resize_with(dims, Vec::new);
        let batched = match ev.tables() {
            Some(lookup) => {
                (0..dims).all(|d| lookup.decide_batch(d, &batch.columns, &mut batch.cells, &mut batch.tiers[d]))
            }
            None => false,
        };
        // Pass 3: decisions (record by record where not batched) and output.
        let money = summary.money_field;
        let mut keys = Vec::with_capacity(batch.keys.len());
        for (r, &(a, b)) in batch.keys.iter().enumerate() {
            batch.decisions.clear();
            if batched {
                batch.decisions.extend(
                    batch.tiers.iter().map(|t| Decision { tier: (t[r] != u16::MAX).then_some(usize::from(t[r])) }),
                );
            } else {
                batch.frame.clear();
                batch.frame.extend(batch.columns.iter().map(|c| c[r].clone()));
                ev.evaluate_into(&mut batch.frame, &mut batch.decisions).map_err(|_| Fallback)?;
            }
            summary.read += 1;
            summary.add_money(money.map_or(&Value::Missing, |m| &batch.columns[m][r]), &batch.decisions);
            out.extend_from_slice(&self.prefix);
            let key = unquote(&bytes[a..b], &mut scratch)?;
            keys.push(key_hash(key));
            self.key(key, &mut out)?;
            let k = self.kept_columns.len();
            for (i, &(a, b)) in batch.kept[r * k..(r + 1) * k].iter().enumerate() {
                let cell = unquote(&bytes[a..b], &mut scratch)?;
                self.kept_cell(i, cell, &mut out)?;
            }
            out.extend_from_slice(&self.suffixes[combo_of(&batch.decisions, &self.radix)]);
        }
        Ok((out, summary, keys))
    }

    /// A cell by its field's type: plain numbers directly, anything else through
    /// the plain decoder (so both paths accept exactly the same values).
    fn decode(
        &self,
        f: &crate::check::FieldInfo,
        raw: Option<&[u8]>,
        per_year: Option<i64>,
        scratch: &mut Vec<u8>,
    ) -> Result<Value, Fallback> {
        let Some(raw) = raw else { return decode(f, None).map_err(|_| Fallback) };
        if matches!(f.ty, Ty::Number | Ty::Money | Ty::Rate | Ty::Integer) {
            // Short plain numbers: integer arithmetic only.
            if let (Some((m, scale)), Some(k)) = (plain_parts(raw), per_year) {
                if f.ty == Ty::Integer && scale > 0 && m % 10i64.pow(scale) != 0 || f.ty == Ty::Rate && m < 0 {
                    return Err(Fallback); // the plain decoder rejects these
                }
                return Ok(Value::Num(Decimal::new(m.checked_mul(k).ok_or(Fallback)?, scale)));
            }
            if let Some(d) = plain_number(raw) {
                let d = match (f.ty, f.period) {
                    (Ty::Rate, _) if d.is_sign_negative() && !d.is_zero() => return Err(Fallback),
                    (Ty::Rate, Some(p)) => d.checked_mul(p.per_year()).ok_or(Fallback)?,
                    (Ty::Integer, _) if !d.fract().is_zero() => return Err(Fallback),
                    _ => d,
                };
                return Ok(Value::Num(d));
            }
        }
        let text = std::str::from_utf8(unquote(raw, scratch)?).map_err(|_| Fallback)?;
        decode_text(f, Some(text)).map_err(|_| Fallback)
    }

    /// A kept cell, as written, escaped for the output format as the plain
    /// writer does (CSV quotes only where needed; JSON a string).
    fn kept_cell(&self, i: usize, cell: &[u8], out: &mut Vec<u8>) -> Result<(), Fallback> {
        let text = std::str::from_utf8(cell).map_err(|_| Fallback)?;
        match self.format {
            Format::Csv => {
                out.push(b',');
                if text.contains([',', '"', '\n', '\r']) {
                    out.push(b'"');
                    out.extend_from_slice(text.replace('"', "\"\"").as_bytes());
                    out.push(b'"');
                } else {
                    out.extend_from_slice(cell);
                }
            }
            _ => {
                out.extend_from_slice(self.kept_json.get(i).ok_or(Fallback)?);
                serde_json::to_writer(&mut *out, text).map_err(|_| Fallback)?;
            }
        }
        Ok(())
    }

    /// The key cell, escaped for the output format exactly as the plain writer does.
    fn key(&self, key: &[u8], out: &mut Vec<u8>) -> Result<(), Fallback> {
        // Most keys are printable ASCII that neither format escapes: copy them.
        if !key.is_empty() && key.iter().all(|&b| b.is_ascii_graphic() && b != b',' && b != b'"' && b != b'\\') {
            match self.format {
                Format::Csv => out.extend_from_slice(key),
                _ => {
                    out.push(b'"');
                    out.extend_from_slice(key);
                    out.push(b'"');
                }
            }
            return Ok(());
        }
        let text = std::str::from_utf8(key).map_err(|_| Fallback)?.trim();
        match self.format {
            Format::Csv => {
                let mut w = csv_core::Writer::new();
                let mut tmp = [0u8; 256];
                let (res, nin, nout) = w.field(text.as_bytes(), &mut tmp);
                if res != csv_core::WriteResult::InputEmpty || nin != text.len() {
                    return Err(Fallback);
                }
                out.extend_from_slice(&tmp[..nout]);
                let (res, nout) = w.finish(&mut tmp);
                if res != csv_core::WriteResult::InputEmpty {
                    return Err(Fallback);
                }
                out.extend_from_slice(&tmp[..nout]);
            }
            _ => serde_json::to_writer(&mut *out, text).map_err(|_| Fallback)?,
        }
        Ok(())
    }
}

/// `[-]digits[.digits]` with at most 18 digits, as an `i64` mantissa and scale.
fn plain_parts(raw: &[u8]) -> Option<(i64, u32)> {
    let (neg, digits) = sign_and_digits(raw, 18)?;
    let (m, scale) = mantissa::<i64>(digits)?;
    Some((if neg { -m } else { m }, scale))
}

/// `[-]digits[.digits]`, at most 28 digits: the only shape parsed here.
pub(super) fn plain_number(raw: &[u8]) -> Option<Decimal> {
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

/// Bytes that end an unquoted field (or make the fast path give up).
const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b',' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t
};

/// The first `,` `"` `\n` or `\r` at or after `i` (or the end), eight bytes at a
/// time: fields are short, so this beats both a byte loop and memchr's setup.
/// All four are below `-` (0x2D), so one SWAR test finds candidates (spaces and
/// some punctuation too, checked one by one; UTF-8 bytes never match).
fn next_special(bytes: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(word) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes([word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7]]);
        // High bit set in the lowest byte below 0x2D (bits above it may be noise).
        let below = x.wrapping_sub(ONES * 0x2D) & !x & HIGH;
        if below == 0 {
            i += 8;
            continue;
        }
        let at = i + (below.trailing_zeros() / 8) as usize;
        if SPECIAL[usize::from(bytes[at])] {
            return at;
        }
        i = at + 1;
    }
    while i < bytes.len() && !SPECIAL[usize::from(bytes[i])] {
        i += 1;
    }
    i
}

/// Splits the record starting at `start` into `cells` (raw bytes, quotes kept)
/// in one pass; returns where the next record starts. A quote inside an
/// unquoted field, anything after a closing quote but a separator, and a lone
/// `\r` (the csv crate ends a record there) give up.
pub(super) fn record(bytes: &[u8], start: usize, cells: &mut Vec<(usize, usize)>) -> Result<usize, Fallback> {
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
            i = next_special(bytes, i);
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
pub(super) fn unquote<'a>(raw: &'a [u8], scratch: &'a mut Vec<u8>) -> Result<&'a [u8], Fallback> {
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
pub(super) fn is_blank(cell: &[u8]) -> bool {
    if cell.first().is_some_and(u8::is_ascii_graphic) {
        return false;
    }
    std::str::from_utf8(cell).map_or(true, |t| t.trim().is_empty())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn decisions_of(mut combo: usize, radix: &[usize]) -> Vec<Decision> {
    radix
        .iter()
        .map(|&r| {
            let t = combo % r;
            combo /= r;
            Decision { tier: (t + 1 < r).then_some(t) }
        })
        .collect()
}

fn combo_of(decisions: &[Decision], radix: &[usize]) -> usize {
    let mut combo = 0;
    for (d, &r) in decisions.iter().zip(radix).rev() {
        combo = combo * r + d.tier.unwrap_or(r - 1);
    }
    combo
}
