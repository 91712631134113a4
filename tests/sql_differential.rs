//! The compiled SQL against the evaluator, row by row: every example policy that
//! compiles, plus generated policies, on generated data (each field's boundary
//! values from the analysis' cells, values just inside and outside, missing
//! values, every enum value), run on SQLite (rusqlite, bundled), DuckDB and
//! Spark SQL (their Python packages) and PostgreSQL (Debian's server), through
//! tests/sqlrun; `.ci/run` installs them all, and under CI a test that cannot
//! run its engine fails.
//! Tiers, labels and strategies must be identical; a record the evaluator
//! rejects (two tiers under `hit unique`) must get no tier.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;
mod sqlrun;

use sqlrun::Engine;
use std::collections::BTreeMap;
use std::path::Path;
use tierlang::analysis::space;
use tierlang::check::{check, Checked, Ty};
use tierlang::compile::{compile, Program};
use tierlang::eval::{Evaluator, Value};
use tierlang::number::Date;
use tierlang::sql::Dialect;
use tierlang::syntax::parse;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn today() -> Date {
    Date::parse("2025-06-30").unwrap()
}

/// One expected row: per dimension (tier, label, strategy JSON).
type Row = Vec<(Option<String>, Option<String>, serde_json::Value)>;

struct Case {
    name: String,
    checked: Checked,
    program: Program,
    /// Per record: each field's value by slot.
    records: Vec<Vec<Value>>,
}

/// Records from the analysis' cells: every boundary, the values between them,
/// missing for optional fields; combined pseudo-randomly (fixed seed).
fn records(checked: &Checked, program: &Program, n: usize) -> Vec<Vec<Value>> {
    let conds: Vec<&tierlang::check::TExpr> =
        checked.dimensions.iter().flat_map(|d| d.tiers.iter().filter_map(|t| t.condition.as_ref())).collect();
    let sp = space::build(checked, &conds, "", today());
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..n)
        .map(|i| {
            let mut values: Vec<Value> = program
                .fields
                .iter()
                .map(|f| match f.ty {
                    Ty::Text => Value::Text("x".into()),
                    Ty::Bool => Value::Bool(false),
                    Ty::Date => Value::Date(today()),
                    Ty::Enum(_) => Value::Enum(0),
                    _ => Value::Num(0.into()),
                })
                .collect();
            for v in &sp.vars {
                let cell = &v.cells[(next() as usize) % v.cells.len()];
                values[v.slot] = cell.rep();
            }
            values[program.key] = Value::Text(format!("k{i}"));
            values
        })
        .collect()
}

fn expected(case: &Case) -> Vec<Row> {
    let ev = Evaluator::new(&case.program, today());
    case.records
        .iter()
        .map(|r| {
            let mut frame = r.clone();
            let decisions = match ev.evaluate(&mut frame) {
                Ok(d) => d,
                // Rejected by the evaluator (two tiers under `hit unique`): no tier in SQL.
                Err(_) => case.program.dimensions.iter().map(|_| tierlang::eval::Decision { tier: None }).collect(),
            };
            case.program
                .dimensions
                .iter()
                .enumerate()
                .map(|(d, dim)| {
                    let tier = decisions[d].tier.map(|t| &dim.tiers[t]);
                    let strategy = tierlang::combine::strategy(&case.program, &decisions, d)
                        .map_or(serde_json::Value::Null, |s| s.iter().map(|(k, v)| (k.clone(), v.to_json())).collect());
                    (tier.map(|t| t.name.clone()), tier.and_then(|t| t.label.clone()), strategy)
                })
                .collect()
        })
        .collect()
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut sources: Vec<(String, String)> = Vec::new();
    for entry in std::fs::read_dir(root().join("policies")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        sources.push((name, std::fs::read_to_string(&path).unwrap()));
    }
    sources.extend(generated());
    sources.sort();
    for (name, src) in sources {
        let checked = check(&parse(&src).unwrap(), &src).checked.unwrap_or_else(|| panic!("{name} does not check"));
        let program = compile(&checked);
        // Policies with metrics (tests/sql_metrics.rs), retention or budgets need more tables.
        if tierlang::sql::compile(&checked, &program, Dialect::Sqlite, "t", None, today()).is_err() {
            continue;
        }
        let records = records(&checked, &program, 300);
        out.push(Case { name, checked, program, records });
    }
    out
}

