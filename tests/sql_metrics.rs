//! Policies with `events` and `metric`s compiled to SQL against `tier apply
//! --events`, customer by customer: the same customers (those the evaluator
//! tiers; those outside the population are in neither), the same tiers, labels
//! and strategies, the same metric values. On the example policies over the
//! bundled sample of the UCI Online Retail log, the RFM policy over the whole
//! log (`../shared/data/online_retail.csv` beside the repository: all 4,338
//! customers of the published segments), and seeded random metric policies over
//! generated logs; on SQLite, DuckDB, PostgreSQL and Spark SQL (each engine
//! runs the whole batch; one that cannot run fails under CI, see `tests/common`).

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;
mod sqlrun;

use sqlrun::{Col, Engine, Job, Postgres, Rows, Table};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tierlang::check::{check, Checked};
use tierlang::number::Date;
use tierlang::sql::Dialect;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A policy over an event log (and maybe a customers table) as of a day.
struct Case {
    name: String,
    policy: PathBuf,
    checked: Checked,
    events: PathBuf,
    customers: Option<PathBuf>,
    as_of: Date,
}

impl Case {
    fn new(name: &str, policy: PathBuf, events: PathBuf, customers: Option<PathBuf>, as_of: &str) -> Case {
        let src = std::fs::read_to_string(&policy).unwrap();
        let out = check(&tierlang::syntax::parse(&src).unwrap(), &src);
        let checked = out.checked.unwrap_or_else(|| panic!("{name} does not check"));
        Case { name: name.into(), policy, checked, events, customers, as_of: Date::parse(as_of).unwrap() }
    }

    fn columns(csv: &Path) -> Vec<String> {
        csv::Reader::from_path(csv).unwrap().headers().unwrap().iter().map(str::to_string).collect()
    }

    fn sql(&self, engine: Engine) -> String {
        let program = tierlang::compile::compile(&self.checked);
        let columns = Case::columns(&self.events);
        let tables = tierlang::sql::Tables {
            customers: self.customers.as_ref().map(|_| "customers"),
            events: Some("events"),
            event_columns: Some(&columns),
        };
        tierlang::sql::compile_tables(&self.checked, &program, engine.dialect(), &tables, None, self.as_of)
            .unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }

    fn job(&self, engine: Engine) -> Job {
        let ev = self.checked.events.as_ref().unwrap();
        let header = Case::columns(&self.events);
        let typed: Vec<(String, Col)> = ev
            .fields
            .iter()
            .filter_map(|f| {
                let name = std::iter::once(&f.column).chain(&f.aliases).find(|n| header.contains(n))?;
                Some((name.clone(), Col::of(f.ty)))
            })
            .collect();
        let mut tables = vec![Table::from_csv("events", &self.events, &typed)];
        if let Some(c) = &self.customers {
            let typed: Vec<(String, Col)> = self
                .checked
                .fields
                .iter()
                .filter(|f| !self.checked.metrics.iter().any(|m| m.name == f.name))
                .map(|f| (f.column.clone(), Col::of(f.ty)))
                .collect();
            tables.push(Table::from_csv("customers", c, &typed));
        }
        Job { tables, sql: self.sql(engine) }
    }

