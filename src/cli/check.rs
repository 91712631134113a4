//! `tier check`: parse and check policies, report every problem.

use super::policy::{find, Loaded};
use super::render;
use super::{usage_error, FAILED, OK, USAGE};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Policy files or folders (searched recursively for *.tier)
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format for diagnostics
    #[arg(long, value_enum, default_value = "human")]
    format: DiagFormat,
    /// Treat warnings as errors (exit 1)
    #[arg(long)]
    deny_warnings: bool,
    /// The date `today` stands for in the analysis (default: the policy's `as_of`, else today)
    #[arg(long, value_parser = super::test::parse_date)]
    as_of: Option<tierlang::number::Date>,
    /// Also note, under `hit first`, where two tiers overlap and which one wins
    #[arg(long)]
    explain_overlaps: bool,
    /// Skip the decision-table analysis (gaps, overlaps, unreachable tiers)
    #[arg(long)]
    no_analysis: bool,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum DiagFormat {
    /// miette reports with the source excerpt, on stderr
    Human,
    /// a JSON array of diagnostics on stdout
    Json,
    /// GitHub Actions workflow commands (`::error file=…`) on stdout
    Github,
    /// a SARIF 2.1.0 log on stdout (GitHub code scanning, IDEs)
    Sarif,
}

pub fn run(args: Args) -> u8 {
    let files = match find(&args.paths) {
        Ok(f) => f,
        Err(e) => return usage_error(e),
    };
    let (mut errors, mut warnings, mut notes, mut unreadable) = (0, 0, 0, false);
    let mut json = Vec::new();
    for file in &files {
        let loaded = match Loaded::read(file) {
            Ok(mut l) => {
                if !args.no_analysis {
                    l.analyze(analysis_options(&args, &l));
                }
                l
            }
            Err(e) => {
                unreadable = true;
                eprintln!("error: cannot read `{}`: {e}", file.display());
                continue;
            }
        };
        for p in &loaded.problems {
            if p.is_error() {
                errors += 1;
            } else if p.is_advice() {
                notes += 1;
            } else {
                warnings += 1;
            }
            match args.format {
                DiagFormat::Human => eprint!("{}", loaded.render_human(p)),
                DiagFormat::Github => println!("{}", render::github(&loaded.render_json(p))),
                DiagFormat::Json | DiagFormat::Sarif => json.push(loaded.render_json(p)),
            }
        }
    }
    match args.format {
        DiagFormat::Json => println!("{}", serde_json::Value::Array(json)),
        DiagFormat::Sarif => println!("{}", render::sarif(&json)),
        DiagFormat::Human | DiagFormat::Github => {}
    }
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let notes = if notes > 0 { format!(", {}", plural(notes, "note")) } else { String::new() };
    eprintln!(
        "checked {}: {}, {}{notes}",
        plural(files.len(), "file"),
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    if unreadable {
        USAGE
    } else if errors > 0 || (args.deny_warnings && warnings > 0) {
        FAILED
    } else {
        OK
    }
}

fn analysis_options(args: &Args, loaded: &Loaded) -> tierlang::analysis::Options {
    let as_of = loaded.checked.as_ref().and_then(super::policy::header_as_of);
    tierlang::analysis::Options {
        today: args.as_of.or(as_of).unwrap_or_else(super::policy::current_date),
        explain_overlaps: args.explain_overlaps,
    }
}
