//! The job of `tier apply`, one pipeline for every kind of run: records (read
//! from a customer file, or customers scored from an event log) → decide →
//! retention against the previous run → budgets → combination strategies and
//! write, with one accounting. Explanations, coverage and kept columns ride
//! along at every stage, so every combination works. The CLI opens the files,
//! calls [`run`] and renders what comes back.
//!
//! Records stream from reader to writer unless a stage needs them all: budgets
//! split an amount over the final tiers, so a budget run holds each record's
//! key, kept cells, decisions and output cells (not its values) until the end.

mod over_time;
pub mod score;

pub use over_time::{movement_index, OverTime};

use crate::compile::Program;
use crate::coverage::Coverage;
use crate::data::table::{Column, Kind, SummaryTable};
use crate::data::{DataError, Location, RejectWriter, Rejected, Row, Summary, Writer};
use crate::eval::{Decision, Evaluator, Value};
use crate::explain::Explainer;
use std::io::Write;

/// A customer ready to be decided: its key, field values by slot (metrics
/// included), and the cells `--keep` copies.
#[derive(Debug, Clone)]
pub struct Record {
    pub at: Location,
    pub key: String,
    pub values: Vec<Value>,
    pub kept: Vec<String>,
}

impl From<Row> for Record {
    fn from(row: Row) -> Self {
        Record { at: row.at, key: row.key, values: row.values, kept: row.kept }
    }
}

/// The records of a run, each decoded or set aside with its reason.
pub type Records<'a> = Box<dyn Iterator<Item = Result<Record, Rejected>> + 'a>;

/// The optional stages and what rides along.
pub struct Stages<'a> {
    /// Bad records go to the reject report instead of stopping the run.
    pub skip_bad: bool,
    /// `--explain`: the deciding criterion and the way up, per dimension.
    pub explainer: Option<&'a Explainer<'a>>,
    /// `--coverage`: how often each tier and condition was chosen.
    pub coverage: Option<&'a mut Coverage>,
    /// History: the retention rules against the previous run's states.
    pub over_time: Option<OverTime>,
}

/// Why a run stopped.
#[derive(Debug)]
pub enum RunError {
    /// A bad record (and no reject report), or an input that cannot be read.
    Data(DataError),
    Io(std::io::Error),
    /// Inputs that do not fit the policy (a missing event log, an unknown format).
    Usage(String),
}

impl From<std::io::Error> for RunError {
    fn from(e: std::io::Error) -> Self {
        RunError::Io(e)
    }
}

/// What a finished run hands back: the written output and reject report (for
/// the caller to commit), the summary, and what the stages found.
pub struct Outcome<W, R> {
    pub out: W,
    pub rejects: Option<R>,
    pub summary: Summary,
    pub over_time: Option<OverTime>,
    /// Per budget: its split, and each record's tier in its dimension.
    pub budgets: Vec<(crate::budget::Allocation, Vec<Option<usize>>)>,
    /// The reject report's reasons, most frequent first.
    pub reject_reasons: Vec<(String, u64)>,
}

/// The output columns after the strategies, in stage order: metrics, the
/// explanation, history, budgets; typed for the formats that store types.
fn extra_columns(program: &Program, stages: &Stages) -> Vec<Column> {
    let metrics = program.metrics.iter().flat_map(|m| &m.metrics);
    let mut columns: Vec<Column> =
        metrics.map(|m| Column::new(m.name.clone(), Kind::of_field(&program.fields[m.slot]))).collect();
    // Per dimension: reason, next, next_gap, next_distance.
    let explain = [Kind::Text, Kind::Text, Kind::Text, Kind::Number];
    let names = stages.explainer.map_or(Vec::new(), Explainer::columns);
    columns.extend(names.into_iter().zip(explain.iter().cycle()).map(|(n, k)| Column::new(n, *k)));
    if stages.over_time.is_some() {
        // Per dimension: previous, movement, entered, below.
        let history = [Kind::Text, Kind::Text, Kind::Date, Kind::Integer];
        let names = OverTime::columns(program);
        columns.extend(names.into_iter().zip(history.iter().cycle()).map(|(n, k)| Column::new(n, *k)));
    }
    columns.extend(program.budgets.iter().map(|b| Column::new(format!("budget.{}", b.name), Kind::Money)));
    columns
}

