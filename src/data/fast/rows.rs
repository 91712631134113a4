//! One chunk of records decoded column-wise, decided, and rendered as the
//! plain writer would: each output row is the key plus a precomputed suffix
//! per tier combination.

use super::cells::{record, unquote};
use super::compare::above;
use super::records::Records;
use super::render::{self, combo_of, put_cell, put_combo};
use super::{Fallback, MAX_COMBOS};
use crate::check::Ty;
use crate::compile::Program;
use crate::data::scan::{separators, Scan};
use crate::data::{Format, Summary};
use crate::eval::{Evaluator, Value};
use crate::lookup::Column;

/// A worker's buffers, reused from chunk to chunk.
#[derive(Default)]
pub(super) struct Batch {
    /// Decoded values, one column per field (typed while its values allow).
    pub(super) columns: Vec<Column>,
    /// Each record's kept cells (byte ranges in the chunk), record after record.
    pub(super) kept: Vec<(usize, usize)>,
    /// Each record's key cell (byte range in the chunk).
    pub(super) keys: Vec<(usize, usize)>,
    /// Per dimension, each record's tier (`u16::MAX`: none).
    tiers: Vec<Vec<u16>>,
    cells: Vec<u32>,
    /// The positions of the chunk's `,` and `\n`, and of its `"` and `\r`.
    separators: Vec<u32>,
    pub(super) specials: Vec<u32>,
    frame: Vec<Value>,
    decisions: Vec<crate::eval::Decision>,
    /// The buffer the next chunk's output goes into: one the writer has
    /// written, handed back (fresh pages cost a fault each; see `pipeline::Pool`).
    pub(super) spare: Vec<u8>,
}

/// `cell` appended to `text`: its place there.
pub(super) fn put(cell: &[u8], text: &mut Vec<u8>) -> (usize, usize) {
    text.extend_from_slice(cell);
    (text.len() - cell.len(), text.len())
}

impl Batch {
    /// Empties the buffers for a new chunk of records with `fields` fields.
    pub(super) fn start(&mut self, fields: usize) {
        self.columns.resize_with(fields, Column::default);
        self.columns.iter_mut().for_each(Column::clear);
        self.keys.clear();
        self.kept.clear();
    }

    /// A record's values of the fields `read`, each onto its column.
    pub(super) fn push_values(&mut self, values: Vec<Value>, read: &[bool]) {
        for ((c, v), _) in self.columns.iter_mut().zip(values).zip(read).filter(|(_, &r)| r) {
            c.push(v);
        }
    }

    /// A record the plain reader read: the values of the fields `read` into
    /// the columns, its key and kept cells into `text`.
    pub(super) fn push_row(&mut self, row: crate::data::Row, read: &[bool], text: &mut Vec<u8>) {
        self.push_values(row.values, read);
        self.keys.push(put(row.key.as_bytes(), text));
        for k in &row.kept {
            self.kept.push(put(k.as_bytes(), text));
        }
    }
}

/// A chunk done: its rendered rows, summary and key hashes, the records it
/// set aside (with locations counted from the chunk's start), and how many
/// records and lines it holds (to place the next chunk's).
pub(super) struct Part {
    pub(super) bytes: Vec<u8>,
    pub(super) summary: Summary,
    pub(super) keys: Vec<u64>,
    /// Where the run bets on increasing keys, their order instead of `keys`.
    pub(super) order: KeyOrder,
    pub(super) rejects: Vec<crate::data::Rejected>,
    pub(super) records: usize,
    pub(super) lines: u64,
    /// Where a chunk cut before its quotes were seen really ends (see
    /// `speculate`): past its cut when that was inside a quoted field.
    pub(super) end: Option<usize>,
}

pub(super) type Rendered = Result<Part, Fallback>;

/// A 64-bit hash of a key as the plain reader compares it (trimmed). XXH3: a
/// fingerprint hash, fast on short keys; a collision only costs a plain run.
/// The seed is random per run, so no input can be made to collide on purpose.
pub(super) fn key_hash(key: &[u8], seed: u64) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(compared(key), seed)
}

/// A key as the plain reader compares it: trimmed (Unicode white space).
fn compared(key: &[u8]) -> &[u8] {
    let plain = key.first().is_some_and(u8::is_ascii_graphic) && key.last().is_some_and(u8::is_ascii_graphic);
    if plain {
        key
    } else {
        std::str::from_utf8(key).map_or(key, |k| k.trim().as_bytes())
    }
}

/// A chunk's keys in order, where the run bets they increase (see
/// [`super::apply_increasing`]): whether each is greater than the one before
/// (as compared bytes), and the first and the last.
#[derive(Debug, Default)]
pub(super) struct KeyOrder {
    pub(super) increasing: bool,
    pub(super) first: Option<Vec<u8>>,
    pub(super) last: Vec<u8>,
}

