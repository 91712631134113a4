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

use sqlrun::case::Case;
use sqlrun::{Engine, Postgres};
use std::path::{Path, PathBuf};
use tierlang::sql::Dialect;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn example_cases() -> Vec<Case> {
    let sample = Some(root().join("examples/online_retail_sample.csv"));
    let policy = |name: &str| root().join(format!("policies/{name}.tier"));
    let mut cases = vec![
        Case::new("rfm", policy("rfm"), sample.clone(), None, "2011-12-11"),
        Case::new("retail_value", policy("retail_value"), sample.clone(), None, "2011-12-11"),
        // A month-end as-of day: windows reach back to month-ends.
        Case::new("retail_value at a month end", policy("retail_value"), sample, None, "2011-11-30"),
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
    // Spark plans each query for seconds: a third of the random policies there.
    if engine == Engine::Spark {
        cases.truncate(3 + 10);
    }
    match full_log() {
        Some(log) => cases.push(Case::new(
            "rfm on the whole UCI log",
            root().join("policies/rfm.tier"),
            Some(log),
            None,
            "2011-12-11",
        )),
        None => common::skip("the RFM run over the whole UCI log needs ../shared/data/online_retail.csv"),
    }
    let n = cases.len();
    let dir = tempfile::tempdir().unwrap();
    let (rows, got) = sqlrun::case::differential(engine, &cases, dir.path(), pg.as_ref());
    eprintln!("{}: {n} metric policies, {rows} customers, identical to `tier apply --events`", engine.name());
    if full_log().is_some() {
        // Every customer of the published RFM segments is tiered (the last case).
        assert_eq!(got.last().map(Vec::len), Some(4_338));
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
/// tiers in DuckDB's, the monthly job (retention, a budget, last month's table)
/// in every dialect.
#[test]
fn compiled_metric_sql_matches_its_goldens() {
    let bless = std::env::var_os("TIER_BLESS").is_some();
    let sample = root().join("examples/online_retail_sample.csv");
    let mut differ = Vec::new();
    let all = [Dialect::Duckdb, Dialect::Postgres, Dialect::Sqlite, Dialect::Spark, Dialect::Bigquery];
    for (name, dialects) in [("rfm", &all[..]), ("retail_value", &all[..1]), ("retail_monthly", &all[..])] {
        let case =
            Case::new(name, root().join(format!("policies/{name}.tier")), Some(sample.clone()), None, "2011-12-11");
        for &dialect in dialects {
            let program = tierlang::compile::compile(&case.checked);
            let columns = Case::columns(&sample);
            let tables = tierlang::sql::Tables {
                events: Some("invoice_lines"),
                event_columns: Some(&columns),
                previous: (name == "retail_monthly").then_some("tiers_last_month"),
                ..Default::default()
            };
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
