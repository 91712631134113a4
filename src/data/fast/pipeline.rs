//! The run of a text input: three stages overlap. A reader cuts blocks at
//! record boundaries, the calling thread hands each block's chunks to one
//! worker per core and puts their results back in order, a writer writes them.

use super::array_split::ArrayState;
use super::blocks::{fill, record_end, slices, Block, Buf, Cut};
use super::rows::{Batch, Part, Rendered, Rows};
use super::{merge, recover, sink, speculate, Fallback, Format, Sizes, Skip, Source, Summary, BLOCK, CHUNK};
use crate::compile::Program;
use crate::eval::Evaluator;
use crate::number::Date;
use std::io::{Read, Write};

/// Output buffers the writer has written, handed back to the workers: a fresh
/// buffer of each chunk's output would be returned to the system when freed
/// and faulted in again page by page (44k page faults at 10M rows; 13k with
/// the pool).
/// Holds at most [`POOLED`] buffers.
#[derive(Default)]
struct Pool(std::sync::Mutex<Vec<Vec<u8>>>);

/// Buffers a [`Pool`] keeps: a block's chunks and a few (more would only
/// raise the peak: two blocks' worth are in flight at most).
const POOLED: usize = BLOCK / CHUNK + 4;

impl Pool {
    fn take(&self) -> Vec<u8> {
        self.0.lock().ok().and_then(|mut p| p.pop()).unwrap_or_default()
    }

    fn give(&self, buf: Vec<u8>) {
        if let Ok(mut p) = self.0.lock() {
            if p.len() < POOLED {
                p.push(buf);
            }
        }
    }
}

