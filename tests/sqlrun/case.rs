//! One run of a policy both ways: `tier apply` (the reference) and the
//! compiled SQL on an engine, compared customer by customer: the same
//! customers, tiers, labels, strategies, metric values, history columns
//! (`DIM_previous`, `DIM_movement`, `DIM_entered`, `DIM_below`) and budgets.

use super::{Col, Engine, Job, Postgres, Rows, Table};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tierlang::check::{check, Checked};
use tierlang::number::Date;

/// A policy over an event log and/or a customers table, as of a day, maybe
/// after a previous run.
pub struct Case {
    pub name: String,
    pub policy: PathBuf,
    pub checked: Checked,
    pub events: Option<PathBuf>,
    /// The customers file (`tier apply DATA`, or `--customers` with events).
    pub customers: Option<PathBuf>,
    pub as_of: Date,
    /// The previous run's output: `tier apply`'s for `--previous`, and the
    /// SQL's own (its rows as CSV) for `--previous-table`.
    pub previous: Option<(PathBuf, PathBuf)>,
}

type Flat = BTreeMap<String, Vec<serde_json::Value>>;

impl Case {
    pub fn new(name: &str, policy: PathBuf, events: Option<PathBuf>, customers: Option<PathBuf>, as_of: &str) -> Case {
        let src = std::fs::read_to_string(&policy).unwrap();
        let out = check(&tierlang::syntax::parse(&src).unwrap(), &src);
        let checked = out.checked.unwrap_or_else(|| panic!("{name} does not check"));
        let as_of = Date::parse(as_of).unwrap();
        Case { name: name.into(), policy, checked, events, customers, as_of, previous: None }
    }

    pub fn columns(csv: &Path) -> Vec<String> {
        csv::Reader::from_path(csv).unwrap().headers().unwrap().iter().map(str::to_string).collect()
    }

    fn history(&self) -> bool {
        self.previous.is_some() || self.checked.dimensions.iter().any(|d| d.retention.is_some())
    }

    pub fn sql(&self, engine: Engine) -> String {
        let program = tierlang::compile::compile(&self.checked);
        let columns = self.events.as_deref().map(Case::columns);
        let tables = tierlang::sql::Tables {
            customers: self.customers.as_ref().map(|_| "customers"),
            events: self.events.as_ref().map(|_| "events"),
            event_columns: columns.as_deref(),
            previous: self.previous.as_ref().map(|_| "previous"),
        };
        tierlang::sql::compile_tables(&self.checked, &program, engine.dialect(), &tables, None, self.as_of)
            .unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }

    pub fn job(&self, engine: Engine) -> Job {
        let mut tables = Vec::new();
        if let (Some(events), Some(ev)) = (&self.events, &self.checked.events) {
            let header = Case::columns(events);
            let typed: Vec<(String, Col)> = ev
                .fields
                .iter()
                .filter_map(|f| {
                    let name = std::iter::once(&f.column).chain(&f.aliases).find(|n| header.contains(n))?;
                    Some((name.clone(), Col::of(f.ty)))
                })
                .collect();
            tables.push(Table::from_csv("events", events, &typed));
        }
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
        if let Some((_, sql_previous)) = &self.previous {
            let key = &self.checked.fields[self.checked.key];
            let mut typed = vec![(key.name.clone(), Col::of(key.ty))];
            for d in &self.checked.dimensions {
                typed.push((format!("{}_entered", d.name), Col::Date));
                typed.push((format!("{}_below", d.name), Col::Int));
            }
            tables.push(Table::from_csv("previous", sql_previous, &typed));
        }
        Job { tables, sql: self.sql(engine) }
    }

    /// The output column names after the key, as both write them.
    pub fn output_columns(&self) -> Vec<String> {
        let c = &self.checked;
        let mut names: Vec<String> = c
            .dimensions
            .iter()
            .flat_map(|d| [d.name.clone(), format!("{}_label", d.name), format!("{}_strategy", d.name)])
            .chain(c.metrics.iter().map(|m| m.name.clone()))
            .collect();
        if self.history() {
            for d in &c.dimensions {
                names.extend(["previous", "movement", "entered", "below"].map(|x| format!("{}_{x}", d.name)));
            }
        }
        names.extend(c.budgets.iter().map(|b| format!("budget.{}", b.name)));
        names
    }

