//! How a decided row is written. CSV, NDJSON and a JSON array: the key and
//! kept cells escaped as the plain writer escapes them, then a suffix per tier
//! combination, rendered once by the plain [`Writer`] so the bytes are
//! identical. Excel and Parquet: a compact row (key, kept cells, combination)
//! that [`super::sink::Sink`] hands to the plain writer in order.

use super::rows::Rows;
use super::Fallback;
use crate::compile::Program;
use crate::data::{Format, Writer};
use crate::eval::Decision;

const SENTINEL: &str = "\u{1}KEY\u{1}";

/// The bytes of a row set: the header, what goes before each key (`{"id":`
/// in NDJSON), and per tier combination what follows the key and kept cells.
pub(super) type Suffixes = (Vec<u8>, Vec<u8>, Vec<Vec<u8>>);

/// [`Suffixes`] for the output `shape` (format, `--tiers-only`, `--keep`).
pub(super) fn suffixes(
    program: &Program,
    (format, tiers_only, keep): (Format, bool, &[String]),
    radix: &[usize],
) -> Result<Suffixes, Fallback> {
    if format == Format::Json {
        // A JSON array's records are NDJSON's, each after `,\n` (the sink
        // writes the first after `\n`) rather than before a line end.
        let (_, prefix, suffixes) = self::suffixes(program, (Format::Ndjson, tiers_only, keep), radix)?;
        let suffixes = suffixes.into_iter().map(|s| s.strip_suffix(b"\n").map(<[u8]>::to_vec).ok_or(Fallback));
        return Ok((b"[".to_vec(), [&b",\n"[..], &prefix].concat(), suffixes.collect::<Result<_, _>>()?));
    }
    let combos: usize = radix.iter().product();
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
        let decisions = decisions_of(combo, radix);
        let mut row = Vec::new();
        let mut w = Writer::new(&mut row, format, program, Vec::new(), tiers_only).map_err(|_| Fallback)?;
        w.write(SENTINEL, &decisions, &[]).map_err(|_| Fallback)?;
        w.finish().map_err(|_| Fallback)?;
        let row = row.get(plain_header..).ok_or(Fallback)?;
        let at = find(row, &marker).ok_or(Fallback)?;
        prefix = row[..at].to_vec();
        suffixes.push(row[at + marker.len()..].to_vec());
    }
    Ok((header, prefix, suffixes))
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

impl Rows<'_> {
    /// A kept cell, as written, escaped for the output format as the plain
    /// writer does (CSV quotes only where needed; JSON a string).
    pub(super) fn kept_cell(&self, i: usize, cell: &[u8], out: &mut Vec<u8>) -> Result<(), Fallback> {
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
    /// `split`: the key is a CSV cell split unquoted, which holds no `,` `"`
    /// `\r` or `\n` (the splitter stops at them): the CSV writer copies it
    /// as it is unless it has white space to trim.
    pub(super) fn key(&self, key: &[u8], split: bool, out: &mut Vec<u8>) -> Result<(), Fallback> {
        let ends = key.first().is_some_and(u8::is_ascii_graphic) && key.last().is_some_and(u8::is_ascii_graphic);
        if split && ends && self.format == Format::Csv {
            out.extend_from_slice(key);
            return Ok(());
        }
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

/// A row for the sink is its key, each kept cell and its tier combination:
/// a cell is written length-first.
pub(super) fn put_cell(cell: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(cell.len() as u32).to_le_bytes());
    out.extend_from_slice(cell);
}

/// The tier combination that ends a row for the sink.
pub(super) fn put_combo(combo: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(&(combo as u32).to_le_bytes());
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub(super) fn decisions_of(mut combo: usize, radix: &[usize]) -> Vec<Decision> {
    radix
        .iter()
        .map(|&r| {
            let t = combo % r;
            combo /= r;
            Decision { tier: (t + 1 < r).then_some(t) }
        })
        .collect()
}

/// The combination of per-dimension tier indices `at` (a dimension's tier
/// count for none): the inverse of [`decisions_of`].
pub(super) fn combo_of(at: &[usize], radix: &[usize]) -> usize {
    at.iter().zip(radix).rev().fold(0, |combo, (&t, &r)| combo * r + t)
}
