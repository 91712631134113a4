//! `tier compile --to dbt` in a real dbt project, under dbt-duckdb (`.ci/run`
//! installs it): the RFM policy and the monthly retail job (its first run:
//! history columns, a budget) over the bundled UCI sample. `dbt build` must
//! build both models and pass their tests (unique key, accepted tiers and
//! movements), and the tables it builds must equal `tier apply --events`
//! customer by customer.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;
mod sqlrun;

use sqlrun::case::Case;
use sqlrun::Engine;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The sample log, typed, as DuckDB reads it in a model.
fn events_table(sample: &Path) -> String {
    format!(
        "read_csv('{}', header = true, nullstr = '', columns = {{'InvoiceNo': 'VARCHAR', 'StockCode': 'VARCHAR', \
         'Description': 'VARCHAR', 'Quantity': 'DECIMAL(38, 10)', 'InvoiceDate': 'TIMESTAMP', \
         'UnitPrice': 'DECIMAL(38, 10)', 'CustomerID': 'BIGINT', 'Country': 'VARCHAR'}})",
        sample.display()
    )
}

fn run(cmd: &mut std::process::Command) -> String {
    let out = cmd.output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{cmd:?}:\n{text}");
    text
}

#[test]
fn dbt_builds_and_tests_the_compiled_models() {
    let dbt = std::process::Command::new("dbt").arg("--version").output();
    if !dbt.is_ok_and(|o| o.status.success()) {
        common::skip("the dbt run needs dbt with the DuckDB adapter (pip install dbt-duckdb; .ci/run installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path();
    std::fs::write(
        project.join("dbt_project.yml"),
        "name: tier_models\nversion: '1.0'\nconfig-version: 2\nprofile: tier_models\nmodel-paths: ['models']\n",
    )
    .unwrap();
    let db = project.join("warehouse.duckdb");
    std::fs::write(
        project.join("profiles.yml"),
        format!(
            "tier_models:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: '{}'\n      threads: 1\n",
            db.display()
        ),
    )
    .unwrap();
    let sample = root().join("examples/online_retail_sample.csv");
    let columns = Case::columns(&sample).join(",");
    let models = [("rfm", "rfm_segments", "2011-12-11"), ("retail_monthly", "monthly_tiers", "2011-10-01")];
    for (policy, model, as_of) in models {
        let tier = assert_cmd::cargo::cargo_bin("tier");
        run(std::process::Command::new(tier)
            .current_dir(root())
            .args(["compile", &format!("policies/{policy}.tier"), "--to", "dbt", "--dialect", "duckdb"])
            .args(["--events-table", &events_table(&sample), "--events-columns", &columns])
            .args(["--as-of", as_of, "--model", model, "--out"])
            .arg(project.join("models")));
    }
    let log = run(std::process::Command::new("dbt")
        .current_dir(project)
        .args(["--no-use-colors", "build", "--project-dir", ".", "--profiles-dir", "."])
        .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false"));
    // Two models and their tests: unique and not_null keys, accepted tiers and movements.
    assert!(log.contains("Completed successfully"), "{log}");
    assert!(log.contains("PASS unique_rfm_segments") && log.contains("PASS accepted_values_monthly_tiers"), "{log}");
    assert!(log.contains("PASS=9 WARN=0 ERROR=0"), "{log}");
    for (policy, model, as_of) in models {
        let case = Case::new(model, root().join(format!("policies/{policy}.tier")), Some(sample.clone()), None, as_of);
        let dump = project.join(format!("{model}.json"));
        let script = format!(
            "import duckdb, json\ncon = duckdb.connect('{}', read_only=True)\nrows = con.execute('SELECT * FROM \"{model}\"').fetchall()\n\
             json.dump([[c if c is None or isinstance(c, (str, bool, int)) else str(c) for c in r] for r in rows], open('{}', 'w'))\n",
            db.display(),
            dump.display()
        );
        run(std::process::Command::new("python3").args(["-c", &script]));
        let rows: Vec<Vec<serde_json::Value>> = serde_json::from_str(&std::fs::read_to_string(&dump).unwrap()).unwrap();
        let n = case.compare(Engine::Duckdb, &case.evaluated().0, rows);
        assert!(n > 30, "{model}: {n} customers");
    }
}
