//! The records of JSON inputs: one array of objects, streamed element by
//! element, or NDJSON, one object per line (blank lines are not records).

use super::error::{DataError, Location};
use super::json_object::Object;
use super::read::{malformed, unreadable, RawCells, RawRecord, Rejected};
use std::io::{BufRead, BufReader, Read};

/// One JSON record from its text: an object (read in place), else a bad
/// record saying it is no object, else the JSON error (`Err(Err)`).
fn json_record(text: String, at: Location) -> Result<RawRecord, Result<Rejected, serde_json::Error>> {
    let object = |obj| RawRecord { at: at.clone(), cells: RawCells::Json { obj } };
    let text = match Object::parse(text) {
        Ok(obj) => return Ok(object(obj)),
        Err(text) => text,
    };
    // Not an object, or not JSON: the value tree says which, in its words.
    match serde_json::from_str::<serde_json::Value>(&text) {
        Err(e) => Err(Err(e)),
        Ok(serde_json::Value::Object(m)) => {
            Object::parse(serde_json::Value::Object(m).to_string()).map(object).map_err(|_| Ok(not_object(at.clone())))
        }
        Ok(_) => Err(Ok(not_object(at.clone()))),
    }
}

/// [`json_record`] of a JSON array's element.
fn element_record(bytes: Vec<u8>, at: Location) -> Result<RawRecord, Result<Rejected, serde_json::Error>> {
    match String::from_utf8(bytes) {
        Ok(text) => json_record(text, at),
        // Not UTF-8: the value tree's error says where.
        Err(bad) => Err(serde_json::from_slice::<serde_json::Value>(bad.as_bytes()).map(|_| not_object(at))),
    }
}

fn not_object(at: Location) -> Rejected {
    let help = "each record is an object such as {\"id\": \"C1\", \"spend\": 1200}";
    malformed(at, "the record is not a JSON object".into(), Some(help.into()), vec![])
}

pub(super) fn json_records<'f>(
    input: Box<dyn Read + 'f>,
    source: String,
) -> Result<Box<dyn Iterator<Item = Result<RawRecord, Rejected>> + 'f>, DataError> {
    // Streamed element by element: a million records never sit in memory at once.
    let source: std::sync::Arc<str> = source.into();
    let mut elements = super::json_array::Elements::new(BufReader::new(input)).enumerate();
    let mut failed = false;
    let iter = std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let (i, element) = elements.next()?;
        let at = |line| Location { source: source.clone(), row: i + 1, line: Some(line) };
        Some(match element {
            Ok(e) => match element_record(e.bytes, at(e.line)) {
                Ok(record) => Ok(record),
                Err(Ok(rejected)) => Err(rejected),
                // Broken JSON may have swallowed the records after it: the
                // document is refused, not one record.
                Err(Err(err)) => {
                    failed = true;
                    let error = DataError::Unreadable {
                        source_name: source.to_string(),
                        message: format!("invalid JSON in the record at line {}: {err}", e.line),
                        help: Some("fix the JSON; every record is an object such as {\"id\": \"C1\"}".into()),
                    };
                    Err(Rejected { error, cells: vec![] })
                }
            },
            Err(super::json_array::ArrayError::Io(e)) => {
                failed = true;
                Err(Rejected { error: unreadable(&source, &e), cells: vec![] })
            }
            Err(super::json_array::ArrayError::Syntax { line, message }) => {
                // The document itself is broken: nothing after this point can be read.
                failed = true;
                let error = DataError::Unreadable {
                    source_name: source.to_string(),
                    message: format!("invalid JSON at line {line}: {message}"),
                    help: Some(
                        "a JSON input is one array of objects; for one object per line use NDJSON (.ndjson / .jsonl)"
                            .into(),
                    ),
                };
                Err(Rejected { error, cells: vec![] })
            }
        })
    });
    Ok(Box::new(iter))
}

pub(super) fn ndjson_records<'f>(
    input: Box<dyn Read + 'f>,
    source: String,
) -> Box<dyn Iterator<Item = Result<RawRecord, Rejected>> + 'f> {
    let (mut row, mut line_no, mut failed) = (0, 0u64, false);
    let source: std::sync::Arc<str> = source.into();
    let mut input = BufReader::new(input);
    let mut bytes = Vec::new();
    let iter = std::iter::from_fn(move || loop {
        if failed {
            return None;
        }
        bytes.clear();
        match input.read_until(b'\n', &mut bytes) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => {
                // Not a bad line: the input cannot be read any further.
                failed = true;
                return Some(Err(Rejected { error: unreadable(&source, &e), cells: vec![] }));
            }
        }
        line_no += 1;
        let at = Location { source: source.clone(), row: row + 1, line: Some(line_no) };
        let line = match std::str::from_utf8(&bytes) {
            Ok(l) if l.trim().is_empty() => continue,
            Ok(l) => l,
            Err(e) => {
                row += 1;
                let cells = vec![("line".into(), String::from_utf8_lossy(&bytes).into_owned())];
                return Some(Err(malformed(at, format!("the line is not UTF-8: {e}"), None, cells)));
            }
        };
        row += 1;
        let text = if line_no == 1 { line.trim_start_matches('\u{feff}') } else { line };
        return Some(match json_record(text.to_string(), at.clone()) {
            Ok(record) => Ok(record),
            Err(Ok(rejected)) => Err(rejected),
            Err(Err(e)) => Err(malformed(
                at,
                format!("invalid JSON: {e}"),
                None,
                vec![("line".into(), line.trim_end_matches(['\n', '\r']).to_string())],
            )),
        });
    });
    Box::new(iter)
}
