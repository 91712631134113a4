//! `tier apply`: tiers and strategies for every record of a data file.
//!
//! Output and reject files are written to a temporary file beside the target and
//! renamed at the end, so a failed run never leaves half a file; output to stdout
//! is held until the run has succeeded for the same reason.

use super::policy::Loaded;
use super::render;
use super::test::parse_date;
use super::{usage_error, FAILED, OK};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use tierlang::compile::{compile, Program};
use tierlang::coverage::Coverage;
use tierlang::data::{DataError, Format, Location, Reader, Reject, RejectWriter, Rejected, Summary, Writer};
use tierlang::eval::{Evaluator, Value};
use tierlang::explain::Explainer;
use tierlang::number::Date;

#[derive(clap::Args)]
pub struct Args {
    /// The policy file
    policy: PathBuf,
    /// The data file (CSV with header, JSON array, NDJSON); `-` for stdin. Not
    /// needed with --events (customer attributes then come from --customers)
    pub(super) data: Option<String>,
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
    /// The date `today` stands for (YYYY-MM-DD; default: the current date, UTC)
    #[arg(long, value_parser = parse_date)]
    as_of: Option<Date>,
    /// What a bad record does: stop the run (default), or skip it into --rejects
    #[arg(long, value_enum, default_value = "stop")]
    pub(super) on_error: OnError,
    /// CSV file listing every skipped record with its reason (needed with --on-error
    /// skip); with metrics, also the customers outside the population
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
    /// Add per dimension the deciding criterion, the nearest tier above and what it
    /// takes to get there (`DIM_reason`, `DIM_next`, `DIM_next_gap`, `DIM_next_distance`)
    #[arg(long)]
    explain: bool,
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
    let loaded = match Loaded::read(&args.policy) {
        Ok(l) => l,
        Err(e) => return usage_error(format_args!("cannot read policy `{}`: {e}", args.policy.display())),
    };
    let has_errors = loaded.report_errors();
    let Some(checked) = loaded.checked.as_ref().filter(|_| !has_errors) else {
        eprintln!("{}: the policy has errors; nothing was applied", loaded.path);
        return FAILED;
    };
    let program = compile(checked);
    let today = args.as_of.unwrap_or_else(current_date);
    if program.metrics.is_some() {
        if args.previous.is_some() || super::apply_over_time::applies(&program) {
            return usage_error("retention rules, --previous and budgets do not support metrics yet");
        }
        return run_metrics(&args, checked, &loaded.source, &program, today);
    }
    if args.events.is_some() || args.customers.is_some() {
        return usage_error("--events and --customers are for policies with `events` and `metric`s");
    }
    let Some(data) = args.data.clone() else {
        return usage_error("pass the data file to apply the policy to (or `-` for stdin)");
    };
    let input_format = args.input_format.or_else(|| Format::from_path(Path::new(&data)));
    let Some(input_format) = input_format else {
        return usage_error(format_args!(
            "cannot tell the format of `{data}` from its name: pass --input-format csv|json|ndjson"
        ));
    };
    let format = args.format.or_else(|| Format::from_path(Path::new(&args.output))).unwrap_or(input_format);
    let input: Box<dyn Read> = if data == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(&data) {
            Ok(f) => Box::new(std::io::BufReader::with_capacity(1 << 16, f)),
            Err(e) => return usage_error(format_args!("cannot read data `{data}`: {e}")),
        }
    };
    if args.as_of.is_none() && checked.reads_today() && args.summary != SummaryFormat::None {
        // The policy's tests ran at its `as_of`; say which day this run stands on.
        let tests_at = super::check::header_as_of(checked).map_or(String::new(), |d| format!(" (its tests use {d})"));
        eprintln!(
            "note: the policy reads `today`: using the current date {today}{tests_at}; pass --as-of DATE to fix it"
        );
    }
    let source = if data == "-" { "<stdin>".to_string() } else { data.clone() };
    if args.previous.is_some() || super::apply_over_time::applies(&program) {
        if args.explain || args.coverage {
            return usage_error(
                "--explain and --coverage do not combine with retention rules, --previous or budgets yet",
            );
        }
        let done = super::apply_over_time::execute(&args, &program, input, input_format, &source, format, today);
        return finish(&args, &program, done);
    }
    let mut coverage = args.coverage.then(|| Coverage::new(checked));
    let input = Input { read: input, format: input_format, name: source };
    let explainer = args.explain.then(|| Explainer::new(checked, &program, &loaded.source, today));
    let done = execute(&args, &program, input, format, today, coverage.as_mut(), explainer.as_ref());
    let code = finish(&args, &program, done.map(|summary| (summary, String::new(), serde_json::Value::Null)));
    if let Some(c) = coverage.as_ref().filter(|_| code == OK) {
        eprint!("{}", coverage_report(c, &loaded));
    }
    code
}