/// Policies exercising what the examples do not: division, lets, min/max, in and
/// not in, not between, is missing, booleans, text functions, hit unique,
/// combination strategies, months and years since.
fn generated() -> Vec<(String, String)> {
    vec![
        (
            "gen_arith".into(),
            r#"schema { id: text key  spend: money  orders: count per quarter  visits: integer?  vip: bool? }
let per_order = spend / (orders * 1)
dimension value {
  tier A { when per_order >= 1000.5 and min(visits, 10) > 3  strategy { x: 1 } }
  tier B { when max(spend, 100) between 200 and 5000.25 or vip  strategy { x: 2 } }
  tier C { when visits not between 2 and 4 and visits is present  strategy { x: 3.5 } }
  tier D { when -spend + 10 < abs(spend - 300) and round(spend / 3, 1) != 33.3  strategy { x: 4 } }
  tier E { otherwise  strategy { y: [1, 2] } }
}"#
            .into(),
        ),
        (
            "gen_text_enum_dates".into(),
            r#"schema { id: text key  code: text  region: enum(North, South, "East Coast")?  joined: date?  birthday: date }
dimension d {
  hit first
  unordered
  tier X { when contains(code, "x") and region in [North, "East Coast"] }
  tier Y { when starts_with(code, "y") or region not in [South] }
  tier Z { when days_since(joined) > 30 and months_since(birthday) >= 240 }
  tier W { when joined is missing and years_since(birthday) < 18 }
}
dimension e {
  tier P { when joined + 10 <= today and joined - 5 > 2020-01-01 strategy { p: true } }
  tier Q { otherwise strategy { p: false } }
}
when e is P and d is X { strategy { bonus: "x" } }
when e is P override { strategy { p: "overridden" } }"#
                .into(),
        ),
    ]
}

/// Numbers compare by value (SQLite and DuckDB print 1.0 or 1).
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => {
            let p =
                |n: &serde_json::Number| n.to_string().parse::<tierlang::number::Decimal>().ok().map(|d| d.normalize());
            p(x) == p(y)
        }
        (J::Array(x), J::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn compare(case: &Case, engine: &str, want: &[Row], got: &[Row]) -> usize {
    let mut mismatches = Vec::new();
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        let ok = w.len() == g.len() && w.iter().zip(g).all(|(a, b)| a.0 == b.0 && a.1 == b.1 && same(&a.2, &b.2));
        if !ok {
            mismatches.push(format!("k{i} {:?}: evaluator {w:?}, {engine} {g:?}", case.records[i]));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} on {engine}: {} mismatches, e.g.\n{}",
        case.name,
        mismatches.len(),
        mismatches[..mismatches.len().min(3)].join("\n")
    );
    want.len()
}

/// The SQL of each example policy is a golden file (`tests/sql/NAME.DIALECT.sql`;
/// `TIER_BLESS=1` rewrites them): DuckDB for every policy that compiles, and all
/// five dialects for the hospitals policy. The text is stable: compiling twice
/// gives the same bytes.
#[test]
fn compiled_sql_matches_its_goldens() {
    let bless = std::env::var_os("TIER_BLESS").is_some();
    let mut differ = Vec::new();
    for case in cases().iter().filter(|c| !c.name.starts_with("gen_")) {
        let dialects: &[(Dialect, &str)] = if case.name == "hospitals" {
            &[
                (Dialect::Duckdb, "duckdb"),
                (Dialect::Postgres, "postgres"),
                (Dialect::Sqlite, "sqlite"),
                (Dialect::Spark, "spark"),
                (Dialect::Bigquery, "bigquery"),
            ]
        } else {
            &[(Dialect::Duckdb, "duckdb")]
        };
        for &(dialect, tag) in dialects {
            let sql =
                tierlang::sql::compile(&case.checked, &case.program, dialect, "customers", None, today()).unwrap();
            let again =
                tierlang::sql::compile(&case.checked, &case.program, dialect, "customers", None, today()).unwrap();
            assert_eq!(sql, again, "{} is not stable", case.name);
            let path = root().join(format!("tests/sql/{}.{tag}.sql", case.name));
            if bless {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &sql).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(sql.as_str()) {
                differ.push(path.display().to_string());
            }
        }
    }
    assert!(differ.is_empty(), "goldens differ (TIER_BLESS=1 to accept): {differ:?}");
}