/// A record on its way out, held when budgets need every record first.
struct Out {
    key: String,
    kept: Vec<String>,
    decisions: Vec<Decision>,
    extra: Vec<serde_json::Value>,
}

/// Runs `program` over `records`: every record is written or set aside in
/// `rejects`, and counted in `summary` (which a metric run brings with its
/// event and customer accounting).
pub fn run<W: Write, R: Write>(
    program: &Program,
    evaluator: &Evaluator,
    records: Records,
    mut stages: Stages,
    mut summary: Summary,
    writer: (W, crate::data::Format, Vec<String>, bool),
    mut rejects: Option<RejectWriter<R>>,
) -> Result<Outcome<W, R>, RunError> {
    let (out, format, keep, tiers_only) = writer;
    let columns = extra_columns(program, &stages);
    let width = columns.len();
    let mut writer = Writer::with_kept(out, format, program, keep, columns, tiers_only)?;
    let hold = !program.budgets.is_empty();
    let mut held: Vec<Out> = Vec::with_capacity(if hold { records.size_hint().0 } else { 0 });
    let mut frame: Vec<Value> = Vec::with_capacity(program.frame_size);
    for record in records {
        summary.read += 1;
        let record = match record {
            Ok(r) => r,
            Err(Rejected { error, cells }) => {
                reject(&mut rejects, &stages, &mut summary, error, &cells, None)?;
                continue;
            }
        };
        frame.clear();
        frame.extend(record.values.iter().cloned());
        let computed = match evaluator.evaluate(&mut frame) {
            Ok(d) => d,
            // Two tiers under `hit unique`: stops the run, or is set aside as any bad record.
            Err(e) => {
                let error = DataError::Malformed { at: record.at.clone(), message: e.to_string(), help: None };
                let cells = field_cells(program, &record.values, &record.key);
                reject(&mut rejects, &stages, &mut summary, error, &cells, Some("tier::unique_overlap"))?;
                continue;
            }
        };
        if let Err(slot) = summary.fits(&record.values) {
            let error = crate::data::out_of_range(program, slot, record.at.clone(), &record.values);
            let cells = field_cells(program, &record.values, &record.key);
            reject(&mut rejects, &stages, &mut summary, error, &cells, None)?;
            continue;
        }
        if let Some(c) = stages.coverage.as_deref_mut() {
            c.record(program, evaluator, &frame);
        }
        // Room for every extra column (history and budget cells come after these).
        let mut extra: Vec<serde_json::Value> = Vec::with_capacity(width);
        extra.extend(
            program
                .metrics
                .iter()
                .flat_map(|m| &m.metrics)
                .map(|m| field_json(&program.fields[m.slot], &record.values[m.slot])),
        );
        if let Some(e) = stages.explainer {
            extra.extend(e.columns_for(&computed, &record.values));
        }
        let mut decisions = computed;
        if let Some(ot) = stages.over_time.as_mut() {
            extra.extend(ot.step(program, &record, &mut decisions));
        }
        summary.add(&frame, &decisions);
        let out = Out { key: record.key, kept: record.kept, decisions, extra };
        if hold {
            held.push(out);
        } else {
            writer.write_kept(&out.key, &out.kept, &out.decisions, &out.extra)?;
        }
    }
    // Customers of the previous run missing from this one: written as `gone`.
    let gone = stages.over_time.as_mut().map_or(Vec::new(), |ot| ot.gone(program));
    let budgets: Vec<(crate::budget::Allocation, Vec<Option<usize>>)> = program
        .budgets
        .iter()
        .map(|b| {
            let tiers: Vec<Option<usize>> = held.iter().map(|r| r.decisions[b.dimension].tier).collect();
            crate::budget::allocate(b, &tiers).map(|a| (a, tiers))
        })
        .collect::<Result<_, _>>()
        .map_err(|message| {
            let at = Location { source: "budget".into(), row: held.len(), line: None };
            let help = Some("budgets are split in whole cents (at most 92,233,720,368,547,758.07)".to_string());
            RunError::Data(DataError::Malformed { at, message, help })
        })?;
    for (i, mut r) in held.into_iter().enumerate() {
        r.extra.extend(budgets.iter().map(|(a, _)| crate::check::decimal_json(a.per_record[i])));
        writer.write_kept(&r.key, &r.kept, &r.decisions, &r.extra)?;
    }
    let none: Vec<Decision> = program.dimensions.iter().map(|_| Decision { tier: None }).collect();
    for (key, history) in gone {
        // Nothing to say but the history: the other columns stay empty.
        let before = width - history.len() - program.budgets.len();
        let mut extra = vec![serde_json::Value::Null; before];
        extra.extend(history);
        extra.extend(budgets.iter().map(|_| crate::check::decimal_json(crate::number::Decimal::ZERO)));
        writer.write(&key, &none, &extra)?;
    }
    // Formats with room for it (Excel) carry the summary beside the records.
    let table = (format == crate::data::Format::Xlsx).then(|| SummaryTable::from_json(&summary.to_json(program)));
    let out = writer.finish_with(table.as_ref())?;
    let reject_reasons = rejects.as_ref().map_or(Vec::new(), RejectWriter::reasons);
    let rejects = rejects.map(RejectWriter::finish).transpose()?;
    Ok(Outcome { out, rejects, summary, over_time: stages.over_time, budgets, reject_reasons })
}

