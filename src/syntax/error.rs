//! Syntax errors: where parsing stopped and what would have been accepted there.

use super::ast::Span;
use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

#[derive(Debug, Clone, Error, Diagnostic, PartialEq)]
pub enum SyntaxError {
    #[error("unexpected {found}, expected {expected}")]
    #[diagnostic(code(tier::syntax))]
    Unexpected {
        found: String,
        expected: String,
        #[label("not expected here")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("this string is never closed")]
    #[diagnostic(code(tier::syntax), help("close it with `\"` on the same line (a string cannot span lines)"))]
    UnclosedString {
        #[label("the string opens here")]
        span: SourceSpan,
    },

    #[error("number `{text}` is out of range")]
    #[diagnostic(
        code(tier::bad_number),
        help("numbers have at most 28 significant digits; the largest is about 7.9e28")
    )]
    BadNumber {
        text: String,
        #[label("this number")]
        span: SourceSpan,
    },

    #[error("`{text}` is not a calendar date")]
    #[diagnostic(code(tier::bad_date), help("dates are written YYYY-MM-DD, e.g. 2024-02-29"))]
    BadDate {
        text: String,
        #[label("no such date")]
        span: SourceSpan,
    },

    #[error("nesting deeper than {limit} levels ({what})")]
    #[diagnostic(
        code(tier::too_deep),
        help("split it into `let` definitions, or flatten the lists; docs/limits.md lists the limits")
    )]
    TooDeep {
        what: &'static str,
        limit: usize,
        #[label("too deep here")]
        span: SourceSpan,
    },

    #[error("internal parser error: grammar and parser disagree")]
    #[diagnostic(code(tier::internal), help("this is a bug in tier; please report it with the policy"))]
    Internal {
        #[label("here")]
        span: SourceSpan,
    },
}

impl SyntaxError {
    pub(crate) fn internal(span: Span) -> Self {
        SyntaxError::Internal { span: span.into() }
    }

    pub(crate) fn too_deep(span: Span, what: &'static str, limit: usize) -> Self {
        SyntaxError::TooDeep { what, limit, span: span.into() }
    }

    pub fn span(&self) -> SourceSpan {
        match self {
            SyntaxError::Unexpected { span, .. }
            | SyntaxError::BadNumber { span, .. }
            | SyntaxError::BadDate { span, .. }
            | SyntaxError::TooDeep { span, .. }
            | SyntaxError::UnclosedString { span }
            | SyntaxError::Internal { span } => *span,
        }
    }
}
