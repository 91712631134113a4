//! Command-line interface: one module per command, each with an `Args` struct
//! and a `run` that returns the exit code. Diagnostics are rendered here only.

mod apply;
mod apply_metrics;
mod apply_over_time;
mod check;
mod compile;
mod diff;
mod explain;
mod fmt;
mod interrupt;
mod lsp;
mod policy;
mod render;
mod table;
mod test;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit codes, documented in the README.
pub const OK: u8 = 0;
/// Policy errors, failed tests, or bad data that stopped a run.
pub const FAILED: u8 = 1;
/// Usage errors and unreadable files.
pub const USAGE: u8 = 2;

#[derive(Parser)]
#[command(name = "tier", version, about = "Customer tiering policies: check, test and apply them")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and check policies (files or folders, recursively)
    #[command(after_help = "Example:\n  tier check --deny-warnings policies/")]
    Check(check::Args),
    /// Run the policies' `test` blocks
    #[command(after_help = "Example:\n  tier test --coverage policies/hospitals.tier")]
    Test(test::Args),
    /// Rewrite policies in the canonical layout (`--check`: diff and exit 1)
    #[command(after_help = "Example:\n  tier fmt --check policies/")]
    Fmt(fmt::Args),
    /// Assign tiers and strategies to every record of a data file
    #[command(
        after_help = "Example:\n  tier apply policies/hospitals.tier examples/hospitals.csv --keep name --format json"
    )]
    Apply(apply::Args),
    /// Show each dimension as a decision table (Markdown or CSV)
    #[command(after_help = "Example:\n  tier table policies/hospitals.tier --format markdown")]
    Table(table::Args),
    /// Why a record got its tier, and the smallest change that moves it up
    #[command(after_help = "Example:\n  tier explain policies/hospitals.tier examples/hospitals.csv --id H003")]
    Explain(explain::Args),
    /// What changes between two policy versions on real data
    #[command(
        after_help = "Example:\n  tier diff HEAD:policies/hospitals.tier policies/hospitals.tier --data examples/hospitals.csv"
    )]
    Diff(diff::Args),
    /// Compile a policy to one SQL query for a warehouse
    #[command(
        after_help = "Example:\n  tier compile policies/hospitals.tier --to sql --dialect duckdb --table customers"
    )]
    Compile(compile::Args),
    /// Serve editors over the Language Server Protocol on stdin/stdout
    Lsp(lsp::Args),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { USAGE } else { OK });
        }
    };
    ExitCode::from(match cli.command {
        Command::Check(args) => check::run(args),
        Command::Test(args) => test::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Apply(args) => apply::run(args),
        Command::Compile(args) => compile::run(args),
        Command::Table(args) => table::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Lsp(args) => lsp::run(args),
    })
}

/// Prints a usage or I/O problem and returns [`USAGE`].
fn usage_error(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    USAGE
}
