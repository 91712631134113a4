//! Output records: the key, each dimension's tier (name and label) and the
//! resolved strategy. JSON nests the strategy; CSV and Excel flatten it into
//! dotted columns (`strategy.visits`, or `strategy.DIM.key` with several
//! dimensions); Parquet writes it as one JSON column. Excel and Parquet are
//! [`Table`]s: the writer hands them typed cells instead of bytes.

use super::table::{Column, Kind, Out, SummaryTable, Table};
use super::Format;
use crate::compile::Program;
use crate::eval::Decision;
use std::io::Write;

mod cells;

use cells::{flatten, strategy_kinds};

/// Tier combinations whose cells a writer keeps (per format); others are made per record.
const COMBINATIONS_KEPT: usize = 4096;

pub struct Writer<'p, W: Write> {
    out: Sink<W>,
    format: Format,
    program: &'p Program,
    /// CSV: per dimension, the flattened strategy columns.
    columns: Vec<Vec<String>>,
    first: bool,
    /// Per dimension, the kind of each flattened strategy column (typed tables).
    kinds: Vec<Vec<Kind>>,
    /// Typed tables: the tier and strategy cells of each tier combination seen.
    tier_cells: std::collections::HashMap<Vec<Option<usize>>, Vec<Out>>,
    /// CSV: the same, as text.
    csv_cells: std::collections::HashMap<Vec<Option<usize>>, Vec<String>>,
    /// Extra columns after the tiers and strategies (e.g. `tier apply --explain`).
    extra: Vec<Column>,
    /// Only the key and each dimension's tier name (`tier apply --tiers-only`).
    tiers_only: bool,
    /// Input columns copied right after the key (`tier apply --keep`).
    kept: Vec<String>,
}

/// CSV goes through the csv crate's writer (quoting); JSON straight to `W`;
/// Excel and Parquet through their table, which writes to `W`.
enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Raw(W),
    Table(Box<dyn Table>, W),
}

impl<W: Write> Write for Sink<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Raw(w) => w.write(buf),
            Sink::Csv(_) | Sink::Table(..) => Err(std::io::Error::other("raw write to a CSV or table sink")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Raw(w) | Sink::Table(_, w) => w.flush(),
            Sink::Csv(c) => c.flush(),
        }
    }
}

impl<'p, W: Write> Writer<'p, W> {
    /// A writer whose records carry `extra` columns after the strategies, or with
    /// `tiers_only` just the key and the tier names.
    pub fn new(
        out: W,
        format: Format,
        program: &'p Program,
        extra: Vec<Column>,
        tiers_only: bool,
    ) -> std::io::Result<Self> {
        Self::with_kept(out, format, program, Vec::new(), extra, tiers_only)
    }

    /// [`Writer::new`] with `kept` input columns right after the key.
    pub fn with_kept(
        out: W,
        format: Format,
        program: &'p Program,
        kept: Vec<String>,
        extra: Vec<Column>,
        tiers_only: bool,
    ) -> std::io::Result<Self> {
        let columns: Vec<Vec<String>> = (0..program.dimensions.len())
            .map(|d| {
                let mut cols: Vec<String> = Vec::new();
                for strategy in crate::combine::keys(program, d) {
                    for (k, _) in flatten(strategy) {
                        if !cols.contains(&k) {
                            cols.push(k);
                        }
                    }
                }
                cols
            })
            .collect();
        let columns = if tiers_only { vec![Vec::new(); program.dimensions.len()] } else { columns };
        let kinds = strategy_kinds(program, &columns);
        let w = Writer {
            out: Sink::Raw(out),
            format,
            program,
            columns,
            kinds,
            tier_cells: Default::default(),
            csv_cells: Default::default(),
            first: true,
            extra,
            tiers_only,
            kept,
        };
        let typed = (!format.streams()).then(|| w.table_columns());
        let Sink::Raw(out) = w.out else { return Err(std::io::Error::other("writer opened twice")) };
        let out = match (format, typed) {
            (Format::Csv, _) => Sink::Csv(Box::new(csv::Writer::from_writer(out))),
            (Format::Xlsx, Some(cols)) => Sink::Table(Box::new(super::xlsx_write::XlsxTable::new(cols, "tiers")?), out),
            (Format::Parquet, Some(cols)) => Sink::Table(Box::new(super::parquet_write::ParquetTable::new(cols)?), out),
            _ => Sink::Raw(out),
        };
        let mut w = Writer { out, ..w };
        w.header()?;
        Ok(w)
    }

