//! `tier diff OLD NEW --data DATA`: how many customers (and how much money) move
//! between tiers from one policy version to the next, and which strategies change.
//! `OLD`/`NEW` are files or `REV:path` read from git (`HEAD~1:policies/x.tier`).

use super::policy::Loaded;
use super::render;
use super::test::parse_date;
use super::{usage_error, FAILED, OK};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use tierlang::check::Checked;
use tierlang::compile::{compile, Program};
use tierlang::data::{grouped, layout, Format, Reader};
use tierlang::diff::{compare_records, Report, Version};
use tierlang::eval::Evaluator;
use tierlang::number::{Date, Decimal};
use tierlang::run::Record;

#[derive(clap::Args)]
pub struct Args {
    /// The old policy: a file, or REV:path from git
    old: String,
    /// The new policy: a file, or REV:path from git
    new: String,
    /// The customer data both versions are applied to; without it, the regions of
    /// the input space where the versions decide differently
    #[arg(long)]
    data: Option<String>,
    /// For policies with metrics: the event log both versions aggregate
    #[arg(long)]
    events: Option<PathBuf>,
    /// For policies with metrics: per-customer attributes to join
    #[arg(long)]
    customers: Option<String>,
    /// Input format of DATA (default: from its extension)
    #[arg(long, value_enum)]
    input_format: Option<Format>,
    /// The date `today` stands for (default: the new policy's `as_of:`, else the current date)
    #[arg(long, value_parser = parse_date)]
    as_of: Option<Date>,
    /// Text, Markdown (for a pull-request comment) or JSON
    #[arg(long, value_enum, default_value = "text")]
    format: DiffFormat,
    /// Write every record that changes tier to this CSV file
    #[arg(long)]
    changes: Option<PathBuf>,
    /// Exit 1 when any record changes tier (a CI gate)
    #[arg(long)]
    fail_on_change: bool,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum DiffFormat {
    Text,
    Markdown,
    Json,
}

pub fn run(args: Args) -> u8 {
    let (old, new) = match (load(&args.old), load(&args.new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let (Some(oc), Some(nc)) = (checked(&old), checked(&new)) else { return FAILED };
    let (op, np) = (compile(oc), compile(nc));
    // Both versions are compared on one date: the new version's rule.
    let today = super::policy::today(args.as_of, nc);
    let metrics = op.metrics.is_some() || np.metrics.is_some();
    let versions = ((oc, &op), (nc, &np));
    let compared = if metrics && (args.events.is_some() || args.data.is_some() || args.customers.is_some()) {
        compare_scored(&args, versions, today)
    } else if let Some(data) = args.data.clone() {
        compare(&args, &data, versions, today)
    } else {
        return logical(&args, &op, &np, today);
    };
    let report = match compared {
        Ok(r) => r,
        Err(code) => return code,
    };
    if let Some(path) = &args.changes {
        if let Err(e) = write_changes(path, &report.changes) {
            return usage_error(format_args!("cannot write `{}`: {e}", path.display()));
        }
    }
    match args.format {
        DiffFormat::Text => print!("{}", text(&report, false)),
        DiffFormat::Markdown => print!("{}", text(&report, true)),
        DiffFormat::Json => println!("{}", json(&report)),
    }
    let moved: u64 = report.migrations.iter().map(|m| m.moved).sum();
    if args.fail_on_change && moved > 0 {
        eprintln!("{moved} tier assignments change (--fail-on-change)");
        return FAILED;
    }
    OK
}

/// Without data: the regions where the versions decide differently, each with
/// a witness record (`tierlang::regions`).
fn logical(args: &Args, op: &Program, np: &Program, today: Date) -> u8 {
    if args.changes.is_some() {
        return usage_error("--changes lists changed records, so it needs --data");
    }
    let moves = match tierlang::regions::diff(op, np, today) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return FAILED;
        }
    };
    let arrow = |t: &Option<String>| t.clone().unwrap_or_else(|| "(no tier)".into());
    let mut out = String::new();
    match args.format {
        DiffFormat::Json => {
            let items: Vec<serde_json::Value> = moves
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "dimension": m.dimension, "from": m.from, "to": m.to, "regions": m.cells,
                        "examples": m.regions.iter().map(|r| serde_json::json!({
                            "where": r.conditions,
                            "witness": r.witness.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let _ = writeln!(out, "{}", serde_json::Value::Array(items));
        }
        DiffFormat::Markdown => {
            let _ = writeln!(
                out,
                "| dimension | from | to | where (first regions) | e.g. |\n| --- | --- | --- | --- | --- |"
            );
            for m in &moves {
                for r in &m.regions {
                    let witness: Vec<String> = r.witness.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                    let (from, to, dim) = (arrow(&m.from), arrow(&m.to), &m.dimension);
                    let _ = writeln!(
                        out,
                        "| {dim} | {from} | {to} | {} | {} |",
                        r.conditions.join(" and "),
                        witness.join(", ")
                    );
                }
            }
        }
        DiffFormat::Text => {
            for m in &moves {
                let plural = if m.cells == 1 { "region" } else { "regions" };
                let _ = writeln!(out, "{}: {} → {} in {} {plural}", m.dimension, arrow(&m.from), arrow(&m.to), m.cells);
                for r in &m.regions {
                    let witness: Vec<String> = r.witness.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                    let _ = writeln!(out, "  where {}\n    e.g. {}", r.conditions.join(" and "), witness.join(", "));
                }
                if m.cells > m.regions.len() {
                    let _ = writeln!(out, "  (and {} more regions)", m.cells - m.regions.len());
                }
            }
            if moves.is_empty() {
                let _ = writeln!(out, "no record changes tier: the versions decide alike everywhere");
            }
        }
    }
    print!("{out}");
    if args.fail_on_change && !moves.is_empty() {
        eprintln!("{} kinds of tier change (--fail-on-change)", moves.len());
        return FAILED;
    }
    OK
}

/// A policy from a file or from git (`REV:path`).
fn load(spec: &str) -> Result<Loaded, u8> {
    if Path::new(spec).exists() {
        return Loaded::read(Path::new(spec)).map_err(|e| usage_error(format_args!("cannot read `{spec}`: {e}")));
    }
    let Some((rev, path)) = spec.split_once(':') else {
        return Err(usage_error(format_args!("no such file: `{spec}` (for a git revision write REV:path)")));
    };
    let out = std::process::Command::new("git").args(["show", &format!("{rev}:{path}")]).output();
    match out {
        Ok(o) if o.status.success() => match String::from_utf8(o.stdout) {
            Ok(source) => Ok(Loaded::from_source(spec.to_string(), source)),
            Err(_) => Err(usage_error(format_args!("`{spec}` is not UTF-8 text"))),
        },
        Ok(o) => {
            Err(usage_error(format_args!("git cannot show `{spec}`: {}", String::from_utf8_lossy(&o.stderr).trim())))
        }
        Err(e) => Err(usage_error(format_args!("cannot run git for `{spec}`: {e}"))),
    }
}

fn checked(l: &Loaded) -> Option<&Checked> {
    let has_errors = l.report_errors();
    let c = l.checked.as_ref().filter(|_| !has_errors);
    if c.is_none() {
        eprintln!("{}: the policy has errors; nothing was compared", l.path);
    }
    c
}

/// `(key, dimension, old tier, new tier)` of each record that moves.
/// Both versions over the records of DATA, each read with its own schema.
fn compare(args: &Args, data: &str, (old, new): (Version, Version), today: Date) -> Result<Report, u8> {
    let format = args.input_format.or_else(|| Format::from_path(Path::new(data)));
    let Some(format) = format else {
        return Err(usage_error(format_args!("cannot tell the format of `{data}`: pass --input-format")));
    };
    let (o, n) = (open(data, format, old.1, "old")?, open(data, format, new.1, "new")?);
    let pairs = o.zip(n).map(|(o, n)| (o.map(Record::from), n.map(Record::from)));
    Ok(compare_records(old, new, pairs, today))
}

/// Both versions' customers scored from the same inputs, each by its own metrics.
fn compare_scored(args: &Args, (old, new): (Version, Version), today: Date) -> Result<Report, u8> {
    let score = |p: &Program| {
        let ev = Evaluator::new(p, today);
        let (events, customers, data) = (args.events.as_deref(), args.customers.as_deref(), args.data.as_deref());
        super::apply_metrics::score_or_report(events, customers, data, args.input_format, p, &ev, today)
    };
    let (o, n) = (score(old.1)?, score(new.1)?);
    Ok(tierlang::diff::compare_scored(old, new, o, n, today))
}

/// The data, read with one version's schema.
fn open<'p>(data: &str, format: Format, program: &'p Program, which: &str) -> Result<Reader<'p>, u8> {
    let file = std::fs::File::open(data).map_err(|e| usage_error(format_args!("cannot read data `{data}`: {e}")))?;
    let input = Box::new(std::io::BufReader::new(file));
    Reader::new(input, format, data, &program.fields, program.key).map_err(|e| {
        eprint!("{}", render::human(&e, None));
        eprintln!("the {which} policy cannot read this data; the versions cannot be compared on it");
        FAILED
    })
}

fn write_changes(path: &Path, changes: &[(String, String, String, String)]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["key", "dimension", "old_tier", "new_tier"])?;
    for (k, d, o, n) in changes {
        w.write_record([k, d, o, n])?;
    }
    w.flush()
}

fn pct(part: Decimal, total: Decimal) -> String {
    if total.is_zero() {
        "-".into()
    } else {
        format!("{:.1}%", (part * Decimal::from(100) / total).round_dp(1))
    }
}

fn text(r: &Report, markdown: bool) -> String {
    let mut out = String::new();
    for m in &r.migrations {
        // Columns fit the longest tier name (at least the old fixed widths).
        let longest = |names: &[String]| names.iter().map(|t| layout::width(t)).max().unwrap_or(0);
        let (lw, cw) = ((longest(&m.old_tiers) + 2).max(14), (longest(&m.new_tiers) + 1).max(12));
        let head = format!(
            "{} of {} records ({}) change tier",
            m.moved,
            m.records,
            pct(Decimal::from(m.moved), Decimal::from(m.records))
        );
        let money = r.money_field.as_ref().map_or(String::new(), |f| {
            let (moved, total) = (grouped(m.money_moved), grouped(m.money_total));
            format!("; {moved} of {total} `{f}` ({}) moves", pct(m.money_moved, m.money_total))
        });
        if markdown {
            let _ = writeln!(out, "### `{}`: {head}{money}\n", m.dimension);
            let _ = writeln!(out, "| old \\ new | {} |", m.new_tiers.join(" | "));
            let _ = writeln!(out, "|---|{}", "---|".repeat(m.new_tiers.len()));
        } else {
            let _ = writeln!(out, "{}: {head}{money}", m.dimension);
            let _ = writeln!(
                out,
                "  {}{}",
                layout::left("old \\ new", lw),
                m.new_tiers.iter().map(|t| layout::right(t, cw)).collect::<String>()
            );
        }
        for (name, row) in m.old_tiers.iter().zip(&m.counts) {
            if markdown {
                let cells: Vec<String> = row.iter().map(u64::to_string).collect();
                let _ = writeln!(out, "| **{name}** | {} |", cells.join(" | "));
            } else {
                let _ = writeln!(
                    out,
                    "  {}{}",
                    layout::left(name, lw),
                    row.iter().map(|c| format!("{c:>cw$}")).collect::<String>()
                );
            }
        }
        out.push('\n');
    }
    if !r.strategies.is_empty() {
        let _ = writeln!(out, "{}", if markdown { "### Strategy changes\n" } else { "strategy changes:" });
        for s in &r.strategies {
            for (k, o, n) in &s.keys {
                let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(unset)".into());
                let bullet = if markdown { "-" } else { " " };
                let _ = writeln!(out, "{bullet} `{}.{}`: `{k}` {} → {}", s.dimension, s.tier, show(o), show(n));
            }
        }
        out.push('\n');
    }
    for note in &r.only_one {
        let _ = writeln!(out, "note: dimension {note}: not compared");
    }
    if r.not_compared > 0 {
        let _ = writeln!(
            out,
            "note: {} record{} could not be read by both versions and {} not compared:",
            r.not_compared,
            if r.not_compared == 1 { "" } else { "s" },
            if r.not_compared == 1 { "was" } else { "were" }
        );
        for reason in &r.reasons {
            let _ = writeln!(out, "  {reason}");
        }
    }
    out
}

fn json(r: &Report) -> serde_json::Value {
    serde_json::json!({
        "migrations": r.migrations,
        "strategy_changes": r.strategies,
        "not_compared": r.not_compared,
        "notes": r.only_one,
        "money_field": r.money_field,
    })
}
