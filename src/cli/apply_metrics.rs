//! `tier apply` for policies with metrics: aggregate the event log per customer
//! (`--events`), join the customers file (`--customers`, or the data file when
//! the policy has no events), compute the population functions, then tier.
//!
//! Every event is counted once (used, filtered, no customer id, after the as-of
//! date, rejected) and every customer is tiered, outside the population, or
//! rejected; the summary shows both balances.

use super::apply::{io, Args, OnError, Output, Stop};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use tierlang::compile::Program;
use tierlang::data::{DataError, Format, Location, Reader, Reject, RejectWriter, Rejected, Summary, Writer};
use tierlang::eval::{Evaluator, Value};
use tierlang::metrics::{self, Customer};
use tierlang::number::Date;

/// The reject report, when one was asked for.
pub(super) struct Rejects(pub(super) Option<RejectWriter<Output>>);

/// Where a metric run reads its records.
pub(super) struct Inputs<'a> {
    pub events: Option<&'a Path>,
    /// Per-customer attributes; with no event log, the customers themselves.
    pub customers: Option<&'a str>,
    pub input_format: Option<Format>,
    /// Bad records go to the reject report instead of stopping the run.
    pub skip_bad: bool,
}

impl<'a> Inputs<'a> {
    pub(super) fn of(args: &'a Args) -> Self {
        let has_events = args.events.is_some();
        Inputs {
            events: args.events.as_deref(),
            customers: args.customers.as_deref().or(if has_events { None } else { args.data.as_deref() }),
            input_format: args.input_format,
            skip_bad: args.on_error == OnError::Skip,
        }
    }

    fn format(&self, path: &str) -> Result<Format, Stop> {
        self.input_format.or_else(|| Format::from_path(Path::new(path))).ok_or_else(|| {
            Stop::Usage(format!(
                "cannot tell the format of `{path}` from its name: pass --input-format csv|json|ndjson"
            ))
        })
    }
}

impl Rejects {
    fn add(&mut self, r: &Reject<'_>) -> Result<(), Stop> {
        if let Some(w) = self.0.as_mut() {
            w.write(r).map_err(|e| Stop::Io(e.to_string()))?;
        }
        Ok(())
    }
}

pub(super) fn execute(
    args: &Args,
    program: &Program,
    format: Format,
    today: Date,
    explainer: Option<&tierlang::explain::Explainer>,
) -> Result<Summary, Stop> {
    let mp = program.metrics.as_ref().ok_or_else(|| Stop::Io("the policy has no metrics".into()))?;
    let evaluator = Evaluator::with_tables(program, today);
    let mut rejects = Rejects(super::apply::open_rejects(args)?);
    let mut summary = Summary::with_values(program);
    let scored = score(&Inputs::of(args), program, &evaluator, today, &mut rejects, &mut summary)?;
    let out = Output::create(&args.output)?;

    let mut extra: Vec<String> = mp.metrics.iter().map(|m| m.name.clone()).collect();
    extra.extend(explainer.map_or(Vec::new(), |e| e.columns()));
    let mut writer = Writer::new(out, format, program, extra, args.tiers_only).map_err(io)?;
    let n = program.fields.len();
    let mut frame = Vec::with_capacity(program.frame_size);
    for c in &scored.kept {
        frame.clear();
        frame.extend_from_slice(&c.frame[..n]);
        match evaluator.evaluate(&mut frame) {
            Ok(_) if summary.fits(&frame).is_err() => {
                // A customer's money field is schema data: out of the totals' range, it stops the run.
                let slot = summary.fits(&frame).err().unwrap_or_default();
                let at = Location { source: "customer".into(), row: 0, line: None };
                return Err(Stop::Data(tierlang::data::out_of_range(program, slot, at, &frame)));
            }
            Ok(decisions) => {
                let mut extra: Vec<serde_json::Value> =
                    mp.metrics.iter().map(|m| field_json(&program.fields[m.slot], &c.frame[m.slot])).collect();
                if let Some(e) = explainer {
                    extra.extend(e.columns_for(&decisions, &c.frame[..n]));
                }
                writer.write(&c.key, &decisions, &extra).map_err(io)?;
                summary.add(&frame, &decisions);
            }
            Err(e) => {
                let at = Location { source: "customer".into(), row: 0, line: None };
                if args.on_error == OnError::Stop {
                    let message = format!("customer {}: {e}", c.key);
                    return Err(Stop::Data(DataError::Malformed { at, message, help: None }));
                }
                summary.rejected += 1;
                let cells = customer_cells(program, c);
                let message = e.to_string();
                let reject = Reject {
                    at: &at,
                    column: "",
                    value: "",
                    code: "tier::unique_overlap",
                    message: &message,
                    cells: &cells,
                };
                rejects.add(&reject)?;
            }
        }
    }
    summary.excluded = scored.excluded.len() as u64;
    for (c, reason) in &scored.excluded {
        let at = Location { source: "customer".into(), row: 0, line: None };
        let cells = customer_cells(program, c);
        let reject =
            Reject { at: &at, column: "", value: "", code: "tier::outside_population", message: reason, cells: &cells };
        rejects.add(&reject)?;
    }
    let rejects = rejects.0.map(|r| r.finish().map_err(io)).transpose()?;
    super::apply::commit(writer.finish().map_err(io)?, rejects)?;
    Ok(summary)
}

