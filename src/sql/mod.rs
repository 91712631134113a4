//! Checked policy → one SQL query per dialect: for every customer, the key,
//! each dimension's tier (name and label), its strategy as JSON, and the
//! metric values.
//!
//! The evaluator's rules carry over exactly: every comparison on a missing value
//! is false (each comparison is wrapped in `COALESCE(…, FALSE)`, so SQL's third
//! truth value never reaches a `NOT`); arithmetic on a missing value, and
//! division by zero (`NULLIF`), are missing; rates are normalised per year from
//! the column's own period; `today` is a date literal; tiers are tried in order
//! (`CASE WHEN`). Lets are inlined. A policy with metrics aggregates its events
//! table in CTEs first ([`metrics`]), then computes population functions with
//! window functions ([`population`]); after the tiers ([`tiers`]) come the
//! retention rules against the previous run's table ([`history`]) and the
//! budgets ([`budget`]); [`dbt`] wraps the query as a dbt model. What SQL
//! cannot express exactly is an [`SqlError`] naming the construct.

mod budget;
mod dbt;
mod expr;
mod history;
mod metrics;
mod population;
mod tiers;

use crate::check::Checked;
use crate::compile::Program;
use crate::number::Date;
pub use dbt::{model as dbt_model, DbtModel};
use expr::{Scope, Sql};
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    Duckdb,
    Postgres,
    Sqlite,
    Spark,
    /// BigQuery Standard SQL (chosen over Snowflake: see docs/warehouse.md).
    Bigquery,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Duckdb => "DuckDB",
            Dialect::Postgres => "PostgreSQL",
            Dialect::Sqlite => "SQLite",
            Dialect::Spark => "Spark SQL",
            Dialect::Bigquery => "BigQuery",
        }
    }
}

/// The largest SQL text of one condition or value, in bytes.
pub const MAX_SQL_EXPRESSION: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
#[error("cannot compile to {dialect}: {construct}")]
#[diagnostic(code(tier::sql_unsupported), help("{help}"))]
pub struct SqlError {
    pub dialect: &'static str,
    pub construct: String,
    pub help: String,
}

/// The tables a query reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tables<'a> {
    /// One row per customer (the policy's schema). With metrics it is joined to
    /// the aggregated events, and may be left out when the schema is the key alone.
    pub customers: Option<&'a str>,
    /// The event log a policy's `events` block aggregates.
    pub events: Option<&'a str>,
    /// The events table's columns, to resolve `from "A" or "B"`.
    pub event_columns: Option<&'a [String]>,
    /// The previous run's output (as `tier apply` writes it, or this query's):
    /// retention rules move tiers against it.
    pub previous: Option<&'a str>,
}

/// The query (or `CREATE VIEW name AS` the query) for a policy over one row
/// per customer in `table`.
pub fn compile(
    checked: &Checked,
    program: &Program,
    dialect: Dialect,
    table: &str,
    view: Option<&str>,
    today: Date,
) -> Result<String, SqlError> {
    let tables = Tables { customers: Some(table), ..Tables::default() };
    compile_tables(checked, program, dialect, &tables, view, today)
}

/// The query (or view) for a policy over `tables`.
pub fn compile_tables(
    checked: &Checked,
    program: &Program,
    dialect: Dialect,
    tables: &Tables,
    view: Option<&str>,
    today: Date,
) -> Result<String, SqlError> {
    let s = Sql { checked, dialect, today, scope: Scope::Customers };
    if tables.events.is_some() && checked.events.is_none() {
        return Err(s.unsupported(
            "an events table for a policy with no `events` block",
            "leave out --events-table, or declare the event log in the policy",
        ));
    }
    let mut ctes = Vec::new();
    let source = if checked.metrics.is_empty() {
        tables
            .customers
            .ok_or_else(|| {
                s.unsupported("a policy over one row per customer, without its table", "name it with --table")
            })?
            .to_string()
    } else {
        metrics::ctes(&s, tables, &mut ctes)?
    };
    let mut out = String::new();
    let title = checked.title.as_deref().unwrap_or("policy");
    let version = checked.meta.get("version").map_or(String::new(), |v| format!(", version {}", v.to_text()));
    let _ = writeln!(out, "-- {title}{version}: compiled by tier for {} (as of {today}).", dialect.name());
    let rows = match (tables.events, tables.customers) {
        (Some(e), Some(c)) if !checked.metrics.is_empty() => format!("customer of {c} or of {e}"),
        (Some(e), None) if !checked.metrics.is_empty() => format!("customer of {e}"),
        (_, c) => format!("row of {}", c.unwrap_or("the table")),
    };
    let _ = writeln!(out, "-- One row per {rows}: the key, and per dimension the tier, its label and");
    let _ = writeln!(out, "-- its strategy as JSON. A comparison on a missing value is false.");
    if let Some(v) = view {
        let _ = writeln!(out, "CREATE VIEW {} AS", s.ident(v));
    }
    let select = tiers::query(&s, program, &source, tables.previous, &mut ctes)?;
    let _ = write!(out, "WITH {}\n{select}", ctes.join(",\n"));
    if view.is_some() {
        out = out.trim_end().to_string() + ";\n";
    }
    Ok(out)
}

impl Sql<'_> {
    fn unsupported(&self, construct: &str, help: &str) -> SqlError {
        SqlError { dialect: self.dialect.name(), construct: construct.into(), help: help.into() }
    }
}
