//! Runs compiled policies on the SQL engines of the differential tests, a batch
//! at a time: SQLite in process (rusqlite, bundled), DuckDB and Spark SQL
//! through their Python packages (tests/tools/sql_run.py, one process per
//! batch, so Spark's JVM starts once), PostgreSQL through `psql` on a server
//! started in a temporary directory ([`Postgres`]). Rows come back as JSON
//! values, key first.

#![allow(clippy::unwrap_used, clippy::panic, dead_code)] // tests may fail loudly

pub mod case;
pub mod postgres;

use std::path::{Path, PathBuf};
use tierlang::sql::Dialect;

pub use postgres::Postgres;

/// A fresh directory under the target's temporary directory, one per call
/// (tests of one binary run at once and must not write each other's files).
pub fn scratch(stem: &str) -> PathBuf {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{stem}_{}_{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A seeded xorshift: the random policies and data are the same every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// A column's type, named per engine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Col {
    Int,
    Text,
    Decimal,
    Timestamp,
    Date,
    Bool,
}

impl Col {
    pub fn of(ty: tierlang::check::Ty) -> Col {
        use tierlang::check::Ty;
        match ty {
            Ty::Integer => Col::Int,
            Ty::Text | Ty::Enum(_) => Col::Text,
            Ty::Date => Col::Date,
            Ty::DateTime => Col::Timestamp,
            Ty::Bool => Col::Bool,
            _ => Col::Decimal,
        }
    }

    fn name(self, engine: Engine) -> &'static str {
        match (self, engine) {
            (Col::Int, Engine::Sqlite) => "INTEGER",
            (Col::Int, _) => "BIGINT",
            (Col::Text, Engine::Spark) => "STRING",
            (Col::Text, _) => "TEXT",
            (Col::Decimal, Engine::Sqlite) => "NUMERIC",
            (Col::Decimal, Engine::Postgres) => "NUMERIC",
            (Col::Decimal, Engine::Spark) => "DECIMAL(20, 6)",
            (Col::Decimal, _) => "DECIMAL(38, 10)",
            (Col::Timestamp | Col::Date, Engine::Sqlite) => "TEXT",
            (Col::Timestamp, _) => "TIMESTAMP",
            (Col::Date, _) => "DATE",
            (Col::Bool, Engine::Sqlite) => "INTEGER",
            (Col::Bool, _) => "BOOLEAN",
        }
    }
}

/// A table loaded from a CSV file with a header (an empty cell is NULL).
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<(String, Col)>,
    pub csv: PathBuf,
}

impl Table {
    /// The CSV file's columns, typed by `typed` (by column name), text otherwise.
    pub fn from_csv(name: &str, csv: &Path, typed: &[(String, Col)]) -> Table {
        let mut r = csv::Reader::from_path(csv).unwrap();
        let columns = r
            .headers()
            .unwrap()
            .iter()
            .map(|h| (h.to_string(), typed.iter().find(|(n, _)| n == h).map_or(Col::Text, |(_, c)| *c)))
            .collect();
        Table { name: name.into(), columns, csv: csv.to_path_buf() }
    }
}

/// One query over its tables.
pub struct Job {
    pub tables: Vec<Table>,
    pub sql: String,
}

pub type Rows = Vec<Vec<serde_json::Value>>;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Engine {
    Sqlite,
    Duckdb,
    Postgres,
    Spark,
}

impl Engine {
    pub fn dialect(self) -> Dialect {
        match self {
            Engine::Sqlite => Dialect::Sqlite,
            Engine::Duckdb => Dialect::Duckdb,
            Engine::Postgres => Dialect::Postgres,
            Engine::Spark => Dialect::Spark,
        }
    }

    pub fn name(self) -> &'static str {
        self.dialect().name()
    }

    /// Why the engine cannot run here, if it cannot.
    pub fn missing(self) -> Option<String> {
        let python = |module: &str| {
            let probe = std::process::Command::new("python3").args(["-c", &format!("import {module}")]).output();
            (!probe.is_ok_and(|o| o.status.success()))
                .then(|| format!("python3 with {module} (.ci/run installs it: pip install {module})"))
        };
        match self {
            Engine::Sqlite => None,
            Engine::Duckdb => python("duckdb"),
            Engine::Spark => python("pyspark").or_else(|| {
                let java = std::process::Command::new("java").arg("-version").output();
                (!java.is_ok_and(|o| o.status.success()))
                    .then(|| "java for pyspark (apt-get install openjdk-17-jre-headless)".to_string())
            }),
            Engine::Postgres => postgres::find_bin().is_none().then(|| {
                "PostgreSQL's server binaries (apt-get install postgresql; .ci/run installs them)".to_string()
            }),
        }
    }
}

