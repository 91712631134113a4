//! `tier apply` for policies with metrics: the library scores the customers
//! (`tierlang::run::score`: event log aggregated, customers file joined,
//! population functions computed), then runs them through the same pipeline
//! as any record. Every event is counted once and every customer is tiered,
//! outside the population, or rejected; the summary shows both balances.

use super::apply::{Args, OnError, Stop};
use std::path::Path;
use tierlang::compile::Program;
use tierlang::data::{Format, Location, Reject, Summary};
use tierlang::eval::Evaluator;
use tierlang::metrics;
use tierlang::number::Date;
use tierlang::run::score::{self, Inputs};
use tierlang::run::RunError;

fn inputs(args: &Args) -> Inputs<'_> {
    let has_events = args.events.is_some();
    Inputs {
        events: args.events.as_deref(),
        customers: args.customers.as_deref().or(if has_events { None } else { args.data.as_deref() }),
        input_format: args.input_format,
        skip_bad: args.on_error == OnError::Skip,
        keep: &args.keep,
        plain_only: std::env::var_os("TIER_PLAIN_PATH").is_some(),
        sheet: args.sheet.as_deref(),
        // `apply` stops on SIGBUS (`interrupt::install`).
        map_events: true,
    }
}

/// A run of a policy with metrics: the customers outside the population go to
/// the reject report, the rest through the pipeline.
pub(super) fn execute(
    args: &Args,
    program: &Program,
    format: Format,
    today: Date,
    stages: tierlang::run::Stages,
) -> Result<super::apply::Done, Stop> {
    let inputs = inputs(args);
    if !args.keep.is_empty() && inputs.customers.is_none() {
        return Err(Stop::Usage(
            "--keep copies columns of the customers file: pass it with --customers FILE (an event log has no per-customer columns)".into(),
        ));
    }
    let evaluator = Evaluator::with_tables(program, today);
    let mut rejects = super::apply::open_rejects(args)?;
    let mut summary = Summary::with_values(program);
    let scored = score::score(&inputs, program, &evaluator, today, &mut rejects, &mut summary).map_err(stop)?;
    summary.read += scored.excluded.len() as u64;
    summary.excluded = scored.excluded.len() as u64;
    for (c, reason) in &scored.excluded {
        let at = Location { source: "customer".into(), row: 0, line: None };
        let cells = score::customer_cells(program, c);
        let reject =
            Reject { at: &at, column: "", value: "", code: "tier::outside_population", message: reason, cells: &cells };
        score::add_reject(&mut rejects, &reject).map_err(stop)?;
    }
    let n = program.fields.len();
    let records = scored.kept.into_iter().enumerate().map(move |(i, c)| {
        let at = Location { source: format!("customer `{}`", c.key).into(), row: i + 1, line: None };
        let mut values = c.frame;
        values.truncate(n);
        Ok(tierlang::run::Record { at, key: c.key, values, kept: c.kept })
    });
    super::apply::pipeline_with(args, program, today, Box::new(records), stages, summary, format, rejects)
}

pub(super) fn stop(e: RunError) -> Stop {
    match e {
        RunError::Data(e) => Stop::Data(e),
        RunError::Io(e) => Stop::Io(e.to_string()),
        RunError::Usage(e) => Stop::Usage(e),
    }
}

/// [`score::score`] for the commands that report rather than write (`explain`,
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
    let plain_only = std::env::var_os("TIER_PLAIN_PATH").is_some();
    let (keep, sheet, map_events) = (&[][..], None, false);
    let inputs = Inputs { events, customers, input_format, skip_bad: false, keep, plain_only, sheet, map_events };
    let mut summary = Summary::new(program);
    let mut none: Option<tierlang::data::RejectWriter<std::io::Sink>> = None;
    match score::score(&inputs, program, evaluator, today, &mut none, &mut summary) {
        Ok(s) => Ok(s),
        Err(RunError::Data(e)) => {
            eprint!("{}", super::render::human(&e, None));
            Err(if super::apply::unreadable(&e) { super::USAGE } else { super::FAILED })
        }
        Err(RunError::Io(e)) => Err(super::usage_error(e)),
        Err(RunError::Usage(e)) => Err(super::usage_error(e)),
    }
}
