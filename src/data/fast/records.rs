//! Pass 1 of a CSV chunk: its records split and decoded onto one column per
//! field. Records of the header's width are gathered in runs and decoded
//! column by column, each field's cells in one tight loop (the field's step
//! chosen once a run, not once a cell). Any other record, and every record of
//! a run holding a cell the column-wise decoder does not take, is decoded on
//! its own; one the column-wise decoder does not take (a formatted number, a
//! bad cell, a blank line) is read by the plain reader alone: decoded as the
//! plain path would, or set aside with its reason.

use super::cells::{plain_parts, record, unquote, Split};
use super::decode::{plain, Cell, Step};
use super::rows::{Batch, Rows};
use super::Fallback;
use crate::data::read::SplitRecords;
use crate::data::scan::Scan;
use crate::data::{Format, Rejected};
use crate::number::Date;

/// Records decoded column by column at a time: enough to spread the cost of
/// switching fields, few enough that a run decoded again record by record
/// (for a bad cell in it) costs little.
const RUN: usize = 128;

/// Where pass 1 has got to in a chunk, and what it has set aside.
pub(super) struct Records<'b, 's> {
    bytes: &'b [u8],
    /// Whether the chunk's separators were found (see [`crate::data::scan::separators`]).
    indexed: bool,
    /// The run: its records' cells, record after record, and their bytes.
    run: Vec<(usize, usize)>,
    spans: Vec<(usize, usize)>,
    pub(super) scratch: Vec<u8>,
    scan: Scan<'b>,
    split: Split,
    /// The plain decoder, made at the first record that needs it.
    plain: Option<SplitRecords<'s>>,
    pub(super) rejects: Vec<Rejected>,
    /// Records read (set aside or not), and the lines before byte `counted`.
    pub(super) records: usize,
    lines: u64,
    counted: usize,
}

impl<'b> Records<'b, '_> {
    pub(super) fn new(bytes: &'b [u8], indexed: bool) -> Self {
        Records {
            bytes,
            indexed,
            run: Vec::new(),
            spans: Vec::new(),
            scratch: Vec::new(),
            scan: Scan::new(bytes),
            split: Split::default(),
            plain: None,
            rejects: Vec::new(),
            records: 0,
            lines: 0,
            counted: 0,
        }
    }
}

