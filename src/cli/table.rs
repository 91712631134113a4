//! `tier table`: each dimension of a policy as a decision table (Markdown or CSV).

use super::policy::Loaded;
use super::{usage_error, FAILED, OK};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The policy file
    policy: PathBuf,
    /// Markdown (for pull requests) or CSV (for spreadsheets)
    #[arg(long, value_enum, default_value = "markdown")]
    format: TableFormat,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum TableFormat {
    Markdown,
    Csv,
}

pub fn run(args: Args) -> u8 {
    let loaded = match Loaded::read(&args.policy) {
        Ok(l) => l,
        Err(e) => return usage_error(format_args!("cannot read `{}`: {e}", args.policy.display())),
    };
    let has_errors = loaded.report_errors();
    let Some(checked) = loaded.checked.as_ref().filter(|_| !has_errors) else {
        eprintln!("{}: the policy has errors; no table was made", loaded.path);
        return FAILED;
    };
    let tables = tierlang::table::tables(checked, &loaded.source);
    match args.format {
        TableFormat::Markdown => {
            let parts: Vec<String> = tables.iter().map(|t| t.markdown()).collect();
            print!("{}", parts.join("\n"));
        }
        TableFormat::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            for record in tierlang::table::csv_records(&tables) {
                if w.write_record(&record).is_err() {
                    return usage_error("cannot write to stdout");
                }
            }
            if w.flush().is_err() {
                return usage_error("cannot write to stdout");
            }
        }
    }
    OK
}
