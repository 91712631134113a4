//! `tier explain`: why one record got its tier, and what it takes to move up.

use super::render;
use super::test::parse_date;
use super::{usage_error, FAILED, OK};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use tierlang::data::{Format, Reader};
use tierlang::explain::{Explainer, Explanation};
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
        match find_record(&args, &program) {
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

/// The customer's movement in each dimension since the previous output.
#[derive(serde::Serialize)]
struct HistoryLine {
    dimension: String,
    previous: Option<String>,
    /// The tier after the retention rules (the explanation above is the criteria's).
    tier: Option<String>,
    movement: tierlang::history::Movement,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

fn history(
    program: &tierlang::compile::Program,
    path: &str,
    key: &str,
    e: &Explanation,
    today: Date,
) -> Result<Vec<HistoryLine>, u8> {
    let previous = tierlang::data::previous::read(path, program).map_err(|err| {
        eprint!("{}", render::human(&err, None));
        FAILED
    })?;
    let states = previous.get(key);
    Ok(program
        .dimensions
        .iter()
        .zip(&e.dimensions)
        .enumerate()
        .map(|(d, (dim, x))| {
            let computed = dim.tiers.iter().position(|t| Some(&t.name) == x.tier.as_ref());
            let state = states.and_then(|s| s.get(d));
            let step = tierlang::history::step(dim, state, computed, today);
            HistoryLine {
                dimension: dim.name.clone(),
                previous: state.and_then(|s| s.tier.clone()),
                tier: step.tier.map(|t| dim.tiers[t].name.clone()),
                movement: step.movement,
                note: step.note,
            }
        })
        .collect())
}

/// A metric of the explained customer and how its population functions scored it.
#[derive(serde::Serialize)]
struct MetricLine {
    name: String,
    value: serde_json::Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scores: Vec<ScoreLine>,
}

#[derive(serde::Serialize)]
struct ScoreLine {
    /// The call as written, e.g. `quantile_score(recency, 5, reversed: true)`.
    call: String,
    input: serde_json::Value,
    value: serde_json::Value,
    /// Customers ranked.
    population: usize,
    /// `quantile_score`: the bucket edges, lowest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cut_points: Vec<serde_json::Value>,
    /// `quantile_score`: the bucket the input fell in, e.g. `(13.8, 33]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    bucket: Option<String>,
    /// `top`: the lowest value inside the top share.
    #[serde(skip_serializing_if = "Option::is_none")]
    threshold: Option<serde_json::Value>,
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
    use tierlang::run::{field_json, value_json};
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
    let Some(mp) = program.metrics.as_ref() else { return Err(FAILED) };
    let text = |span: &std::ops::Range<usize>| source.get(span.clone()).unwrap_or("?").to_string();
    let lines = mp
        .metrics
        .iter()
        .map(|m| MetricLine {
            name: m.name.clone(),
            value: field_json(&program.fields[m.slot], &c.frame[m.slot]),
            scores: m
                .pops
                .iter()
                .filter_map(|&i| {
                    let r = scored.results.get(i)?.as_ref()?;
                    let p = &mp.populations[i];
                    let num = |d: &tierlang::number::Decimal| tierlang::check::decimal_json(d.round_dp(6));
                    let input = evaluator.value(&p.arg, &c.frame);
                    // Buckets are closed on the right; the first also on the left.
                    let bucket = match &input {
                        tierlang::eval::Value::Num(v) if r.edges.len() > 1 => {
                            let b = (1..r.edges.len()).find(|&b| *v <= r.edges[b]).unwrap_or(r.edges.len() - 1);
                            let open = if b == 1 { "[" } else { "(" };
                            Some(format!("{open}{}, {}]", num(&r.edges[b - 1]), num(&r.edges[b])))
                        }
                        _ => None,
                    };
                    Some(ScoreLine {
                        call: text(&checked.populations[i].span),
                        input: value_json(&input),
                        bucket,
                        value: value_json(&c.frame[mp.pops_at + i]),
                        population: r.n,
                        cut_points: r.edges.iter().map(num).collect(),
                        threshold: r.threshold.as_ref().map(num),
                    })
                })
                .collect(),
        })
        .collect();
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
fn find_record(args: &Args, program: &tierlang::compile::Program) -> Result<(String, Vec<tierlang::eval::Value>), u8> {
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
    let mut read = 0;
    let mut found = None;
    let key_column = &program.fields[program.key].column;
    // The whole file is read: a record of the same key further down (a
    // duplicate) or a bad record with that key must not go unnoticed.
    for row in reader {
        read += 1;
        match row {
            Ok(row) if args.id.as_ref() == Some(&row.key) => found = found.or(Some((row.key, row.values))),
            Ok(_) => {}
            Err(rejected) => {
                let key = match &rejected.error {
                    tierlang::data::DataError::DuplicateKey { key, .. } => Some(key.as_str()),
                    _ => rejected.cells.iter().find(|(c, _)| c == key_column).map(|(_, v)| v.trim()),
                };
                if key.is_some() && key == args.id.as_deref() {
                    eprint!("{}", render::human(&rejected.error, None));
                    return Err(FAILED);
                }
            }
        }
    }
    if let Some(found) = found {
        return Ok(found);
    }
    let id = args.id.clone().unwrap_or_default();
    eprintln!("error: no record with key `{id}` in `{name}` ({read} records read)");
    Err(FAILED)
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
