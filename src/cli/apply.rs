//! `tier apply`: tiers and strategies for every record of a data file.
//!
//! Output and reject files appear only when the run succeeds
//! (`tierlang::data::output`).

use super::policy::Loaded;
use super::render;
use super::test::parse_date;
use super::{usage_error, FAILED, OK};
use std::path::{Path, PathBuf};
use tierlang::compile::{compile, Program};
use tierlang::coverage::Coverage;
use tierlang::data::fast;
use tierlang::data::mapped::Mapped;
use tierlang::data::output::Output;
use tierlang::data::{DataError, Format, Reader, RejectWriter, Summary};
use tierlang::eval::Evaluator;
use tierlang::explain::Explainer;
use tierlang::number::Date;
use tierlang::run::{OverTime, Stages};

#[derive(clap::Args)]
pub struct Args {
    /// The policy file
    policy: PathBuf,
    /// The data file (CSV with header, JSON array, NDJSON, Excel .xlsx/.xls,
    /// Parquet); `-` for stdin. Not needed with --events (customer attributes
    /// then come from --customers)
    pub(super) data: Option<String>,
    /// The sheet of an Excel data or customers file to read (default: the first)
    #[arg(long)]
    pub(super) sheet: Option<String>,
    /// The event log (e.g. invoice lines) a policy's `events` block aggregates
    #[arg(long)]
    pub(super) events: Option<PathBuf>,
    /// Per-customer attributes (the policy's schema) to join with the event metrics
    #[arg(long)]
    pub(super) customers: Option<String>,
    /// Where to write the result; `-` (the default) for stdout
    #[arg(short, long, default_value = "-")]
    pub(super) output: String,
    /// Output format (default: from the output file's extension, else the input's)
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Input format (default: from the data file's extension)
    #[arg(long, value_enum)]
    pub(super) input_format: Option<Format>,
    /// The date `today` stands for (YYYY-MM-DD; default: the policy's `as_of:`, else the current date, UTC)
    #[arg(long, value_parser = parse_date)]
    as_of: Option<Date>,
    /// What a bad record does: stop the run (default), or skip it into --rejects
    #[arg(long, value_enum, default_value = "stop")]
    pub(super) on_error: OnError,
    /// File listing every skipped record with its reason (.csv, .xlsx or
    /// .parquet; needed with --on-error skip); with metrics, also the customers
    /// outside the population
    #[arg(long)]
    pub(super) rejects: Option<PathBuf>,
    /// Summary on stderr: a table, JSON, or nothing
    #[arg(long, value_enum, default_value = "table")]
    summary: SummaryFormat,
    /// Report on stderr how often each tier was chosen and each condition held
    #[arg(long)]
    coverage: bool,
    /// Output only the key and each dimension's tier name (no labels, no strategy)
    #[arg(long)]
    pub(super) tiers_only: bool,
    /// The previous run's output: adds per dimension the previous tier, the
    /// movement (new, promoted, demoted, retained, held, gone) and the state the
    /// next run needs, under the policy's retention rules
    #[arg(long)]
    pub(super) previous: Option<PathBuf>,
    /// Copy these input columns (input column names or schema field names,
    /// comma-separated) into the output right after the key, e.g. `--keep 姓名,branch`
    #[arg(long, value_delimiter = ',')]
    pub(super) keep: Vec<String>,
    /// Add per dimension the deciding criterion, the nearest tier above and what it
    /// takes to get there (`DIM_reason`, `DIM_next`, `DIM_next_gap`, `DIM_next_distance`)
    #[arg(long)]
    explain: bool,
    /// Also write a self-contained HTML report of the run (tiers, money, the
    /// Pareto curve, migration, budgets, rejects), e.g. `--report report.html`
    #[arg(long)]
    pub(super) report: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
pub(super) enum OnError {
    Stop,
    Skip,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum SummaryFormat {
    Table,
    Json,
    None,
}

pub fn run(args: Args) -> u8 {
    super::interrupt::install();
    if args.on_error == OnError::Skip && args.rejects.is_none() {
        return usage_error("--on-error skip needs --rejects FILE, so that no skipped record is lost");
    }
    if let Err(e) = check_output_names(&args) {
        return usage_error(e);
    }
    let (loaded, today) = match super::policy::load_for_run(&args.policy, args.as_of) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let Some(checked) = loaded.checked.as_ref() else { return FAILED };
    let program = compile(checked);
    if let Err(e) = check_keep(&args.keep, &program) {
        return usage_error(e);
    }
    let metrics = program.metrics.is_some();
    if !metrics && (args.events.is_some() || args.customers.is_some()) {
        return usage_error("--events and --customers are for policies with `events` and `metric`s");
    }
    // With retention rules even the first run records history (everyone is new).
    let over_time = if args.previous.is_some() || program.dimensions.iter().any(|d| d.retention.is_some()) {
        let previous = match &args.previous {
            Some(p) => match tierlang::data::previous::read(&p.display().to_string(), &program) {
                Ok(states) => Some(states),
                Err(e) => return finish(&args, &program, Err(Stop::Data(e))),
            },
            None => None,
        };
        Some(OverTime::new(&program, previous, today))
    } else {
        None
    };
    let mut coverage = args.coverage.then(|| Coverage::new(checked));
    let explainer = args.explain.then(|| Explainer::new(checked, &program, &loaded.source, today));
    let stages = Stages {
        skip_bad: args.on_error == OnError::Skip,
        explainer: explainer.as_ref(),
        coverage: coverage.as_mut(),
        over_time,
    };
    let done = if metrics {
        let format = args.format.or_else(|| Format::from_path(Path::new(&args.output))).unwrap_or(Format::Csv);
        super::apply_metrics::execute(&args, &program, format, today, stages)
    } else {
        match input(&args) {
            Ok(input) => execute(&args, &program, input, today, stages),
            Err(code) => return code,
        }
    };
    let code = finish(&args, &program, done);
    if let Some(c) = coverage.as_ref().filter(|_| code == OK) {
        eprint!("{}", coverage_report(c, &loaded));
    }
    code
}

/// The data file of a run without metrics, with its format.
fn input(args: &Args) -> Result<Input, u8> {
    let Some(data) = args.data.clone() else {
        return Err(usage_error("pass the data file to apply the policy to (or `-` for stdin)"));
    };
    let Some(format) = args.input_format.or_else(|| Format::from_path(Path::new(&data))) else {
        return Err(usage_error(format_args!(
            "cannot tell the format of `{data}` from its name: pass --input-format csv|json|ndjson|xlsx|parquet"
        )));
    };
    if data != "-" {
        if let Err(e) = std::fs::File::open(&data) {
            return Err(usage_error(format_args!("cannot read data `{data}`: {e}")));
        }
    }
    Ok(Input { path: data, format })
}

/// Refuses output names whose extension tier does not write (`-o out.parquet`
/// would otherwise get CSV under that name), before any input is read.
fn check_output_names(args: &Args) -> Result<(), String> {
    let ext = |p: &Path| p.extension().map(|e| e.to_string_lossy().into_owned());
    let out = Path::new(&args.output);
    if args.format.is_none() && args.output != "-" {
        if let (Some(e), None) = (ext(out), Format::from_path(out)) {
            return Err(format!(
                "tier does not write `.{e}` files (`{}`): name the output .csv, .json, .ndjson, .xlsx or .parquet, or pass --format",
                args.output
            ));
        }
        if let Some(why) = Format::unwritable(out) {
            return Err(format!("`{}`: {why}", args.output));
        }
    }
    if let Some(r) = &args.rejects {
        let table = matches!(Format::from_path(r), Some(Format::Csv | Format::Xlsx | Format::Parquet));
        if ext(r).is_some() && (!table || Format::unwritable(r).is_some()) {
            return Err(format!("the reject report is a table: name it .csv, .xlsx or .parquet (`{}`)", r.display()));
        }
    }
    if let Some(r) = &args.report {
        if !matches!(ext(r).as_deref().map(str::to_ascii_lowercase).as_deref(), Some("html" | "htm")) {
            return Err(format!("the report is an HTML page: name it .html (`{}`)", r.display()));
        }
    }
    if args.sheet.is_some() {
        let sheet_input = [args.customers.as_deref(), args.data.as_deref()]
            .into_iter()
            .flatten()
            .any(|d| args.input_format.or_else(|| Format::from_path(Path::new(d))) == Some(Format::Xlsx));
        if !sheet_input {
            return Err("--sheet names a sheet of an Excel data or customers file (.xlsx, .xls, .ods)".into());
        }
    }
    Ok(())
}

/// `--keep` names must not clash with the columns tier writes itself.
fn check_keep(keep: &[String], program: &Program) -> Result<(), String> {
    let key = &program.fields[program.key].name;
    for (i, name) in keep.iter().enumerate() {
        let ours = name == key
            || name == "strategy"
            || name.starts_with("strategy.")
            || program.dimensions.iter().any(|d| name == &d.name || name.starts_with(&format!("{}_", d.name)));
        if ours {
            return Err(format!("--keep `{name}`: tier writes a column of that name itself"));
        }
        if name.trim().is_empty() || keep[..i].contains(name) {
            return Err(format!("--keep `{name}`: name each column once"));
        }
    }
    Ok(())
}

/// Ends a run: the summary on stderr (with what a kind of run adds, as text
/// after the table or as fields of the JSON object), or the reason it stopped.
fn finish(args: &Args, program: &Program, done: Result<Done, Stop>) -> u8 {
    match done {
        Ok((summary, text, json)) => {
            match args.summary {
                SummaryFormat::Table => eprint!("{}{text}", summary.render(program)),
                SummaryFormat::Json => {
                    let mut doc = summary.to_json(program);
                    if let (Some(d), serde_json::Value::Object(more)) = (doc.as_object_mut(), json) {
                        d.extend(more);
                    }
                    eprintln!("{doc}");
                }
                SummaryFormat::None => {}
            }
            OK
        }
        Err(Stop::Data(e)) => {
            eprint!("{}", render::human(&e, None));
            if unreadable(&e) {
                eprintln!("stopped: no output was written");
                return super::USAGE;
            }
            // The hint only where setting the record aside would have let the run go on.
            if e.skippable() && args.on_error == OnError::Stop {
                eprintln!(
                    "stopped: no output was written (use --on-error skip --rejects FILE to set bad records aside)"
                );
            } else {
                eprintln!("stopped: no output was written");
            }
            FAILED
        }
        Err(Stop::Io(e) | Stop::Usage(e)) => usage_error(e),
    }
}

pub(super) enum Stop {
    Data(DataError),
    Io(String),
    /// A mistake in the command line.
    Usage(String),
}

/// The data to read: its path (`-`: stdin) and format.
struct Input {
    path: String,
    format: Format,
}

/// A run without metrics: the parallel path where it applies, else the
/// records of the data file through the pipeline.
fn execute(args: &Args, program: &Program, input: Input, today: Date, stages: Stages) -> Result<Done, Stop> {
    let format = args.format.or_else(|| Format::from_path(Path::new(&args.output))).unwrap_or(input.format);
    // The report's Pareto curve needs the values the parallel path does not keep.
    let plain_only =
        stages.explainer.is_some() || stages.coverage.is_some() || stages.over_time.is_some() || args.report.is_some();
    if !plain_only {
        if let Some(summary) = fast_path(args, program, &input, format, today)? {
            return Ok((summary, String::new(), serde_json::Value::Null));
        }
    }
    let reader = Reader::open(&input.path, input.format, args.sheet.as_deref(), &program.fields, program.key)
        .map_err(Stop::Data)?
        .keep(&args.keep)
        .map_err(Stop::Usage)?;
    let records: tierlang::run::Records = Box::new(reader.map(|r| r.map(tierlang::run::Record::from)));
    // Each record's money is kept for the Pareto points only if a summary or report shows them.
    let summary = if args.summary == SummaryFormat::None && args.report.is_none() {
        Summary::new(program)
    } else {
        Summary::with_values(program)
    };
    pipeline(args, program, today, records, stages, summary, format)
}

/// What a finished run prints: the summary, and the text and JSON its stages add.
pub(super) type Done = (Summary, String, serde_json::Value);

/// Runs the library's pipeline over `records`, then commits the reject report
/// and the output (in that order: a failure leaves neither).
pub(super) fn pipeline(
    args: &Args,
    program: &Program,
    today: Date,
    records: tierlang::run::Records,
    stages: Stages,
    summary: Summary,
    format: Format,
) -> Result<Done, Stop> {
    let rejects = open_rejects(args)?;
    pipeline_with(args, program, today, records, stages, summary, format, rejects)
}

/// [`pipeline`] with a reject report already open (a metric run writes the
/// customers it could not score into it first).
#[allow(clippy::too_many_arguments)]
pub(super) fn pipeline_with(
    args: &Args,
    program: &Program,
    today: Date,
    records: tierlang::run::Records,
    stages: Stages,
    summary: Summary,
    format: Format,
    rejects: Option<RejectWriter<Output>>,
) -> Result<Done, Stop> {
    let evaluator = Evaluator::with_tables(program, today);
    let out = Output::create(&args.output).map_err(io)?;
    let writer = (out, format, args.keep.clone(), args.tiers_only);
    let outcome = tierlang::run::run(program, &evaluator, records, stages, summary, writer, rejects)
        .map_err(super::apply_metrics::stop)?;
    let report = match &args.report {
        Some(path) => {
            let mut page = Output::create(&path.display().to_string()).map_err(io)?;
            let report = tierlang::report::Report {
                program,
                as_of: today,
                summary: &outcome.summary,
                over_time: outcome.over_time.as_ref(),
                budgets: &outcome.budgets,
                reject_reasons: &outcome.reject_reasons,
            };
            std::io::Write::write_all(&mut page, tierlang::report::html(&report).as_bytes()).map_err(io)?;
            Some(page)
        }
        None => None,
    };
    // The reject report first, the output last: a failure never leaves an
    // output whose skipped records are nowhere.
    let all = outcome.rejects.into_iter().chain(report).chain([outcome.out]).collect();
    tierlang::data::output::commit_all(all).map_err(io)?;
    let (text, json) = super::apply_over_time::report(program, outcome.over_time.as_ref(), &outcome.budgets);
    Ok((outcome.summary, text, json))
}

/// How often each tier was chosen and each condition held on the data, and the
/// conditions that never held.
fn coverage_report(c: &Coverage, loaded: &Loaded) -> String {
    use std::fmt::Write as _;
    let text = |s: &std::ops::Range<usize>| loaded.source.get(s.clone()).unwrap_or("?");
    let mut out = format!("coverage on {} records:\n", c.records);
    let mut never = Vec::new();
    for d in &c.dimensions {
        for t in &d.tiers {
            let _ = writeln!(out, "  {}.{}: chosen {}", d.name, t.name, t.chosen);
            for cc in &t.conditions {
                let o = &cc.outcomes;
                let _ = writeln!(out, "    {}: true {}, false {}", text(&cc.span), o.true_count, o.false_count);
                if o.true_count == 0 {
                    let (l, col) = render::line_col(&loaded.source, cc.span.start);
                    never.push(format!("  {}:{l}:{col}: `{}`", loaded.path, text(&cc.span)));
                }
            }
        }
        if d.unmatched > 0 {
            let _ = writeln!(out, "  {}: {} records matched no tier", d.name, d.unmatched);
        }
    }
    if !never.is_empty() {
        let _ = writeln!(out, "conditions never true on the data:\n{}", never.join("\n"));
    }
    out
}

/// The parallel path (`data::fast`) for a CSV, NDJSON, JSON array or Parquet file; `None` when it does
/// not apply or hands back to the plain path, which then produces identical
/// output (or reports the bad record as usual). With `--on-error skip` bad
/// records go to the reject report from the parallel path itself.
fn fast_path(
    args: &Args,
    program: &Program,
    input: &Input,
    format: Format,
    today: Date,
) -> Result<Option<Summary>, Stop> {
    let plain_only = std::env::var_os("TIER_PLAIN_PATH").is_some();
    let Some(data) = args.data.as_deref() else { return Ok(None) };
    // An Excel input has no bytes to split (its rows are read whole); every
    // output format is written in order, by the plain writer where it must be.
    let unfit = !matches!(input.format, Format::Csv | Format::Ndjson | Format::Json | Format::Parquet);
    if plain_only || unfit || data == "-" {
        return Ok(None);
    }
    // Betting first that the keys increase (see `fast::apply_increasing`);
    // where they do not, once more hashing them.
    for increasing in [input.format != Format::Parquet, false] {
        let Ok(file) = std::fs::File::open(data) else { return Ok(None) };
        // A text file of a megabyte or more is mapped, not read (no copy of
        // each block); Parquet workers read their row groups themselves.
        let mapped = match input.format {
            Format::Parquet => Err(file),
            _ => Mapped::new(file, tierlang::data::mapped::WORTH_MAPPING),
        };
        let mut out = Output::create(&args.output).map_err(io)?;
        let mut rejects = open_rejects(args)?;
        let shape = (format, args.tiers_only, args.keep.as_slice());
        let fast = |out: &mut Output, skip| {
            let (sizes, path) = (Default::default(), Some(Path::new(data)));
            let source = match &mapped {
                Ok(m) => fast::Source::Mapped(m),
                Err(file) => fast::Source::Read(file),
            };
            let done = match increasing {
                true => fast::apply_increasing(program, source, input.format, out, shape, today, sizes, skip),
                false => fast::apply(program, (source, path), input.format, out, shape, today, sizes, skip)
                    .map_err(|_| fast::Handback::Plain),
            };
            // Written to meanwhile: what was read is void; the plain path reads it again.
            match &mapped {
                Ok(m) if !m.unchanged() => Err(fast::Handback::Plain),
                _ => done,
            }
        };
        let done = match (&mut rejects, args.on_error) {
            (Some(report), OnError::Skip) => {
                let mut reject = |r: tierlang::data::Rejected| {
                    tierlang::run::score::write_reject(report, &r.error, &r.cells, None).map_err(|_| ())
                };
                fast(&mut out, Some(fast::Skip { source: &input.path, reject: &mut reject }))
            }
            _ => fast(&mut out, None),
        };
        let summary = match done {
            Ok(summary) => summary,
            Err(fast::Handback::Unsorted) if increasing => continue, // `out` and `rejects` are dropped unwritten
            Err(_) => return Ok(None),
        };
        let rejects = rejects.map(|r| r.finish().map_err(io)).transpose()?;
        tierlang::data::output::commit(out, rejects).map_err(io)?;
        return Ok(Some(summary));
    }
    Ok(None)
}

/// The reject report `--rejects FILE` asks for (written only when the run succeeds).
pub(super) fn open_rejects(args: &Args) -> Result<Option<RejectWriter<Output>>, Stop> {
    match &args.rejects {
        Some(path) => {
            let format = Format::from_path(path).unwrap_or(Format::Csv);
            let out = Output::create(&path.display().to_string()).map_err(io)?;
            Ok(Some(RejectWriter::with_format(out, format).map_err(|e| Stop::Io(e.to_string()))?))
        }
        None => Ok(None),
    }
}

/// An input that cannot be read (any further) is not a bad record: it stops the
/// run with exit 2 whatever `--on-error` says, and is never a reject.
pub(super) fn unreadable(e: &DataError) -> bool {
    matches!(e, DataError::Unreadable { .. })
}

pub(super) fn io(e: std::io::Error) -> Stop {
    Stop::Io(e.to_string())
}