    /// `tier apply` as NDJSON, per customer in the SQL's column order;
    /// with `csv_out`, also its CSV output there (the next month's `--previous`).
    pub fn evaluate(&self, csv_out: Option<&Path>) -> Flat {
        let apply = |format: &str, out: Option<&Path>| {
            let mut cmd = assert_cmd::Command::cargo_bin("tier").unwrap();
            cmd.arg("apply").arg(&self.policy);
            match (&self.events, &self.customers) {
                (Some(e), c) => {
                    cmd.arg("--events").arg(e);
                    if let Some(c) = c {
                        cmd.arg("--customers").arg(c);
                    }
                }
                (None, Some(c)) => {
                    cmd.arg(c);
                }
                (None, None) => panic!("{}: no input", self.name),
            }
            if let Some((p, _)) = &self.previous {
                cmd.arg("--previous").arg(p);
            }
            if let Some(o) = out {
                cmd.arg("-o").arg(o);
            }
            let out = cmd
                .args(["--as-of", &self.as_of.to_string(), "--format", format, "--summary", "none"])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}: {}", self.name, String::from_utf8_lossy(&out.stderr));
            out.stdout
        };
        if let Some(path) = csv_out {
            apply("csv", Some(path));
        }
        let stdout = apply("ndjson", None);
        let key = &self.checked.fields[self.checked.key].name;
        let several = self.checked.dimensions.len() > 1;
        String::from_utf8_lossy(&stdout)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let row = self
                    .output_columns()
                    .iter()
                    .map(|c| match c.strip_suffix("_strategy") {
                        Some(d) if several => v["strategy"][d].clone(),
                        Some(_) => v["strategy"].clone(),
                        None => v[c].clone(),
                    })
                    .collect();
                (key_text(&v[key]), row)
            })
            .collect()
    }

    /// [`Case::evaluate`] once per test process and case name (the engines'
    /// tests share it): the rows, and `tier apply`'s CSV output.
    pub fn evaluated(&self) -> (Flat, PathBuf) {
        type Cell = std::sync::Arc<std::sync::OnceLock<(Flat, PathBuf)>>;
        static CACHE: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, Cell>>> =
            std::sync::OnceLock::new();
        let cell: Cell = {
            let mut map = CACHE.get_or_init(Default::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            map.entry(self.name.clone()).or_default().clone()
        };
        cell.get_or_init(|| {
            let csv = super::scratch("evaluated").join("out.csv");
            (self.evaluate(Some(&csv)), csv)
        })
        .clone()
    }

    /// Row by row; panics with the mismatches. Returns the rows compared.
    pub fn compare(&self, engine: Engine, want: &Flat, got: Rows) -> usize {
        let got: Flat = got
            .into_iter()
            .map(|mut r| {
                let rest = r.split_off(1);
                (key_text(&r[0]), rest)
            })
            .collect();
        let names = self.output_columns();
        let mut bad = Vec::new();
        for k in want.keys().filter(|k| !got.contains_key(*k)) {
            bad.push(format!("customer {k}: written by the evaluator, not by SQL"));
        }
        for k in got.keys().filter(|k| !want.contains_key(*k)) {
            bad.push(format!("customer {k}: in the SQL output only"));
        }
        for (k, w) in want {
            let Some(g) = got.get(k) else { continue };
            for (i, (a, b)) in w.iter().zip(g).enumerate() {
                if !same_cell(a, b, names[i].ends_with("_strategy")) {
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
pub fn key_text(v: &serde_json::Value) -> String {
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
pub fn same_cell(a: &serde_json::Value, b: &serde_json::Value, strategy: bool) -> bool {
    use serde_json::Value as J;
    if strategy {
        let parse = |v: &J| match v {
            J::String(s) => serde_json::from_str(s).unwrap_or(J::Null),
            other => other.clone(),
        };
        let parse = |v: &J| match parse(v) {
            J::Object(m) if m.is_empty() => J::Null,
            other => other,
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

/// Runs `cases` on `engine` (one batch) and compares each with `tier apply`;
/// returns the rows compared, and each case's SQL rows.
pub fn differential(engine: Engine, cases: &[Case], dir: &Path, pg: Option<&Postgres>) -> (usize, Vec<Rows>) {
    let jobs: Vec<Job> = cases.iter().map(|c| c.job(engine)).collect();
    let results = super::run(engine, &jobs, dir, pg);
    let mut rows = 0;
    let mut all = Vec::new();
    for ((case, result), job) in cases.iter().zip(results).zip(&jobs) {
        let got = result.unwrap_or_else(|e| panic!("{} on {}: {e}\n{}", case.name, engine.name(), job.sql));
        rows += case.compare(engine, &case.evaluated().0, got.clone());
        all.push(got);
    }
    (rows, all)
}