/// Ends a run: the summary on stderr (with what a kind of run adds, as text
/// after the table or as fields of the JSON object), or the reason it stopped.
fn finish(args: &Args, program: &Program, done: Result<(Summary, String, serde_json::Value), Stop>) -> u8 {
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
            eprintln!("stopped: no output was written (use --on-error skip --rejects FILE to set bad records aside)");
            FAILED
        }
        Err(Stop::Io(e) | Stop::Usage(e)) => usage_error(e),
    }
}

/// `tier apply` of a policy with metrics (see `apply_metrics`).
fn run_metrics(args: &Args, checked: &tierlang::check::Checked, source: &str, program: &Program, today: Date) -> u8 {
    if args.coverage {
        return usage_error("--coverage does not support metrics yet: run `tier test --coverage` on the policy");
    }
    let explainer = args.explain.then(|| Explainer::new(checked, program, source, today));
    if args.as_of.is_none() && args.summary != SummaryFormat::None {
        let tests_at = super::check::header_as_of(checked).map_or(String::new(), |d| format!(" (its tests use {d})"));
        eprintln!("note: using the current date {today} as the as-of date{tests_at}; pass --as-of DATE to fix it");
    }
    let format = args.format.or_else(|| Format::from_path(Path::new(&args.output))).unwrap_or(Format::Csv);
    let done = super::apply_metrics::execute(args, program, format, today, explainer.as_ref());
    finish(args, program, done.map(|summary| (summary, String::new(), serde_json::Value::Null)))
}

pub(super) enum Stop {
    Data(DataError),
    Io(String),
    /// A mistake in the command line.
    Usage(String),
}

/// The data to read: the stream, its format, and its name for error locations.
struct Input {
    read: Box<dyn Read>,
    format: Format,
    name: String,
}

