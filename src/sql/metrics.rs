//! The metrics CTEs of a policy with `events` and `metric`s, as `tier apply
//! --events` computes them (src/metrics):
//!
//! - `__agg`: the events table grouped by customer. An event counts when it has
//!   a customer id, happened before the start of the as-of day (or has no time),
//!   and passes every `where`; the event `let`s are inlined. Each aggregate is a
//!   column `__aN`; a window keeps the events at or after its first day
//!   (`Date::shift`, the evaluator's month-end rule, computed here as a literal).
//! - `__base`: one row per customer: the aggregates, joined to the customers
//!   table when there is one (customers with no events get the aggregates of an
//!   empty log: counts and sums 0, the rest missing).
//! - `__kept`: the `population where` filter, and customers whose population
//!   function input is missing left out (the evaluator reports them as outside
//!   the population).
//! - then one CTE per population function ([`super::population`]).

use super::expr::{Scope, Sql};
use super::{SqlError, Tables};
use crate::check::{AggKind, EventsInfo, FieldInfo};
use crate::number::Decimal;

/// Pushes the CTEs onto `out`; returns the name of the last (one row per
/// customer scored).
pub(super) fn ctes(s: &Sql, tables: &Tables, out: &mut Vec<String>) -> Result<String, SqlError> {
    let checked = s.checked;
    let key = &checked.fields[checked.key];
    let key_col = s.ident(&key.column);
    // The customers table, needed when the schema has more than the key.
    let schema: Vec<&FieldInfo> =
        checked.fields.iter().enumerate().filter(|(i, _)| !is_metric(s, *i)).map(|(_, f)| f).collect();
    if tables.customers.is_none() && (schema.len() > 1 || checked.events.is_none()) {
        return Err(s.unsupported(
            "a policy whose schema has fields besides the key, without the customers table",
            "name the table of one row per customer with --table",
        ));
    }
    let base = match &checked.events {
        Some(ev) => {
            let events = tables.events.ok_or_else(|| {
                s.unsupported(
                    &format!("the event log `{}` has no table", ev.name),
                    "name the events table with --events-table (and its columns with --events-columns)",
                )
            })?;
            out.push(aggregate(s, ev, events, tables.event_columns)?);
            let aggs: Vec<String> = (0..checked.aggregates.len()).map(|j| s.ident(&format!("__a{j}"))).collect();
            match tables.customers {
                None => {
                    format!("SELECT {} AS {key_col}, {} FROM {}", s.ident("__k"), aggs.join(", "), s.ident("__agg"))
                }
                Some(c) => join(s, c, &schema)?,
            }
        }
        None => format!("SELECT * FROM {}", tables.customers.unwrap_or_default()),
    };
    out.push(format!("{} AS (\n  {base}\n)", s.ident("__base")));
    let mut source = s.ident("__base");
    let mut keep: Vec<String> = Vec::new();
    if let Some(f) = &checked.population_filter {
        keep.push(s.cond(f)?);
    }
    for p in checked.populations.iter().filter(|p| !p.nested) {
        keep.push(format!("{} IS NOT NULL", s.value(&p.arg)?));
    }
    if !keep.is_empty() {
        let kept = s.ident("__kept");
        out.push(format!("{kept} AS (\n  SELECT * FROM {source}\n  WHERE {}\n)", keep.join("\n    AND ")));
        source = kept;
    }
    for i in 0..checked.populations.len() {
        source = super::population::cte(s, i, &source, out)?;
    }
    Ok(source)
}

fn is_metric(s: &Sql, slot: usize) -> bool {
    s.checked.metrics.iter().any(|m| m.slot == slot)
}

