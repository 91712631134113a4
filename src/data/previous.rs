//! The previous run's output, read back for `tier apply --previous`: per key and
//! dimension, the tier it ended in and the state carried forward
//! (`DIM_entered`, `DIM_below`, written by a run with history; absent in an
//! output without it, which then counts as entered on an unknown date).

use super::error::{DataError, Location};
use super::Format;
use crate::compile::Program;
use crate::history::State;
use crate::number::Date;
use indexmap::IndexMap;

/// A previous output's states: per key (in file order), per dimension. Looked
/// up once per customer of the run: foldhash, not SipHash.
pub type Previous = IndexMap<String, Vec<State>, foldhash::fast::RandomState>;

/// Per key (in file order), per dimension of `program`: the previous state.
/// Rows marked `gone` (customers already gone then) are skipped.
pub fn read(path: &str, program: &Program) -> Result<Previous, DataError> {
    let (header, mut records) = match Format::from_path(std::path::Path::new(path)) {
        Some(format) if !format.streams() => table_rows(path, format)?,
        _ => csv_rows(path)?,
    };
    let col = |name: &str| header.iter().position(|h| h == name);
    let key_name = &program.fields[program.key].name;
    let Some(key) = col(key_name) else {
        return Err(DataError::MissingColumn {
            source_name: path.into(),
            column: key_name.clone(),
            field: key_name.clone(),
            available: header.join(", "),
        });
    };
    // Per dimension: the columns of the tier, `_entered`, `_below` and `_movement`.
    let dims: Vec<[Option<usize>; 4]> = program
        .dimensions
        .iter()
        .map(|d| {
            let n = &d.name;
            [col(n), col(&format!("{n}_entered")), col(&format!("{n}_below")), col(&format!("{n}_movement"))]
        })
        .collect();
    if dims.iter().all(|d| d[0].is_none()) {
        let names: Vec<&str> = program.dimensions.iter().map(|d| d.name.as_str()).collect();
        return Err(DataError::MissingColumn {
            source_name: path.into(),
            column: names.join("` or `"),
            field: "the dimensions".into(),
            available: header.join(", "),
        });
    }
    let mut out = Previous::default();
    // Per customer in `out`, the row and line it was read at (for a duplicate's message).
    let mut read_at: Vec<(usize, Option<u64>)> = Vec::new();
    let source: std::sync::Arc<str> = path.into();
    for (i, rec) in records.by_ref().enumerate() {
        let at = |line| Location { source: source.clone(), row: i + 1, line };
        let (line, rec) = rec(&at)?;
        let cell = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(|s| s.trim()).filter(|s| !s.is_empty());
        if dims.iter().any(|d| cell(d[3]) == Some("gone")) {
            continue;
        }
        let mut states = Vec::with_capacity(dims.len());
        for (d, &[tier, entered, below, _]) in program.dimensions.iter().zip(&dims) {
            let bad = |column: String, value: &str, expected: &str| DataError::BadValue {
                at: at(line),
                column,
                value: value.into(),
                expected: expected.into(),
                help: "the previous output of `tier apply` carries these columns as written".into(),
            };
            let entered = match cell(entered) {
                Some(t) => Some(Date::parse(t).ok_or_else(|| bad(format!("{}_entered", d.name), t, "a date"))?),
                None => None,
            };
            let below = match cell(below) {
                Some(t) => t.parse().map_err(|_| bad(format!("{}_below", d.name), t, "a whole number"))?,
                None => 0,
            };
            states.push(State { tier: cell(tier).map(str::to_string), entered, below });
        }
        let id = rec.get(key).map_or("", |s| s.trim());
        if let Some(&(row, line_then)) = out.get_index_of(id).and_then(|first| read_at.get(first)) {
            let first = Location { source: source.clone(), row, line: line_then };
            return Err(DataError::DuplicateKey { at: at(line), column: key_name.clone(), key: id.into(), first });
        }
        out.insert(id.to_string(), states);
        read_at.push((i + 1, line));
    }
    Ok(out)
}

/// A record of the previous output: its line (CSV) and cells, given the
/// function that locates it.
type Prev = Box<dyn FnOnce(&dyn Fn(Option<u64>) -> Location) -> Result<(Option<u64>, csv::StringRecord), DataError>>;

/// A previous output's header and records.
type Rows = (Vec<String>, Box<dyn Iterator<Item = Prev>>);

/// The header and records of a CSV output.
fn csv_rows(path: &str) -> Result<Rows, DataError> {
    let unreadable = |message: String| DataError::Unreadable { source_name: path.into(), message, help: None };
    let file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
    // Watched: an output cut inside a quoted field must not swallow later rows.
    let (file, open) = super::quote::QuoteWatch::new(std::io::BufReader::new(file));
    let mut r = csv::Reader::from_reader(file);
    let header = r.headers().map_err(|e| unreadable(e.to_string()))?.iter().map(str::to_string).collect();
    let source: std::sync::Arc<str> = path.into();
    let rows = r.into_records().map(move |rec| -> Prev {
        let (open, source) = (open.clone(), source.clone());
        Box::new(move |at: &dyn Fn(Option<u64>) -> Location| {
            let rec = rec.map_err(|e| match e.kind() {
                csv::ErrorKind::Io(_) => {
                    DataError::Unreadable { source_name: source.to_string(), message: e.to_string(), help: None }
                }
                _ if open.get() => super::read::unterminated(at(e.position().map(|p| p.line())), vec![]).error,
                _ => DataError::Malformed { at: at(None), message: e.to_string(), help: None },
            })?;
            let line = rec.position().map(|p| p.line());
            if open.get() {
                return Err(super::read::unterminated(at(line), vec![]).error);
            }
            Ok((line, rec))
        })
    });
    Ok((header, Box::new(rows)))
}

/// The header and records of an Excel or Parquet output.
fn table_rows(path: &str, format: Format) -> Result<Rows, DataError> {
    let table = super::tabular::open(path, format, None)?;
    let rows = table.rows.map(|row| -> Prev {
        Box::new(move |_| match row {
            Ok((at, cells)) => Ok((at.line, super::tabular::texts(cells.as_ref()).collect::<Vec<String>>().into())),
            Err((e, _)) => Err(e),
        })
    });
    Ok((table.columns, Box::new(rows)))
}
