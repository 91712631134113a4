//! `tier compile --to dbt`: the query as a dbt model (materialised as a
//! table) and a properties file for it: every output column, the key tested
//! `unique` and `not_null`, each dimension's tier and movement tested with
//! `accepted_values`. The tables may be dbt calls (`{{ ref('lines') }}`,
//! `{{ source('shop', 'lines') }}`): they are kept for Jinja, and any other
//! `{{`, `{%` or `{#` in the SQL (a strategy's text, say) is kept from it.

use super::{compile_tables, Dialect, SqlError, Tables};
use crate::check::Checked;
use crate::compile::Program;
use crate::history::Movement;
use crate::number::Date;
use std::fmt::Write as _;

/// A dbt model: `NAME.sql` and its properties, `NAME.yml`.
#[derive(Debug, Clone, PartialEq)]
pub struct DbtModel {
    pub sql: String,
    pub properties: String,
}

/// The model `name` of a policy over `tables`.
pub fn model(
    checked: &Checked,
    program: &Program,
    dialect: Dialect,
    tables: &Tables,
    name: &str,
    today: Date,
) -> Result<DbtModel, SqlError> {
    // Placeholders for the tables, put back once the rest is safe from Jinja.
    let holder = |i: usize| format!("__tier_table_{i}__");
    let given = [tables.customers, tables.events, tables.previous];
    let held: Vec<Option<String>> = given.iter().enumerate().map(|(i, t)| t.map(|_| holder(i))).collect();
    let placeheld = Tables {
        customers: held[0].as_deref(),
        events: held[1].as_deref(),
        previous: held[2].as_deref(),
        event_columns: tables.event_columns,
    };
    let sql = compile_tables(checked, program, dialect, &placeheld, None, today)?;
    let body = rejoin(&sql, &given, &holder);
    let sql = format!("{{{{ config(materialized='table') }}}}\n{body}");
    Ok(DbtModel { sql, properties: properties(checked, program, dialect, tables, name, today) })
}

/// The SQL with each placeholder replaced by its table, the text between
/// them in `{% raw %}` where it holds Jinja's markers.
fn rejoin(sql: &str, given: &[Option<&str>], holder: &dyn Fn(usize) -> String) -> String {
    let jinja = |s: &str| s.contains("{{") || s.contains("{%") || s.contains("{#");
    let safe = |s: &str| if jinja(s) { format!("{{% raw %}}{s}{{% endraw %}}") } else { s.to_string() };
    let mut out = String::new();
    let mut rest = sql;
    loop {
        // The nearest placeholder still in the text.
        let next = given
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.map(|t| (i, t)))
            .filter_map(|(i, t)| rest.find(&holder(i)).map(|at| (at, i, t)))
            .min();
        match next {
            Some((at, i, table)) => {
                out.push_str(&safe(&rest[..at]));
                out.push_str(table);
                rest = &rest[at + holder(i).len()..];
            }
            None => {
                out.push_str(&safe(rest));
                return out;
            }
        }
    }
}

/// The model's properties file (dbt's `version: 2` YAML; strings as JSON
/// strings, which YAML reads as they are).
fn properties(
    checked: &Checked,
    program: &Program,
    dialect: Dialect,
    tables: &Tables,
    name: &str,
    today: Date,
) -> String {
    let q = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    let title = checked.title.as_deref().unwrap_or("policy");
    let mut y = String::from("version: 2\n\nmodels:\n");
    let _ = writeln!(y, "  - name: {}", q(name));
    let what = format!("{title}: tiers compiled by tier for {} as of {today}", dialect.name());
    let _ = writeln!(y, "    description: {}\n    columns:", q(&what));
    let column = |y: &mut String, col: &str, description: &str, tests: &[String]| {
        let _ = writeln!(y, "      - name: {}\n        quote: true\n        description: {}", q(col), q(description));
        if !tests.is_empty() {
            let _ = writeln!(y, "        data_tests:");
            for t in tests {
                let _ = writeln!(y, "          - {t}");
            }
        }
    };
    let accepted = |values: Vec<String>| {
        let list: Vec<String> = values.iter().map(|v| q(v)).collect();
        format!("accepted_values:\n              arguments:\n                values: [{}]", list.join(", "))
    };
    let key = &checked.fields[checked.key];
    column(&mut y, &key.name, "the customer", &["unique".into(), "not_null".into()]);
    for dim in &program.dimensions {
        let tiers: Vec<String> = dim.tiers.iter().map(|t| t.name.clone()).collect();
        let label = checked.dimensions.iter().find(|d| d.name == dim.name).and_then(|d| d.label.clone());
        let about = label.map_or(format!("the tier of {}", dim.name), |l| format!("the tier of {} ({l})", dim.name));
        column(&mut y, &dim.name, &about, &[accepted(tiers)]);
        column(&mut y, &format!("{}_label", dim.name), "the tier's label", &[]);
        column(&mut y, &format!("{}_strategy", dim.name), "the tier's strategy, as JSON", &[]);
    }
    for m in &checked.metrics {
        column(&mut y, &m.name, &format!("the metric {}", m.name), &[]);
    }
    if tables.previous.is_some() || checked.dimensions.iter().any(|d| d.retention.is_some()) {
        for dim in &checked.dimensions {
            let moves: Vec<String> = Movement::ALL.iter().map(|m| m.name().to_string()).collect();
            column(&mut y, &format!("{}_previous", dim.name), "the tier of the previous run", &[]);
            column(&mut y, &format!("{}_movement", dim.name), "how the tier moved", &[accepted(moves)]);
            column(&mut y, &format!("{}_entered", dim.name), "when the customer entered the tier", &[]);
            column(&mut y, &format!("{}_below", dim.name), "runs in a row below the tier's criteria", &[]);
        }
    }
    for b in &checked.budgets {
        column(&mut y, &format!("budget.{}", b.name), &format!("the customer's share of the budget {}", b.name), &[]);
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbt_calls_stay_for_jinja_and_other_braces_are_kept_from_it() {
        let src = "schema { id: text key  spend: money }\ntier A { when spend > 1  strategy { note: \"{{ not jinja }}\" } }\ntier B { otherwise }\n";
        let checked = crate::check::check(&crate::syntax::parse(src).unwrap(), src).checked.unwrap();
        let program = crate::compile::compile(&checked);
        let tables = Tables { customers: Some("{{ ref('customers') }}"), ..Tables::default() };
        let today = Date::parse("2025-01-31").unwrap();
        let m = model(&checked, &program, Dialect::Duckdb, &tables, "tiers", today).unwrap();
        // The text after the table (with the strategies) is raw; the table is not.
        assert!(m.sql.starts_with("{{ config(materialized='table') }}\n-- policy"), "{}", m.sql);
        assert!(m.sql.contains("FROM {{ ref('customers') }}{% raw %}"), "{}", m.sql);
        assert!(m.sql.contains("{{ not jinja }}") && m.sql.trim_end().ends_with("{% endraw %}"), "{}", m.sql);
        assert_eq!(m.sql.matches("{% raw %}").count(), 1, "{}", m.sql);
        // Without such text, no raw blocks at all.
        let plain =
            rejoin("SELECT 1 FROM __tier_table_0__", &[Some("{{ ref('c') }}")], &|i| format!("__tier_table_{i}__"));
        assert_eq!(plain, "SELECT 1 FROM {{ ref('c') }}");
        assert!(m.properties.contains("- name: \"id\"\n        quote: true"), "{}", m.properties);
        assert!(m.properties.contains("values: [\"A\", \"B\"]"), "{}", m.properties);
    }
}
