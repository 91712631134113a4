//! One open policy: its text, and what the library's stages made of it (parse,
//! check, analysis), redone on every change.

use super::index::Index;
use super::text::{Encoding, Text};
use crate::analysis::Finding;
use crate::check::{CheckError, Checked, StrategyValue};
use crate::number::Date;
use crate::syntax::{Policy, SyntaxError};
use miette::Diagnostic;

/// A problem of the policy, as `tier check` reports it.
pub enum Problem {
    Syntax(SyntaxError),
    Check(CheckError),
    Analysis(Finding),
}

impl Problem {
    pub fn diagnostic(&self) -> &dyn Diagnostic {
        match self {
            Problem::Syntax(e) => e,
            Problem::Check(e) => e,
            Problem::Analysis(e) => e,
        }
    }

    fn is_error(&self) -> bool {
        let severity = self.diagnostic().severity();
        severity.is_none_or(|s| s == miette::Severity::Error)
    }

    /// The byte span of the primary label.
    pub fn span(&self) -> std::ops::Range<usize> {
        let first = self.diagnostic().labels().and_then(|mut l| l.next());
        first.map_or(0..0, |l| l.offset()..l.offset() + l.len())
    }
}

pub struct Document {
    pub text: Text,
    pub version: i32,
    /// Present when the current text parses.
    pub ast: Option<Policy>,
    /// Present when the current text checks without errors.
    pub checked: Option<Checked>,
    pub problems: Vec<Problem>,
    /// The names of the last text that parsed: completion works while a line
    /// is half typed. `index_current` says whether it is this text's.
    pub index: Index,
    pub index_current: bool,
}

impl Document {
    pub fn new(text: String, version: i32, encoding: Encoding) -> Document {
        Document {
            text: Text::new(text, encoding),
            version,
            ast: None,
            checked: None,
            problems: Vec::new(),
            index: Index::default(),
            index_current: false,
        }
    }

    /// Parses and checks, as `tier check` does; when there are no errors,
    /// returns what the decision-table analysis needs, to run apart (it is the
    /// slow part on large policies).
    pub fn check(&mut self) -> Option<Analysis> {
        let source = &self.text.text;
        self.checked = None;
        self.index_current = false;
        self.ast = match crate::syntax::parse(source) {
            Ok(ast) => Some(ast),
            Err(e) => {
                self.problems = vec![Problem::Syntax(e)];
                return None;
            }
        };
        let ast = self.ast.as_ref()?;
        self.index = Index::build(ast);
        self.index_current = true;
        let outcome = crate::check::check(ast, source);
        self.problems = outcome.diagnostics.into_iter().map(Problem::Check).collect();
        self.checked = outcome.checked;
        let checked = self.checked.as_ref()?;
        if self.problems.iter().any(Problem::is_error) {
            return None;
        }
        Some(Analysis { checked: checked.clone(), source: source.clone() })
    }

    /// Adds the analysis' findings after the check's problems (replacing any
    /// earlier findings), as `tier check` lists them.
    pub fn set_findings(&mut self, findings: Vec<Finding>) {
        self.problems.retain(|p| !matches!(p, Problem::Analysis(_)));
        self.problems.extend(findings.into_iter().map(Problem::Analysis));
    }

    /// The index, if it describes the current text.
    pub fn current_index(&self) -> Option<&Index> {
        self.index_current.then_some(&self.index)
    }
}

/// A checked policy and its text: the input of the decision-table analysis.
pub struct Analysis {
    checked: Checked,
    source: String,
}

impl Analysis {
    /// Gaps, overlaps, unreachable tiers…, with `today` as `tier check` sets it.
    pub fn run(&self) -> Vec<Finding> {
        let program = crate::compile::compile(&self.checked);
        let today = as_of(&self.checked).unwrap_or_else(today);
        let options = crate::analysis::Options { today, explain_overlaps: false };
        crate::analysis::analyze(&self.checked, &program, &self.source, options)
    }
}

/// The `as_of:` date of a policy's header.
pub fn as_of(checked: &Checked) -> Option<Date> {
    match checked.meta.get("as_of") {
        Some(StrategyValue::Date(d)) => Some(*d),
        _ => None,
    }
}

/// Today's date (UTC), for policies without `as_of`.
fn today() -> Date {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    Date((secs / 86_400) as i32)
}
