//! Reads records from CSV (with header), a JSON array, or NDJSON, and decodes the
//! columns the schema names. Every record comes out as a row or as an error for
//! that row; nothing is skipped silently (NDJSON blank lines are not records).

pub(crate) use super::columns::{column_index, column_names, column_of, kept_column, kept_names};
use super::error::{DataError, Location};
use super::json_object::Object;
use super::read_csv::csv_records;
use super::read_json::{json_records, ndjson_records};
use super::value::{decode, decode_json, decode_text, Cell, CellError};
use super::Format;
use crate::check::FieldInfo;
use crate::eval::Value;
use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::rc::Rc;

/// Where a key was first seen: its row and line.
type FirstSeen = (usize, Option<u64>);

/// A decoded record.
#[derive(Debug, Clone)]
pub struct Row {
    pub at: Location,
    /// The key cell as written.
    pub key: String,
    /// Field values by slot.
    pub values: Vec<Value>,
    /// The cells `--keep` copies to the output, as written (empty if absent).
    pub kept: Vec<String>,
}

/// A record that could not be decoded, with its cells for the reject report.
#[derive(Debug, Clone)]
pub struct Rejected {
    pub error: DataError,
    /// `(column, raw text)` of the record, as far as it could be read.
    pub cells: Vec<(String, String)>,
}

/// One record before decoding.
pub(super) struct RawRecord {
    pub(super) at: Location,
    pub(super) cells: RawCells,
}

pub(super) enum RawCells {
    /// A CSV record as read: cells are decoded from it in place, and the
    /// `(column, text)` list for a reject report is built only on error.
    Csv { rec: csv::StringRecord, index: Rc<[Option<usize>]>, columns: Rc<[String]> },
    /// JSON: the object; cells are found in it by column when decoded, and
    /// the `(key, text)` list for a reject report is built only on error.
    Json { obj: Object },
    /// A table's row (Excel, Parquet): typed cells by column, picked per field
    /// as CSV's are.
    Table { row: Box<dyn super::tabular::Cells>, index: Rc<[Option<usize>]>, columns: Rc<[String]> },
}

impl RawCells {
    pub(super) fn all(&self) -> Vec<(String, String)> {
        match self {
            RawCells::Csv { rec, columns, .. } => columns.iter().cloned().zip(rec.iter().map(str::to_string)).collect(),
            RawCells::Json { obj } => obj.all(),
            RawCells::Table { row, columns, .. } => {
                columns.iter().cloned().zip(super::tabular::texts(row.as_ref())).collect()
            }
        }
    }
}

pub struct Reader<'f> {
    fields: &'f [FieldInfo],
    key: usize,
    /// Room each record's values get beyond its fields (for the caller's lets).
    spare: usize,
    records: Box<dyn Iterator<Item = Result<RawRecord, Rejected>> + 'f>,
    /// Where (row, line) each key was first seen; `None` where keys repeat
    /// (event logs).
    seen: Option<HashMap<Box<str>, FirstSeen>>,
    /// CSV: the header's columns, to resolve `--keep` names against.
    header: Option<Rc<[String]>>,
    /// Per kept column, the names it may have (as given, and the column of a
    /// schema field of that name) and, in CSV, its index.
    kept: Vec<(Vec<String>, Option<usize>)>,
    /// A spreadsheet's first column index: cell errors name their cell.
    sheet: Option<u32>,
}

impl<'f> Reader<'f> {
    /// Opens `input` in `format`. Fails at once on a missing required column.
    pub fn new(
        input: Box<dyn Read + 'f>,
        format: Format,
        source: &str,
        fields: &'f [FieldInfo],
        key: usize,
    ) -> Result<Self, DataError> {
        let (records, header) = match format {
            Format::Csv => {
                let (records, header) = csv_records(input, source.to_string(), fields)?;
                (records, Some(header))
            }
            Format::Json => (json_records(input, source.to_string())?, None),
            Format::Ndjson => (ndjson_records(input, source.to_string()), None),
            Format::Xlsx | Format::Parquet => {
                return Self::from_table(super::tabular::from_reader(input, format, source)?, source, fields, key)
            }
        };
        Ok(Reader { fields, key, spare: 0, records, seen: Some(HashMap::new()), header, kept: Vec::new(), sheet: None })
    }