    /// `tier apply --events` as NDJSON: per customer the flat row
    /// `[tier, label, strategy]` per dimension, then the metric values.
    fn evaluate(&self) -> BTreeMap<String, Vec<serde_json::Value>> {
        let mut cmd = assert_cmd::Command::cargo_bin("tier").unwrap();
        cmd.arg("apply").arg(&self.policy).arg("--events").arg(&self.events);
        if let Some(c) = &self.customers {
            cmd.arg("--customers").arg(c);
        }
        let out =
            cmd.args(["--as-of", &self.as_of.to_string(), "--format", "ndjson", "--summary", "none"]).output().unwrap();
        assert!(out.status.success(), "{}: {}", self.name, String::from_utf8_lossy(&out.stderr));
        let key = &self.checked.fields[self.checked.key].name;
        let several = self.checked.dimensions.len() > 1;
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let mut row = Vec::new();
                for d in &self.checked.dimensions {
                    row.push(v[&d.name].clone());
                    row.push(v[format!("{}_label", d.name)].clone());
                    row.push(if several { v["strategy"][&d.name].clone() } else { v["strategy"].clone() });
                }
                row.extend(self.checked.metrics.iter().map(|m| v[&m.name].clone()));
                (key_text(&v[key]), row)
            })
            .collect()
    }

    /// The SQL's rows in the same shape.
    fn shape(&self, rows: Rows) -> BTreeMap<String, Vec<serde_json::Value>> {
        rows.into_iter()
            .map(|mut r| {
                let rest = r.split_off(1);
                (key_text(&r[0]), rest)
            })
            .collect()
    }

    /// Row by row; the mismatches, described.
    fn compare(&self, engine: Engine, want: &BTreeMap<String, Vec<serde_json::Value>>, got: Rows) -> usize {
        let got = self.shape(got);
        let dims = self.checked.dimensions.len();
        let mut bad = Vec::new();
        for k in want.keys().filter(|k| !got.contains_key(*k)) {
            bad.push(format!("customer {k}: tiered by the evaluator, not by SQL"));
        }
        for k in got.keys().filter(|k| !want.contains_key(*k)) {
            bad.push(format!("customer {k}: in the SQL output only"));
        }
        for (k, w) in want {
            let Some(g) = got.get(k) else { continue };
            let names: Vec<String> = self
                .checked
                .dimensions
                .iter()
                .flat_map(|d| [d.name.clone(), format!("{}_label", d.name), format!("{}_strategy", d.name)])
                .chain(self.checked.metrics.iter().map(|m| m.name.clone()))
                .collect();
            for (i, (a, b)) in w.iter().zip(g).enumerate() {
                let strategy = i < 3 * dims && i % 3 == 2;
                if !same_cell(a, b, strategy) {
                    bad.push(format!("customer {k} {}: evaluator {a}, {} {b}", names[i], engine.name()));
                }
            }
            if w.len() != g.len() {
                bad.push(format!("customer {k}: {} columns, {} in SQL", w.len(), g.len()));
            }
        }
        assert!(
            bad.is_empty(),
            "{} on {}: {} mismatches, e.g.\n{}",
            self.name,
            engine.name(),
            bad.len(),
            bad[..bad.len().min(8)].join("\n")
        );
        want.len()
    }
}

/// `12548`, `12548.0` and `"12548"` are one customer.
fn key_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => {
            n.to_string().parse::<tierlang::number::Decimal>().map_or(n.to_string(), |d| d.normalize().to_string())
        }
        other => other.to_string(),
    }
}

fn number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.to_string().parse().ok(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Equal as the user reads them: numbers by value (within 1e-9 relative, for
/// SQLite's binary floats and rounded divisions), `true` and 1, a strategy as
/// JSON text or value, no strategy and `{}`.
fn same_cell(a: &serde_json::Value, b: &serde_json::Value, strategy: bool) -> bool {
    use serde_json::Value as J;
    if strategy {
        let parse = |v: &J| match v {
            J::String(s) => serde_json::from_str(s).unwrap_or(J::Null),
            J::Object(m) if m.is_empty() => J::Null,
            other => other.clone(),
        };
        return same_json(&parse(a), &parse(b));
    }
    match (a, b) {
        (J::Bool(x), J::Number(n)) | (J::Number(n), J::Bool(x)) => {
            number(&J::Number(n.clone())) == Some(f64::from(u8::from(*x)))
        }
        (J::Number(_), _) | (_, J::Number(_)) => match (number(a), number(b)) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
            _ => false,
        },
        _ => a == b,
    }
}

fn same_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(_), J::Number(_)) => same_cell(a, b, false),
        (J::Array(x), J::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b)),
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// Runs `cases` on `engine` (all in one batch) and compares each; the rows compared.
fn differential(engine: Engine, cases: &[Case], pg: Option<&Postgres>) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let jobs: Vec<Job> = cases.iter().map(|c| c.job(engine)).collect();
    let results = sqlrun::run(engine, &jobs, dir.path(), pg);
    let mut rows = 0;
    for ((case, result), job) in cases.iter().zip(results).zip(&jobs) {
        let got = result.unwrap_or_else(|e| panic!("{} on {}: {e}\n{}", case.name, engine.name(), job.sql));
        rows += case.compare(engine, &case.evaluate(), got);
    }
    rows
}