fn tier(args: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("tier")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn tier_compile_writes_the_query_a_view_or_says_what_cannot_compile() {
    let out = tier(&[
        "compile",
        "policies/hospitals.tier",
        "--to",
        "sql",
        "--dialect",
        "postgres",
        "--table",
        "crm.hospitals",
        "--view",
        "hospital_tiers",
        "--as-of",
        "2025-06-30",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sql = String::from_utf8_lossy(&out.stdout);
    assert!(sql.contains("CREATE VIEW \"hospital_tiers\" AS") && sql.contains("FROM crm.hospitals"), "{sql}");
    assert!(sql.trim_end().ends_with(';'));
    assert!(sql.contains("CAST('{\"account_manager\":\"dedicated\""), "{sql}");
    // Metrics need the event log's table, and its columns to choose between
    // `from "A" or "B"`: a clear error naming what is missing.
    let out = tier(&["compile", "policies/rfm.tier", "--dialect", "duckdb"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tier::sql_unsupported") && err.contains("--events-table"), "{err}");
    let rfm = |columns: Option<&str>| {
        let mut args = vec!["compile", "policies/rfm.tier", "--dialect", "duckdb", "--events-table", "lines"];
        args.extend(columns.map(|c| ["--events-columns", c]).into_iter().flatten());
        tier(&args)
    };
    let err = String::from_utf8_lossy(&rfm(None).stderr).into_owned();
    assert!(
        err.contains("`customer` reads the column CustomerID or another") && err.contains("--events-columns"),
        "{err}"
    );
    let err = String::from_utf8_lossy(&rfm(Some("Invoice,Quantity,Price,InvoiceDate")).stderr).into_owned();
    assert!(err.contains("the events table has no column \"CustomerID\" or \"Customer ID\""), "{err}");
    // Online Retail II's names are chosen when the table has them.
    let out = rfm(Some("Invoice,StockCode,Quantity,Price,InvoiceDate,Customer ID"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sql = String::from_utf8_lossy(&out.stdout);
    assert!(sql.contains("\"Customer ID\" AS \"__k\"") && sql.contains("FROM lines"), "{sql}");
    // Retention and budgets: a first run (everyone new) without --previous-table.
    let out = tier(&["compile", "policies/loyalty_program.tier", "--dialect", "sqlite", "--table", "t"]);
    let sql = String::from_utf8_lossy(&out.stdout);
    assert!(sql.contains("'new' AS \"__h0_movement\"") && sql.contains("AS \"budget.marketing\""), "{sql}");
    let out = tier(&[
        "compile",
        "policies/loyalty_program.tier",
        "--dialect",
        "sqlite",
        "--table",
        "t",
        "--previous-table",
        "last_month",
    ]);
    let sql = String::from_utf8_lossy(&out.stdout);
    assert!(sql.contains("FROM last_month") && sql.contains("ELSE 'demoted'"), "{sql}");
    let out =
        tier(&["compile", "policies/hospitals.tier", "--dialect", "duckdb", "--table", "t", "--events-table", "e"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("an events table for a policy with no `events` block"));
    // A dbt model needs its directory, and is no view.
    let out = tier(&["compile", "policies/hospitals.tier", "--to", "dbt", "--dialect", "duckdb", "--table", "t"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let out = tier(&[
        "compile",
        "policies/hospitals.tier",
        "--to",
        "dbt",
        "--dialect",
        "duckdb",
        "--table",
        "t",
        "--out",
        "m",
        "--view",
        "v",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let out = tier(&["compile", "policies/hospitals.tier", "--dialect", "oracle", "--table", "t"]);
    assert_eq!(out.status.code(), Some(2));
}

/// The rows an engine of [`sqlrun`] gives for every case, in one batch.
fn run_batch(engine: Engine, cases: &[Case], pg: Option<&sqlrun::Postgres>) -> Vec<Vec<Row>> {
    let dir = tempfile::tempdir().unwrap();
    let jobs: Vec<sqlrun::Job> = cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let fields = &case.program.fields;
            let data = dir.path().join(format!("case{i}.csv"));
            let mut w = csv::Writer::from_path(&data).unwrap();
            w.write_record(fields.iter().map(|f| f.column.as_str())).unwrap();
            for r in &case.records {
                w.write_record(fields.iter().zip(r).map(|(f, v)| space::input_text(f, v))).unwrap();
            }
            w.flush().unwrap();
            let columns = fields.iter().map(|f| (f.column.clone(), sqlrun::Col::of(f.ty))).collect();
            let table = sqlrun::Table { name: "t".into(), columns, csv: data };
            let sql =
                tierlang::sql::compile(&case.checked, &case.program, engine.dialect(), "t", None, today()).unwrap();
            sqlrun::Job { tables: vec![table], sql }
        })
        .collect();
    let results = sqlrun::run(engine, &jobs, dir.path(), pg);
    cases
        .iter()
        .zip(results)
        .zip(&jobs)
        .map(|((case, rows), job)| {
            let rows = rows.unwrap_or_else(|e| panic!("{} on {}: {e}\n{}", case.name, engine.name(), job.sql));
            let by_key: BTreeMap<String, Row> = rows
                .into_iter()
                .map(|r| {
                    let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
                    let dims = (0..case.program.dimensions.len())
                        .map(|d| {
                            let json = match &r[3 + 3 * d] {
                                serde_json::Value::String(s) => serde_json::from_str(s).unwrap(),
                                other => other.clone(),
                            };
                            (text(&r[1 + 3 * d]), text(&r[2 + 3 * d]), json)
                        })
                        .collect();
                    (text(&r[0]).unwrap(), dims)
                })
                .collect();
            (0..case.records.len()).map(|i| by_key[&format!("k{i}")].clone()).collect()
        })
        .collect()
}

/// Every example and generated policy on one engine, in one batch; under CI
/// an engine that cannot run fails (`tests/common`: skip).
fn agrees_on(engine: Engine) {
    if let Some(why) = engine.missing() {
        common::skip(&format!("the {} differential run needs {why}", engine.name()));
        return;
    }
    let pg = (engine == Engine::Postgres).then(sqlrun::Postgres::start);
    let cases = cases();
    assert!(cases.len() >= 8, "{}", cases.len());
    let mut rows = 0;
    for (case, got) in cases.iter().zip(run_batch(engine, &cases, pg.as_ref())) {
        rows += compare(case, engine.name(), &expected(case), &got);
    }
    eprintln!("{}: {} policies × 300 rows = {rows} rows, identical", engine.name(), cases.len());
}

#[test]
fn sqlite_agrees_with_the_evaluator_on_every_policy() {
    agrees_on(Engine::Sqlite);
}

#[test]
fn duckdb_agrees_with_the_evaluator_on_every_policy() {
    agrees_on(Engine::Duckdb);
}

#[test]
fn postgres_agrees_with_the_evaluator_on_every_policy() {
    agrees_on(Engine::Postgres);
}

#[test]
fn spark_agrees_with_the_evaluator_on_every_policy() {
    agrees_on(Engine::Spark);
}

/// Random policies over a fixed schema: conditions built from comparisons,
/// `between`, `in`, `is missing`, arithmetic, `days_since`, `min`/`max`, `and`,
/// `or`, `not`, with constants near each other so boundaries are hit.
fn random_policy(seed: u64) -> String {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) | 1;
    let mut next = move |n: u64| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s % n
    };
    let atom = |next: &mut dyn FnMut(u64) -> u64| -> String {
        let k = |next: &mut dyn FnMut(u64) -> u64| ["0", "5", "10", "10.5", "100", "1000", "2.25"][next(7) as usize];
        let cmp = |next: &mut dyn FnMut(u64) -> u64| ["<", "<=", ">", ">=", "==", "!="][next(6) as usize];
        match next(11) {
            0 => format!("spend {} {}", cmp(next), k(next)),
            1 => format!("visits {} {}", cmp(next), k(next).replace(".5", "").replace("2.25", "2")),
            2 => format!("orders {} {}/quarter", cmp(next), k(next)),
            3 => format!("spend between {} and {}", k(next), k(next)),
            4 => format!("region {}in [North, South]", if next(2) == 0 { "not " } else { "" }),
            5 => format!("visits is {}", if next(2) == 0 { "missing" } else { "present" }),
            6 => format!("days_since(joined) {} {}", cmp(next), ["30", "365", "0"][next(3) as usize]),
            7 => format!("spend / (visits + 1) {} {}", cmp(next), k(next)),
            8 => format!("min(spend, visits) {} {}", cmp(next), k(next)),
            9 => "vip".to_string(),
            _ => format!("{} < spend * 2 <= {}", k(next), k(next)),
        }
    };
    let cond = |next: &mut dyn FnMut(u64) -> u64| -> String {
        let a = atom(next);
        match next(4) {
            0 => a,
            1 => format!("{a} and {}", atom(next)),
            2 => format!("({a} or {})", atom(next)),
            _ => format!("not ({a})"),
        }
    };
    let tiers = 2 + next(3);
    let mut src = String::from(
        "schema { id: text key  spend: money  visits: integer?  orders: count per quarter  region: enum(North, South, West)?  joined: date?  vip: bool? }\n",
    );
    for t in 0..tiers {
        src.push_str(&format!("tier T{t} {{ when {}  strategy {{ n: {t} }} }}\n", cond(&mut next)));
    }
    src.push_str("tier Rest { otherwise  strategy { n: -1 } }\n");
    src
}

/// The first `n` random policies that check (`tier check` refuses some: an
/// unreachable tier, an empty range), each on its own generated data.
fn random_cases(n: usize) -> Vec<Case> {
    let cases: Vec<Case> = (1..=400u64)
        .filter_map(|seed| {
            let src = random_policy(seed);
            let checked = check(&parse(&src).unwrap(), &src).checked?;
            let program = compile(&checked);
            let records = records(&checked, &program, 120);
            Some(Case { name: format!("random {seed}"), checked, program, records })
        })
        .take(n)
        .collect();
    assert_eq!(cases.len(), n, "only {} random policies check", cases.len());
    cases
}

fn random_policies_agree_on(engine: Engine, n: usize) {
    if let Some(why) = engine.missing() {
        common::skip(&format!("the {} differential run needs {why}", engine.name()));
        return;
    }
    let cases = random_cases(n);
    let mut rows = 0;
    for (case, got) in cases.iter().zip(run_batch(engine, &cases, None)) {
        rows += compare(case, engine.name(), &expected(case), &got);
    }
    eprintln!("{}: {n} random policies, {rows} rows, identical", engine.name());
}

/// Many random policies on SQLite, the first 20 of them on DuckDB.
#[test]
fn random_policies_agree_on_sqlite() {
    random_policies_agree_on(Engine::Sqlite, 60);
}

#[test]
fn random_policies_agree_on_duckdb() {
    random_policies_agree_on(Engine::Duckdb, 20);
}