impl KeyOrder {
    fn add(&mut self, key: &[u8]) {
        match self.first {
            None => (self.increasing, self.first) = (true, Some(key.to_vec())),
            Some(_) => self.increasing &= above(key, &self.last),
        }
        self.last.clear();
        self.last.extend_from_slice(key);
    }
}

/// What a row needs: the program, the header bytes and the per-tier suffixes.
pub(super) struct Rows<'p> {
    pub(super) program: &'p Program,
    pub(super) format: Format,
    pub(super) header: Vec<u8>,
    /// Bytes before the key of every row (`{"id":` in NDJSON).
    prefix: Vec<u8>,
    /// Bytes after the key, per tier combination (mixed radix over dimensions).
    suffixes: Vec<Vec<u8>>,
    /// Whether rows go to the plain writer ([`super::sink`]) as compact rows,
    /// not bytes: Excel, Parquet.
    pub(super) table: bool,
    /// Fields per record, and the header's column names.
    pub(super) width: usize,
    pub(super) header_names: Vec<String>,
    /// Whether the tiers or the summary (its money field) read each field; an
    /// unread field is only checked, and its column stays empty.
    pub(super) read: Vec<bool>,
    /// Per field, what a plain number is multiplied by: a rate's periods per
    /// year (`count per quarter`: 4), else 1; `None` where that is not whole.
    pub(super) per_year: Vec<Option<i64>>,
    /// Per field, how its cells are decoded (from its type and `read`).
    pub(super) steps: Vec<super::decode::Step>,
    /// Tiers per dimension plus one ("no tier"): the mixed radix of `suffixes`.
    pub(super) radix: Vec<usize>,
    /// `--keep`: the names, their input columns (from the header), and in JSON
    /// the bytes before each value (`,"name":`).
    pub(super) keep: &'p [String],
    pub(super) kept_columns: Vec<usize>,
    pub(super) kept_json: Vec<Vec<u8>>,
    /// The seed of the key hashes.
    pub(super) seed: u64,
    /// Whether the run bets that keys increase: each chunk notes their
    /// order instead of hashing them.
    pub(super) increasing: bool,
    pub(super) tiers_only: bool,
}

impl<'p> Rows<'p> {
    pub(super) fn new(
        program: &'p Program,
        format: Format,
        tiers_only: bool,
        keep: &'p [String],
    ) -> Result<Self, Fallback> {
        let radix: Vec<usize> = program.dimensions.iter().map(|d| d.tiers.len() + 1).collect();
        let combos: usize = radix.iter().product();
        if combos > MAX_COMBOS {
            return Err(Fallback);
        }
        // Excel and Parquet are written by the plain writer itself, from the
        // rows the workers decide (see `sink`).
        let table = matches!(format, Format::Xlsx | Format::Parquet);
        let (header, prefix, suffixes) =
            if table { Default::default() } else { render::suffixes(program, (format, tiers_only, keep), &radix)? };
        // The money field is read by the summary even where no tier reads it.
        let money = Summary::new(program).money_field;
        let mut read = crate::data::record::fields_read(program);
        if let Some(m) = money.and_then(|m| read.get_mut(m)) {
            *m = true;
        }
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
        let steps = (program.fields.iter().zip(&read).zip(&per_year))
            .map(|((f, &r), &k)| super::decode::Step::of(f.ty, r, k))
            .collect();
        Ok(Rows {
            program,
            format,
            header,
            prefix,
            suffixes,
            table,
            width: 0,
            header_names: Vec::new(),
            read,
            per_year,
            steps,
            radix,
            keep,
            kept_columns,
            kept_json,
            tiers_only,
            increasing: false,
            seed: {
                use std::hash::BuildHasher;
                std::collections::hash_map::RandomState::new().hash_one(0u8)
            },
        })
    }

    /// The input column of each field, from the header record.
    pub(super) fn columns(&mut self, header: &[u8]) -> Result<Vec<Option<usize>>, Fallback> {
        let text = std::str::from_utf8(header).map_err(|_| Fallback)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // The header splits like any record (the same `record`), then unquotes.
        let (mut cells, mut scratch) = (Vec::new(), Vec::new());
        record(text.as_bytes(), 0, &mut cells, &mut Scan::new(text.as_bytes()))?;
        let mut fields = Vec::with_capacity(cells.len());
        for &(a, b) in &cells {
            let name = unquote(&text.as_bytes()[a..b], &mut scratch)?;
            fields.push(String::from_utf8(name.to_vec()).map_err(|_| Fallback)?);
        }
        self.width = fields.len();
        self.header_names.clone_from(&fields);
        self.kept_columns = self
            .keep
            .iter()
            .map(|k| crate::data::read::kept_column(&fields, &self.program.fields, k))
            .collect::<Option<_>>()
            .ok_or(Fallback)?;
        crate::data::read::column_index(&fields, &self.program.fields, "").map_err(|_| Fallback)
    }

