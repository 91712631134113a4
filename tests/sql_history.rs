//! Retention rules and budgets in SQL, month after month: three runs in a
//! chain, the evaluator's (`tier apply --previous` reading its own last
//! output) against the SQL's (`--previous-table` reading the SQL's own last
//! output, written back as a table), customer by customer: tiers, movements,
//! `DIM_entered`/`DIM_below`, gone customers, budgets to the cent. On the
//! loyalty program (customers files, `keep`, `demote after`, `at most`, shares
//! and weights), the monthly retail job over the UCI sample (metrics,
//! retention, a budget), and seeded random policies with random rules, on
//! SQLite, DuckDB, PostgreSQL and Spark SQL. With SQLite, `tier apply
//! --previous` also reads the SQL's output and must give the same month.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;
mod sqlrun;

use sqlrun::case::Case;
use sqlrun::{Engine, Postgres, Rng, Rows};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A policy run on three dates, each month with its own inputs.
struct Chain {
    name: String,
    policy: PathBuf,
    /// Per month: (events, customers, as-of).
    months: Vec<(Option<PathBuf>, Option<PathBuf>, String)>,
}

fn examples() -> Vec<Chain> {
    let ex = |f: &str| Some(root().join("examples").join(f));
    let sample = ex("online_retail_sample.csv");
    let full = root().join("../shared/data/online_retail.csv");
    // The monthly job over the whole UCI log too, where the shared data is
    // (tests/sql_metrics.rs says so loudly when it is not).
    let whole = full.exists().then(|| Chain {
        name: "retail_monthly on the whole UCI log".into(),
        policy: root().join("policies/retail_monthly.tier"),
        months: ["2011-06-01", "2011-07-01", "2011-08-01"].map(|d| (Some(full.clone()), None, d.to_string())).to_vec(),
    });
    let mut chains = vec![
        Chain {
            name: "loyalty_program".into(),
            policy: root().join("policies/loyalty_program.tier"),
            months: vec![
                (None, ex("loyalty_2025-01.csv"), "2025-01-31".into()),
                (None, ex("loyalty_2025-02.csv"), "2025-02-28".into()),
                (None, ex("loyalty_2025-03.csv"), "2025-03-31".into()),
            ],
        },
        Chain {
            name: "retail_monthly".into(),
            policy: root().join("policies/retail_monthly.tier"),
            months: ["2011-09-01", "2011-10-01", "2011-11-01"].map(|d| (sample.clone(), None, d.to_string())).to_vec(),
        },
    ];
    chains.extend(whole);
    chains
}

/// SQL rows as a CSV file with the output's header: next month's previous table.
fn write_rows(case: &Case, rows: &Rows, path: &Path) {
    let mut w = csv::Writer::from_path(path).unwrap();
    let key = case.checked.fields[case.checked.key].name.clone();
    w.write_record(std::iter::once(key).chain(case.output_columns())).unwrap();
    for r in rows {
        w.write_record(r.iter().map(|v| match v {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }))
        .unwrap();
    }
    w.flush().unwrap();
}

/// Runs every chain month by month on `engine` (a batch per month).
fn run_chains(engine: Engine, chains: &[Chain]) -> usize {
    let pg = (engine == Engine::Postgres).then(Postgres::start);
    let dir = tempfile::tempdir().unwrap();
    let mut previous: Vec<Option<(PathBuf, PathBuf)>> = vec![None; chains.len()];
    let mut rows = 0;
    for month in 0..3 {
        let cases: Vec<Case> = chains
            .iter()
            .zip(&previous)
            .map(|(c, prev)| {
                let (events, customers, as_of) = c.months[month].clone();
                let mut case =
                    Case::new(&format!("{} month {}", c.name, month + 1), c.policy.clone(), events, customers, &as_of);
                case.previous = prev.clone();
                case
            })
            .collect();
        let jobs: Vec<sqlrun::Job> = cases.iter().map(|c| c.job(engine)).collect();
        let results = sqlrun::run(engine, &jobs, dir.path(), pg.as_ref());
        for (i, ((case, result), job)) in cases.iter().zip(results).zip(&jobs).enumerate() {
            let got = result.unwrap_or_else(|e| panic!("{} on {}: {e}\n{}", case.name, engine.name(), job.sql));
            let (want, eval_out) = case.evaluated();
            if let (Engine::Sqlite, Some((_, sql_previous))) = (engine, &case.previous) {
                // `tier apply --previous` reads the SQL's output as well as its own.
                let mut cross = Case::new(
                    &case.name,
                    case.policy.clone(),
                    case.events.clone(),
                    case.customers.clone(),
                    &case.as_of.to_string(),
                );
                cross.previous = Some((sql_previous.clone(), sql_previous.clone()));
                assert!(
                    cross.evaluate(None) == want,
                    "{}: tier apply reads the SQL's last output differently",
                    case.name
                );
            }
            let sql_out = dir.path().join(format!("chain{i}.m{month}.sql.csv"));
            write_rows(case, &got, &sql_out);
            rows += case.compare(engine, &want, got);
            previous[i] = Some((eval_out, sql_out));
        }
    }
    rows
}

