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
        let mut doc = Document {
            text: Text::new(text, encoding),
            version,
            ast: None,
            checked: None,
            problems: Vec::new(),
            index: Index::default(),
            index_current: false,
        };
        doc.analyze();
        doc
    }

    /// Parses, checks and (when there are no errors) runs the decision-table
    /// analysis, as `tier check` does.
    pub fn analyze(&mut self) {
        let source = &self.text.text;
        self.checked = None;
        self.index_current = false;
        self.ast = match crate::syntax::parse(source) {
            Ok(ast) => Some(ast),
            Err(e) => {
                self.problems = vec![Problem::Syntax(e)];
                return;
            }
        };
        let Some(ast) = &self.ast else { return };
        self.index = Index::build(ast);
        self.index_current = true;
        let outcome = crate::check::check(ast, source);
        self.problems = outcome.diagnostics.into_iter().map(Problem::Check).collect();
        self.checked = outcome.checked;
        let Some(checked) = &self.checked else { return };
        if self.problems.iter().any(Problem::is_error) {
            return;
        }
        let program = crate::compile::compile(checked);
        let options = crate::analysis::Options { today: as_of(checked).unwrap_or_else(today), explain_overlaps: false };
        let findings = crate::analysis::analyze(checked, &program, source, options);
        self.problems.extend(findings.into_iter().map(Problem::Analysis));
    }

    /// The index, if it describes the current text.
    pub fn current_index(&self) -> Option<&Index> {
        self.index_current.then_some(&self.index)
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
