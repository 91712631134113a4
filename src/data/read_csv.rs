//! CSV records for [`super::read::Reader`]: the header's columns, then each
//! record as read (its line from the quote watch), or why it is not one: a
//! record of the wrong width, bytes that are not UTF-8, a quote that never
//! closes, an I/O error (which ends the input).

use super::error::{DataError, Location};
use super::quote::QuoteWatch;
use super::read::{column_index, malformed, unreadable, unterminated, RawCells, RawRecord, Rejected};
use crate::check::FieldInfo;
use std::io::Read;
use std::rc::Rc;

/// The records of a CSV input, and its header's columns.
pub(super) type CsvRecords<'f> = (Box<dyn Iterator<Item = Result<RawRecord, Rejected>> + 'f>, Rc<[String]>);

pub(super) fn csv_records<'f>(
    input: Box<dyn Read + 'f>,
    source: String,
    fields: &'f [FieldInfo],
) -> Result<CsvRecords<'f>, DataError> {
    let (mut watched, open) = QuoteWatch::new(input);
    let starts = watched.starts();
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(watched);
    let header = reader.byte_headers().map_err(|e| unreadable(&source, &e))?;
    starts.borrow_mut().pop_front();
    let header = csv::StringRecord::from_byte_record(header.clone()).map_err(|_| DataError::Unreadable {
        source_name: source.clone(),
        message: "the header row is not valid UTF-8".into(),
        help: Some(
            "the file is not UTF-8 (GBK, as Excel saves CSV on Chinese Windows?): re-save it as \"CSV UTF-8\"".into(),
        ),
    })?;
    if open.get() {
        let at = Location { source: source.as_str().into(), row: 0, line: Some(1) };
        return Err(unterminated(at, vec![]).error);
    }
    let mut columns: Vec<String> = header.iter().map(str::to_string).collect();
    if let Some(first) = columns.first_mut() {
        *first = first.trim_start_matches('\u{feff}').to_string();
    }
    let index: Rc<[Option<usize>]> = column_index(&columns, fields, &source)?.into();
    let source: std::sync::Arc<str> = source.into();
    let columns: Rc<[String]> = columns.into();
    let header = columns.clone();
    let width = columns.len();
    let mut row = 0;
    let mut failed = false;
    let iter = reader.into_byte_records().map_while(move |rec| {
        if failed {
            return None; // after an I/O error the reader would only repeat it
        }
        row += 1;
        // The header's start is the first: the records' follow.
        let line = starts.borrow_mut().pop_front();
        let rec = match rec {
            Ok(rec) => rec,
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                failed = true;
                return Some(Err(Rejected { error: unreadable(&source, &e), cells: vec![] }));
            }
            Err(e) => {
                let line = e.position().map(|p| p.line());
                return Some(Err(malformed(
                    Location { source: source.clone(), row, line },
                    e.to_string(),
                    None,
                    vec![],
                )));
            }
        };
        let at = Location { source: source.clone(), row, line: line.or_else(|| rec.position().map(|p| p.line())) };
        let rec = match csv::StringRecord::from_byte_record(rec) {
            Ok(rec) => rec,
            Err(e) => {
                // The cells as far as they go, undecodable bytes shown as U+FFFD.
                let column = e.utf8_error().field();
                let bytes = e.into_byte_record();
                let detail = match columns.get(column) {
                    Some(c) => format!("column `{c}`; cells decoded lossily, \u{fffd} marks the bytes that are not"),
                    None => "cells decoded lossily, \u{fffd} marks the bytes that are not".into(),
                };
                let cells = columns
                    .iter()
                    .cloned()
                    .zip(bytes.iter().map(|b| String::from_utf8_lossy(b).into_owned()))
                    .collect();
                return Some(Err(Rejected { error: DataError::NotUtf8 { at, detail }, cells }));
            }
        };
        let cells = RawCells::Csv { rec, index: index.clone(), columns: columns.clone() };
        if open.get() {
            // The input ended inside this record's quoted field.
            failed = true;
            return Some(Err(unterminated(at, cells.all())));
        }
        if let RawCells::Csv { rec, .. } = &cells {
            if rec.len() != width {
                let msg = format!("the record has {} fields, the header has {width}", rec.len());
                let help = Some("a field containing a comma, quote or line break must be in double quotes".into());
                return Some(Err(malformed(at, msg, help, cells.all())));
            }
        }
        Some(Ok(RawRecord { at, cells }))
    });
    Ok((Box::new(iter), header))
}
