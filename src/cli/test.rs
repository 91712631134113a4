//! `tier test`: run every policy's `test` blocks; ends with `N passed, N failed`
//! (`, N skipped` when `--run` left some out). `--coverage` adds which tiers,
//! criteria and conditions the tests exercised; `--threshold` fails below it.

use super::policy::{find, Loaded};
use super::render::line_col;
use super::{usage_error, FAILED, OK};
use std::fmt::Write as _;
use std::path::PathBuf;
use tierlang::coverage::Coverage;
use tierlang::number::Date;
use tierlang::testing::{Suite, TestResult};

#[derive(clap::Args)]
pub struct Args {
    /// Policy files or folders (searched recursively for *.tier)
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Run only the tests whose name contains this text (the others are skipped)
    #[arg(long)]
    run: Option<String>,
    /// The date `today` stands for (YYYY-MM-DD); default: the policy's `as_of`
    #[arg(long, value_parser = parse_date)]
    as_of: Option<Date>,
    /// Also list the tests that passed
    #[arg(short, long)]
    verbose: bool,
    /// Output: human text, JSON, or JUnit XML (the closing count goes to stderr then)
    #[arg(long, value_enum, default_value = "human")]
    format: TestFormat,
    /// Report which tiers, criteria and conditions the tests exercised
    #[arg(long)]
    coverage: bool,
    /// With --coverage: fail when a policy's coverage is below this percentage
    #[arg(long, requires = "coverage", value_parser = clap::value_parser!(u8).range(0..=100))]
    threshold: Option<u8>,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum TestFormat {
    Human,
    Json,
    Junit,
}

pub fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).ok_or_else(|| format!("`{s}` is not a date; write YYYY-MM-DD"))
}

/// One policy's results.
struct Report {
    loaded: Loaded,
    results: Vec<TestResult>,
    skipped: usize,
    coverage: Option<Coverage>,
}

pub fn run(args: Args) -> u8 {
    let files = match find(&args.paths) {
        Ok(f) => f,
        Err(e) => return usage_error(e),
    };
    let mut reports = Vec::new();
    let mut broken = 0usize;
    for file in &files {
        let loaded = match Loaded::read(file) {
            Ok(l) => l,
            Err(e) => return usage_error(format_args!("cannot read `{}`: {e}", file.display())),
        };
        match run_policy(loaded, &args) {
            Ok(r) => reports.push(r),
            Err(()) => broken += 1,
        }
    }
    let passed: usize = reports.iter().map(|r| r.results.iter().filter(|t| t.failures.is_empty()).count()).sum();
    let failed: usize = reports.iter().map(|r| r.results.iter().filter(|t| !t.failures.is_empty()).count()).sum();
    let skipped: usize = reports.iter().map(|r| r.skipped).sum();
    let below = coverage_below(&reports, args.threshold);
    match args.format {
        TestFormat::Human => print!("{}", human(&reports, args.verbose)),
        TestFormat::Json => println!("{}", json(&reports, passed, failed, skipped)),
        TestFormat::Junit => print!("{}", junit(&reports)),
    }
    if broken > 0 {
        eprintln!("{broken} polic{} could not be tested", if broken == 1 { "y" } else { "ies" });
    }
    let mut closing = format!("{passed} passed, {failed} failed");
    if skipped > 0 {
        let _ = write!(closing, ", {skipped} skipped");
    }
    if args.format == TestFormat::Human {
        println!("{closing}");
    } else {
        eprintln!("{closing}");
    }
    if failed > 0 || broken > 0 || below {
        FAILED
    } else {
        OK
    }
}

fn run_policy(loaded: Loaded, args: &Args) -> Result<Report, ()> {
    let has_errors = loaded.report_errors();
    let Some(checked) = loaded.checked.as_ref().filter(|_| !has_errors) else {
        eprintln!("{}: the policy has errors; its tests were not run", loaded.path);
        return Err(());
    };
    let program = tierlang::compile::compile(checked);
    let as_of = args.as_of.or_else(|| super::policy::header_as_of(checked));
    let suite = Suite { checked, program: &program, source: &loaded.source, as_of };
    let mut coverage = args.coverage.then(|| Coverage::new(checked));
    let results = suite.run(args.run.as_deref(), coverage.as_mut());
    let skipped = checked.tests.len() - results.len();
    Ok(Report { loaded, results, skipped, coverage })
}