    /// The typed columns of a table format: as CSV's, except that Parquet has
    /// one JSON `strategy` column after the tiers.
    fn table_columns(&self) -> Vec<Column> {
        let mut cols = vec![Column::new(self.program.fields[self.program.key].name.clone(), Kind::Text)];
        cols.extend(self.kept.iter().map(|k| Column::new(k.clone(), Kind::Text)));
        let json = self.format == Format::Parquet;
        for ((d, names), kinds) in self.program.dimensions.iter().zip(&self.columns).zip(&self.kinds) {
            cols.push(Column::new(d.name.clone(), Kind::Text));
            if self.tiers_only {
                continue;
            }
            cols.push(Column::new(format!("{}_label", d.name), Kind::Text));
            if !json {
                let prefix = self.strategy_prefix(&d.name);
                cols.extend(names.iter().zip(kinds).map(|(c, k)| Column::new(format!("{prefix}{c}"), *k)));
            }
        }
        if json && !self.tiers_only {
            cols.push(Column::new("strategy", Kind::Json));
        }
        cols.extend(self.extra.iter().cloned());
        cols
    }

    /// `strategy.` before a flattened strategy key, `strategy.DIM.` with several dimensions.
    fn strategy_prefix(&self, dim: &str) -> String {
        if self.several() {
            format!("strategy.{dim}.")
        } else {
            "strategy.".into()
        }
    }

    fn several(&self) -> bool {
        self.program.dimensions.len() > 1
    }

    fn header(&mut self) -> std::io::Result<()> {
        match self.format {
            Format::Json => self.out.write_all(b"["),
            Format::Ndjson | Format::Xlsx | Format::Parquet => Ok(()),
            Format::Csv => {
                let mut cells = vec![self.program.fields[self.program.key].name.clone()];
                cells.extend(self.kept.iter().cloned());
                for (d, cols) in self.program.dimensions.iter().zip(&self.columns) {
                    cells.push(d.name.clone());
                    if self.tiers_only {
                        continue;
                    }
                    cells.push(format!("{}_label", d.name));
                    let prefix = self.strategy_prefix(&d.name);
                    cells.extend(cols.iter().map(|c| format!("{prefix}{c}")));
                }
                cells.extend(self.extra.iter().map(|c| c.name.clone()));
                self.csv_row(&cells)
            }
        }
    }

    fn csv_row(&mut self, cells: &[String]) -> std::io::Result<()> {
        match &mut self.out {
            Sink::Csv(csv) => Ok(csv.write_record(cells)?),
            Sink::Raw(_) | Sink::Table(..) => Ok(()),
        }
    }

    /// One output record; `extra` holds a value per extra column.
    pub fn write(&mut self, key: &str, decisions: &[Decision], extra: &[serde_json::Value]) -> std::io::Result<()> {
        self.write_kept(key, &[], decisions, extra)
    }