impl<'p> Rows<'p> {
    /// The records of the chunk (`at.bytes`, whose separators are `seps`)
    /// split and decoded onto `batch.columns`.
    pub(super) fn records<'s>(
        &'s self,
        columns: &[Option<usize>],
        input: (&[u8], &str),
        seps: &[u32],
        batch: &mut Batch,
        at: &mut Records<'_, 's>,
    ) -> Result<(), Fallback> {
        let (bytes, width) = (at.bytes, columns.iter().flatten().max().map_or(0, |m| m + 1));
        let mut start = 0;
        while start < bytes.len() {
            let (from, base) = (start, at.run.len());
            // Split straight onto the run.
            start = match at.indexed.then(|| at.split.record(bytes, start, seps, &batch.specials, &mut at.run)) {
                Some(Some(end)) => end,
                _ => record(bytes, start, &mut at.run, &mut at.scan)?,
            };
            let cells = &at.run[base..];
            // One empty cell is a blank line, no record.
            if cells.len() == self.width && cells.len() >= width && !(cells.len() == 1 && cells[0].0 == cells[0].1) {
                at.spans.push((from, start));
                if at.spans.len() == RUN {
                    self.run(columns, input, batch, at)?;
                }
                continue;
            }
            let cells = at.run.split_off(base);
            self.run(columns, input, batch, at)?;
            self.one(columns, input, (&cells, (from, start)), false, batch, at)?;
        }
        self.run(columns, input, batch, at)
    }

    /// The run gathered in `at` decoded column by column; where a cell in it
    /// is not taken, each of its records on its own.
    fn run<'s>(
        &'s self,
        columns: &[Option<usize>],
        input: (&[u8], &str),
        batch: &mut Batch,
        at: &mut Records<'_, 's>,
    ) -> Result<(), Fallback> {
        let (n, w) = (at.spans.len(), self.width);
        if n == 0 {
            return Ok(());
        }
        let (cells, spans) = (std::mem::take(&mut at.run), std::mem::take(&mut at.spans));
        let mut done = self.decode_run(columns, at.bytes, (&cells, n), batch, &mut at.scratch);
        if done.is_ok() {
            at.records += n;
        } else {
            batch.columns.iter_mut().for_each(|c| c.truncate(batch.keys.len()));
            done = cells
                .chunks_exact(w)
                .zip(&spans)
                .try_for_each(|(record, &span)| self.one(columns, input, (record, span), true, batch, at));
        }
        (at.run, at.spans) = (cells, spans);
        at.run.clear();
        at.spans.clear();
        done
    }

    /// `n` records of the header's width (their `cells`, record after
    /// record) decoded column by column onto `batch.columns`, their keys and
    /// kept cells noted; `Err` at the first cell the column-wise decoder does
    /// not take (then the columns hold some of the run's values).
    fn decode_run(
        &self,
        columns: &[Option<usize>],
        bytes: &[u8],
        (cells, n): (&[(usize, usize)], usize),
        batch: &mut Batch,
        scratch: &mut Vec<u8>,
    ) -> Result<(), Fallback> {
        let w = self.width;
        for ((i, &step), column) in self.steps.iter().enumerate().zip(&mut batch.columns) {
            let Some(c) = columns.get(i).copied().flatten() else {
                for _ in 0..n {
                    self.decode_cell((i, step), None, column, scratch)?;
                }
                continue;
            };
            let mut raws = cells.iter().skip(c).step_by(w).map(|&(a, b)| bytes.get(a..b).ok_or(Fallback));
            // The step's common case inline, in a loop of its own; any other
            // cell through `decode_cell`, which takes what the row path takes.
            match step {
                Step::CheckText => raws.try_for_each(|raw| {
                    let raw = raw?;
                    match raw.first() {
                        Some(&b) if b.is_ascii_graphic() && b != b'"' => Ok(()),
                        _ => self.decode_cell((i, step), Some(raw), column, scratch),
                    }
                })?,
                Step::CheckDate => raws.try_for_each(|raw| {
                    let raw = raw?;
                    match Date::is_iso(raw) {
                        true => Ok(()),
                        false => self.decode_cell((i, step), Some(raw), column, scratch),
                    }
                })?,
                Step::Day => raws.try_for_each(|raw| {
                    let raw = raw?;
                    match Date::parse_iso(raw) {
                        Some(d) => {
                            column.push_day(d);
                            Ok(())
                        }
                        None => self.decode_cell((i, step), Some(raw), column, scratch),
                    }
                })?,
                Step::Number { ty, per_year, read } => raws.try_for_each(|raw| {
                    let raw = raw?;
                    match plain_parts(raw).map(|parts| plain(ty, per_year, parts)) {
                        Some(Ok(Cell::Num(m, scale))) if !read || column.push_num(m, scale) => Ok(()),
                        _ => self.decode_cell((i, step), Some(raw), column, scratch),
                    }
                })?,
                Step::Decode { .. } => {
                    raws.try_for_each(|raw| self.decode_cell((i, step), Some(raw?), column, scratch))?;
                }
            }
        }
        let key = columns.get(self.program.key).copied().flatten();
        cells.chunks_exact(w).for_each(|record| self.note(key, record, batch));
        Ok(())
    }

    /// A decoded record's key (in input column `key`) and kept cells, as
    /// byte ranges, for the output.
    fn note(&self, key: Option<usize>, cells: &[(usize, usize)], batch: &mut Batch) {
        batch.keys.push(key.and_then(|c| cells.get(c)).copied().unwrap_or((0, 0)));
        batch.kept.extend(self.kept_columns.iter().map(|&c| cells.get(c).copied().unwrap_or((0, 0))));
    }

    /// One record (its `cells` and the bytes it spans) decoded on its own;
    /// `whole`: it has the header's width (its cells are decoded by the
    /// plain decoder where the column-wise one does not take them; any
    /// other record is read by the plain reader).
    fn one<'s>(
        &'s self,
        columns: &[Option<usize>],
        input: (&[u8], &str),
        (cells, (from, to)): (&[(usize, usize)], (usize, usize)),
        whole: bool,
        batch: &mut Batch,
        at: &mut Records<'_, 's>,
    ) -> Result<(), Fallback> {
        let bytes = at.bytes;
        let taken = batch.keys.len();
        if !whole || self.decode_record(columns, bytes, cells, batch, &mut at.scratch).is_err() {
            batch.columns.iter_mut().for_each(|c| c.truncate(taken));
            let decided = match whole {
                true => Some(self.plain_decode(input, bytes, cells, &mut at.plain, &mut at.scratch)?),
                false => super::recover::plain_record(self, (input.0, input.1, Format::Csv), (&bytes[from..to], b""))?,
            };
            match decided {
                None => return Ok(()), // a blank line is no record
                Some(Ok(row)) if whole => batch.push_values(row.values, &self.read),
                Some(Ok(_)) => return Err(Fallback),
                Some(Err(mut rejected)) => {
                    at.lines += memchr::memchr_iter(b'\n', &bytes[at.counted..from]).count() as u64;
                    at.counted = from;
                    rejected.error.shift(at.records, at.lines);
                    at.rejects.push(rejected);
                    at.records += 1;
                    return Ok(());
                }
            }
        }
        at.records += 1;
        self.note(columns.get(self.program.key).copied().flatten(), cells, batch);
        Ok(())
    }

    /// A record split into `cells` decoded by the plain reader's own decoder
    /// (`plain`, made once per chunk), located as if read alone after the
    /// header (`input`), as [`super::recover::plain_record`] locates it.
    fn plain_decode<'s>(
        &'s self,
        (header, source): (&[u8], &str),
        bytes: &[u8],
        cells: &[(usize, usize)],
        plain: &mut Option<SplitRecords<'s>>,
        scratch: &mut Vec<u8>,
    ) -> Result<Result<crate::data::Row, crate::data::Rejected>, Fallback> {
        let reader = match plain {
            Some(reader) => reader,
            None => plain.insert(
                SplitRecords::new(&self.program.fields, self.program.key, &self.header_names, self.keep)
                    .ok_or(Fallback)?,
            ),
        };
        let mut texts = Vec::with_capacity(cells.len());
        for &(a, b) in cells {
            texts.push(String::from_utf8(unquote(&bytes[a..b], scratch)?.to_vec()).map_err(|_| Fallback)?);
        }
        let line = memchr::memchr_iter(b'\n', header).count() as u64 + 1;
        Ok(reader.decode(crate::data::Location { source: source.into(), row: 1, line: Some(line) }, texts))
    }
}
