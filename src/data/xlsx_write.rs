//! Excel output (`.xlsx`): the records on a first sheet with typed cells
//! (amounts as numbers with a money format, dates as dates, tiers as text),
//! a frozen header and an autofilter; the run summary on a second sheet.
//! rust_xlsxwriter's constant-memory mode writes each row to a temporary file,
//! so memory stays flat; the workbook is assembled when the run finishes.

use super::table::{Column, Kind, Out, SummaryTable, Table};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use std::io::Write;

/// The most records a sheet holds (Excel's row limit, less the header).
const MAX_ROWS: u32 = 1_048_575;

pub struct XlsxTable {
    book: Workbook,
    columns: Vec<Column>,
    /// The next row to write (0 is the header).
    row: u32,
    formats: Formats,
}

struct Formats {
    header: Format,
    money: Format,
    percent: Format,
    date: Format,
    datetime: Format,
}

fn io(e: XlsxError) -> std::io::Error {
    std::io::Error::other(format!("writing Excel: {e}"))
}

/// Excel's day number for a date (1899-12-30 is day 0; 1970-01-01 is 25569).
fn serial(days_since_1970: i64) -> f64 {
    (days_since_1970 + 25_569) as f64
}

impl XlsxTable {
    /// A workbook whose first sheet (`sheet`) has `columns`.
    pub fn new(columns: Vec<Column>, sheet: &str) -> std::io::Result<Self> {
        let formats = Formats {
            header: Format::new().set_bold(),
            money: Format::new().set_num_format("#,##0.00"),
            percent: Format::new().set_num_format("0.0%"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
        };
        let mut book = Workbook::new();
        let ws = book.add_worksheet_with_constant_memory().map_err(io)?;
        ws.set_name(sheet).map_err(io)?;
        header(ws, &columns, &formats.header)?;
        ws.set_freeze_panes(1, 0).map_err(io)?;
        Ok(XlsxTable { book, columns, row: 1, formats })
    }
}

fn header(ws: &mut Worksheet, columns: &[Column], bold: &Format) -> std::io::Result<()> {
    for (c, col) in columns.iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| std::io::Error::other("more columns than an Excel sheet holds"))?;
        ws.write_string_with_format(0, c, &col.name, bold).map_err(io)?;
        let width = col.name.chars().count().clamp(8, 40) as f64 + 2.0;
        ws.set_column_width(c, width).map_err(io)?;
    }
    Ok(())
}

/// One typed cell.
fn cell(ws: &mut Worksheet, row: u32, col: u16, v: &Out, kind: Kind, f: &Formats) -> Result<(), XlsxError> {
    use rust_decimal::prelude::ToPrimitive;
    match v {
        Out::Null => {}
        Out::Text(s) => {
            ws.write_string(row, col, s)?;
        }
        Out::Num(d) => {
            let n = d.to_f64().unwrap_or(f64::NAN);
            match kind {
                Kind::Money => ws.write_number_with_format(row, col, n, &f.money)?,
                Kind::Percent => ws.write_number_with_format(row, col, n, &f.percent)?,
                _ => ws.write_number(row, col, n)?,
            };
        }
        Out::Bool(b) => {
            ws.write_boolean(row, col, *b)?;
        }
        // Excel has no dates before 1900-03-01 (its serials are off there): those stay text.
        Out::Date(d) if d.0 >= -25_508 => {
            ws.write_number_with_format(row, col, serial(i64::from(d.0)), &f.date)?;
        }
        Out::Date(d) => {
            ws.write_string(row, col, d.to_string())?;
        }
        Out::DateTime(s) if *s >= -25_508 * 86_400 => {
            let days = s.div_euclid(86_400);
            let n = serial(days) + s.rem_euclid(86_400) as f64 / 86_400.0;
            ws.write_number_with_format(row, col, n, &f.datetime)?;
        }
        Out::DateTime(s) => {
            ws.write_string(row, col, crate::number::format_datetime(*s))?;
        }
    }
    Ok(())
}

impl Table for XlsxTable {
    fn row(&mut self, cells: &[Out], _out: &mut dyn Write) -> std::io::Result<()> {
        if self.row > MAX_ROWS {
            return Err(std::io::Error::other(format!(
                "an Excel sheet holds at most {MAX_ROWS} records: write .csv or .parquet for more"
            )));
        }
        let ws = self.book.worksheet_from_index(0).map_err(io)?;
        for (c, (v, col)) in cells.iter().zip(&self.columns).enumerate() {
            cell(ws, self.row, c as u16, v, col.kind, &self.formats).map_err(io)?;
        }
        self.row += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>, summary: Option<&SummaryTable>, out: &mut dyn Write) -> std::io::Result<()> {
        let last_col = self.columns.len().saturating_sub(1) as u16;
        let ws = self.book.worksheet_from_index(0).map_err(io)?;
        ws.autofilter(0, 0, self.row - 1, last_col).map_err(io)?;
        if let Some(s) = summary {
            summary_sheet(&mut self.book, s, &self.formats)?;
        }
        // The zip needs its parts' sizes before it ends: assembled in a temporary file.
        let mut file = tempfile::tempfile()?;
        self.book.save_to_writer(&mut file).map_err(io)?;
        use std::io::Seek;
        file.seek(std::io::SeekFrom::Start(0))?;
        std::io::copy(&mut file, out)?;
        Ok(())
    }
}

/// The second sheet: per dimension and tier, customers and money with shares.
fn summary_sheet(book: &mut Workbook, s: &SummaryTable, f: &Formats) -> std::io::Result<()> {
    let ws = book.add_worksheet_with_constant_memory().map_err(io)?;
    ws.set_name("summary").map_err(io)?;
    let money = s.money_field.clone().unwrap_or_else(|| "money".into());
    let columns = [
        Column::new("dimension", Kind::Text),
        Column::new("tier", Kind::Text),
        Column::new("customers", Kind::Integer),
        Column::new("share", Kind::Percent),
        Column::new(money.clone(), Kind::Money),
        Column::new(format!("{money} share"), Kind::Percent),
    ];
    header(ws, &columns, &f.header)?;
    ws.set_freeze_panes(1, 0).map_err(io)?;
    for (r, row) in s.rows.iter().enumerate() {
        let opt = |d: Option<crate::number::Decimal>| d.map_or(Out::Null, Out::Num);
        let cells = [
            Out::Text(row.dimension.clone()),
            Out::Text(row.tier.clone().unwrap_or_else(|| "(no tier)".into())),
            Out::Num(row.count.into()),
            opt(row.share),
            Out::Num(row.money),
            opt(row.money_share),
        ];
        for (c, (v, col)) in cells.iter().zip(&columns).enumerate() {
            cell(ws, r as u32 + 1, c as u16, v, col.kind, f).map_err(io)?;
        }
    }
    Ok(())
}
