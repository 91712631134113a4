//! Finding, reading, parsing and checking policy files for the commands.

use super::render;
use miette::Diagnostic;
use miette::NamedSource;
use std::path::{Path, PathBuf};
use tierlang::analysis::Finding;
use tierlang::check::{self, CheckError, Checked};
use tierlang::number::Date;
use tierlang::syntax::{self, SyntaxError};

/// One policy file after parsing and checking.
pub struct Loaded {
    pub path: String,
    pub source: String,
    /// Present when the file parsed.
    pub ast: Option<syntax::Policy>,
    pub checked: Option<Checked>,
    pub problems: Vec<Problem>,
}

pub enum Problem {
    Syntax(SyntaxError),
    Check(CheckError),
    Analysis(Finding),
}

impl Problem {
    pub fn is_error(&self) -> bool {
        match self {
            Problem::Syntax(_) => true,
            Problem::Check(c) => c.is_error(),
            Problem::Analysis(f) => f.severity().is_none_or(|s| s == miette::Severity::Error),
        }
    }

    /// Advice informs and never fails a run, not even with `--deny-warnings`.
    pub fn is_advice(&self) -> bool {
        match self {
            Problem::Syntax(_) => false,
            Problem::Check(c) => c.severity() == Some(miette::Severity::Advice),
            Problem::Analysis(f) => f.severity() == Some(miette::Severity::Advice),
        }
    }
}

impl Loaded {
    pub fn read(path: &Path) -> std::io::Result<Loaded> {
        let source = std::fs::read_to_string(path)?;
        Ok(Loaded::from_source(path.display().to_string(), source))
    }

    pub fn from_source(path: String, source: String) -> Loaded {
        let mut loaded = Loaded::parse_only(path, source);
        if let Some(ast) = &loaded.ast {
            let outcome = check::check(ast, &loaded.source);
            loaded.checked = outcome.checked;
            loaded.problems = outcome.diagnostics.into_iter().map(Problem::Check).collect();
        }
        loaded
    }

    /// Parses without checking (for `fmt`, which formats policies with check errors).
    pub fn parse_only(path: String, source: String) -> Loaded {
        match syntax::parse(&source) {
            Ok(ast) => Loaded { path, source, ast: Some(ast), checked: None, problems: vec![] },
            Err(e) => Loaded { path, source, ast: None, checked: None, problems: vec![Problem::Syntax(e)] },
        }
    }

    pub fn named(&self) -> NamedSource<String> {
        NamedSource::new(&self.path, self.source.clone()).with_language("tier")
    }

    pub fn render_human(&self, p: &Problem) -> String {
        let named = self.named();
        match p {
            Problem::Syntax(e) => render::human(e, Some(&named)),
            Problem::Check(e) => render::human(e, Some(&named)),
            Problem::Analysis(e) => render::human(e, Some(&named)),
        }
    }

    pub fn render_json(&self, p: &Problem) -> serde_json::Value {
        match p {
            Problem::Syntax(e) => render::json(e, &self.path, &self.source),
            Problem::Check(e) => render::json(e, &self.path, &self.source),
            Problem::Analysis(e) => render::json(e, &self.path, &self.source),
        }
    }

    /// Runs the decision-table analysis on a policy without check errors and
    /// adds its findings to the problems.
    pub fn analyze(&mut self, options: tierlang::analysis::Options) {
        if self.problems.iter().any(Problem::is_error) {
            return;
        }
        let Some(checked) = &self.checked else { return };
        let program = tierlang::compile::compile(checked);
        let findings = tierlang::analysis::analyze(checked, &program, &self.source, options);
        self.problems.extend(findings.into_iter().map(Problem::Analysis));
    }

    /// Prints the errors (not the warnings: those are `tier check`'s job) to
    /// stderr; returns whether there were any.
    pub fn report_errors(&self) -> bool {
        let errors: Vec<&Problem> = self.problems.iter().filter(|p| p.is_error()).collect();
        for p in &errors {
            eprint!("{}", self.render_human(p));
        }
        !errors.is_empty()
    }
}

/// Reads a policy a command is about to run, checks it and runs the analysis:
/// any error `tier check` would report is printed and stops the command
/// (exit 1) before any data is read. Returns the policy and the date `today`
/// stands for.
pub fn load_for_run(path: &Path, as_of: Option<Date>) -> Result<(Loaded, Date), u8> {
    let mut loaded = Loaded::read(path).map_err(|e| {
        eprintln!("error: cannot read policy `{}`: {e}", path.display());
        super::USAGE
    })?;
    let today = match loaded.checked.as_ref().filter(|_| !loaded.problems.iter().any(Problem::is_error)) {
        Some(checked) => today(as_of, checked),
        None => as_of.unwrap_or_else(current_date),
    };
    loaded.analyze(tierlang::analysis::Options { today, explain_overlaps: false });
    if loaded.report_errors() || loaded.checked.is_none() {
        eprintln!("{}: the policy has errors (see `tier check`); nothing was run", loaded.path);
        return Err(super::FAILED);
    }
    Ok((loaded, today))
}

/// The date `today` stands for, one rule for every command: `--as-of`, else the
/// policy's `as_of:`, else the current date (UTC), which a policy that depends on
/// the date (through `today` or metric windows) is told about on stderr.
pub fn today(as_of: Option<Date>, checked: &Checked) -> Date {
    if let Some(d) = as_of.or_else(|| header_as_of(checked)) {
        return d;
    }
    let today = current_date();
    if checked.reads_today() || checked.events.is_some() {
        eprintln!(
            "note: the policy depends on the date and has no `as_of:`: using the current date {today}; \
             pass --as-of DATE (or put `as_of: DATE` in its header) to fix it"
        );
    }
    today
}

/// The `as_of:` date of a policy's header, if it has one.
pub fn header_as_of(checked: &Checked) -> Option<Date> {
    match checked.meta.get("as_of") {
        Some(tierlang::check::StrategyValue::Date(d)) => Some(*d),
        _ => None,
    }
}

/// Today's date in UTC.
pub fn current_date() -> Date {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    Date(i32::try_from(secs / 86_400).unwrap_or(i32::MAX))
}

/// The `.tier` files named by `paths`: files as given, folders searched
/// recursively, in sorted order.
pub fn find(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out).map_err(|e| format!("cannot read folder `{}`: {e}", p.display()))?;
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(format!("no such file or folder: `{}`", p.display()));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "tier") {
            out.push(p);
        }
    }
    Ok(())
}
