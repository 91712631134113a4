//! The fast path of `tier apply --events` for a CSV event log: blocks read on one
//! thread, split at record boundaries (quote-aware, as in [`super::fast`]), and
//! aggregated on all cores, each worker into its own per-customer accumulators,
//! merged at the end. Aggregates do not depend on event order (counts, exact
//! decimal sums, distinct sets, extremes), so the result equals the plain path's.
//!
//! A log at hand whole (a mapped file) is cut at line ends without its quotes
//! being looked for first, so the workers are the first to read its pages (the
//! customer path's reason, see `fast::speculate`). A line end inside a quoted
//! field is the only wrong cut, and the chunk before it cannot be read (its last
//! quote never closes): then the run is done again, cut where the quotes say.
//!
//! Any event the plain reader would reject — a bad cell, a record of the wrong
//! width, invalid UTF-8 — makes [`aggregate`] return [`Fallback`]; the caller
//! then reads the file on the plain path, which reports it with its row, line and
//! column (or sets it aside under `--on-error skip`).

use super::fast::{
    fill, is_blank, plain_number, record, record_end, split, split_lines, unquote, Fallback, Source, Split,
};
use super::mapped::Mapped;
use super::scan::{separators, Scan};
use super::value::decode_text;
use crate::check::{FieldInfo, Ty};
use crate::compile::Program;
use crate::eval::Value;
use crate::metrics::{Aggregation, Customer, EventCounts};
use crate::number::Date;
use std::io::Read;
use std::sync::{mpsc, Arc, Mutex};

const BLOCK: usize = 4 << 20;
const CHUNK: usize = 256 << 10;

/// Aggregates a CSV event log; the customers and what became of every event.
pub fn aggregate<R: Read + Send>(
    program: &Program,
    input: Source<'_, R>,
    today: Date,
) -> Result<(Vec<Customer>, EventCounts), Fallback> {
    aggregate_sized(program, input, today, super::fast::Sizes { block: BLOCK, chunk: CHUNK })
}

/// [`aggregate`] with explicit block and chunk sizes (tests use tiny ones).
pub fn aggregate_sized<R: Read + Send>(
    program: &Program,
    input: Source<'_, R>,
    today: Date,
    sizes: super::fast::Sizes,
) -> Result<(Vec<Customer>, EventCounts), Fallback> {
    let (bytes, mapped) = match input {
        Source::Read(r) => return run(program, Log::Read(r), today, sizes),
        Source::Whole(bytes) => (bytes, None),
        Source::Mapped(m) => (m.bytes(), Some(m)),
    };
    let whole = |cut: Cut| -> Log<'_, R> { Log::Whole { bytes, mapped, cut } };
    // Cut at line ends; where that failed and a quote might be why, cut where
    // the quotes say (a bad event fails both: the plain path says why).
    run(program, whole(split_lines), today, sizes).or_else(|_| match memchr::memchr(b'"', bytes) {
        Some(_) => run(program, whole(split), today, sizes),
        None => Err(Fallback),
    })
}

/// How a log at hand whole is cut into chunks (see [`split`], [`split_lines`]).
type Cut = fn(&[u8], bool, usize) -> Vec<(usize, usize)>;

/// The log: read a block at a time, or at hand whole (mapped, whose pages are
/// let go of block by block).
enum Log<'a, R> {
    Read(R),
    Whole { bytes: &'a [u8], mapped: Option<&'a Mapped>, cut: Cut },
}

/// A block of chunks: read into a buffer (handed back to the reader once its
/// chunks are done), or a stretch of a log at hand whole from `at`.
enum Block<'a> {
    Read(Vec<u8>),
    Whole { bytes: &'a [u8], at: usize, mapped: Option<&'a Mapped> },
}

impl std::ops::Deref for Block<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Block::Read(buf) => buf,
            Block::Whole { bytes, .. } => bytes,
        }
    }
}

impl Drop for Block<'_> {
    /// A mapped block's pages are let go of once its last chunk is done (they
    /// count in RSS as they are read).
    fn drop(&mut self) {
        if let Block::Whole { bytes, at, mapped: Some(m) } = self {
            m.release(*at, bytes.len());
        }
    }
}