/// Runs every job; per job its rows or the engine's error.
pub fn run(engine: Engine, jobs: &[Job], dir: &Path, pg: Option<&Postgres>) -> Vec<Result<Rows, String>> {
    match engine {
        Engine::Sqlite => jobs.iter().map(run_sqlite).collect(),
        Engine::Duckdb => run_python("duckdb", jobs, dir),
        Engine::Spark => run_python("spark", jobs, dir),
        Engine::Postgres => {
            let pg = pg.expect("a PostgreSQL server");
            jobs.iter().enumerate().map(|(i, j)| pg.query(j, &dir.join(format!("pg{i}")))).collect()
        }
    }
}

fn run_sqlite(job: &Job) -> Result<Rows, String> {
    use rusqlite::types::Value as V;
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    for t in &job.tables {
        let cols: Vec<String> = t.columns.iter().map(|(n, c)| format!("\"{n}\" {}", c.name(Engine::Sqlite))).collect();
        conn.execute(&format!("CREATE TABLE \"{}\" ({})", t.name, cols.join(", ")), []).unwrap();
        let tx = conn.transaction().unwrap();
        {
            let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
            let mut insert = tx.prepare(&format!("INSERT INTO \"{}\" VALUES ({})", t.name, marks.join(", "))).unwrap();
            let mut r = csv::Reader::from_path(&t.csv).unwrap();
            for rec in r.records() {
                let rec = rec.unwrap();
                let params = rec.iter().zip(&t.columns).map(|(cell, (_, c))| match (cell, c) {
                    ("", _) => V::Null,
                    (b, Col::Bool) => V::Integer(i64::from(b == "true")),
                    (s, _) => V::Text(s.to_string()),
                });
                insert.execute(rusqlite::params_from_iter(params)).unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let mut stmt = conn.prepare(&job.sql).map_err(|e| e.to_string())?;
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |row| {
            (0..n)
                .map(|i| {
                    Ok(match row.get::<_, V>(i)? {
                        V::Null => serde_json::Value::Null,
                        V::Integer(x) => x.into(),
                        V::Real(x) => serde_json::Number::from_f64(x).map_or(serde_json::Value::Null, Into::into),
                        V::Text(s) => s.into(),
                        V::Blob(_) => "blob".into(),
                    })
                })
                .collect()
        })
        .map_err(|e| e.to_string())?;
    rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
}

fn run_python(engine: &str, jobs: &[Job], dir: &Path) -> Vec<Result<Rows, String>> {
    let kind = if engine == "spark" { Engine::Spark } else { Engine::Duckdb };
    let mut spec = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let query = dir.join(format!("{engine}{i}.sql"));
        std::fs::write(&query, &job.sql).unwrap();
        let tables: Vec<serde_json::Value> = job
            .tables
            .iter()
            .map(|t| {
                let cols: Vec<[&str; 2]> = t.columns.iter().map(|(n, c)| [n.as_str(), c.name(kind)]).collect();
                serde_json::json!({ "name": t.name, "columns": cols, "csv": t.csv })
            })
            .collect();
        let out = dir.join(format!("{engine}{i}.json"));
        spec.push(serde_json::json!({ "tables": tables, "query": query, "out": out }));
    }
    let spec_path = dir.join(format!("{engine}.spec.json"));
    std::fs::write(&spec_path, serde_json::json!({ "jobs": spec }).to_string()).unwrap();
    if kind == Engine::Spark {
        spark_batch(&spec_path);
    } else {
        let o = std::process::Command::new("python3").arg(script()).arg(engine).arg(&spec_path).output().unwrap();
        assert!(o.status.success(), "{engine}: {}", String::from_utf8_lossy(&o.stderr));
    }
    (0..jobs.len())
        .map(|i| {
            let text = std::fs::read_to_string(dir.join(format!("{engine}{i}.json"))).unwrap();
            match serde_json::from_str::<serde_json::Value>(&text).unwrap() {
                serde_json::Value::Array(rows) => Ok(rows
                    .into_iter()
                    .map(|r| match r {
                        serde_json::Value::Array(cells) => cells,
                        other => vec![other],
                    })
                    .collect()),
                other => Err(other["error"].as_str().unwrap_or("?").to_string()),
            }
        })
        .collect()
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/sql_run.py")
}

/// Runs a batch on the test process's one Spark session (started on first
/// use: the JVM takes seconds to start and to warm up). The Python process
/// ends when this process does (its stdin closes), and is never waited for.
#[allow(clippy::zombie_processes)]
fn spark_batch(spec: &Path) {
    use std::io::{BufRead, Write};
    type Server = (std::process::ChildStdin, std::io::BufReader<std::process::ChildStdout>);
    static SERVER: std::sync::OnceLock<std::sync::Mutex<Server>> = std::sync::OnceLock::new();
    let server = SERVER.get_or_init(|| {
        let mut child = std::process::Command::new("python3")
            .arg(script())
            .arg("spark-serve")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        std::sync::Mutex::new((stdin, stdout))
    });
    let mut guard = server.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (stdin, stdout) = &mut *guard;
    writeln!(stdin, "{}", spec.display()).unwrap();
    stdin.flush().unwrap();
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "done", "the Spark session ended (see its messages above)");
}
