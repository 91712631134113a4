//! Output records: the key, each dimension's tier (name and label) and the
//! resolved strategy. JSON nests the strategy; CSV flattens it into dotted
//! columns (`strategy.visits`, or `strategy.DIM.key` with several dimensions).

use super::Format;
use super::Location;
use crate::check::StrategyValue;
use crate::compile::Program;
use crate::eval::Decision;
use indexmap::IndexMap;
use std::io::Write;

pub struct Writer<'p, W: Write> {
    out: Sink<W>,
    format: Format,
    program: &'p Program,
    /// CSV: per dimension, the flattened strategy columns.
    columns: Vec<Vec<String>>,
    first: bool,
    /// Extra columns after the tiers and strategies (e.g. `tier apply --explain`).
    extra: Vec<String>,
    /// Only the key and each dimension's tier name (`tier apply --tiers-only`).
    tiers_only: bool,
    /// Input columns copied right after the key (`tier apply --keep`).
    kept: Vec<String>,
}

/// CSV goes through the csv crate's writer (quoting); JSON straight to `W`.
enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Raw(W),
}

impl<W: Write> Write for Sink<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Raw(w) => w.write(buf),
            Sink::Csv(_) => Err(std::io::Error::other("raw write to a CSV sink")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Raw(w) => w.flush(),
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
        extra: Vec<String>,
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
        extra: Vec<String>,
        tiers_only: bool,
    ) -> std::io::Result<Self> {
        let columns = (0..program.dimensions.len())
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
        let out = match format {
            Format::Csv => Sink::Csv(Box::new(csv::Writer::from_writer(out))),
            _ => Sink::Raw(out),
        };
        let columns = if tiers_only { vec![Vec::new(); program.dimensions.len()] } else { columns };
        let mut w = Writer { out, format, program, columns, first: true, extra, tiers_only, kept };
        w.header()?;
        Ok(w)
    }

    fn several(&self) -> bool {
        self.program.dimensions.len() > 1
    }

    fn header(&mut self) -> std::io::Result<()> {
        match self.format {
            Format::Json => self.out.write_all(b"["),
            Format::Ndjson => Ok(()),
            Format::Csv => {
                let mut cells = vec![self.program.fields[self.program.key].name.clone()];
                cells.extend(self.kept.iter().cloned());
                for (d, cols) in self.program.dimensions.iter().zip(&self.columns) {
                    cells.push(d.name.clone());
                    if self.tiers_only {
                        continue;
                    }
                    cells.push(format!("{}_label", d.name));
                    let prefix = if self.several() { format!("strategy.{}.", d.name) } else { "strategy.".into() };
                    cells.extend(cols.iter().map(|c| format!("{prefix}{c}")));
                }
                cells.extend(self.extra.iter().cloned());
                self.csv_row(&cells)
            }
        }
    }

    fn csv_row(&mut self, cells: &[String]) -> std::io::Result<()> {
        match &mut self.out {
            Sink::Csv(csv) => Ok(csv.write_record(cells)?),
            Sink::Raw(_) => Ok(()),
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
        let kept_cell = |i: usize| kept.get(i).cloned().unwrap_or_default();
        if self.format == Format::Csv {
            let mut cells = vec![key.to_string()];
            cells.extend((0..self.kept.len()).map(kept_cell));
            for (i, ((d, cols), dec)) in self.program.dimensions.iter().zip(&self.columns).zip(decisions).enumerate() {
                let tier = dec.tier.and_then(|i| d.tiers.get(i));
                cells.push(tier.map_or(String::new(), |t| t.name.clone()));
                if self.tiers_only {
                    continue;
                }
                cells.push(tier.and_then(|t| t.label.clone()).unwrap_or_default());
                let strategy = crate::combine::strategy(self.program, decisions, i);
                let flat: IndexMap<String, &StrategyValue> =
                    strategy.as_deref().map(flatten).unwrap_or_default().into_iter().collect();
                cells.extend(cols.iter().map(|c| flat.get(c).map_or(String::new(), |v| v.to_text())));
            }
            cells.extend(extra.iter().map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            }));
            return self.csv_row(&cells);
        }
        let kept: Vec<(String, serde_json::Value)> =
            self.kept.iter().enumerate().map(|(i, n)| (n.clone(), serde_json::Value::String(kept_cell(i)))).collect();
        let mut record = self.json_record(key, kept, decisions);
        if let serde_json::Value::Object(obj) = &mut record {
            for (name, v) in self.extra.iter().zip(extra) {
                obj.insert(name.clone(), v.clone());
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

    /// Closes the document and returns the underlying writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        if self.format == Format::Json {
            self.out.write_all(if self.first { b"]\n" } else { b"\n]\n" })?;
        }
        match self.out {
            Sink::Csv(csv) => csv.into_inner().map_err(|e| e.into_error()),
            Sink::Raw(mut w) => {
                w.flush()?;
                Ok(w)
            }
        }
    }
}

/// Nested strategy maps as dotted keys; lists and scalars are leaves.
fn flatten(map: &IndexMap<String, StrategyValue>) -> Vec<(String, &StrategyValue)> {
    let mut out = Vec::new();
    for (k, v) in map {
        match v {
            StrategyValue::Map(inner) => {
                out.extend(flatten(inner).into_iter().map(|(ik, iv)| (format!("{k}.{ik}"), iv)));
            }
            _ => out.push((k.clone(), v)),
        }
    }
    out
}

/// One line of the reject report.
pub struct Reject<'a> {
    pub at: &'a Location,
    pub column: &'a str,
    pub value: &'a str,
    pub code: &'a str,
    pub message: &'a str,
    pub cells: &'a [(String, String)],
}

/// The reject report: one CSV row per rejected record with the reason and the
/// record's cells as JSON, so it can be fixed and fed back.
pub struct RejectWriter<W: Write> {
    csv: csv::Writer<W>,
}

impl<W: Write> RejectWriter<W> {
    pub fn new(out: W) -> csv::Result<Self> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(["row", "line", "column", "value", "code", "error", "record"])?;
        Ok(RejectWriter { csv })
    }

    /// One rejected record: where it is, what is wrong and its cells.
    pub fn write(&mut self, r: &Reject<'_>) -> csv::Result<()> {
        let record: serde_json::Map<String, serde_json::Value> =
            r.cells.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
        self.csv.write_record([
            r.at.row.to_string(),
            r.at.line.map_or(String::new(), |l| l.to_string()),
            r.column.to_string(),
            r.value.to_string(),
            r.code.to_string(),
            r.message.to_string(),
            serde_json::Value::Object(record).to_string(),
        ])
    }

    pub fn finish(self) -> std::io::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error())
    }
}