fn run<R: Read + Send>(
    program: &Program,
    mut log: Log<'_, R>,
    today: Date,
    sizes: super::fast::Sizes,
) -> Result<(Vec<Customer>, EventCounts), Fallback> {
    let ev = program.metrics.as_ref().and_then(|m| m.events.as_ref()).ok_or(Fallback)?;
    let (block_size, chunk_size) = (sizes.block.max(1), sizes.chunk.max(1));
    let mut buf: Vec<u8> = Vec::new();
    let mut eof = true;
    let (columns, width, start) = loop {
        let (bytes, at_end) = match &mut log {
            Log::Read(input) => {
                eof = fill(input, &mut buf, block_size, chunk_size)? == 0;
                (&buf[..], eof)
            }
            Log::Whole { bytes, .. } => (*bytes, true),
        };
        if let Some(end) = record_end(bytes, 0, at_end) {
            let header = header(&bytes[..end])?;
            let columns = super::read::column_index(&header, &ev.fields, "").map_err(|_| Fallback)?;
            break (columns, header.len(), end);
        }
        if at_end {
            return Err(Fallback);
        }
    };
    if let Log::Read(_) = log {
        buf.drain(..start);
    }
    let columns = &columns;
    // Bounded: the reader stays a few chunks ahead, so memory is a block or two.
    let (job_tx, job_rx) = mpsc::sync_channel::<(Arc<Block>, (usize, usize))>(8);
    let job_rx = &Mutex::new(job_rx);
    // Buffers of blocks done, reused: no fresh pages (faulted in and zeroed) per block.
    let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..std::thread::available_parallelism().map_or(1, |n| n.get()))
            .map(|_| {
                let free_tx = free_tx.clone();
                s.spawn(move || {
                    let work = || -> Result<Aggregation, Fallback> {
                        let mut agg = Aggregation::new(program, today).ok_or(Fallback)?;
                        // The buffers written on every event are padded past a cache
                        // line at their end (and text slots take a line, in `cell`): two
                        // workers' first allocations were found side by side in one
                        // heap, and a line both write to moves between the cores on
                        // every event (the monthly job at x10 ran 15% slower so).
                        let pad = |size: usize| 128usize.div_ceil(size.max(1));
                        let mut cells = Vec::with_capacity(width + pad(std::mem::size_of::<(usize, usize)>()));
                        let (mut seps, mut specials) = (Vec::new(), Vec::new());
                        let mut frame = Vec::with_capacity(ev.frame_size + pad(std::mem::size_of::<Value>()));
                        let mut scratch = Vec::new();
                        loop {
                            let job = match job_rx.lock() {
                                Ok(rx) => rx.recv(),
                                Err(_) => return Err(Fallback),
                            };
                            let Ok((block, (a, b))) = job else { return Ok(agg) };
                            let bytes = &block[a..b];
                            // Validated once: a cell (cut at ASCII separators) is then a
                            // slice of it, with no second validation.
                            let text = simdutf8::basic::from_utf8(bytes).map_err(|_| Fallback)?;
                            let mut at = 0;
                            // Separators found in one pass, as the customer path does;
                            // a record with a quote or a lone `\r` is split on its own.
                            let indexed = separators(bytes, &mut seps, &mut specials);
                            let (mut scan, mut split) = (Scan::new(bytes), Split::default());
                            while at < bytes.len() {
                                cells.clear();
                                at = match indexed.then(|| split.record(bytes, at, &seps, &specials, &mut cells)) {
                                    Some(Some(end)) => end,
                                    _ => record(bytes, at, &mut cells, &mut scan)?,
                                };
                                if cells.len() != width {
                                    return Err(Fallback);
                                }
                                agg.counts.read += 1;
                                // Each field's value overwrites the last event's in place
                                // (a text reuses its buffer); `add` sets the slots after them.
                                frame.resize(frame.len().max(ev.fields.len()), Value::Missing);
                                let mut no_customer = false;
                                for (i, f) in ev.fields.iter().enumerate() {
                                    let raw = columns[i].and_then(|c| text.get(cells[c].0..cells[c].1));
                                    if i == ev.key && raw.is_none_or(|r| is_blank(r.as_bytes())) {
                                        no_customer = true;
                                        break;
                                    }
                                    cell(f, raw, &mut scratch, &mut frame[i])?;
                                }
                                if no_customer {
                                    agg.counts.no_customer += 1;
                                    continue;
                                }
                                agg.add(&mut frame);
                            }
                            // The block's last chunk done: its buffer goes back to the
                            // reader (a mapped block's pages are let go of).
                            if let Ok(Block::Read(buffer)) = Arc::try_unwrap(block).as_mut() {
                                let _ = free_tx.send(std::mem::take(buffer));
                            }
                        }
                    };
                    let done = work();
                    // A worker that gives up still takes the jobs queued for it:
                    // else the reader blocks on the full queue for ever.
                    while done.is_err() && job_rx.lock().is_ok_and(|rx| rx.recv().is_ok()) {}
                    done
                })
            })
            .collect();
        // This thread reads and cuts blocks; the workers take chunks as they come.
        let read = match log {
            Log::Read(mut input) => (|| -> Result<(), Fallback> {
                loop {
                    let chunks = split(&buf, eof, chunk_size);
                    if let Some(&(_, last)) = chunks.last() {
                        let mut rest = free_rx.try_recv().unwrap_or_default();
                        rest.clear();
                        rest.reserve(block_size + chunk_size);
                        rest.extend_from_slice(&buf[last..]);
                        buf.truncate(last);
                        let block = Arc::new(Block::Read(std::mem::replace(&mut buf, rest)));
                        for range in chunks {
                            job_tx.send((block.clone(), range)).map_err(|_| Fallback)?;
                        }
                    }
                    if eof {
                        return if buf.is_empty() { Ok(()) } else { Err(Fallback) };
                    }
                    eof = fill(&mut input, &mut buf, block_size, chunk_size)? == 0;
                }
            })(),
            Log::Whole { bytes, mapped, cut } => (|| -> Result<(), Fallback> {
                let (mut at, mut want) = (start, block_size);
                loop {
                    let end = at.saturating_add(want).min(bytes.len());
                    let eof = end == bytes.len();
                    let chunks = cut(&bytes[at..end], eof, chunk_size);
                    if let Some(&(_, last)) = chunks.last() {
                        let block = Arc::new(Block::Whole { bytes: &bytes[at..at + last], at, mapped });
                        for range in chunks {
                            job_tx.send((block.clone(), range)).map_err(|_| Fallback)?;
                        }
                        (at, want) = (at + last, block_size);
                    } else {
                        // No record ends in the window: look in one twice as long.
                        want = want.saturating_mul(2);
                    }
                    if eof {
                        return if at == bytes.len() { Ok(()) } else { Err(Fallback) };
                    }
                }
            })(),
        };
        drop(job_tx);
        let mut merged: Option<Aggregation> = None;
        let mut result = read;
        for w in workers {
            match w.join().unwrap_or(Err(Fallback)) {
                Ok(agg) => match merged.as_mut() {
                    Some(m) => m.merge(agg),
                    None => merged = Some(agg),
                },
                Err(e) => result = Err(e),
            }
        }
        result?;
        let agg = merged.ok_or(Fallback)?;
        let counts = agg.counts.clone();
        Ok((agg.customers(program), counts))
    })
}