/// A record that cannot go on: into the reject report, or the end of the run.
/// An input that cannot be read any further is never a reject.
fn reject<R: Write>(
    rejects: &mut Option<RejectWriter<R>>,
    stages: &Stages,
    summary: &mut Summary,
    error: DataError,
    cells: &[(String, String)],
    code: Option<&'static str>,
) -> Result<(), RunError> {
    let writer = match rejects.as_mut() {
        // A record-level error (it has a location); a file-level one stops.
        Some(w) if stages.skip_bad && error.location().is_some() => w,
        _ => return Err(RunError::Data(error)),
    };
    summary.rejected += 1;
    score::write_reject(writer, &error, cells, code)
}

/// A record's decoded fields, for the reject report of a record that decoded
/// but could not be classified.
pub fn field_cells(program: &Program, values: &[Value], key: &str) -> Vec<(String, String)> {
    let key_column = program.fields[program.key].column.clone();
    let mut cells = vec![(key_column.clone(), key.to_string())];
    for (f, v) in program.fields.iter().zip(values) {
        let text = match field_json(f, v) {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        if f.column != key_column {
            cells.push((f.column.clone(), text));
        }
    }
    cells
}

/// A field's value as the user reads it: rates in the field's own period (2 per
/// quarter, not 8 per year), enum values by name.
pub fn field_json(f: &crate::check::FieldInfo, v: &Value) -> serde_json::Value {
    match (v, f.period) {
        (Value::Num(d), Some(p)) => crate::check::decimal_json(*d / p.per_year()),
        (Value::Enum(i), _) => f.enum_values.get(*i as usize).map_or(serde_json::Value::Null, |s| s.clone().into()),
        _ => value_json(v),
    }
}

/// A value as JSON: numbers exact, dates as text.
pub fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Missing => serde_json::Value::Null,
        Value::Num(d) => crate::check::decimal_json(*d),
        Value::Text(s) => s.clone().into(),
        Value::Bool(b) => (*b).into(),
        Value::Date(d) => d.to_string().into(),
        Value::DateTime(s) => crate::number::format_datetime(*s).into(),
        Value::Enum(i) => (*i).into(),
    }
}