fn execute(
    args: &Args,
    program: &Program,
    input: Input,
    format: Format,
    today: Date,
    mut coverage: Option<&mut Coverage>,
    explainer: Option<&Explainer>,
) -> Result<Summary, Stop> {
    if let Some(summary) = fast_path(args, program, &input, format, today, coverage.is_some() || explainer.is_some())? {
        return Ok(summary);
    }
    let source = input.name.as_str();
    let reader = Reader::new(input.read, input.format, source, &program.fields, program.key).map_err(Stop::Data)?;
    let out = Output::create(&args.output)?;
    let extra = explainer.map_or(Vec::new(), Explainer::columns);
    let mut writer = Writer::new(out, format, program, extra, args.tiers_only).map_err(io)?;
    let mut rejects = open_rejects(args)?;
    let evaluator = Evaluator::with_tables(program, today);
    // Each record's money is kept for the Pareto points only if a summary is printed.
    let mut summary =
        if args.summary == SummaryFormat::None { Summary::new(program) } else { Summary::with_values(program) };
    let mut frame: Vec<Value> = Vec::with_capacity(program.frame_size);
    for row in reader {
        summary.read += 1;
        let failure = match row {
            Ok(row) => {
                frame.clear();
                frame.extend(row.values.iter().cloned());
                match evaluator.evaluate(&mut frame) {
                    Ok(_) if summary.fits(&row.values).is_err() => {
                        let slot = summary.fits(&row.values).err().unwrap_or_default();
                        let error = tierlang::data::out_of_range(program, slot, row.at.clone(), &row.values);
                        let cells = field_cells(program, &row.values, &row.key);
                        (row.at, "tier::bad_value", error.to_string(), cells, Some(error))
                    }
                    Ok(decisions) => {
                        let extra = explainer.map_or(Vec::new(), |e| e.columns_for(&decisions, &row.values));
                        writer.write(&row.key, &decisions, &extra).map_err(io)?;
                        summary.add(&frame, &decisions);
                        if let Some(c) = coverage.as_deref_mut() {
                            c.record(program, &evaluator, &frame);
                        }
                        continue;
                    }
                    Err(e) => {
                        let cells = field_cells(program, &row.values, &row.key);
                        (row.at, "tier::unique_overlap", e.to_string(), cells, None)
                    }
                }
            }
            Err(Rejected { error, .. }) if unreadable(&error) => return Err(Stop::Data(error)),
            Err(Rejected { error, cells }) => {
                let at = error.location().cloned().unwrap_or(Location { source: source.into(), row: 0, line: None });
                let code = diag_code(&error);
                (at, code, error.to_string(), cells, Some(error))
            }
        };
        let (at, code, message, cells, error) = failure;
        let Some(rejects) = rejects.as_mut() else {
            return Err(Stop::Data(error.unwrap_or(DataError::Malformed { at, message, help: None })));
        };
        summary.rejected += 1;
        let column = error.as_ref().and_then(DataError::column).unwrap_or_default();
        let value = error.as_ref().and_then(DataError::value).unwrap_or_default();
        let reject = Reject { at: &at, column, value, code, message: &message, cells: &cells };
        rejects.write(&reject).map_err(|e| Stop::Io(e.to_string()))?;
    }
    let rejects = rejects.map(|r| r.finish().map_err(io)).transpose()?;
    commit(writer.finish().map_err(io)?, rejects)?;
    Ok(summary)
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

/// The parallel CSV path (`data::fast`) for a file input that stops on the first
/// bad record; `None` when it does not apply or hands back to the plain path,
/// which then produces identical output (or reports the bad record as usual).
fn fast_path(
    args: &Args,
    program: &Program,
    input: &Input,
    format: Format,
    today: Date,
    extras: bool,
) -> Result<Option<Summary>, Stop> {
    let plain_only = std::env::var_os("TIER_PLAIN_PATH").is_some();
    let Some(data) = args.data.as_deref() else { return Ok(None) };
    if plain_only || extras || input.format != Format::Csv || args.on_error != OnError::Stop || data == "-" {
        return Ok(None);
    }
    let Ok(file) = std::fs::File::open(data) else { return Ok(None) };
    let mut out = Output::create(&args.output)?;
    match tierlang::data::fast::run(program, file, &mut out, format, args.tiers_only, today) {
        Ok(summary) => {
            out.commit()?;
            Ok(Some(summary))
        }
        Err(_) => Ok(None),
    }
}

/// The reject report `--rejects FILE` asks for (written only when the run succeeds).
pub(super) fn open_rejects(args: &Args) -> Result<Option<RejectWriter<Output>>, Stop> {
    match &args.rejects {
        Some(path) => Ok(Some(
            RejectWriter::new(Output::create(&path.display().to_string())?).map_err(|e| Stop::Io(e.to_string()))?,
        )),
        None => Ok(None),
    }
}

/// One unreadable record into the reject report: where, what, and its cells.
/// `code` overrides the error's own (a record that decoded but matched two tiers).
pub(super) fn write_reject(
    rejects: &mut RejectWriter<Output>,
    error: &DataError,
    cells: &[(String, String)],
    source: &str,
    code: Option<&str>,
) -> Result<(), Stop> {
    let at = error.location().cloned().unwrap_or(Location { source: source.into(), row: 0, line: None });
    let message = error.to_string();
    let reject = Reject {
        at: &at,
        column: error.column().unwrap_or_default(),
        value: error.value().unwrap_or_default(),
        code: code.unwrap_or(diag_code(error)),
        message: &message,
        cells,
    };
    rejects.write(&reject).map_err(|e| Stop::Io(e.to_string()))
}

/// An input that cannot be read (any further) is not a bad record: it stops the
/// run with exit 2 whatever `--on-error` says, and is never a reject.
pub(super) fn unreadable(e: &DataError) -> bool {
    matches!(e, DataError::Unreadable { .. })
}

pub(super) fn diag_code(e: &DataError) -> &'static str {
    match e {
        DataError::BadValue { .. } => "tier::bad_value",
        DataError::MissingValue { .. } => "tier::missing_value",
        DataError::Malformed { .. } => "tier::malformed_record",
        DataError::MissingColumn { .. } => "tier::missing_column",
        DataError::Unreadable { .. } => "tier::unreadable_input",
    }
}