/// `__agg`: the events grouped by customer.
fn aggregate(s: &Sql, ev: &EventsInfo, table: &str, columns: Option<&[String]>) -> Result<String, SqlError> {
    let resolved = resolve(s, &ev.fields, columns)?;
    let es = s.with_scope(Scope::Events(&resolved));
    let key = es.ident(&resolved[ev.key]);
    let time = ev.time.map(|t| es.ident(&resolved[t]));
    let mut wheres = vec![format!("{key} IS NOT NULL")];
    if let Some(t) = &time {
        // Events at or after the start of the as-of day are not known yet.
        wheres.push(format!("({t} IS NULL OR {t} < {})", s.date(s.today)));
    }
    for f in &ev.filters {
        wheres.push(es.cond(f)?);
    }
    let mut cols = vec![format!("    {key} AS {}", s.ident("__k"))];
    for (j, agg) in s.checked.aggregates.iter().enumerate() {
        // The first day a window admits; none when it reaches past the calendar.
        let window = match (agg.window, &time) {
            (Some((n, p)), Some(t)) => s.today.shift(-i64::from(n), p).map(|d| format!("{t} >= {}", s.date(d))),
            _ => None,
        };
        let arg = agg.arg.as_ref().map(|a| es.value(a)).transpose()?;
        let x = match (&window, &arg) {
            (Some(w), Some(a)) => format!("CASE WHEN {w} THEN {a} END"),
            (Some(w), None) => format!("CASE WHEN {w} THEN 1 END"),
            (None, Some(a)) => a.clone(),
            (None, None) => "*".into(),
        };
        let value = match agg.kind {
            AggKind::Count => format!("COUNT({x})"),
            AggKind::CountDistinct => format!("COUNT(DISTINCT {x})"),
            // The sum of no events is 0; `avg`, `min` and `max` of none are missing.
            AggKind::Sum => format!("COALESCE(SUM({x}), 0)"),
            AggKind::Min => format!("MIN({x})"),
            AggKind::Max => format!("MAX({x})"),
            AggKind::Avg => s.divide(&format!("SUM({x})"), &format!("COUNT({x})")),
        };
        let value = match agg.rate_factor {
            Some(f) if f != Decimal::ONE => {
                // The evaluator multiplies by the exact factor; past 10 decimals
                // (`within last 7 days`: 365/7 a year) SQL would round differently.
                if f.normalize().scale() > 10 {
                    return Err(s.unsupported(
                        &format!(
                            "a windowed count whose rate per year is not a short decimal ({})",
                            f.round_dp(6).normalize()
                        ),
                        "use a window that divides the year evenly (1, 2, 3, 4, 6 or 12 months, 1 year, 1 or 4 weeks…)",
                    ));
                }
                format!("({value} * {})", s.number(f))
            }
            _ => value,
        };
        cols.push(format!("    {value} AS {}", s.ident(&format!("__a{j}"))));
    }
    // DuckDB inlines a CTE at each use, and the population functions use the
    // customers several times: without this the event log is aggregated again
    // for each (PostgreSQL materialises a CTE used more than once by itself).
    let materialized = if s.dialect == super::Dialect::Duckdb { " MATERIALIZED" } else { "" };
    Ok(format!(
        "{} AS{materialized} (\n  SELECT\n{}\n  FROM {table}\n  WHERE {}\n  GROUP BY {key}\n)",
        s.ident("__agg"),
        cols.join(",\n"),
        wheres.join("\n    AND ")
    ))
}

/// The column each event field reads: its `from` name, or the first of its
/// other names (`from "A" or "B"`) that the table has.
fn resolve(s: &Sql, fields: &[FieldInfo], columns: Option<&[String]>) -> Result<Vec<String>, SqlError> {
    fields
        .iter()
        .map(|f| {
            let names = || std::iter::once(&f.column).chain(&f.aliases);
            match columns {
                Some(cols) => names().find(|n| cols.contains(n)).cloned().ok_or_else(|| {
                    let wanted: Vec<String> = names().map(|n| format!("\"{n}\"")).collect();
                    s.unsupported(
                        &format!("the events table has no column {} for `{}`", wanted.join(" or "), f.name),
                        &format!("its columns are: {}", cols.join(", ")),
                    )
                }),
                None if f.aliases.is_empty() => Ok(f.column.clone()),
                None => Err(s.unsupported(
                    &format!("`{}` reads the column {} or another", f.name, f.column),
                    "list the events table's columns with --events-columns A,B,.. so the right name is chosen",
                )),
            }
        })
        .collect()
}

/// `__base` with a customers table: its rows, with their aggregates. With a
/// required field besides the key, customers with events but no row are left
/// out (`tier apply` stops on them); with none, they are kept.
fn join(s: &Sql, customers: &str, schema: &[&FieldInfo]) -> Result<String, SqlError> {
    let checked = s.checked;
    let key = &checked.fields[checked.key];
    let k = s.ident(&key.column);
    let all_optional = schema.iter().all(|f| f.name == key.name || f.optional);
    let mut cols = vec![
        if all_optional { format!("COALESCE(c.{k}, a.{})", s.ident("__k")) } else { format!("c.{k}") }
            + &format!(" AS {k}"),
    ];
    for f in schema.iter().filter(|f| f.name != key.name) {
        let col = s.ident(&f.column);
        cols.push(format!("c.{col} AS {col}"));
    }
    for (j, agg) in checked.aggregates.iter().enumerate() {
        let a = s.ident(&format!("__a{j}"));
        let value = match agg.kind {
            AggKind::Count | AggKind::CountDistinct | AggKind::Sum => format!("COALESCE(a.{a}, 0)"),
            _ => format!("a.{a}"),
        };
        cols.push(format!("{value} AS {a}"));
    }
    let how = if all_optional { "FULL OUTER JOIN" } else { "LEFT JOIN" };
    Ok(format!(
        "SELECT {}\n  FROM {customers} AS c\n  {how} {} AS a ON a.{} = c.{k}",
        cols.join(",\n    "),
        s.ident("__agg"),
        s.ident("__k")
    ))
}
