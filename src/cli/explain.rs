//! `tier explain`: why one record got its tier, and what it takes to move up.

use super::render;
use super::test::parse_date;
use super::{usage_error, FAILED, OK};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use tierlang::compile::Program;
use tierlang::data::{Format, Reader};
use tierlang::explain::{
    find_record, history_lines, metric_lines, Explainer, Explanation, HistoryLine, MetricLine, NotFound,
};
use tierlang::number::Date;

#[derive(clap::Args)]
pub struct Args {
    /// The policy file
    policy: PathBuf,
    /// The data file holding the record (with --id)
    data: Option<String>,
    /// The key of the record to explain
    #[arg(long, conflicts_with = "record")]
    id: Option<String>,
    /// For a policy with metrics: the event log to aggregate (as `tier apply --events`)
    #[arg(long)]
    events: Option<PathBuf>,
    /// For a policy with metrics: per-customer attributes to join
    #[arg(long)]
    customers: Option<String>,
    /// The previous run's output: also explain the customer's movement under the
    /// retention rules (promoted, held, demoted, ...)
    #[arg(long)]
    previous: Option<PathBuf>,
    /// The record itself, as a JSON object (instead of DATA and --id)
    #[arg(long)]
    record: Option<String>,
    /// Input format of DATA (default: from its extension)
    #[arg(long, value_enum)]
    input_format: Option<Format>,
    /// The date `today` stands for (default: the policy's `as_of`, else the current date)
    #[arg(long, value_parser = parse_date)]
    as_of: Option<Date>,
    /// Human sentences or JSON
    #[arg(long, value_enum, default_value = "human")]
    format: ExplainFormat,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum ExplainFormat {
    Human,
    Json,
}

pub fn run(args: Args) -> u8 {
    if args.id.is_none() && args.record.is_none() {
        return usage_error("say which record: DATA --id KEY, or --record '{\"field\": value, ...}'");
    }
    let (loaded, today) = match super::policy::load_for_run(&args.policy, args.as_of) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let Some(checked) = loaded.checked.as_ref() else { return FAILED };
    let program = tierlang::compile::compile(checked);
    let (values, metrics) = if program.metrics.is_some() && args.record.is_none() {
        match scored_record(&args, &program, checked, &loaded.source, today) {
            Ok(Some(found)) => found,
            Ok(None) => return OK,
            Err(code) => return code,
        }
    } else {
        if args.data.is_none() && args.record.is_none() {
            return usage_error("--id needs the DATA file that holds the record");
        }
        match find(&args, &program) {
            Ok(v) => (v, Vec::new()),
            Err(code) => return code,
        }
    };
    let explainer = Explainer::new(checked, &program, &loaded.source, today);
    let explanation = explainer.explain(&values.1);
    let history = match &args.previous {
        Some(p) => match history(&program, &p.display().to_string(), &values.0, &explanation, today) {
            Ok(h) => h,
            Err(code) => return code,
        },
        None => Vec::new(),
    };
    match args.format {
        ExplainFormat::Json => {
            let mut doc = serde_json::json!({ "key": values.0, "as_of": today.to_string(), "dimensions": explanation.dimensions });
            if !metrics.is_empty() {
                doc["metrics"] = serde_json::to_value(&metrics).unwrap_or_default();
            }
            if !history.is_empty() {
                doc["history"] = serde_json::to_value(&history).unwrap_or_default();
            }
            println!("{doc}");
        }
        ExplainFormat::Human => {
            print!("{}", metrics_human(&values.0, &metrics));
            print!("{}", human(&values.0, &explanation));
            for h in &history {
                let was = h.previous.as_deref().unwrap_or("(not there)");
                let now = h.tier.as_deref().unwrap_or("no tier");
                let note = h.note.as_ref().map_or(String::new(), |n| format!(": {n}"));
                println!("history in `{}`: {was} → {now}, {}{note}", h.dimension, h.movement.name());
            }
        }
    }
    OK
}

fn history(program: &Program, path: &str, key: &str, e: &Explanation, today: Date) -> Result<Vec<HistoryLine>, u8> {
    let previous = tierlang::data::previous::read(path, program).map_err(|err| {
        eprint!("{}", render::human(&err, None));
        FAILED
    })?;
    Ok(history_lines(program, previous.get(key), e, today))
}

type Found = ((String, Vec<tierlang::eval::Value>), Vec<MetricLine>);

/// For a policy with metrics: runs the metrics over the whole input (scores need
/// every customer), then picks the customer. `Ok(None)`: it was reported as
/// outside the population.
fn scored_record(
    args: &Args,
    program: &tierlang::compile::Program,
    checked: &tierlang::check::Checked,
    source: &str,
    today: Date,
) -> Result<Option<Found>, u8> {
    use super::apply_metrics::score_or_report;
    let Some(id) = args.id.as_deref() else {
        return Err(usage_error("say which customer: --id KEY"));
    };
    let evaluator = tierlang::eval::Evaluator::new(program, today);
    let (events, customers, data) = (args.events.as_deref(), args.customers.as_deref(), args.data.as_deref());
    let scored = score_or_report(events, customers, data, args.input_format, program, &evaluator, today)?;
    if let Some((_, reason)) = scored.excluded.iter().find(|(c, _)| c.key == id) {
        println!("{id} is {reason}");
        return Ok(None);
    }
    let Some(c) = scored.kept.iter().find(|c| c.key == id) else {
        eprintln!("error: no customer `{id}` ({} customers)", scored.kept.len() + scored.excluded.len());
        return Err(FAILED);
    };
    let lines = metric_lines(program, checked, source, &evaluator, &scored, c);
    let n = program.fields.len();
    Ok(Some(((c.key.clone(), c.frame[..n].to_vec()), lines)))
}

fn metrics_human(key: &str, metrics: &[MetricLine]) -> String {
    let mut out = String::new();
    if metrics.is_empty() {
        return out;
    }
    let _ = writeln!(out, "{key} has metrics:");
    for m in metrics {
        let _ = writeln!(out, "  {} = {}", m.name, m.value);
        for s in &m.scores {
            let _ = write!(out, "    {} = {} with input {} among {} customers", s.call, s.value, s.input, s.population);
            if !s.cut_points.is_empty() {
                let cuts: Vec<String> = s.cut_points.iter().map(|c| c.to_string()).collect();
                let _ = write!(out, "; cut points {}", cuts.join(" | "));
                if let Some(b) = &s.bucket {
                    let _ = write!(out, "; {} is in {b}", s.input);
                }
            }
            if let Some(t) = &s.threshold {
                let _ = write!(out, "; the top starts at {t}");
            }
            out.push('\n');
        }
    }
    out
}

/// The record's key and field values, from --record or DATA --id.
fn find(args: &Args, program: &Program) -> Result<(String, Vec<tierlang::eval::Value>), u8> {
    let (input, format, name): (Box<dyn std::io::Read>, Format, String) = match (&args.record, &args.data) {
        (Some(json), _) => {
            return tierlang::data::record::from_json(program, json).map_err(|e| {
                eprintln!("error: {e}");
                FAILED
            })
        }
        (None, Some(data)) => {
            let Some(format) = args.input_format.or_else(|| Format::from_path(Path::new(data))) else {
                return Err(usage_error(format_args!("cannot tell the format of `{data}`: pass --input-format")));
            };
            match std::fs::File::open(data) {
                Ok(f) => (Box::new(std::io::BufReader::new(f)), format, data.clone()),
                Err(e) => return Err(usage_error(format_args!("cannot read data `{data}`: {e}"))),
            }
        }
        (None, None) => return Err(usage_error("no data")),
    };
    let reader = Reader::new(input, format, &name, &program.fields, program.key).map_err(|e| {
        eprint!("{}", render::human(&e, None));
        FAILED
    })?;
    let id = args.id.clone().unwrap_or_default();
    match find_record(program, reader, &id) {
        Ok(found) => Ok(found),
        Err(NotFound::Bad(e)) => {
            eprint!("{}", render::human(&e, None));
            Err(FAILED)
        }
        Err(NotFound::Missing { read }) => {
            eprintln!("error: no record with key `{id}` in `{name}` ({read} records read)");
            Err(FAILED)
        }
    }
}

fn human(key: &str, e: &Explanation) -> String {
    let mut out = String::new();
    for d in &e.dimensions {
        let got = match (&d.tier, &d.label) {
            (Some(t), Some(l)) => format!("`{t}` ({l})"),
            (Some(t), None) => format!("`{t}`"),
            (None, _) => "no tier".into(),
        };
        let _ = writeln!(out, "{key} gets {got} in `{}`:", d.dimension);
        for (i, t) in d.tiers.iter().enumerate() {
            let verdict = match (t.outcome, t.otherwise) {
                ("chosen", true) => "is chosen: it is the `otherwise` tier and no tier above matched",
                ("chosen", false) => "is chosen",
                ("matches", true) => "(the `otherwise` tier) would match, but a tier above comes first",
                ("matches", false) => "also matches, but a tier above comes first",
                _ => "does not match",
            };
            // A colon only where the conditions follow.
            let colon = if t.conditions.is_empty() || t.otherwise { "" } else { ":" };
            let _ = writeln!(out, "  {}. `{}` {verdict}{colon}", i + 1, t.tier);
            for c in &t.conditions {
                let mark = if c.holds { "holds" } else { "fails" };
                let values = if c.values.is_empty() { String::new() } else { format!(" ({})", c.values.join(", ")) };
                let _ = writeln!(out, "       `{}` {mark}{values}", c.condition);
            }
        }
        if !d.strategy.is_empty() {
            let _ = writeln!(out, "  strategy:");
            for s in &d.strategy {
                let from =
                    if Some(&s.from) == d.tier.as_ref() { String::new() } else { format!(" (from `{}`)", s.from) };
                let _ = writeln!(out, "    {} = {}{from}", s.key, s.value_text());
            }
        }
        if let Some(note) = &d.way_up_note {
            let _ = writeln!(out, "  way up: none ({note})");
        } else if d.tier.is_some() && d.way_up.is_empty() && d.tiers.first().is_some_and(|t| t.outcome == "chosen") {
            let _ = writeln!(out, "  way up: already in the top tier");
        }
        for w in &d.way_up {
            let moves: Vec<String> = w
                .changes
                .iter()
                .map(|c| match &c.delta {
                    Some(delta) => format!("{} {delta} → {}", c.field, c.to),
                    None => format!("{} {} → {}", c.field, c.from, c.to),
                })
                .collect();
            let tail = if w.requires.is_empty() {
                String::new()
            } else {
                format!(" (not by effort alone: needs {})", w.requires.join(", "))
            };
            let _ = writeln!(out, "  to reach `{}`: {}{tail}", w.tier, moves.join(" and "));
        }
    }
    out
}
