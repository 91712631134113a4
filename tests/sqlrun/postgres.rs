//! A PostgreSQL server of the tests' own: Debian's `postgresql` binaries
//! (`initdb`, `pg_ctl`), a cluster in a temporary directory listening on a
//! Unix socket only, run as the `postgres` user when the tests run as root
//! (the server refuses root); stopped on drop.

use super::{Engine, Job, Rows};
use std::path::{Path, PathBuf};

/// The directory of `initdb` and `pg_ctl`: on the PATH, else Debian's newest.
pub fn find_bin() -> Option<PathBuf> {
    let on_path = std::process::Command::new("sh").args(["-c", "command -v initdb"]).output().ok()?;
    if on_path.status.success() {
        let p = PathBuf::from(String::from_utf8_lossy(&on_path.stdout).trim());
        return Some(std::fs::canonicalize(p).ok()?.parent()?.to_path_buf());
    }
    let mut dirs: Vec<_> =
        std::fs::read_dir("/usr/lib/postgresql").ok()?.flatten().map(|e| e.path().join("bin")).collect();
    dirs.sort();
    dirs.pop().filter(|d| d.join("initdb").exists())
}

pub struct Postgres {
    bin: PathBuf,
    pub dir: tempfile::TempDir,
    as_postgres: bool,
    port: u16,
}

impl Postgres {
    pub fn start() -> Postgres {
        let bin = find_bin().expect("PostgreSQL's server binaries (apt-get install postgresql)");
        let as_postgres = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let dir = tempfile::tempdir().unwrap();
        if as_postgres {
            // The server refuses to run as root; its files are the postgres user's.
            std::process::Command::new("chmod").args(["777", dir.path().to_str().unwrap()]).status().unwrap();
        }
        // A port per test process, so test binaries running at once do not meet.
        let port = 20_000 + (std::process::id() % 20_000) as u16;
        let pg = Postgres { bin, dir, as_postgres, port };
        let data = pg.dir.path().join("data");
        pg.run(&format!(
            "{}/initdb -D {} -U tier --auth=trust -E UTF8 --locale=C.UTF-8",
            pg.bin.display(),
            data.display()
        ));
        let sock = pg.dir.path().display().to_string();
        pg.run(&format!(
            "{}/pg_ctl -D {} -o \"-k {sock} -p {port} -c listen_addresses=''\" -l {sock}/log -w start",
            pg.bin.display(),
            data.display()
        ));
        pg
    }

    fn shell(&self, cmd: &str) -> std::process::Output {
        if self.as_postgres {
            std::process::Command::new("su").args(["postgres", "-s", "/bin/sh", "-c", cmd]).output().unwrap()
        } else {
            std::process::Command::new("sh").args(["-c", cmd]).output().unwrap()
        }
    }

    fn run(&self, cmd: &str) -> String {
        let out = self.shell(cmd);
        assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs a file of SQL; its output, or psql's error.
    pub fn psql_file(&self, file: &Path) -> Result<String, String> {
        let sock = self.dir.path().display();
        let out = self.shell(&format!(
            "{}/psql -h {sock} -p {} -U tier -d postgres -v ON_ERROR_STOP=1 -X -q -A -t -f {}",
            self.bin.display(),
            self.port,
            file.display()
        ));
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Creates the job's tables, runs its query; the rows, each through
    /// `row_to_json` (columns in order).
    pub fn query(&self, job: &Job, stem: &Path) -> Result<Rows, String> {
        let mut script = String::new();
        for t in &job.tables {
            // The CSV must be readable by the server's user: copied next to it.
            let copy = self.dir.path().join(format!("{}.{}.csv", stem.file_name().unwrap().to_string_lossy(), t.name));
            std::fs::copy(&t.csv, &copy).unwrap();
            let cols: Vec<String> =
                t.columns.iter().map(|(n, c)| format!("\"{n}\" {}", c.name(Engine::Postgres))).collect();
            script.push_str(&format!(
                "DROP TABLE IF EXISTS \"{0}\"; CREATE TABLE \"{0}\" ({1});\n\\copy \"{0}\" FROM '{2}' WITH (FORMAT csv, HEADER true)\n",
                t.name,
                cols.join(", "),
                copy.display()
            ));
        }
        script.push_str(&format!(
            "SELECT row_to_json(q)::text FROM (\n{}\n) AS q;\n",
            job.sql.trim_end().trim_end_matches(';')
        ));
        let file = self.dir.path().join(format!("{}.sql", stem.file_name().unwrap().to_string_lossy()));
        std::fs::write(&file, script).unwrap();
        let out = self.psql_file(&file)?;
        Ok(out
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| match serde_json::from_str::<serde_json::Value>(l).unwrap() {
                serde_json::Value::Object(m) => m.into_iter().map(|(_, v)| v).collect(),
                other => vec![other],
            })
            .collect())
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = self.shell(&format!("{}/pg_ctl -D {} -m fast -w stop", self.bin.display(), data.display()));
    }
}