/// The run: `shape` is the output format, `--tiers-only` and the kept columns;
/// `cut`: how the input splits into records; `unsorted`, where given, bets
/// that keys increase and is set when the bet is lost.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_with<W: Write + Send>(
    program: &Program,
    input: Source<'_, impl Read + Send>,
    out: &mut W,
    (format, tiers_only, keep): (Format, bool, &[String]),
    today: Date,
    sizes: Sizes,
    skip: Option<Skip<'_>>,
    (cut, unsorted): (Cut, Option<&mut bool>),
) -> Result<Summary, Fallback> {
    let Sizes { block, chunk } = sizes;
    let (block, chunk) = (block.max(1), chunk.max(1));
    let mut rows = Rows::new(program, format, tiers_only, keep)?;
    rows.increasing = unsorted.is_some();
    let ev = Evaluator::with_tables(program, today);
    let mut buf: Vec<u8> = Vec::with_capacity(block + chunk);
    let mut eof = false;
    // A whole input is cut from the end of its header on (see `slices`); a
    // mapped one's pages are let go of as its blocks are done.
    let (mut input, whole, mapped) = match input {
        Source::Read(r) => (Header::Read(r), None, None),
        Source::Whole(bytes) => (Header::Slice(bytes), Some(bytes), None),
        Source::Mapped(m) => (Header::Slice(m.bytes()), Some(m.bytes()), Some(m)),
    };
    // A whole array's elements are cut up to its `]` (see `speculate`).
    let whole = match whole {
        Some(bytes) if cut == Cut::Elements => Some(speculate::before_close(bytes).ok_or(Fallback)?),
        whole => whole,
    };
    // The header is looked for a chunk at a time: the workers start as soon
    // as it is read, not after a whole block.
    let (columns, header) = if cut == Cut::Lines {
        (Vec::new(), Vec::new())
    } else if cut == Cut::Elements {
        // Up to the `[` (after a byte order mark and white space): the chunks
        // are the elements after it.
        loop {
            eof = fill(&mut input, &mut buf, chunk, chunk)? == 0;
            // Part of a byte order mark so far: read on.
            if !eof && buf.len() < 3 && "\u{feff}".as_bytes().starts_with(&buf) {
                continue;
            }
            let text = buf.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&buf);
            match text.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
                Some(at) if text[at] == b'[' => {
                    let end = buf.len() - text.len() + at + 1;
                    break (Vec::new(), buf.drain(..end).collect::<Vec<u8>>());
                }
                Some(_) => return Err(Fallback), // not an array: the plain path says so
                None if eof => return Err(Fallback),
                None => {}
            }
        }
    } else {
        loop {
            eof = fill(&mut input, &mut buf, chunk, chunk)? == 0;
            if let Some(end) = record_end(&buf, 0, eof) {
                let columns = rows.columns(&buf[..end])?;
                break (columns, buf.drain(..end).collect::<Vec<u8>>());
            }
            if eof {
                return Err(Fallback); // no header: the plain path says what is missing
            }
        }
    };
    let mut sink = sink::Sink::new(out, &rows)?;
    let (rows, ev, columns, header) = (&rows, &ev, &columns, &header);
    let skipping = skip.is_some();
    let source = skip.as_ref().map_or("input", |s| s.source);
    // The first chunk starts after the header's lines (to place the records
    // a chunk sets aside).
    let header_lines = memchr::memchr_iter(b'\n', header).count() as u64;
    // CSV chunks are read after the header, whose lines their locations count;
    // an array's chunks are read alone, from the line they start on.
    let counted = if cut == Cut::Elements { 0 } else { header_lines };
    let (job_tx, job_rx) = std::sync::mpsc::channel::<Job>();
    let job_rx = &std::sync::Mutex::new(job_rx);
    let pool = &Pool::default();
    // A chunk's lines (the bytes it read), where its rejects are placed.
    let with_lines = |mut part: Part, read: &[u8]| {
        if skipping {
            part.lines = memchr::memchr_iter(b'\n', read).count() as u64;
        }
        part
    };
    // A chunk of a whole CSV input cut at a line end, or of a whole JSON
    // array cut between objects (see `speculate`): rendered, and where it
    // really ends.
    let speculative = |all: &[u8], (s, e): (usize, usize), batch: &mut Batch| -> Rendered {
        merge::guarded(|| {
            let (rendered, end) = if cut == Cut::Elements {
                let read = |b: &[u8]| {
                    (rows.json_chunk((b, true, false), ev, batch, source))
                        .or_else(|_| recover::elements(rows, b, ev, source))
                };
                speculate::elements_chunk(all, (s, e), read)
            } else {
                let fast = |b: &[u8]| rows.chunk(columns, (header, source), b, ev, batch);
                let slow = |b: &[u8]| recover::recover(rows, header, b, ev, source);
                speculate::chunk(all, (s, e), fast, slow)
            };
            rendered.map(|part| Part { end: Some(end), ..with_lines(part, &all[s..end]) })
        })
    };
    let speculative = &speculative;
    // A chunk of any other input, read as its format is.
    let read = |bytes: &[u8], seq: usize, batch: &mut Batch| -> Rendered {
        let rendered = merge::guarded(|| {
            if cut == Cut::Elements {
                rows.json_chunk((bytes, true, seq == 0), ev, batch, source)
                    .or_else(|_| recover::elements(rows, bytes, ev, source))
            } else if cut == Cut::Lines {
                // The reader skips a byte order mark on its first line only:
                // one opening a later chunk is the file's data, not a mark.
                if seq > 0 && bytes.starts_with("\u{feff}".as_bytes()) {
                    Err(Fallback)
                } else {
                    rows.json_chunk((bytes, false, seq == 0), ev, batch, source)
                        .or_else(|_| recover::ndjson(rows, bytes, ev, source))
                }
            } else {
                rows.chunk(columns, (header, source), bytes, ev, batch)
                    .or_else(|_| recover::recover(rows, header, bytes, ev, source))
            }
        });
        rendered.map(|part| with_lines(part, bytes))
    };
    let read = &read;
    // Whether the input is cut before its quotes are seen.
    let speculating = whole.is_some() && cut != Cut::Lines;
    // Three stages overlap: a reader cuts blocks at record boundaries, this thread
    // evaluates each block's chunks on all cores, a writer writes in order.
    std::thread::scope(|s| {
        let (block_tx, block_rx) = std::sync::mpsc::sync_channel::<Result<Block, Fallback>>(1);
        let (out_tx, out_rx) = std::sync::mpsc::sync_channel::<Vec<Vec<u8>>>(2);
        // Processed blocks go back to the reader: no fresh pages per block.
        let (free_tx, free_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let at = header.len();
        s.spawn(move || {
            if let Some(bytes) = whole {
                return slices(bytes, at, (block, chunk), cut, &block_tx);
            }
            let mut array = ArrayState::default();
            loop {
                let (chunks, rest) = match cut.blocks(&buf, eof, chunk, &mut array) {
                    Ok(cut) => cut,
                    Err(e) => {
                        let _ = block_tx.send(Err(e));
                        return;
                    }
                };
                if rest > 0 {
                    let mut next = free_rx.try_recv().unwrap_or_else(|_| Vec::with_capacity(block + chunk));
                    next.clear();
                    next.extend_from_slice(&buf[rest..]);
                    buf.truncate(chunks.last().map_or(0, |c| c.1));
                    let full = std::mem::replace(&mut buf, next);
                    if !chunks.is_empty() && block_tx.send(Ok((Buf::Read(full), chunks))).is_err() {
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
        let writer = s.spawn(move || {
            for parts in out_rx {
                for bytes in parts {
                    sink.write(&bytes)?;
                    pool.give(bytes);
                }
            }
            Ok(sink)
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
                    let bytes = &buf[a..b];
                    if batch.spare.capacity() == 0 {
                        batch.spare = pool.take();
                    }
                    let rendered = match buf.whole().filter(|_| speculating) {
                        Some((all, at)) => speculative(all, (at + a, at + b), &mut batch),
                        None => read(bytes, seq, &mut batch),
                    };
                    drop(buf); // before the result: the block is free once all results are in
                    if done_tx.send((seq, rendered)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let mut result = Ok(());
        let mut next_seq = 0;
        let mut order = merge::InOrder::new(program, done_rx, skip, (header_lines, counted), rows.increasing);
        // A chunk cut wrong (see `speculate`) is read again on this thread.
        let mut again = Batch::default();
        if let Some(all) = whole.filter(|_| speculating) {
            order.again(Box::new(move |span| speculative(all, span, &mut again)));
        }
        // The block whose chunks are being evaluated while the next is dispatched.
        let mut pending: Option<(std::sync::Arc<Buf<'_>>, usize)> = None;
        for item in block_rx {
            let step = item.and_then(|(buf, chunks)| {
                let buf = std::sync::Arc::new(buf);
                for &(a, b) in &chunks {
                    // Where a chunk of a whole input cut speculatively is (see `speculate`).
                    let span = buf.whole().filter(|_| speculating).map(|(_, at)| (at + a, at + b));
                    order.expect(span);
                    job_tx.send((buf.clone(), next_seq, (a, b))).map_err(|_| Fallback)?;
                    next_seq += 1;
                }
                let done = match pending.replace((buf, chunks.len())) {
                    Some((prev, n)) => {
                        let parts = order.take(n)?;
                        match std::sync::Arc::try_unwrap(prev) {
                            Ok(Buf::Read(v)) => drop(free_tx.send(v)),
                            Ok(Buf::Whole { at, len, .. }) => mapped.iter().for_each(|m| m.release(at, len)),
                            Err(_) => {}
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
            if let Some((_, n)) = pending.take() {
                result = order.take(n).and_then(|parts| out_tx.send(parts).map_err(|_| Fallback));
            }
        }
        drop(job_tx); // workers finish what is queued and stop
        drop(out_tx);
        let written = writer.join().unwrap_or(Err(Fallback));
        if let Some(unsorted) = unsorted {
            *unsorted = order.unsorted;
        }
        let (sink, summary) = result.and(written).and_then(|sink| Ok((sink, order.finish()?)))?;
        sink.finish(program, &summary)?;
        Ok(summary)
    })
}

/// A chunk to evaluate: its block, its place in the output, its byte range.
type Job<'a> = (std::sync::Arc<Buf<'a>>, usize, (usize, usize));

/// What the header is read through: the input's reader, or the bytes of an
/// input at hand whole.
enum Header<'a, R> {
    Read(R),
    Slice(&'a [u8]),
}

impl<R: Read> Read for Header<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Header::Read(r) => r.read(buf),
            Header::Slice(bytes) => bytes.read(buf),
        }
    }
}
