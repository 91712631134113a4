//! Where the rendered chunks go, in input order: bytes straight to the output
//! (a JSON array's brackets and commas added here); or, for the formats the
//! plain writer must write itself (Excel, Parquet), each compact row ([`super::render::put_cell`]) handed to
//! that writer, so both paths write the same document. The workers still
//! read and decide; this writes on one thread, as the plain path does.

use super::render::decisions_of;
use super::rows::Rows;
use super::Fallback;
use crate::compile::Program;
use crate::data::table::SummaryTable;
use crate::data::{Format, Summary, Writer};
use std::io::Write;

pub(super) enum Sink<'o, W: Write> {
    /// Bytes as rendered; in a JSON array, whether no record has been
    /// written yet (the first follows `[\n`, not `,\n`).
    Bytes(&'o mut W, Option<bool>),
    /// The plain writer, and what reads a compact row back: the tier radix,
    /// the number of kept cells, the format.
    Rows(Box<Writer<'o, &'o mut W>>, (Vec<usize>, usize, Format)),
}

/// The next 4-byte length at `at` in `part`, little-endian.
fn word(part: &[u8], at: &mut usize) -> Result<usize, Fallback> {
    let bytes: [u8; 4] = part.get(*at..*at + 4).and_then(|b| b.try_into().ok()).ok_or(Fallback)?;
    *at += 4;
    Ok(u32::from_le_bytes(bytes) as usize)
}

/// The next length-prefixed cell at `at` in `part`.
fn cell<'a>(part: &'a [u8], at: &mut usize) -> Result<&'a str, Fallback> {
    let n = word(part, at)?;
    let bytes = part.get(*at..*at + n).ok_or(Fallback)?;
    *at += n;
    std::str::from_utf8(bytes).map_err(|_| Fallback)
}

impl<'o, W: Write> Sink<'o, W> {
    /// The sink for `rows`' output format, its header written.
    pub(super) fn new(out: &'o mut W, rows: &Rows<'o>) -> Result<Self, Fallback> {
        if !rows.table {
            out.write_all(&rows.header).map_err(|_| Fallback)?;
            return Ok(Sink::Bytes(out, (rows.format == Format::Json).then_some(true)));
        }
        let writer = Writer::with_kept(out, rows.format, rows.program, rows.keep.to_vec(), Vec::new(), rows.tiers_only)
            .map_err(|_| Fallback)?;
        Ok(Sink::Rows(Box::new(writer), (rows.radix.clone(), rows.keep.len(), rows.format)))
    }

    /// A chunk's output.
    pub(super) fn write(&mut self, part: &[u8]) -> Result<(), Fallback> {
        let (writer, (radix, kept, _)) = match self {
            Sink::Bytes(out, first) => {
                let part = match first {
                    Some(first @ true) if !part.is_empty() => {
                        *first = false;
                        part.get(1..).ok_or(Fallback)? // `,\n` to `\n`
                    }
                    _ => part,
                };
                return out.write_all(part).map_err(|_| Fallback);
            }
            Sink::Rows(writer, shape) => (writer, shape),
        };
        let (mut at, mut cells) = (0, Vec::with_capacity(*kept));
        while at < part.len() {
            let key = cell(part, &mut at)?;
            cells.clear();
            for _ in 0..*kept {
                cells.push(cell(part, &mut at)?.to_string());
            }
            let decisions = decisions_of(word(part, &mut at)?, radix);
            writer.write_kept(key, &cells, &decisions, &[]).map_err(|_| Fallback)?;
        }
        Ok(())
    }

    /// Completes the document: Excel's second sheet holds the run's summary.
    pub(super) fn finish(self, program: &Program, summary: &Summary) -> Result<(), Fallback> {
        let (writer, format) = match self {
            Sink::Bytes(out, Some(first)) => {
                return out.write_all(if first { b"]\n" } else { b"\n]\n" }).map_err(|_| Fallback)
            }
            Sink::Bytes(..) => return Ok(()),
            Sink::Rows(writer, (_, _, format)) => (writer, format),
        };
        let table = (format == Format::Xlsx).then(|| SummaryTable::from_json(&summary.to_json(program)));
        writer.finish_with(table.as_ref()).map(drop).map_err(|_| Fallback)
    }
}
