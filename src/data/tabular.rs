//! Inputs that are tables of typed cells rather than text (Excel, Parquet):
//! opened here, their rows handed to the [`Reader`](super::Reader) as cells
//! by column, decoded by the schema exactly as CSV and JSON cells are.

use super::error::{DataError, Location};
use super::value::Cell;
use super::Format;
use crate::check::{FieldInfo, Ty};
use crate::number::Date;

/// A row's cells by column, made when asked for: a Parquet row turns only
/// the columns the policy reads into cells (the rest only for a reject).
pub trait Cells {
    fn get(&self, column: usize) -> Option<Cell>;
    fn width(&self) -> usize;
}

impl Cells for Vec<Cell> {
    fn get(&self, column: usize) -> Option<Cell> {
        self.as_slice().get(column).cloned()
    }
    fn width(&self) -> usize {
        self.len()
    }
}

/// All of a row's cells as text, by column.
pub fn texts(row: &dyn Cells) -> impl Iterator<Item = String> + '_ {
    (0..row.width()).map(|c| row.get(c).map_or(String::new(), |c| c.raw()))
}

/// One row: where it is, and its cells (an error for a row that cannot be
/// read, such as an Excel error cell).
pub type TableRow = Result<(Location, Box<dyn Cells>), (DataError, Box<dyn Cells>)>;

/// An opened table: its columns and its rows.
pub struct TableInput {
    pub columns: Vec<String>,
    pub rows: Box<dyn Iterator<Item = TableRow>>,
    /// A spreadsheet's cells have addresses (`Sheet1!C17`): the first data
    /// row's number and the first column's index, to name them in errors.
    pub origin: Option<(u32, u32)>,
    /// Columns whose values tier cannot turn into cells, with their type:
    /// refused when a field reads one.
    pub unsupported: Vec<(usize, String)>,
}

fn unreadable(source: &str, message: impl std::fmt::Display, help: Option<&str>) -> DataError {
    DataError::Unreadable { source_name: source.into(), message: message.to_string(), help: help.map(str::to_string) }
}

/// Opens `path` (`-`: stdin, read into memory first) as `format`.
pub fn open(path: &str, format: Format, sheet: Option<&str>) -> Result<TableInput, DataError> {
    let name = if path == "-" { "<stdin>" } else { path };
    if sheet.is_some() && format != Format::Xlsx {
        return Err(unreadable(
            name,
            "--sheet is for Excel inputs",
            Some("pass --sheet only with .xlsx/.xls/.ods data"),
        ));
    }
    match (format, path) {
        (Format::Xlsx, "-") => {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut buf)
                .map_err(|e| unreadable(name, e, None))?;
            super::xlsx_read::open_bytes(buf, name, sheet)
        }
        (Format::Xlsx, _) => super::xlsx_read::open_file(path, sheet),
        (Format::Parquet, "-") => from_reader(Box::new(std::io::stdin().lock()), format, name),
        (Format::Parquet, _) => {
            let file = std::fs::File::open(path).map_err(|e| unreadable(name, e, None))?;
            super::parquet_read::open(file, name)
        }
        _ => Err(unreadable(name, "not a table format", None)),
    }
}

/// A table format given as a stream (a command's input opened before its
/// format was known): read into memory, then opened.
pub fn from_reader(
    mut input: Box<dyn std::io::Read + '_>,
    format: Format,
    name: &str,
) -> Result<TableInput, DataError> {
    let mut buf = Vec::new();
    input.read_to_end(&mut buf).map_err(|e| unreadable(name, e, None))?;
    match format {
        Format::Xlsx => super::xlsx_read::open_bytes(buf, name, None),
        _ => super::parquet_read::open(bytes::Bytes::from(buf), name),
    }
}

/// Refuses a table whose column a field reads holds values of a type tier
/// does not read (a Parquet list or struct).
pub fn check_types(t: &TableInput, index: &[Option<usize>], fields: &[FieldInfo], name: &str) -> Result<(), DataError> {
    for (f, i) in fields.iter().zip(index) {
        if let Some((c, ty)) = t.unsupported.iter().find(|(c, _)| Some(*c) == *i) {
            return Err(unreadable(
                name,
                format!("column `{}` (field `{}`) holds {ty} values, which tier does not read", t.columns[*c], f.name),
                Some("write the column as text, a number, a decimal, a date or a boolean"),
            ));
        }
    }
    Ok(())
}

/// A table row's cells by field (`index`: each field's column), as each
/// field reads them.
pub fn by_field(fields: &[FieldInfo], row: &dyn Cells, index: &[Option<usize>]) -> Vec<Option<Cell>> {
    fields.iter().zip(index).map(|(f, i)| i.and_then(|i| row.get(i)).map(|c| for_field(f, c))).collect()
}

/// A cell as `field` reads it: in a date field, a number is an Excel serial
/// day (a spreadsheet saved without a date format) and becomes a date.
pub fn for_field(field: &FieldInfo, cell: Cell) -> Cell {
    match (&field.ty, &cell) {
        (Ty::Date | Ty::DateTime, Cell::Json(serde_json::Value::Number(n))) => match n.as_f64().and_then(serial_date) {
            Some(d) if field.ty == Ty::Date => Cell::Text(d.to_string()),
            Some(_) => Cell::Text(n.as_f64().map(serial_datetime).unwrap_or_default()),
            None => cell,
        },
        _ => cell,
    }
}

/// The date of an Excel serial day number (1900 system; 1 = 1900-01-01; 60
/// is Excel's nonexistent 1900-02-29, which is no date).
pub fn serial_date(serial: f64) -> Option<Date> {
    if !(1.0..=2_958_466.0).contains(&serial) || (60.0..61.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64 - if serial < 60.0 { 25_568 } else { 25_569 };
    Date(0).add_days(days)
}

/// `YYYY-MM-DD HH:MM:SS` of an Excel serial with a time of day.
pub fn serial_datetime(serial: f64) -> String {
    let Some(day) = serial_date(serial) else { return String::new() };
    let secs = ((serial - serial.floor()) * 86_400.0).round() as i64;
    crate::number::format_datetime(i64::from(day.0) * 86_400 + secs)
}

/// `C` for column index 2, `AA` for 26.
pub fn column_letters(mut index: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Names the spreadsheet cell of a cell error: `book.xlsx Sheet1:17 (row 16)`
/// becomes `book.xlsx Sheet1!C17 (row 16)` when column `spend` is column C.
pub fn locate(error: &mut DataError, columns: &[String], fields: &[FieldInfo], first_column: u32) {
    let (at, column) = match error {
        DataError::BadValue { at, column, .. }
        | DataError::MissingValue { at, column, .. }
        | DataError::DuplicateKey { at, column, .. } => (at, column),
        _ => return,
    };
    let field = fields.iter().find(|f| &f.column == column);
    let index =
        field.and_then(|f| super::read::column_of(columns, f)).or_else(|| columns.iter().position(|c| c == column));
    if let (Some(i), Some(line)) = (index, at.line) {
        at.source = format!("{}!{}{line}", at.source, column_letters(first_column + i as u32)).into();
        at.line = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_and_letters() {
        assert_eq!(serial_date(45_473.0).map(|d| d.to_string()), Some("2024-06-30".into()));
        assert_eq!(serial_date(1.0).map(|d| d.to_string()), Some("1900-01-01".into()));
        assert_eq!(serial_date(61.0).map(|d| d.to_string()), Some("1900-03-01".into()));
        assert_eq!(serial_date(60.0), None);
        assert_eq!(serial_datetime(45_473.5), "2024-06-30 12:00:00");
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(2), "C");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }
}
