//! The first stages of a run with metrics: the event log aggregated per
//! customer (on all cores for CSV), the customers file joined (customers with
//! no events get metrics from empty windows), and the population functions
//! computed. Every event and every customer is counted; bad ones go to the
//! reject report or stop the run.

use super::{field_json, RunError};
use crate::compile::Program;
use crate::data::fast::Source;
use crate::data::fast_events;
use crate::data::mapped::Mapped;
use crate::data::{DataError, Format, Location, Reader, Reject, RejectWriter, Rejected, Summary};
use crate::eval::{Evaluator, Value};
use crate::metrics::{self, Customer};
use crate::number::Date;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// Where a metric run reads its records.
pub struct Inputs<'a> {
    pub events: Option<&'a Path>,
    /// Per-customer attributes; with no event log, the customers themselves.
    pub customers: Option<&'a str>,
    pub input_format: Option<Format>,
    /// Bad records go to the reject report instead of stopping the run.
    pub skip_bad: bool,
    /// Columns of the customers file copied to the output (`--keep`).
    pub keep: &'a [String],
    /// Read the event log on one core (`TIER_PLAIN_PATH`).
    pub plain_only: bool,
    /// Map an event log of a megabyte or more rather than read it: the caller
    /// stops the process on SIGBUS (a log truncated under the run; see
    /// [`crate::data::mapped`]).
    pub map_events: bool,
    /// The sheet of an Excel customers file (default: the first).
    pub sheet: Option<&'a str>,
}

impl Inputs<'_> {
    fn format(&self, path: &str) -> Result<Format, RunError> {
        self.input_format.or_else(|| Format::from_path(Path::new(path))).ok_or_else(|| {
            RunError::Usage(format!(
                "cannot tell the format of `{path}` from its name: pass --input-format csv|json|ndjson|xlsx|parquet"
            ))
        })
    }
}

/// One line into the reject report, where there is one.
pub fn add_reject<W: Write>(rejects: &mut Option<RejectWriter<W>>, r: &Reject<'_>) -> Result<(), RunError> {
    match rejects.as_mut() {
        Some(w) => w.write(r).map_err(|e| RunError::Io(std::io::Error::other(e))),
        None => Ok(()),
    }
}

/// A record's error into the reject report, under its own code or `code`.
pub fn write_reject<W: Write>(
    rejects: &mut RejectWriter<W>,
    error: &DataError,
    cells: &[(String, String)],
    code: Option<&str>,
) -> Result<(), RunError> {
    let at = error.location().cloned().unwrap_or(Location { source: "input".into(), row: 0, line: None });
    let message = error.to_string();
    let reject = Reject {
        at: &at,
        column: error.column().unwrap_or_default(),
        value: error.value().unwrap_or_default(),
        code: code.unwrap_or(error.code()),
        message: &message,
        cells,
    };
    rejects.write(&reject).map_err(|e| RunError::Io(std::io::Error::other(e)))
}

/// Reads the customers (aggregating the event log, joining the customers file)
/// and computes their metrics.
pub fn score<W: Write>(
    inputs: &Inputs,
    program: &Program,
    evaluator: &Evaluator,
    today: Date,
    rejects: &mut Option<RejectWriter<W>>,
    summary: &mut Summary,
) -> Result<metrics::Scored, RunError> {
    let mp = program.metrics.as_ref().ok_or_else(|| RunError::Usage("the policy has no metrics".into()))?;
    let mut customers = match (&mp.events, inputs.events) {
        (Some(_), Some(path)) => {
            let (customers, counts) = aggregate(inputs, program, path, today, rejects)?;
            summary.events = Some(counts);
            customers
        }
        (Some(ev), None) => {
            return Err(RunError::Usage(format!(
                "the policy aggregates the event log `{}`: pass it with --events FILE",
                ev.name
            )))
        }
        (None, Some(_)) => {
            return Err(RunError::Usage("--events needs an `events` block in the policy".into()));
        }
        (None, None) => Vec::new(),
    };
    if let Some(path) = inputs.customers {
        customers = join(inputs, program, path, customers, rejects, summary)?;
    } else if mp.events.is_none() {
        return Err(RunError::Usage("pass the customers' data file".into()));
    }
    Ok(metrics::score(program, evaluator, customers))
}