/// Prints policies under the threshold; true if any.
fn coverage_below(reports: &[Report], threshold: Option<u8>) -> bool {
    let Some(min) = threshold else { return false };
    let mut below = false;
    for r in reports {
        if let Some(c) = &r.coverage {
            if c.percent() < f64::from(min) {
                eprintln!("{}: coverage {:.1}% is below the threshold of {min}%", r.loaded.path, c.percent());
                below = true;
            }
        }
    }
    below
}

fn human(reports: &[Report], verbose: bool) -> String {
    let mut out = String::new();
    for r in reports {
        let path = &r.loaded.path;
        let src = &r.loaded.source;
        for t in &r.results {
            let (line, col) = line_col(src, t.span.start);
            if t.failures.is_empty() {
                if verbose {
                    let _ = writeln!(out, "PASS {path}:{line}:{col} {}", t.name);
                }
                continue;
            }
            let _ = writeln!(out, "FAIL {path}:{line}:{col} {}", t.name);
            for f in &t.failures {
                let (l, c) = line_col(src, f.span.start);
                let _ = writeln!(out, "  {path}:{l}:{c}: {}", f.message);
                for d in &f.details {
                    let _ = writeln!(out, "      {d}");
                }
            }
        }
        if let Some(c) = &r.coverage {
            let (covered, total) = c.score();
            let _ = writeln!(out, "coverage {path}: {:.1}% ({covered}/{total} outcomes)", c.percent());
            for g in c.gaps(src) {
                let (l, col) = line_col(src, g.span.start);
                let _ = writeln!(out, "  {path}:{l}:{col}: {}", g.what);
            }
        }
    }
    out
}

fn json(reports: &[Report], passed: usize, failed: usize, skipped: usize) -> serde_json::Value {
    let tests: Vec<serde_json::Value> = reports
        .iter()
        .flat_map(|r| {
            r.results.iter().map(|t| {
                let (line, column) = line_col(&r.loaded.source, t.span.start);
                let failures: Vec<serde_json::Value> = t
                    .failures
                    .iter()
                    .map(|f| {
                        let (line, column) = line_col(&r.loaded.source, f.span.start);
                        serde_json::json!({ "line": line, "column": column, "message": f.message, "details": f.details })
                    })
                    .collect();
                serde_json::json!({
                    "file": r.loaded.path, "name": t.name, "line": line, "column": column,
                    "status": if t.failures.is_empty() { "pass" } else { "fail" },
                    "failures": failures,
                })
            })
        })
        .collect();
    let coverage: serde_json::Map<String, serde_json::Value> = reports
        .iter()
        .filter_map(|r| r.coverage.as_ref().map(|c| (r.loaded.path.clone(), c.to_json(&r.loaded.source))))
        .collect();
    let mut doc = serde_json::json!({ "passed": passed, "failed": failed, "skipped": skipped, "tests": tests });
    if !coverage.is_empty() {
        doc["coverage"] = serde_json::Value::Object(coverage);
    }
    doc
}

/// JUnit XML: one `testsuite` per policy, one `testcase` per test.
fn junit(reports: &[Report]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tier test\">\n");
    for r in reports {
        let failures = r.results.iter().filter(|t| !t.failures.is_empty()).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{}\">",
            xml(&r.loaded.path),
            r.results.len() + r.skipped,
            r.skipped
        );
        for t in &r.results {
            let (line, _) = line_col(&r.loaded.source, t.span.start);
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{line}\"",
                xml(&t.name),
                xml(&r.loaded.path),
                xml(&r.loaded.path)
            );
            if t.failures.is_empty() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            for f in &t.failures {
                let body: Vec<&str> = f.details.iter().map(String::as_str).collect();
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\" type=\"tier::test_failed\">{}</failure>",
                    xml(&f.message),
                    xml(&body.join("\n"))
                );
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}
