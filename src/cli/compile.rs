//! `tier compile POLICY --to sql --dialect D --table T [--events-table E]`: the
//! policy as one SQL query (or view) for a warehouse; see docs/warehouse.md.

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
    /// The table (or query in parentheses) holding one row per customer; with
    /// metrics, joined to the aggregated events (optional when the schema is the key alone)
    #[arg(long)]
    table: Option<String>,
    /// The table (or query in parentheses) of the event log the policy's `events` block aggregates
    #[arg(long)]
    events_table: Option<String>,
    /// The events table's columns (comma-separated), so that `from "A" or "B"` reads the one it has
    #[arg(long, value_delimiter = ',')]
    events_columns: Option<Vec<String>>,
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
    let tables = tierlang::sql::Tables {
        customers: args.table.as_deref(),
        events: args.events_table.as_deref(),
        event_columns: args.events_columns.as_deref(),
    };
    match tierlang::sql::compile_tables(checked, &program, args.dialect, &tables, args.view.as_deref(), today) {
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
