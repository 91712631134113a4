//! `tier compile POLICY --to sql --dialect D --table T`: the policy as one SQL
//! query (or view) for a warehouse; see docs/warehouse.md.

use super::test::parse_date;
use super::{FAILED, OK};
use std::path::PathBuf;
use tierlang::number::Date;
use tierlang::sql::Dialect;

#[derive(clap::Args)]
pub struct Args {
    /// The policy file
    policy: PathBuf,
    /// What to compile to
    #[arg(long, value_enum, default_value = "sql")]
    to: Target,
    /// The SQL dialect
    #[arg(long, value_enum)]
    dialect: Dialect,
    /// The table (or query in parentheses) holding one row per customer
    #[arg(long)]
    table: String,
    /// Wrap the query in `CREATE VIEW NAME AS`
    #[arg(long)]
    view: Option<String>,
    /// The date `today` stands for (default: the policy's `as_of`, else the current date)
    #[arg(long, value_parser = parse_date)]
    as_of: Option<Date>,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum Target {
    Sql,
}

pub fn run(args: Args) -> u8 {
    let (loaded, today) = match super::policy::load_for_run(&args.policy, args.as_of) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let Some(checked) = loaded.checked.as_ref() else { return FAILED };
    let program = tierlang::compile::compile(checked);
    match tierlang::sql::compile(checked, &program, args.dialect, &args.table, args.view.as_deref(), today) {
        Ok(sql) => {
            print!("{sql}");
            OK
        }
        Err(e) => {
            eprint!("{}", super::render::human(&e, None));
            FAILED
        }
    }
}