fn example_cases() -> Vec<Case> {
    let sample = root().join("examples/online_retail_sample.csv");
    let mut cases = vec![
        Case::new("rfm", root().join("policies/rfm.tier"), sample.clone(), None, "2011-12-11"),
        Case::new("retail_value", root().join("policies/retail_value.tier"), sample.clone(), None, "2011-12-11"),
        // A month-end as-of day: windows reach back to month-ends.
        Case::new("retail_value at a month end", root().join("policies/retail_value.tier"), sample, None, "2011-11-30"),
    ];
    cases.extend(random::cases());
    cases
}

/// The full UCI log, when the shared data is there (CI has it).
fn full_log() -> Option<PathBuf> {
    let p = root().join("../shared/data/online_retail.csv");
    p.exists().then_some(p)
}

fn run_engine(engine: Engine) {
    if let Some(why) = engine.missing() {
        common::skip(&format!("the {} differential run needs {why}", engine.name()));
        return;
    }
    let pg = (engine == Engine::Postgres).then(Postgres::start);
    let mut cases = example_cases();
    match full_log() {
        Some(log) => {
            cases.push(Case::new("rfm on the whole UCI log", root().join("policies/rfm.tier"), log, None, "2011-12-11"))
        }
        None => common::skip("the RFM run over the whole UCI log needs ../shared/data/online_retail.csv"),
    }
    let n = cases.len();
    let rows = differential(engine, &cases, pg.as_ref());
    eprintln!("{}: {n} metric policies, {rows} customers, identical to `tier apply --events`", engine.name());
    if full_log().is_some() {
        // Every customer of the published RFM segments is tiered.
        assert!(rows >= 4_338, "{rows}");
    }
}

#[test]
fn metric_policies_agree_on_sqlite() {
    run_engine(Engine::Sqlite);
}

#[test]
fn metric_policies_agree_on_duckdb() {
    run_engine(Engine::Duckdb);
}

#[test]
fn metric_policies_agree_on_postgres() {
    run_engine(Engine::Postgres);
}

#[test]
fn metric_policies_agree_on_spark() {
    run_engine(Engine::Spark);
}

#[path = "sqlrun/random_metrics.rs"]
mod random;

/// The SQL of the metric policies is a golden file too (`tests/sql/NAME.DIALECT.sql`,
/// `TIER_BLESS=1` rewrites them): the RFM policy in every dialect, the value
/// tiers in DuckDB's.
#[test]
fn compiled_metric_sql_matches_its_goldens() {
    let bless = std::env::var_os("TIER_BLESS").is_some();
    let sample = root().join("examples/online_retail_sample.csv");
    let mut differ = Vec::new();
    let all = [Dialect::Duckdb, Dialect::Postgres, Dialect::Sqlite, Dialect::Spark, Dialect::Bigquery];
    for (name, dialects) in [("rfm", &all[..]), ("retail_value", &all[..1])] {
        let case = Case::new(name, root().join(format!("policies/{name}.tier")), sample.clone(), None, "2011-12-11");
        for &dialect in dialects {
            let program = tierlang::compile::compile(&case.checked);
            let columns = Case::columns(&case.events);
            let tables =
                tierlang::sql::Tables { customers: None, events: Some("invoice_lines"), event_columns: Some(&columns) };
            let sql =
                tierlang::sql::compile_tables(&case.checked, &program, dialect, &tables, None, case.as_of).unwrap();
            let tag = format!("{dialect:?}").to_lowercase();
            let path = root().join(format!("tests/sql/{name}.{tag}.sql"));
            if bless {
                std::fs::write(&path, &sql).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(sql.as_str()) {
                differ.push(path.display().to_string());
            }
        }
    }
    assert!(differ.is_empty(), "goldens differ (TIER_BLESS=1 to accept): {differ:?}");
}
