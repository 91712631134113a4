//! Parquet input on the parallel path. The file's metadata is read once; its
//! rows are cut into shares (a row group, or a slice of a large one) and each
//! worker opens the file itself and decodes its own shares through the plain
//! reader's cell code, so both paths accept, reject and render every value
//! alike. Results are written in input order; at most a few shares per core
//! are in flight, so memory does not grow with the file.

use super::arrow;
use super::merge::InOrder;
use super::recover::plain_reader;
use super::rows::{Batch, Rendered, Rows};
use super::sink::Sink;
use super::{Fallback, Skip};
use crate::compile::Program;
use crate::data::parquet_read::{from_batches, BATCH};
use crate::data::read::{column_index, kept_column};
use crate::data::value::decode_text;
use crate::data::{Format, Reader, Summary};
use crate::eval::Evaluator;
use crate::number::Date;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder, RowSelection, RowSelector};
use parquet::arrow::ProjectionMask;
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
    skip: Option<Skip<'_>>,
) -> Result<Summary, Fallback> {
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
    let plan = Plan::new(program, &meta, keep)?;
    let mut sink = Sink::new(out, &rows)?;
    let (rows, ev, meta, shares, plan) = (&rows, &ev, &meta, &shares, &plan);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(shares.len()).max(1);
    let (job_tx, job_rx) = std::sync::mpsc::channel::<usize>();
    let job_rx = &std::sync::Mutex::new(job_rx);
    std::thread::scope(|s| {
        let (done_tx, done_rx) = std::sync::mpsc::channel::<(usize, Rendered)>();
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            s.spawn(move || {
                let (mut batch, mut text) = (Batch::default(), Vec::new());
                loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(seq) = job else { return };
                    let rendered = super::merge::guarded(|| {
                        let share = *shares.get(seq).ok_or(Fallback)?;
                        // A value the typed decoder does not take: the plain
                        // reader reads the share again and says why.
                        typed(rows, ev, (path, meta, plan), share, (&mut batch, &mut text))
                            .or_else(|_| decide(rows, ev, (path, meta), share, source))
                    });
                    if done_tx.send((seq, rendered)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let mut order = InOrder::new(program, done_rx, skip, (0, 0), false);
        let mut sent = 0;
        let send_next = |sent: &mut usize| -> Result<(), Fallback> {
            if *sent < shares.len() {
                job_tx.send(*sent).map_err(|_| Fallback)?;
                *sent += 1;
            }
            Ok(())
        };
        let result = (|| -> Result<(), Fallback> {
            for _ in 0..workers * AHEAD {
                send_next(&mut sent)?;
            }
            for _ in 0..shares.len() {
                sink.write(&order.next()?)?;
                send_next(&mut sent)?;
            }
            Ok(())
        })();
        drop(job_tx); // workers finish what they hold and stop
        let summary = result.and_then(|()| order.finish())?;
        sink.finish(program, &summary)?;
        Ok(summary)
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

/// A reader of one share of the file at `path`.
fn open(
    path: &Path,
    meta: &ArrowReaderMetadata,
    (group, slice): Share,
) -> Result<ParquetRecordBatchReaderBuilder<std::fs::File>, Fallback> {
    let file = std::fs::File::open(path).map_err(|_| Fallback)?;
    let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
        .with_row_groups(vec![group])
        .with_batch_size(BATCH);
    if let Some((skip, take)) = slice {
        let selection = RowSelection::from(vec![RowSelector::skip(skip), RowSelector::select(take)]);
        builder = builder.with_row_selection(selection);
    }
    Ok(builder)
}

/// One share read by the plain reader (every column: a record set aside
/// shows all its cells), decided and rendered.
fn decide(
    rows: &Rows,
    ev: &Evaluator,
    (path, meta): (&Path, &ArrowReaderMetadata),
    share: Share,
    source: &str,
) -> Rendered {
    let builder = open(path, meta, share)?;
    let schema = builder.schema().clone();
    let batches = builder.build().map_err(|_| Fallback)?;
    let table = from_batches(&schema, batches, source);
    let program = rows.program;
    let reader = Reader::from_table(table, source, &program.fields, program.key).map_err(|_| Fallback)?;
    plain_reader(rows, reader, ev)
}

/// What the typed decoder reads: only the columns the fields and `--keep` name.
struct Plan {
    mask: ProjectionMask,
    /// Per field, its column among those read (`None`: the file has none).
    fields: Vec<Option<usize>>,
    kept: Vec<usize>,
}

impl Plan {
    fn new(program: &Program, meta: &ArrowReaderMetadata, keep: &[String]) -> Result<Plan, Fallback> {
        let columns: Vec<String> = meta.schema().fields().iter().map(|f| f.name().clone()).collect();
        let index = column_index(&columns, &program.fields, "").map_err(|_| Fallback)?;
        let kept: Vec<usize> =
            keep.iter().map(|k| kept_column(&columns, &program.fields, k)).collect::<Option<_>>().ok_or(Fallback)?;
        let mut read: Vec<usize> = index.iter().flatten().chain(&kept).copied().collect();
        read.sort_unstable();
        read.dedup();
        // A projection keeps the file's column order.
        let at = |c: usize| read.binary_search(&c).map_err(|_| Fallback);
        let fields = index.iter().map(|c| c.map(at).transpose()).collect::<Result<_, _>>()?;
        let kept = kept.into_iter().map(at).collect::<Result<_, _>>()?;
        let mask = ProjectionMask::roots(meta.parquet_schema(), read.iter().copied());
        Ok(Plan { mask, fields, kept })
    }
}

/// One share's columns decoded by type ([`arrow::column`]), decided and
/// rendered; the keys and kept cells are written to `text`.
fn typed(
    rows: &Rows,
    ev: &Evaluator,
    (path, meta, plan): (&Path, &ArrowReaderMetadata, &Plan),
    share: Share,
    (batch, text): (&mut Batch, &mut Vec<u8>),
) -> Rendered {
    let reader = open(path, meta, share)?.with_projection(plan.mask.clone()).build().map_err(|_| Fallback)?;
    let program = rows.program;
    batch.start(program.fields.len());
    text.clear();
    let key = (plan.fields.get(program.key).copied().flatten(), program.fields.get(program.key));
    let mut records = 0;
    for b in reader {
        let b = b.map_err(|_| Fallback)?;
        let fields = program.fields.iter().zip(&plan.fields).zip(&rows.read);
        for (((f, c), &read), column) in fields.zip(batch.columns.iter_mut()) {
            let column = read.then_some(column);
            match c.and_then(|c| b.columns().get(c)) {
                Some(a) => arrow::column(f, a.as_ref(), column)?,
                // No such column: every record lacks the field.
                None => {
                    let v = decode_text(f, None).map_err(|_| Fallback)?;
                    column.into_iter().for_each(|c| c.push_repeat(&v, b.num_rows()));
                }
            }
        }
        for i in 0..b.num_rows() {
            let start = text.len();
            if let (Some(a), f) = (key.0.and_then(|c| b.columns().get(c)), key.1) {
                arrow::raw(a.as_ref(), i, f, text);
            }
            batch.keys.push((start, text.len()));
            for a in plan.kept.iter().filter_map(|&c| b.columns().get(c)) {
                let start = text.len();
                arrow::raw(a.as_ref(), i, None, text);
                batch.kept.push((start, text.len()));
            }
        }
        records += b.num_rows();
    }
    rows.render(text, false, batch, ev, (records, Vec::new()))
}