    /// One chunk of complete records: rendered rows and their summary.
    /// `input` is the header record as read and the input's name, for the
    /// records the plain reader reads.
    pub(super) fn chunk(
        &self,
        columns: &[Option<usize>],
        input: (&[u8], &str),
        bytes: &[u8],
        ev: &Evaluator,
        batch: &mut Batch,
    ) -> Rendered {
        if simdutf8::basic::from_utf8(bytes).is_err() {
            return Err(Fallback);
        }
        batch.start(self.program.fields.len());
        // Pass 1 (see `records`): split and decode every record into one
        // column per field. The chunk's separators are found in one pass; a
        // record with a quote or a `\r` (but for its line's `\r\n`) is split
        // on its own.
        let indexed = separators(bytes, &mut batch.separators, &mut batch.specials);
        let mut at = Records::new(bytes, indexed);
        let seps = std::mem::take(&mut batch.separators);
        let done = self.records(columns, input, &seps, batch, &mut at);
        batch.separators = seps;
        done?;
        self.render(bytes, true, batch, ev, (at.records, at.rejects))
    }

    /// Decides the records whose values `batch.columns` holds and renders them:
    /// each one's key and kept cells are byte ranges of `text` (CSV cells,
    /// unquoted here when `quoted`), after the records read so far (`records`,
    /// counting those set aside, `rejects`).
    pub(super) fn render(
        &self,
        text: &[u8],
        quoted: bool,
        batch: &mut Batch,
        ev: &Evaluator,
        (records, rejects): (usize, Vec<crate::data::Rejected>),
    ) -> Rendered {
        let suffix = self.suffixes.first().map_or(0, Vec::len) + self.prefix.len();
        let mut out = std::mem::take(&mut batch.spare);
        out.clear();
        out.reserve(text.len() + batch.keys.len() * suffix);
        let mut summary = Summary::new(self.program);
        let mut scratch = Vec::new();
        // Pass 2: every dimension column-wise where its table allows.
        let dims = self.program.dimensions.len();
        batch.tiers.resize_with(dims, Vec::new);
        let batched = match ev.tables() {
            Some(lookup) => {
                (0..dims).all(|d| lookup.decide_batch(d, &batch.columns, &mut batch.cells, &mut batch.tiers[d], ev))
            }
            None => false,
        };
        // Pass 3: decisions (record by record where not batched) and output.
        let money = summary.money_field;
        let mut tally = crate::data::tally::Tally::new(&summary);
        let mut keys = Vec::with_capacity(if self.increasing { 0 } else { batch.keys.len() });
        let mut order = KeyOrder::default();
        // Per dimension, the record's tier as an index (its tier, or the
        // tiers' count for none): the place in the tally and in the radix.
        let mut at = vec![0; dims];
        for (r, &(a, b)) in batch.keys.iter().enumerate() {
            if batched {
                for ((at, t), &radix) in at.iter_mut().zip(&batch.tiers).zip(&self.radix) {
                    *at = if t[r] == u16::MAX { radix - 1 } else { usize::from(t[r]) };
                }
            } else {
                batch.frame.clear();
                batch.frame.extend(batch.columns.iter().map(|c| c.get(r)));
                ev.evaluate_into(&mut batch.frame, &mut batch.decisions).map_err(|_| Fallback)?;
                for ((at, d), &radix) in at.iter_mut().zip(&batch.decisions).zip(&self.radix) {
                    *at = d.tier.unwrap_or(radix - 1);
                }
            }
            tally.add(money.and_then(|m| batch.columns[m].num_parts(r)), &at);
            let split = quoted && text.get(a) != Some(&b'"');
            let key = if quoted { unquote(&text[a..b], &mut scratch)? } else { &text[a..b] };
            match self.increasing {
                true => order.add(compared(key)),
                false => keys.push(key_hash(key, self.seed)),
            }
            let k = self.keep.len();
            let combo = combo_of(&at, &self.radix);
            if self.table {
                // The plain reader trims a key; kept cells are as read.
                put_cell(std::str::from_utf8(key).map_err(|_| Fallback)?.trim().as_bytes(), &mut out);
                for &(a, b) in &batch.kept[r * k..(r + 1) * k] {
                    put_cell(if quoted { unquote(&text[a..b], &mut scratch)? } else { &text[a..b] }, &mut out);
                }
                put_combo(combo, &mut out);
                continue;
            }
            out.extend_from_slice(&self.prefix);
            self.key(key, split, &mut out)?;
            for (i, &(a, b)) in batch.kept[r * k..(r + 1) * k].iter().enumerate() {
                let cell = if quoted { unquote(&text[a..b], &mut scratch)? } else { &text[a..b] };
                self.kept_cell(i, cell, &mut out)?;
            }
            out.extend_from_slice(&self.suffixes[combo]);
        }
        tally.finish(&mut summary);
        (summary.read, summary.rejected) = (records as u64, rejects.len() as u64);
        Ok(Part { bytes: out, summary, keys, order, rejects, records, lines: 0, end: None })
    }
}
