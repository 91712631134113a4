//! Excel input (`.xlsx`, `.xls`, `.xlsb`, `.ods`) through calamine: the first
//! sheet or the one named, its first non-empty row as the header. calamine
//! loads the sheet's cells at once (a sheet holds at most about a million rows).

use super::error::{DataError, Location};
use super::tabular::{TableInput, TableRow};
use super::value::Cell;
use calamine::{Data, Range, Reader as _};

fn unreadable(source: &str, message: impl std::fmt::Display, help: Option<String>) -> DataError {
    DataError::Unreadable { source_name: source.into(), message: message.to_string(), help }
}

pub fn open_file(path: &str, sheet: Option<&str>) -> Result<TableInput, DataError> {
    match calamine::open_workbook_auto(path) {
        Ok(mut book) => table(&mut book, path, sheet),
        // An extension calamine does not know (`--input-format xlsx`): by content.
        Err(calamine::Error::Msg(_)) => {
            let bytes = std::fs::read(path).map_err(|e| unreadable(path, e, None))?;
            open_bytes(bytes, path, sheet)
        }
        Err(e) => Err(unreadable(path, e, Some("is it an Excel workbook (.xlsx, .xls, .xlsb, .ods)?".into()))),
    }
}

pub fn open_bytes(bytes: Vec<u8>, name: &str, sheet: Option<&str>) -> Result<TableInput, DataError> {
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| unreadable(name, e, Some("is it an Excel workbook (.xlsx, .xls, .xlsb, .ods)?".into())))?;
    table(&mut book, name, sheet)
}

fn table<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Sheets<RS>,
    name: &str,
    sheet: Option<&str>,
) -> Result<TableInput, DataError> {
    let names = book.sheet_names();
    let chosen = match sheet {
        Some(s) => names.iter().find(|n| *n == s).or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(s))),
        None => names.first(),
    };
    let Some(chosen) = chosen.cloned() else {
        let help = format!("the workbook's sheets: {}", names.join(", "));
        return Err(match sheet {
            Some(s) => unreadable(name, format!("no sheet `{s}`"), Some(help)),
            None => unreadable(name, "the workbook has no sheets", None),
        });
    };
    let range = book.worksheet_range(&chosen).map_err(|e| unreadable(name, format!("sheet `{chosen}`: {e}"), None))?;
    rows(range, &format!("{name} {chosen}"))
}

/// The header and the data rows of a sheet.
fn rows(range: Range<Data>, source: &str) -> Result<TableInput, DataError> {
    let (top, left) = range.start().unwrap_or((0, 0));
    let (height, width) = range.get_size();
    if height == 0 {
        return Err(unreadable(source, "the sheet is empty: no header row", None));
    }
    let columns: Vec<String> =
        (0..width).map(|c| range.get((0, c)).map_or(String::new(), |d| text(d).trim().to_string())).collect();
    let header = columns.clone();
    let source: std::sync::Arc<str> = source.into();
    let mut r = 0;
    let iter = std::iter::from_fn(move || -> Option<TableRow> {
        r += 1;
        if r >= height {
            return None;
        }
        let line = u64::from(top) + r as u64 + 1;
        let at = Location { source: source.clone(), row: r, line: Some(line) };
        let data: Vec<&Data> = (0..width).map(|c| range.get((r, c)).unwrap_or(&Data::Empty)).collect();
        let cells: Vec<Cell> = data.iter().map(|d| cell(d)).collect();
        // An error value (#DIV/0!, #N/A) is no value: never read as text.
        if let Some(c) = data.iter().position(|d| matches!(d, Data::Error(_))) {
            let cell_ref = format!("{}{line}", super::tabular::column_letters(left + c as u32));
            let message = format!(
                "cell {cell_ref} (column `{}`) holds the Excel error {}",
                columns.get(c).map_or("", String::as_str),
                text(data[c])
            );
            let help = Some("fix the formula or clear the cell".to_string());
            return Some(Err((DataError::Malformed { at, message, help }, Box::new(cells))));
        }
        Some(Ok((at, Box::new(cells))))
    });
    Ok(TableInput { columns: header, rows: Box::new(iter), origin: Some((top + 1, left)), unsupported: Vec::new() })
}

/// A cell as tier reads it: numbers stay numbers (whole ones without `.0`),
/// dates become ISO text, text stays text (thousand separators and all).
fn cell(d: &Data) -> Cell {
    use serde_json::Value as J;
    match d {
        Data::Empty => Cell::Json(J::Null),
        Data::Bool(b) => Cell::Json(J::Bool(*b)),
        Data::Int(i) => Cell::Json(J::from(*i)),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Cell::Json(J::from(*f as i64)),
        Data::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(Cell::Text(f.to_string()), |n| Cell::Json(J::Number(n)))
        }
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                Cell::Text(format!("{y:04}-{m:02}-{d:02}"))
            } else {
                Cell::Text(format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}"))
            }
        }
        other => Cell::Text(text(other)),
    }
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        other => other.to_string(),
    }
}