    /// [`Writer::write`] with the record's kept cells (one per kept column;
    /// fewer, e.g. for a customer gone since the last run, are written empty).
    pub fn write_kept(
        &mut self,
        key: &str,
        kept: &[String],
        decisions: &[Decision],
        extra: &[serde_json::Value],
    ) -> std::io::Result<()> {
        if let Sink::Table(..) = self.out {
            let cells = self.typed_row(key, kept, decisions, extra)?;
            let Sink::Table(table, out) = &mut self.out else { return Ok(()) };
            return table.row(&cells, out);
        }
        if self.format == Format::Csv {
            // The tier and strategy cells depend on the decisions alone: made once
            // per combination, as for typed tables.
            let combo: Vec<Option<usize>> = decisions.iter().map(|d| d.tier).collect();
            if self.csv_cells.len() < COMBINATIONS_KEPT && !self.csv_cells.contains_key(&combo) {
                let cells = self.csv_cells_of(decisions);
                self.csv_cells.insert(combo.clone(), cells);
            }
            let fresh;
            let tiers = match self.csv_cells.get(&combo) {
                Some(cells) => cells,
                None => {
                    fresh = self.csv_cells_of(decisions);
                    &fresh
                }
            };
            let Sink::Csv(csv) = &mut self.out else { return Ok(()) };
            csv.write_field(key)?;
            for i in 0..self.kept.len() {
                csv.write_field(kept.get(i).map_or("", String::as_str))?;
            }
            for cell in tiers {
                csv.write_field(cell)?;
            }
            for v in extra {
                match v {
                    serde_json::Value::String(s) => csv.write_field(s)?,
                    serde_json::Value::Null => csv.write_field("")?,
                    other => csv.write_field(other.to_string())?,
                }
            }
            return Ok(csv.write_record(None::<&[u8]>)?);
        }
        let kept_cell = |i: usize| kept.get(i).cloned().unwrap_or_default();
        let kept: Vec<(String, serde_json::Value)> =
            self.kept.iter().enumerate().map(|(i, n)| (n.clone(), serde_json::Value::String(kept_cell(i)))).collect();
        let mut record = self.json_record(key, kept, decisions);
        if let serde_json::Value::Object(obj) = &mut record {
            for (column, v) in self.extra.iter().zip(extra) {
                obj.insert(column.name.clone(), v.clone());
            }
        }
        if self.format == Format::Json {
            let sep: &[u8] = if self.first { b"\n" } else { b",\n" };
            self.out.write_all(sep)?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, &record)?;
        if self.format == Format::Ndjson {
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn json_record(
        &self,
        key: &str,
        kept: Vec<(String, serde_json::Value)>,
        decisions: &[Decision],
    ) -> serde_json::Value {
        use serde_json::Value as J;
        let mut obj = serde_json::Map::new();
        obj.insert(self.program.fields[self.program.key].name.clone(), J::String(key.into()));
        obj.extend(kept);
        let mut strategies = serde_json::Map::new();
        for (i, (d, dec)) in self.program.dimensions.iter().zip(decisions).enumerate() {
            let tier = dec.tier.and_then(|i| d.tiers.get(i));
            obj.insert(d.name.clone(), tier.map_or(J::Null, |t| J::String(t.name.clone())));
            if self.tiers_only {
                continue;
            }
            obj.insert(format!("{}_label", d.name), tier.and_then(|t| t.label.clone()).map_or(J::Null, J::String));
            let s = crate::combine::strategy(self.program, decisions, i).map_or(J::Object(Default::default()), |s| {
                J::Object(s.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            });
            strategies.insert(d.name.clone(), s);
        }
        if self.tiers_only {
            return J::Object(obj);
        }
        let strategy = if self.several() {
            J::Object(strategies)
        } else {
            strategies.into_iter().next().map_or(J::Null, |(_, v)| v)
        };
        obj.insert("strategy".into(), strategy);
        J::Object(obj)
    }

    /// A record as typed cells in [`Writer::table_columns`] order.
    fn typed_row(
        &mut self,
        key: &str,
        kept: &[String],
        decisions: &[Decision],
        extra: &[serde_json::Value],
    ) -> std::io::Result<Vec<Out>> {
        let mut cells = vec![Out::Text(key.to_string())];
        cells.extend((0..self.kept.len()).map(|i| Out::Text(kept.get(i).cloned().unwrap_or_default())));
        // The tier and strategy cells depend on the decisions alone: made once per combination.
        let combo: Vec<Option<usize>> = decisions.iter().map(|d| d.tier).collect();
        match self.tier_cells.get(&combo) {
            Some(c) => cells.extend(c.iter().cloned()),
            None => {
                let c = self.tier_cells_of(decisions);
                cells.extend(c.iter().cloned());
                if self.tier_cells.len() < COMBINATIONS_KEPT {
                    self.tier_cells.insert(combo, c);
                }
            }
        }
        for (v, column) in extra.iter().zip(&self.extra) {
            cells.push(Out::from_json(v, column)?);
        }
        Ok(cells)
    }

    /// Closes the document and returns the underlying writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.finish_with(None)
    }

    /// [`Writer::finish`], adding the run's summary where the format has room
    /// for it (Excel's second sheet).
    pub fn finish_with(mut self, summary: Option<&SummaryTable>) -> std::io::Result<W> {
        if self.format == Format::Json {
            self.out.write_all(if self.first { b"]\n" } else { b"\n]\n" })?;
        }
        match self.out {
            Sink::Csv(csv) => csv.into_inner().map_err(|e| e.into_error()),
            Sink::Raw(mut w) => {
                w.flush()?;
                Ok(w)
            }
            Sink::Table(table, mut w) => {
                table.finish(summary, &mut w)?;
                w.flush()?;
                Ok(w)
            }
        }
    }
}