/// [`score`] for the commands that report rather than write (`explain`,
/// `diff`): the first bad record stops with its diagnostic; `Err` is the exit code.
pub(super) fn score_or_report(
    events: Option<&Path>,
    customers: Option<&str>,
    data: Option<&str>,
    input_format: Option<Format>,
    program: &Program,
    evaluator: &Evaluator,
    today: Date,
) -> Result<metrics::Scored, u8> {
    let customers = customers.or(if events.is_some() { None } else { data });
    let inputs = Inputs { events, customers, input_format, skip_bad: false };
    let mut summary = Summary::new(program);
    match score(&inputs, program, evaluator, today, &mut Rejects(None), &mut summary) {
        Ok(s) => Ok(s),
        Err(Stop::Data(e)) => {
            eprint!("{}", super::render::human(&e, None));
            Err(if super::apply::unreadable(&e) { super::USAGE } else { super::FAILED })
        }
        Err(Stop::Io(e) | Stop::Usage(e)) => Err(super::usage_error(e)),
    }
}

/// Reads the customers (aggregating the event log, joining the customers file)
/// and computes their metrics.
pub(super) fn score(
    inputs: &Inputs,
    program: &Program,
    evaluator: &Evaluator,
    today: Date,
    rejects: &mut Rejects,
    summary: &mut Summary,
) -> Result<metrics::Scored, Stop> {
    let mp = program.metrics.as_ref().ok_or_else(|| Stop::Io("the policy has no metrics".into()))?;
    let mut customers = match (&mp.events, inputs.events) {
        (Some(_), Some(path)) => {
            let (customers, counts) = aggregate(inputs, program, path, today, rejects)?;
            summary.events = Some(counts);
            customers
        }
        (Some(ev), None) => {
            return Err(Stop::Usage(format!(
                "the policy aggregates the event log `{}`: pass it with --events FILE",
                ev.name
            )))
        }
        (None, Some(_)) => {
            return Err(Stop::Usage("--events needs an `events` block in the policy".into()));
        }
        (None, None) => Vec::new(),
    };
    if let Some(path) = inputs.customers {
        customers = join(inputs, program, path, customers, rejects, summary)?;
    } else if mp.events.is_none() {
        return Err(Stop::Usage("pass the customers' data file".into()));
    }
    summary.read += customers.len() as u64;
    Ok(metrics::score(program, evaluator, customers))
}