fn chains_agree_on(engine: Engine) {
    if let Some(why) = engine.missing() {
        common::skip(&format!("the {} differential run needs {why}", engine.name()));
        return;
    }
    let mut chains = examples();
    // Spark takes about a second a query: a third of the random chains there,
    // and the whole UCI log in tests/sql_metrics.rs only.
    if engine == Engine::Spark {
        chains.retain(|c| !c.name.contains("whole"));
    }
    let random = if engine == Engine::Spark { 8 } else { 24 };
    chains.extend(random_chains().into_iter().take(random));
    let rows = run_chains(engine, &chains);
    eprintln!(
        "{}: {} three-month chains, {rows} rows, identical to `tier apply --previous`",
        engine.name(),
        chains.len()
    );
}

#[test]
fn retention_and_budget_chains_agree_on_sqlite() {
    chains_agree_on(Engine::Sqlite);
}

#[test]
fn retention_and_budget_chains_agree_on_duckdb() {
    chains_agree_on(Engine::Duckdb);
}

#[test]
fn retention_and_budget_chains_agree_on_postgres() {
    chains_agree_on(Engine::Postgres);
}

#[test]
fn retention_and_budget_chains_agree_on_spark() {
    chains_agree_on(Engine::Spark);
}

/// Random rules (`demote after`, `at most`, `keep`), an unordered second
/// dimension, a budget by shares and one by weight; customers come and go.
fn random_policy(rng: &mut Rng) -> String {
    let mut p =
        String::from("policy \"random history\" { version: 1 }\nschema { id: text key  score: number  kind: text? }\n");
    p.push_str("dimension level {\n  hit first\n  ordered\n  retention {\n");
    let _ = writeln!(p, "    demote after {} evaluations below", 1 + rng.below(3));
    if rng.below(2) == 0 {
        let _ = writeln!(p, "    demote at most {} tier per evaluation", 1 + rng.below(2));
    }
    if rng.below(2) == 0 {
        let tier = ["A", "B"][rng.below(2) as usize];
        let (n, period) =
            [(1, "month"), (2, "months"), (6, "weeks"), (1, "quarter"), (30, "days")][rng.below(5) as usize];
        let _ = writeln!(p, "    keep {tier} for {n} {period} after promotion");
    }
    p.push_str("  }\n");
    for (t, min) in [("A", 80), ("B", 50), ("C", 20)] {
        let _ = writeln!(p, "  tier {t} {{ when score >= {min}  strategy {{ n: \"{t}\" }} }}");
    }
    p.push_str("  tier D { otherwise  strategy { n: \"D\" } }\n}\n");
    p.push_str("dimension kind {\n  hit first\n  unordered\n  tier X { when kind == \"x\" }\n  tier Y { when kind == \"y\" }\n}\n");
    let amount = ["1000", "999.99", "0.07", "12345.67"][rng.below(4) as usize];
    let _ = writeln!(p, "budget gifts {amount} {{\n  A: 50%\n  B: 30%\n  C: 15%\n  D: 5%\n}}");
    let _ = writeln!(p, "budget hours {} by weight {{\n  A: 3\n  B: 1.5\n  C: 1\n}}", 10 + rng.below(200));
    p
}

/// Customers c00..c39 in key order; each month some are absent (gone, then new again).
fn customers(rng: &mut Rng, dir: &Path, name: &str) -> PathBuf {
    let mut out = String::from("id,score,kind\n");
    for k in 0..40 {
        if rng.below(8) == 0 {
            continue;
        }
        let kind = ["x", "y", "z", ""][rng.below(4) as usize];
        let _ = writeln!(out, "c{k:02},{},{kind}", [10, 20, 35, 50, 65, 80, 95][rng.below(7) as usize]);
    }
    let path = dir.join(name);
    std::fs::write(&path, out).unwrap();
    path
}

fn random_chains() -> Vec<Chain> {
    let dir = crate::sqlrun::scratch("sql_history");
    (1..=24u64)
        .map(|seed| {
            let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
            let policy = dir.join(format!("random{seed}.tier"));
            std::fs::write(&policy, random_policy(&mut rng)).unwrap();
            // Runs 13 to 45 days apart, so that `keep .. for` ends on, just
            // before and just after a run.
            let mut day = tierlang::number::Date::parse("2025-01-20").unwrap().add_days(rng.below(15) as i64).unwrap();
            let months = (0..3)
                .map(|m| {
                    if m > 0 {
                        day = day.add_days(13 + rng.below(33) as i64).unwrap();
                    }
                    let file = customers(&mut rng, &dir, &format!("random{seed}.m{m}.csv"));
                    (None, Some(file), day.to_string())
                })
                .collect();
            Chain { name: format!("random {seed}"), policy, months }
        })
        .collect()
}