    /// Opens the file `path` (`-`: stdin) in `format`; `sheet` names an Excel
    /// sheet (default: the first). Excel and Parquet files are read from the
    /// file itself, Parquet a row group at a time.
    pub fn open(
        path: &str,
        format: Format,
        sheet: Option<&str>,
        fields: &'f [FieldInfo],
        key: usize,
    ) -> Result<Self, DataError> {
        let name = if path == "-" { "<stdin>" } else { path };
        if !format.streams() {
            return Self::from_table(super::tabular::open(path, format, sheet)?, name, fields, key);
        }
        let input: Box<dyn Read> = if path == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            let file = std::fs::File::open(path).map_err(|e| unreadable(path, &e))?;
            Box::new(BufReader::with_capacity(1 << 16, file))
        };
        Self::new(input, format, name, fields, key)
    }

    /// A reader over a table's rows (Excel, Parquet): the cells of each row
    /// by field, as JSON records are.
    pub(crate) fn from_table(
        table: super::tabular::TableInput,
        source: &str,
        fields: &'f [FieldInfo],
        key: usize,
    ) -> Result<Self, DataError> {
        let index = column_index(&table.columns, fields, source)?;
        super::tabular::check_types(&table, &index, fields, source)?;
        let columns: Rc<[String]> = table.columns.into();
        let header = columns.clone();
        let index: Rc<[Option<usize>]> = index.into();
        let records = table.rows.map(move |row| match row {
            Ok((at, row)) => {
                Ok(RawRecord { at, cells: RawCells::Table { row, index: index.clone(), columns: columns.clone() } })
            }
            Err((error, row)) => {
                let cells = RawCells::Table { row, index: index.clone(), columns: columns.clone() };
                Err(Rejected { error, cells: cells.all() })
            }
        });
        let (seen, sheet) = (Some(HashMap::new()), table.origin.map(|(_, left)| left));
        let records = Box::new(records);
        Ok(Reader { fields, key, spare: 0, records, seen, header: Some(header), kept: Vec::new(), sheet })
    }

    /// Copies the input columns `names` (input column names, or schema field
    /// names) into each row's `kept`. In CSV a name the header does not have is
    /// an error listing the columns; JSON records without it keep an empty cell.
    pub fn keep(mut self, names: &[String]) -> Result<Self, String> {
        for name in names {
            let index = match &self.header {
                Some(columns) => Some(kept_column(columns, self.fields, name).ok_or_else(|| {
                    format!("--keep `{name}`: the input has no such column (its columns: {})", columns.join(", "))
                })?),
                None => None,
            };
            self.kept.push((kept_names(self.fields, name), index));
        }
        Ok(self)
    }

    /// Gives each record's values room for `n` more (no reallocation when the
    /// caller extends them with lets).
    pub fn spare(mut self, n: usize) -> Self {
        self.spare = n;
        self
    }

    /// Lets a key appear on many records (an event log's customer id); by
    /// default a key seen twice is a bad record.
    pub fn repeated_keys(mut self) -> Self {
        self.seen = None;
        self
    }

    /// The record, or a duplicate-key error naming where the key was first seen.
    fn unique(&mut self, row: Row, raw: &RawRecord) -> Result<Row, Rejected> {
        let Some(seen) = self.seen.as_mut() else { return Ok(row) };
        if row.key.is_empty() {
            return Ok(row);
        }
        match seen.get(row.key.as_str()) {
            Some(&(first_row, first_line)) => {
                let column = self.fields.get(self.key).map_or(String::new(), |f| f.column.clone());
                let first = Location { source: row.at.source.clone(), row: first_row, line: first_line };
                let error = DataError::DuplicateKey { at: row.at, column, key: row.key, first };
                Err(Rejected { error, cells: raw.cells.all() })
            }
            None => {
                seen.insert(row.key.as_str().into(), (row.at.row, row.at.line));
                Ok(row)
            }
        }
    }

    /// The `--keep` cells of a record.
    fn kept(&self, cells: &RawCells) -> Vec<String> {
        self.kept
            .iter()
            .map(|(names, index)| match cells {
                RawCells::Csv { rec, .. } => index.and_then(|i| rec.get(i)).unwrap_or_default().to_string(),
                RawCells::Table { row, .. } => index.and_then(|i| row.get(i)).map_or(String::new(), |c| c.raw()),
                RawCells::Json { obj } => {
                    names.iter().find_map(|n| obj.get(n)).map_or(String::new(), |v| v.text().into())
                }
            })
            .collect()
    }

    fn decode(&self, raw: &RawRecord) -> Result<Row, Rejected> {
        let mut values = Vec::with_capacity(self.fields.len() + self.spare);
        match &raw.cells {
            RawCells::Csv { rec, index, .. } => {
                let text = |i: usize| index.get(i).copied().flatten().and_then(|j| rec.get(j));
                for (i, f) in self.fields.iter().enumerate() {
                    match decode_text(f, text(i)) {
                        Ok(v) => values.push(v),
                        Err(e) => {
                            let cell = text(i).map(|t| Cell::Text(t.to_string()));
                            let error = cell_error(e, f, cell.as_ref(), raw.at.clone());
                            return Err(Rejected { error, cells: raw.cells.all() });
                        }
                    }
                }
                let key = text(self.key).map_or(String::new(), |t| t.trim().to_string());
                Ok(Row { at: raw.at.clone(), key, values, kept: self.kept(&raw.cells) })
            }
            RawCells::Json { obj } => {
                for f in self.fields {
                    let cell = obj.get_any(&column_names(f));
                    match decode_json(f, cell.as_ref()) {
                        Ok(v) => values.push(v),
                        Err(e) => {
                            let cell = cell.map(|v| Cell::Text(v.text().into_owned()));
                            let error = cell_error(e, f, cell.as_ref(), raw.at.clone());
                            return Err(Rejected { error, cells: raw.cells.all() });
                        }
                    }
                }
                let key = self.fields.get(self.key).and_then(|f| obj.get_any(&column_names(f)));
                let key = key.map_or(String::new(), |v| v.text().trim().to_string());
                Ok(Row { at: raw.at.clone(), key, values, kept: self.kept(&raw.cells) })
            }
            RawCells::Table { row, index, .. } => {
                self.decode_cells(raw, &super::tabular::by_field(self.fields, row.as_ref(), index))
            }
        }
    }

    /// Decodes cells given by field slot (tables).
    fn decode_cells(&self, raw: &RawRecord, cells: &[Option<Cell>]) -> Result<Row, Rejected> {
        let mut values = Vec::with_capacity(self.fields.len() + self.spare);
        for (f, cell) in self.fields.iter().zip(cells) {
            match decode(f, cell.as_ref()) {
                Ok(v) => values.push(v),
                Err(e) => {
                    let error = cell_error(e, f, cell.as_ref(), raw.at.clone());
                    return Err(Rejected { error, cells: raw.cells.all() });
                }
            }
        }
        let key = cells.get(self.key).and_then(|c| c.as_ref()).map_or(String::new(), |c| c.raw().trim().to_string());
        Ok(Row { at: raw.at.clone(), key, values, kept: self.kept(&raw.cells) })
    }
}

