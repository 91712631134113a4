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
    /// The previous run's output (of `tier apply` or of this query): retention rules move tiers against it
    #[arg(long)]
    previous_table: Option<String>,
    /// Wrap the query in `CREATE VIEW NAME AS` (a dbt model is materialised by dbt)
    #[arg(long, conflicts_with = "out")]
    view: Option<String>,
    /// The date `today` stands for (default: the policy's `as_of`, else the current date)
    #[arg(long, value_parser = parse_date)]
    as_of: Option<Date>,
    /// With `--to dbt`: the dbt models directory the model is written to
    #[arg(long, required_if_eq("to", "dbt"))]
    out: Option<PathBuf>,
    /// With `--to dbt`: the model's name (default: the policy file's name)
    #[arg(long)]
    model: Option<String>,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum Target {
    /// One query (or view) on stdout
    Sql,
    /// A dbt model: `OUT/MODEL.sql` and its properties `OUT/MODEL.yml`
    Dbt,
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
        previous: args.previous_table.as_deref(),
    };
    let result = match (args.to, &args.out) {
        (Target::Dbt, Some(dir)) => {
            let stem = args.policy.file_stem().map(|s| s.to_string_lossy().into_owned());
            let name = args.model.clone().or(stem).unwrap_or_else(|| "tiers".into());
            tierlang::sql::dbt_model(checked, &program, args.dialect, &tables, &name, today)
                .map(|m| write_model(dir, &name, &m))
        }
        _ => tierlang::sql::compile_tables(checked, &program, args.dialect, &tables, args.view.as_deref(), today).map(
            |sql| {
                print!("{sql}");
                OK
            },
        ),
    };
    result.unwrap_or_else(|e| {
        eprint!("{}", super::render::human(&e, None));
        FAILED
    })
}

/// Writes `DIR/NAME.sql` and `DIR/NAME.yml`, saying where.
fn write_model(dir: &std::path::Path, name: &str, model: &tierlang::sql::DbtModel) -> u8 {
    let files = [(dir.join(format!("{name}.sql")), &model.sql), (dir.join(format!("{name}.yml")), &model.properties)];
    for (path, text) in files {
        if let Err(e) = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, text)) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return FAILED;
        }
        println!("wrote {}", path.display());
    }
    OK
}
