//! Parquet input on the parallel path. The file's metadata is read once; its
//! rows are cut into shares (a row group, or a slice of a large one) and each
//! worker opens the file itself and decodes its own shares through the plain
//! reader's cell code, so both paths accept, reject and render every value
//! alike. Results are written in input order; at most a few shares per core
//! are in flight, so memory does not grow with the file.

use super::recover::plain_reader;
use super::rows::{Rendered, Rows};
use super::{Fallback, Skip};
use crate::compile::Program;
use crate::data::parquet_read::{from_batches, BATCH};
use crate::data::{Format, Reader, Summary};
use crate::eval::Evaluator;
use crate::number::Date;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder, RowSelection, RowSelector};
use std::io::Write;
use std::path::Path;

/// Shares in flight per worker (decoded but not yet written, or queued).
const AHEAD: usize = 2;

/// A worker's share: a row group, and the rows of it to read (`None`: all).
type Share = (usize, Option<(usize, usize)>);

/// Applies `program` to the Parquet file at `path`, as [`super::apply`] does
/// to CSV: the same output bytes, summary, rejects and hand-backs.
pub(super) fn run<W: Write + Send>(
    program: &Program,
    path: &Path,
    out: &mut W,
    (format, tiers_only, keep): (Format, bool, &[String]),
    today: Date,
    share: usize,
    mut skip: Option<Skip<'_>>,
) -> Result<Summary, Fallback> {
    if !matches!(format, Format::Csv | Format::Ndjson) {
        return Err(Fallback);
    }
    let rows = Rows::new(program, format, tiers_only, keep)?;
    let ev = Evaluator::with_tables(program, today);
    let source = skip.as_ref().map_or("input", |s| s.source);
    let file = std::fs::File::open(path).map_err(|_| Fallback)?;
    let meta = ArrowReaderMetadata::load(&file, Default::default()).map_err(|_| Fallback)?;
    // A missing column, a column of a type tier does not read or a bad
    // `--keep`: the plain path says which, even for a file without rows.
    let empty = from_batches(meta.schema(), std::iter::empty(), source);
    Reader::from_table(empty, source, &program.fields, program.key)
        .map_err(|_| Fallback)?
        .keep(keep)
        .map_err(|_| Fallback)?;
    let shares = shares(&meta, share.max(1));
    out.write_all(&rows.header).map_err(|_| Fallback)?;
    let (rows, ev, meta, shares) = (&rows, &ev, &meta, &shares);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(shares.len()).max(1);
    let (job_tx, job_rx) = std::sync::mpsc::channel::<usize>();
    let job_rx = &std::sync::Mutex::new(job_rx);
    std::thread::scope(|s| {
        let (done_tx, done_rx) = std::sync::mpsc::channel::<(usize, Rendered)>();
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            s.spawn(move || loop {
                let job = match job_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok(seq) = job else { return };
                let rendered = shares.get(seq).ok_or(Fallback).and_then(|&share| {
                    let file = std::fs::File::open(path).map_err(|_| Fallback)?;
                    decide(rows, ev, file, meta, share, source)
                });
                if done_tx.send((seq, rendered)).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        let mut sent = 0;
        let send_next = |sent: &mut usize| -> Result<(), Fallback> {
            if *sent < shares.len() {
                job_tx.send(*sent).map_err(|_| Fallback)?;
                *sent += 1;
            }
            Ok(())
        };
        let result = (|| -> Result<Summary, Fallback> {
            for _ in 0..workers * AHEAD {
                send_next(&mut sent)?;
            }
            let mut summary = Summary::new(program);
            let mut seen = crate::data::key_set::KeySet::default();
            let mut early = std::collections::HashMap::new();
            let mut records_before = 0usize;
            for seq in 0..shares.len() {
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
                let part = rendered?;
                if !part.rejects.is_empty() {
                    // Stopping on the first bad record: the plain path reports it.
                    let skip = skip.as_mut().ok_or(Fallback)?;
                    for mut r in part.rejects {
                        r.error.shift(records_before, 0);
                        (skip.reject)(r).map_err(|()| Fallback)?;
                    }
                }
                records_before += part.records;
                // A repeated key: the plain path names both records.
                seen.extend(part.keys).map_err(|_| Fallback)?;
                summary.merge(&part.summary);
                out.write_all(&part.bytes).map_err(|_| Fallback)?;
                send_next(&mut sent)?;
            }
            seen.finish().map_err(|_| Fallback)?;
            Ok(summary)
        })();
        drop(job_tx); // workers finish what they hold and stop
                      // Totals out of range: the plain path names the record that does not fit.
        result.and_then(|summary| if summary.out_of_range().is_some() { Err(Fallback) } else { Ok(summary) })
    })
}

/// The file's rows as shares, in order: a row group of more than twice `share`
/// rows is read in slices of `share`, so a file written as one row group
/// still keeps every core busy.
fn shares(meta: &ArrowReaderMetadata, share: usize) -> Vec<Share> {
    let mut shares = Vec::new();
    for (group, g) in meta.metadata().row_groups().iter().enumerate() {
        let n = usize::try_from(g.num_rows()).unwrap_or(0);
        if n <= 2 * share {
            shares.push((group, None));
            continue;
        }
        let mut at = 0;
        while at < n {
            let len = share.min(n - at);
            shares.push((group, Some((at, len))));
            at += len;
        }
    }
    shares
}

/// One share read from its own `file`, decided and rendered.
fn decide(
    rows: &Rows,
    ev: &Evaluator,
    file: std::fs::File,
    meta: &ArrowReaderMetadata,
    (group, slice): Share,
    source: &str,
) -> Rendered {
    let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
        .with_row_groups(vec![group])
        .with_batch_size(BATCH);
    if let Some((skip, take)) = slice {
        let selection = RowSelection::from(vec![RowSelector::skip(skip), RowSelector::select(take)]);
        builder = builder.with_row_selection(selection);
    }
    let schema = builder.schema().clone();
    let batches = builder.build().map_err(|_| Fallback)?;
    let table = from_batches(&schema, batches, source);
    let program = rows.program;
    let reader = Reader::from_table(table, source, &program.fields, program.key).map_err(|_| Fallback)?;
    plain_reader(rows, reader, ev)
}