/// CSV records split elsewhere (by the parallel path, from a chunk validated
/// as UTF-8, each of the header's width), decoded exactly as [`Reader`]
/// decodes a record it read: a value, a reject with its cells, the kept cells.
/// Building a csv reader per bad record cost more than the record.
pub(crate) struct SplitRecords<'f> {
    reader: Reader<'f>,
    index: Rc<[Option<usize>]>,
    columns: Rc<[String]>,
}

impl<'f> SplitRecords<'f> {
    /// For the header's `columns` (unquoted, without a byte order mark);
    /// `None` where a field has no column or a kept name none (the plain
    /// reader says so).
    pub(crate) fn new(fields: &'f [FieldInfo], key: usize, columns: &[String], keep: &[String]) -> Option<Self> {
        let index: Rc<[Option<usize>]> = column_index(columns, fields, "").ok()?.into();
        let columns: Rc<[String]> = columns.into();
        let records = Box::new(std::iter::empty());
        let reader = Reader {
            fields,
            key,
            spare: 0,
            records,
            seen: None,
            header: Some(columns.clone()),
            kept: Vec::new(),
            sheet: None,
        };
        Some(SplitRecords { reader: reader.keep(keep).ok()?, index, columns })
    }

    /// One record's `cells` (unquoted), found `at`.
    pub(crate) fn decode(&self, at: Location, cells: Vec<String>) -> Result<Row, Rejected> {
        let rec = csv::StringRecord::from(cells);
        let cells = RawCells::Csv { rec, index: self.index.clone(), columns: self.columns.clone() };
        self.reader.decode(&RawRecord { at, cells })
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<Row, Rejected>;

    fn next(&mut self) -> Option<Self::Item> {
        let raw = match self.records.next()? {
            Ok(raw) => raw,
            Err(e) => return Some(Err(e)),
        };
        let mut row = self.decode(&raw).and_then(|row| self.unique(row, &raw));
        if let (Err(r), Some(left), Some(columns)) = (&mut row, self.sheet, &self.header) {
            super::tabular::locate(&mut r.error, columns, self.fields, left);
        }
        Some(row)
    }
}

fn cell_error(e: CellError, f: &FieldInfo, cell: Option<&Cell>, at: Location) -> DataError {
    match e {
        CellError::Empty => DataError::MissingValue { at, column: f.column.clone(), field: f.name.clone() },
        CellError::Invalid { expected, help } => DataError::BadValue {
            at,
            column: f.column.clone(),
            value: cell.map(Cell::raw).unwrap_or_default(),
            expected,
            help,
        },
    }
}

/// A file-level read failure (not a bad record: the run stops).
pub(super) fn unreadable(source: &str, e: &dyn std::fmt::Display) -> DataError {
    DataError::Unreadable { source_name: source.to_string(), message: e.to_string(), help: None }
}

pub(crate) fn unterminated(at: Location, cells: Vec<(String, String)>) -> Rejected {
    let msg = "a quoted field opens here and never closes: the rest of the input would be read into it".to_string();
    let help = Some("close the field with `\"`; a quote inside a quoted field is written twice (`\"\"`)".into());
    malformed(at, msg, help, cells)
}

pub(super) fn malformed(at: Location, message: String, help: Option<String>, cells: Vec<(String, String)>) -> Rejected {
    Rejected { error: DataError::Malformed { at, message, help }, cells }
}
