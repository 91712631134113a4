//! What the column-wise decoder hands back is read by the plain reader: a
//! record it does not take whose width is not the header's (a bad record, a
//! blank line) alone, through [`plain_record`] (one of the header's width is
//! decoded from its cells: `read::SplitRecords`); a chunk it cannot read at all (not
//! UTF-8, a key the fast writer does not render) whole, through [`recover`];
//! NDJSON and JSON array chunks always, through [`ndjson`] and [`elements`]. Each record is decided or set
//! aside exactly as the plain path would, so a bad record costs its own
//! decoding, not the whole file a second pass.
//!
//! That is sound only where the chunk's boundaries are the csv reader's own
//! record boundaries: the chunks were cut at newlines outside quotes, which
//! holds while every quote opens or closes a field. A chunk whose quotes do
//! not ([`record`] refuses it) hands the whole run to the plain path.

use super::cells::record;
use super::rows::{Batch, Part, Rows};
use super::Fallback;
use crate::data::scan::Scan;
use crate::data::{Format, Reader, Rejected, Row};
use crate::eval::Evaluator;
use std::io::Read;

/// One record (`rec`, whole, between `header` and `trailer`) in `format` through the plain
/// reader, as the plain path reads it: the row, or why it is set aside
/// (located as the first record), or `None` for a blank line.
pub(super) fn plain_record(
    rows: &Rows,
    (header, source, format): (&[u8], &str, Format),
    (rec, trailer): (&[u8], &[u8]),
) -> Result<Option<Result<Row, Rejected>>, Fallback> {
    let program = rows.program;
    let input = Box::new(header.chain(rec).chain(trailer));
    let reader = Reader::new(input, format, source, &program.fields, program.key).map_err(|_| Fallback)?;
    // The kept cells too: a JSON record read here is rendered with them.
    let mut reader = reader.keep(rows.keep).map_err(|_| Fallback)?;
    let got = match reader.next() {
        None => None,
        Some(Ok(row)) => Some(Ok(row)),
        Some(Err(rejected)) if rejected.error.location().is_some() => Some(Err(rejected)),
        Some(Err(_)) => return Err(Fallback),
    };
    match reader.next() {
        None => Ok(got),
        Some(_) => Err(Fallback), // one record to the fast splitter, two to the plain reader
    }
}

/// The records of `bytes` (whole records of the input whose header is
/// `header`) through the plain reader, decoder and writer.
pub(super) fn recover(
    rows: &Rows,
    header: &[u8],
    bytes: &[u8],
    ev: &Evaluator,
    source: &str,
) -> Result<Part, Fallback> {
    let (mut cells, mut start, mut scan) = (Vec::new(), 0, Scan::new(bytes));
    while start < bytes.len() {
        cells.clear();
        start = record(bytes, start, &mut cells, &mut scan)?;
    }
    plain(rows, Box::new(header.chain(bytes)), Format::Csv, ev, source)
}

/// Whole lines of NDJSON through the plain reader, decoder and writer: a line
/// break never falls inside a JSON record, so any line is a record boundary.
pub(super) fn ndjson(rows: &Rows, bytes: &[u8], ev: &Evaluator, source: &str) -> Result<Part, Fallback> {
    plain(rows, Box::new(bytes), Format::Ndjson, ev, source)
}

/// Whole elements of a JSON array and the commas between them, read as an
/// array of their own by the plain reader (see [`super::array_split::split_array`]).
pub(super) fn elements(rows: &Rows, bytes: &[u8], ev: &Evaluator, source: &str) -> Result<Part, Fallback> {
    plain(rows, Box::new(b"[".chain(bytes).chain(&b"]"[..])), Format::Json, ev, source)
}

fn plain(
    rows: &Rows,
    input: Box<dyn Read + '_>,
    format: Format,
    ev: &Evaluator,
    source: &str,
) -> Result<Part, Fallback> {
    let program = rows.program;
    let reader = Reader::new(input, format, source, &program.fields, program.key).map_err(|_| Fallback)?;
    plain_reader(rows, reader, ev)
}

/// The records of `reader` decided and rendered as the plain path does (a
/// Parquet worker's share of the rows comes here as its own reader): their
/// values go into a batch's columns, decided and rendered as a chunk's are.
pub(super) fn plain_reader(rows: &Rows, reader: Reader<'_>, ev: &Evaluator) -> Result<Part, Fallback> {
    // Repeated keys are found across chunks from the key hashes, not here.
    let reader = reader.keep(rows.keep).map_err(|_| Fallback)?.repeated_keys();
    let mut batch = Batch::default();
    batch.start(rows.program.fields.len());
    let (mut text, mut rejects, mut records) = (Vec::new(), Vec::new(), 0);
    for row in reader {
        records += 1;
        let row = match row {
            Ok(row) => row,
            // A record-level error is set aside; a file-level one stops the run.
            Err(rejected) if rejected.error.location().is_some() => {
                rejects.push(rejected);
                continue;
            }
            Err(_) => return Err(Fallback),
        };
        batch.push_row(row, &rows.read, &mut text);
    }
    rows.render(&text, false, &mut batch, ev, (records, rejects))
}