/// Streams the event log into per-customer aggregates.
fn aggregate(
    inputs: &Inputs,
    program: &Program,
    path: &Path,
    today: Date,
    rejects: &mut Rejects,
) -> Result<(Vec<Customer>, metrics::EventCounts), Stop> {
    let ev = program.metrics.as_ref().and_then(|m| m.events.as_ref()).ok_or_else(|| Stop::Io("no events".into()))?;
    let name = path.display().to_string();
    let format = inputs.format(&name)?;
    let open = || std::fs::File::open(path).map_err(|e| Stop::Usage(format!("cannot read events `{name}`: {e}")));
    // The parallel path; on anything it cannot take, the plain reader below
    // reads the file again from the start and reports it as usual.
    if format == Format::Csv && std::env::var_os("TIER_PLAIN_PATH").is_none() {
        if let Ok(done) = tierlang::data::fast_events::aggregate(program, open()?, today) {
            return Ok(done);
        }
    }
    let file = open()?;
    let input: Box<dyn Read> = Box::new(std::io::BufReader::with_capacity(1 << 16, file));
    let reader = Reader::new(input, format, &name, &ev.fields, ev.key)
        .map_err(Stop::Data)?
        .spare(ev.frame_size - ev.fields.len());
    tierlang::data::events::aggregate(program, reader, today, |r| reject_row(inputs, r, &name, rejects))
}

/// Joins the customers file's fields onto the aggregated customers (or, with no
/// event log, reads the customers alone, in file order).
fn join(
    inputs: &Inputs,
    program: &Program,
    path: &str,
    aggregated: Vec<Customer>,
    rejects: &mut Rejects,
    summary: &mut Summary,
) -> Result<Vec<Customer>, Stop> {
    let mp = program.metrics.as_ref().ok_or_else(|| Stop::Io("no metrics".into()))?;
    let format = inputs.format(path)?;
    let file = std::fs::File::open(path).map_err(|e| Stop::Usage(format!("cannot read customers `{path}`: {e}")))?;
    let input: Box<dyn Read> = Box::new(std::io::BufReader::with_capacity(1 << 16, file));
    let fields = &program.fields[..mp.schema_fields];
    let reader = Reader::new(input, format, path, fields, program.key).map_err(Stop::Data)?;
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
                out.push(Customer { key, frame });
            }
            Err(r) => {
                summary.rejected += 1;
                summary.read += 1;
                reject_row(inputs, r, path, rejects)?;
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
            return Err(Stop::Data(DataError::Malformed {
                at,
                message,
                help: Some("add the customer to the customers file, or make those fields optional".into()),
            }));
        }
        summary.rejected += 1;
        summary.read += 1;
        let cells = customer_cells(program, &c);
        rejects.add(&Reject {
            at: &at,
            column: "",
            value: "",
            code: "tier::missing_customer",
            message: &message,
            cells: &cells,
        })?;
    }
    Ok(out)
}

fn reject_row(inputs: &Inputs, r: Rejected, source: &str, rejects: &mut Rejects) -> Result<(), Stop> {
    let Rejected { error, cells } = r;
    if !inputs.skip_bad || super::apply::unreadable(&error) {
        return Err(Stop::Data(error));
    }
    match rejects.0.as_mut() {
        Some(w) => super::apply::write_reject(w, &error, &cells, source, None),
        None => Ok(()),
    }
}

/// A customer's key and metric values, for the reject report.
fn customer_cells(program: &Program, c: &Customer) -> Vec<(String, String)> {
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

/// A field's value as the user reads it: rates in the field's own period (2 per
/// quarter, not 8 per year), enum values by name.
pub(super) fn field_json(f: &tierlang::check::FieldInfo, v: &Value) -> serde_json::Value {
    match (v, f.period) {
        (Value::Num(d), Some(p)) => tierlang::check::decimal_json(*d / p.per_year()),
        (Value::Enum(i), _) => f.enum_values.get(*i as usize).map_or(serde_json::Value::Null, |s| s.clone().into()),
        _ => value_json(v),
    }
}

pub(super) fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Missing => serde_json::Value::Null,
        Value::Num(d) => tierlang::check::decimal_json(*d),
        Value::Text(s) => s.clone().into(),
        Value::Bool(b) => (*b).into(),
        Value::Date(d) => d.to_string().into(),
        Value::DateTime(s) => tierlang::number::format_datetime(*s).into(),
        Value::Enum(i) => (*i).into(),
    }
}
