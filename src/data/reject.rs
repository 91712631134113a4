//! The reject report: every record a run set aside, with where it is, what is
//! wrong and its cells, in CSV or a table format.

use super::table::{Column, Kind, Out, Table};
use super::{Format, Location};
use std::io::Write;

/// One line of the reject report.
pub struct Reject<'a> {
    pub at: &'a Location,
    pub column: &'a str,
    pub value: &'a str,
    pub code: &'a str,
    pub message: &'a str,
    pub cells: &'a [(String, String)],
}

/// The reject report: one row per rejected record with the reason and the
/// record's cells as JSON, so it can be fixed and fed back. CSV, or a table
/// (`--rejects x.xlsx`).
pub struct RejectWriter<W: Write> {
    out: RejectSink<W>,
    /// Records per reason (code and column), for the report.
    reasons: indexmap::IndexMap<String, u64>,
}

enum RejectSink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Table(Box<dyn Table>, W),
}

const REJECT_COLUMNS: [(&str, Kind); 7] = [
    ("row", Kind::Integer),
    ("line", Kind::Integer),
    ("column", Kind::Text),
    ("value", Kind::Text),
    ("code", Kind::Text),
    ("error", Kind::Text),
    ("record", Kind::Json),
];

impl<W: Write> RejectWriter<W> {
    pub fn new(out: W) -> csv::Result<Self> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(REJECT_COLUMNS.map(|(c, _)| c))?;
        Ok(RejectWriter { out: RejectSink::Csv(Box::new(csv)), reasons: Default::default() })
    }

    /// A reject report in `format` (CSV, Excel or Parquet; not JSON).
    pub fn with_format(out: W, format: Format) -> csv::Result<Self> {
        let columns = || REJECT_COLUMNS.iter().map(|(c, k)| Column::new(*c, *k)).collect::<Vec<_>>();
        let table: Box<dyn Table> = match format {
            Format::Xlsx => Box::new(super::xlsx_write::XlsxTable::new(columns(), "rejects")?),
            Format::Parquet => Box::new(super::parquet_write::ParquetTable::new(columns())?),
            _ => return Self::new(out),
        };
        Ok(RejectWriter { out: RejectSink::Table(table, out), reasons: Default::default() })
    }

    /// One rejected record: where it is, what is wrong and its cells.
    pub fn write(&mut self, r: &Reject<'_>) -> csv::Result<()> {
        let record: serde_json::Map<String, serde_json::Value> =
            r.cells.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
        let record = serde_json::Value::Object(record).to_string();
        let reason = if r.column.is_empty() { r.code.to_string() } else { format!("{} in `{}`", r.code, r.column) };
        *self.reasons.entry(reason).or_default() += 1;
        match &mut self.out {
            RejectSink::Csv(csv) => csv.write_record([
                r.at.row.to_string(),
                r.at.line.map_or(String::new(), |l| l.to_string()),
                r.column.to_string(),
                r.value.to_string(),
                r.code.to_string(),
                r.message.to_string(),
                record,
            ]),
            RejectSink::Table(table, out) => {
                let cells = [
                    Out::Num(r.at.row.into()),
                    r.at.line.map_or(Out::Null, |l| Out::Num(l.into())),
                    Out::Text(r.column.to_string()),
                    Out::Text(r.value.to_string()),
                    Out::Text(r.code.to_string()),
                    Out::Text(r.message.to_string()),
                    Out::Text(record),
                ];
                Ok(table.row(&cells, out)?)
            }
        }
    }

    /// The reasons records were rejected for, most frequent first.
    pub fn reasons(&self) -> Vec<(String, u64)> {
        let mut all: Vec<(String, u64)> = self.reasons.iter().map(|(k, v)| (k.clone(), *v)).collect();
        all.sort_by_key(|r| std::cmp::Reverse(r.1));
        all
    }

    pub fn finish(self) -> std::io::Result<W> {
        match self.out {
            RejectSink::Csv(csv) => csv.into_inner().map_err(|e| e.into_error()),
            RejectSink::Table(table, mut out) => {
                table.finish(None, &mut out)?;
                Ok(out)
            }
        }
    }
}
