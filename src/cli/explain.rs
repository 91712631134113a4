//! `tier explain`: why one record got its tier, and what it takes to move up.

use super::policy::Loaded;
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
    #[arg(long, conflicts_with = "record", requires = "data")]
    id: Option<String>,
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
    let loaded = match Loaded::read(&args.policy) {
        Ok(l) => l,
        Err(e) => return usage_error(format_args!("cannot read policy `{}`: {e}", args.policy.display())),
    };
    let has_errors = loaded.report_errors();
    let Some(checked) = loaded.checked.as_ref().filter(|_| !has_errors) else {
        eprintln!("{}: the policy has errors; nothing was explained", loaded.path);
        return FAILED;
    };
    let program = tierlang::compile::compile(checked);
    let values = match find_record(&args, &program) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let today = args.as_of.or_else(|| super::check::header_as_of(checked)).unwrap_or_else(super::apply::current_date);
    let explainer = Explainer::new(checked, &program, &loaded.source, today);
    let explanation = explainer.explain(&values.1);
    match args.format {
        ExplainFormat::Json => {
            let doc = serde_json::json!({ "key": values.0, "as_of": today.to_string(), "dimensions": explanation.dimensions });
            println!("{doc}");
        }
        ExplainFormat::Human => print!("{}", human(&values.0, &explanation)),
    }
    OK
}

/// The record's key and field values, from --record or DATA --id.
fn find_record(args: &Args, program: &tierlang::compile::Program) -> Result<(String, Vec<tierlang::eval::Value>), u8> {
    let (input, format, name): (Box<dyn std::io::Read>, Format, String) = match (&args.record, &args.data) {
        (Some(json), _) => {
            (Box::new(std::io::Cursor::new(json.clone().into_bytes())), Format::Ndjson, "--record".into())
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
    for row in reader {
        read += 1;
        match row {
            Ok(row) if args.id.as_ref().is_none_or(|id| *id == row.key) => return Ok((row.key, row.values)),
            Ok(_) => {}
            Err(rejected) if args.record.is_some() => {
                eprint!("{}", render::human(&rejected.error, None));
                return Err(FAILED);
            }
            Err(_) => {}
        }
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
