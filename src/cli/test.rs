//! `tier test`: run every policy's `test` blocks; ends with `N passed, N failed`.

use super::policy::{find, Loaded};
use super::render::line_col;
use super::{usage_error, FAILED, OK};
use std::path::PathBuf;
use tierlang::check::StrategyValue;
use tierlang::number::Date;

#[derive(clap::Args)]
pub struct Args {
    /// Policy files or folders (searched recursively for *.tier)
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Run only the tests whose name contains this text
    #[arg(long)]
    run: Option<String>,
    /// The date `today` stands for (YYYY-MM-DD); default: the policy's `as_of`
    #[arg(long, value_parser = parse_date)]
    as_of: Option<Date>,
    /// Also list the tests that passed
    #[arg(short, long)]
    verbose: bool,
}

pub fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).ok_or_else(|| format!("`{s}` is not a date; write YYYY-MM-DD"))
}

pub fn run(args: Args) -> u8 {
    let files = match find(&args.paths) {
        Ok(f) => f,
        Err(e) => return usage_error(e),
    };
    let (mut passed, mut failed, mut broken) = (0usize, 0usize, 0usize);
    for file in &files {
        let loaded = match Loaded::read(file) {
            Ok(l) => l,
            Err(e) => return usage_error(format_args!("cannot read `{}`: {e}", file.display())),
        };
        let has_errors = loaded.problems.iter().any(|p| p.is_error());
        let Some(checked) = loaded.checked.as_ref().filter(|_| !has_errors) else {
            loaded.report_errors();
            eprintln!("{}: policy has errors; its tests were not run", loaded.path);
            broken += 1;
            continue;
        };
        let program = tierlang::compile::compile(checked);
        let as_of = args.as_of.or_else(|| match checked.meta.get("as_of") {
            Some(StrategyValue::Date(d)) => Some(*d),
            _ => None,
        });
        for r in tierlang::testing::run(checked, &program, as_of, args.run.as_deref()) {
            let (line, col) = line_col(&loaded.source, r.span.start);
            if r.failures.is_empty() {
                passed += 1;
                if args.verbose {
                    println!("PASS {}:{line}:{col} {}", loaded.path, r.name);
                }
                continue;
            }
            failed += 1;
            println!("FAIL {}:{line}:{col} {}", loaded.path, r.name);
            for f in &r.failures {
                let (l, c) = line_col(&loaded.source, f.span.start);
                println!("  {}:{l}:{c}: {}", loaded.path, f.message);
            }
        }
    }
    if broken > 0 {
        eprintln!(
            "{broken} polic{} could not be tested",
            if broken == 1 { "y" } else { "ies" }
        );
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 || broken > 0 {
        FAILED
    } else {
        OK
    }
}