/// The header's column names.
fn header(bytes: &[u8]) -> Result<Vec<String>, Fallback> {
    let text = std::str::from_utf8(bytes).map_err(|_| Fallback)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (mut cells, mut scratch) = (Vec::new(), Vec::new());
    record(text.as_bytes(), 0, &mut cells, &mut Scan::new(text.as_bytes()))?;
    cells
        .iter()
        .map(|&(a, b)| {
            let name = unquote(&text.as_bytes()[a..b], &mut scratch)?;
            String::from_utf8(name.to_vec()).map_err(|_| Fallback)
        })
        .collect()
}

/// One cell by its field's type into `slot`, accepting exactly what the plain
/// decoder does: plain numbers parsed directly; a text or a date-time with
/// nothing to trim (its first and last bytes visible ASCII, no quote) without
/// the decoder's trimming and dispatch; everything else through the decoder.
fn cell(f: &FieldInfo, text: Option<&str>, scratch: &mut Vec<u8>, slot: &mut Value) -> Result<(), Fallback> {
    let Some((text, raw)) = text.map(|t| (t, t.as_bytes())) else {
        *slot = decode_text(f, None).map_err(|_| Fallback)?;
        return Ok(());
    };
    if matches!(f.ty, Ty::Number | Ty::Money | Ty::Integer) {
        if let Some(d) = plain_number(raw) {
            if f.ty == Ty::Integer && !whole(&d) {
                return Err(Fallback);
            }
            *slot = Value::Num(d);
            return Ok(());
        }
    }
    let bare =
        raw.first().is_some_and(|&b| b.is_ascii_graphic() && b != b'"') && raw.last().is_some_and(u8::is_ascii_graphic);
    if bare {
        match (f.ty, &mut *slot) {
            (Ty::Text, Value::Text(s)) => {
                s.clear();
                s.push_str(text);
                return Ok(());
            }
            (Ty::Text, _) => {
                // A cache line at least: see the workers' buffers in `aggregate_sized`.
                let mut s = String::with_capacity(text.len().max(64));
                s.push_str(text);
                *slot = Value::Text(s);
                return Ok(());
            }
            (Ty::DateTime, _) => {
                *slot = Value::DateTime(crate::number::parse_datetime(text).ok_or(Fallback)?);
                return Ok(());
            }
            _ => {}
        }
    }
    let text = std::str::from_utf8(unquote(raw, scratch)?).map_err(|_| Fallback)?;
    *slot = decode_text(f, Some(text)).map_err(|_| Fallback)?;
    Ok(())
}

/// Whether `d` is a whole number (`Decimal::fract` without building a decimal).
fn whole(d: &crate::number::Decimal) -> bool {
    let scale = d.scale();
    scale == 0 || 10i128.checked_pow(scale).is_some_and(|p| d.mantissa() % p == 0)
}