/// Streams the event log into per-customer aggregates.
fn aggregate<W: Write>(
    inputs: &Inputs,
    program: &Program,
    path: &Path,
    today: Date,
    rejects: &mut Option<RejectWriter<W>>,
) -> Result<(Vec<Customer>, metrics::EventCounts), RunError> {
    let ev =
        program.metrics.as_ref().and_then(|m| m.events.as_ref()).ok_or_else(|| RunError::Usage("no events".into()))?;
    let name = path.display().to_string();
    let format = inputs.format(&name)?;
    let open = || std::fs::File::open(path).map_err(|e| RunError::Usage(format!("cannot read events `{name}`: {e}")));
    // The parallel path; on anything it cannot take, the plain reader below
    // reads the file again from the start and reports it as usual.
    if format == Format::Csv && !inputs.plain_only {
        let file = open()?;
        let mapped = match inputs.map_events {
            true => Mapped::new(file, crate::data::mapped::WORTH_MAPPING),
            false => Err(file),
        };
        let done = match &mapped {
            // Written to meanwhile: what was read is void.
            Ok(m) => fast_events::aggregate(program, Source::<&std::fs::File>::Mapped(m), today)
                .ok()
                .filter(|_| m.unchanged()),
            Err(file) => fast_events::aggregate(program, Source::Read(file), today).ok(),
        };
        if let Some(done) = done {
            return Ok(done);
        }
    }
    open()?;
    let reader = Reader::open(&name, format, None, &ev.fields, ev.key)
        .map_err(RunError::Data)?
        .repeated_keys()
        .spare(ev.frame_size - ev.fields.len());
    crate::data::events::aggregate(program, reader, today, |r| reject_row(inputs, r, rejects))
}

/// Joins the customers file's fields onto the aggregated customers (or, with no
/// event log, reads the customers alone, in file order).
fn join<W: Write>(
    inputs: &Inputs,
    program: &Program,
    path: &str,
    aggregated: Vec<Customer>,
    rejects: &mut Option<RejectWriter<W>>,
    summary: &mut Summary,
) -> Result<Vec<Customer>, RunError> {
    let mp = program.metrics.as_ref().ok_or_else(|| RunError::Usage("no metrics".into()))?;
    let format = inputs.format(path)?;
    if path != "-" {
        std::fs::File::open(path).map_err(|e| RunError::Usage(format!("cannot read customers `{path}`: {e}")))?;
    }
    let fields = &program.fields[..mp.schema_fields];
    let reader = Reader::open(path, format, inputs.sheet, fields, program.key)
        .map_err(RunError::Data)?
        .keep(inputs.keep)
        .map_err(RunError::Usage)?;
    let by_key: HashMap<String, usize> = aggregated.iter().enumerate().map(|(i, c)| (c.key.clone(), i)).collect();
    let mut aggregated: Vec<Option<Customer>> = aggregated.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for row in reader {
        match row {
            Ok(row) => {
                let key = metrics::key_text(&row.values[program.key]);
                // A second row of one key gets no events: they were joined once.
                let mut frame = match by_key.get(&key).and_then(|&i| aggregated[i].take()) {
                    Some(c) => c.frame,
                    None => {
                        let mut f = vec![Value::Missing; mp.frame_size];
                        metrics::no_events(mp, &mut f);
                        f
                    }
                };
                frame.resize(mp.frame_size, Value::Missing);
                frame[..row.values.len()].clone_from_slice(&row.values);
                out.push(Customer { key, frame, kept: row.kept });
            }
            Err(r) => {
                summary.rejected += 1;
                summary.read += 1;
                reject_row(inputs, r, rejects)?;
            }
        }
    }
    // Customers with events but no row in the customers file: their fields are
    // missing, which only optional fields allow.
    let required: Vec<&str> = fields
        .iter()
        .enumerate()
        .filter(|(i, f)| *i != program.key && !f.optional)
        .map(|(_, f)| f.name.as_str())
        .collect();
    for c in aggregated.into_iter().flatten() {
        if required.is_empty() {
            out.push(c);
            continue;
        }
        let message =
            format!("customer {} has events but no row in `{path}` (needed for {})", c.key, required.join(", "));
        let at = Location { source: path.into(), row: 0, line: None };
        if !inputs.skip_bad {
            return Err(RunError::Data(DataError::Malformed {
                at,
                message,
                help: Some("add the customer to the customers file, or make those fields optional".into()),
            }));
        }
        summary.rejected += 1;
        summary.read += 1;
        let cells = customer_cells(program, &c);
        add_reject(
            rejects,
            &Reject {
                at: &at,
                column: "",
                value: "",
                code: "tier::missing_customer",
                message: &message,
                cells: &cells,
            },
        )?;
    }
    Ok(out)
}

fn reject_row<W: Write>(inputs: &Inputs, r: Rejected, rejects: &mut Option<RejectWriter<W>>) -> Result<(), RunError> {
    let Rejected { error, cells } = r;
    if !inputs.skip_bad || error.location().is_none() {
        return Err(RunError::Data(error));
    }
    match rejects.as_mut() {
        Some(w) => write_reject(w, &error, &cells, None),
        None => Ok(()),
    }
}

/// A customer's key and metric values, for the reject report.
pub fn customer_cells(program: &Program, c: &Customer) -> Vec<(String, String)> {
    let mut cells = vec![(program.fields[program.key].name.clone(), c.key.clone())];
    for (i, f) in program.fields.iter().enumerate() {
        if i != program.key {
            let text = match field_json(f, &c.frame[i]) {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            cells.push((f.name.clone(), text));
        }
    }
    cells
}