/// A record's decoded fields, for the reject report of a record that decoded
/// but could not be classified.
pub(super) fn field_cells(program: &Program, values: &[Value], key: &str) -> Vec<(String, String)> {
    let mut cells = vec![(program.fields[program.key].column.clone(), key.to_string())];
    for (f, v) in program.fields.iter().zip(values) {
        let text = match v {
            Value::Missing => String::new(),
            Value::Num(d) => d.normalize().to_string(),
            Value::Text(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Date(d) => d.to_string(),
            Value::DateTime(s) => tierlang::number::format_datetime(*s),
            Value::Enum(i) => f.enum_values.get(*i as usize).cloned().unwrap_or_default(),
        };
        if f.column != cells[0].0 {
            cells.push((f.column.clone(), text));
        }
    }
    cells
}

pub(super) fn io(e: std::io::Error) -> Stop {
    Stop::Io(e.to_string())
}

/// An output that appears only when the run succeeds.
pub(super) enum Output {
    Stdout(Vec<u8>),
    File(std::io::BufWriter<tempfile::NamedTempFile>, PathBuf),
    /// A device or pipe (`/dev/null`, a FIFO): written in place, never replaced.
    Special(Vec<u8>, PathBuf),
}

impl Output {
    pub(super) fn create(target: &str) -> Result<Output, Stop> {
        if target == "-" {
            return Ok(Output::Stdout(Vec::new()));
        }
        let path = PathBuf::from(target);
        // Renaming a temporary file over `/dev/null` would replace the device.
        if std::fs::metadata(&path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            return Ok(Output::Special(Vec::new(), path));
        }
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let tmp = tempfile::Builder::new()
            .prefix(".tier-")
            .tempfile_in(dir)
            .map_err(|e| Stop::Io(format!("cannot write `{target}`: {e}")))?;
        super::interrupt::watch(tmp.path());
        Ok(Output::File(std::io::BufWriter::new(tmp), path))
    }

    pub(super) fn commit(self) -> Result<(), Stop> {
        match self {
            Output::Stdout(buf) => std::io::stdout().lock().write_all(&buf).map_err(io),
            Output::Special(buf, path) => std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|mut f| f.write_all(&buf))
                .map_err(|e| Stop::Io(format!("cannot write `{}`: {e}", path.display()))),
            Output::File(w, path) => {
                let tmp = w.into_inner().map_err(|e| io(e.into_error()))?;
                let temp = tmp.path().to_path_buf();
                tmp.persist(&path).map_err(|e| Stop::Io(format!("cannot write `{}`: {}", path.display(), e.error)))?;
                super::interrupt::forget(&temp);
                Ok(())
            }
        }
    }
}

/// Commits a run's output and its reject report once both are completely
/// written (a full disk fails here, before either appears), the reject report
/// first: no failure leaves an output whose skipped records are nowhere.
pub(super) fn commit(out: Output, rejects: Option<Output>) -> Result<(), Stop> {
    let mut all: Vec<Output> = rejects.into_iter().chain([out]).collect();
    for o in &mut all {
        o.flush().map_err(io)?;
        if let Output::File(f, _) = o {
            f.get_ref().as_file().sync_all().map_err(io)?;
        }
    }
    all.into_iter().try_for_each(Output::commit)
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Stdout(v) | Output::Special(v, _) => v.write(buf),
            Output::File(f, _) => f.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Stdout(_) | Output::Special(..) => Ok(()),
            Output::File(f, _) => f.flush(),
        }
    }
}

/// Today's date in UTC, for `today` when no --as-of is given.
pub fn current_date() -> Date {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    Date((secs / 86_400) as i32)
}
