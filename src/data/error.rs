//! Data errors: which file, row and column, the value found and what would be right.

use miette::Diagnostic;
use thiserror::Error;

/// Where a record came from: `customers.csv:7 (row 6)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// Shared: every record of a file carries it.
    pub source: std::sync::Arc<str>,
    /// 1-based record number, header excluded.
    pub row: usize,
    /// 1-based line in the file where the record starts, where known.
    pub line: Option<u64>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{} (row {})", self.source, line, self.row),
            None => write!(f, "{} (row {})", self.source, self.row),
        }
    }
}

#[derive(Debug, Clone, Error, Diagnostic, PartialEq)]
pub enum DataError {
    #[error("{at}: column `{column}`: `{value}` is not {expected}")]
    #[diagnostic(code(tier::bad_value), help("{help}"))]
    BadValue { at: Location, column: String, value: String, expected: String, help: String },

    #[error("{at}: column `{column}` is empty, but field `{field}` is required")]
    #[diagnostic(
        code(tier::missing_value),
        help("fill in the value, or declare the field optional in the schema (`{field}: TYPE?`)")
    )]
    MissingValue { at: Location, column: String, field: String },

    #[error("{at}: {message}")]
    #[diagnostic(code(tier::malformed_record))]
    Malformed {
        at: Location,
        message: String,
        #[help]
        help: Option<String>,
    },

    #[error("{source_name}: no column `{column}` for field `{field}`")]
    #[diagnostic(code(tier::missing_column), help("the columns are: {available}"))]
    MissingColumn { source_name: String, column: String, field: String, available: String },

    #[error("{source_name}: {message}")]
    #[diagnostic(code(tier::unreadable_input))]
    Unreadable {
        source_name: String,
        message: String,
        #[help]
        help: Option<String>,
    },
}

impl DataError {
    /// The location of a record-level error; `None` for file-level ones.
    pub fn location(&self) -> Option<&Location> {
        match self {
            DataError::BadValue { at, .. } | DataError::MissingValue { at, .. } | DataError::Malformed { at, .. } => {
                Some(at)
            }
            DataError::MissingColumn { .. } | DataError::Unreadable { .. } => None,
        }
    }

    /// The column at fault, where there is one.
    pub fn column(&self) -> Option<&str> {
        match self {
            DataError::BadValue { column, .. } | DataError::MissingValue { column, .. } => Some(column),
            _ => None,
        }
    }

    /// The value at fault, where there is one.
    pub fn value(&self) -> Option<&str> {
        match self {
            DataError::BadValue { value, .. } => Some(value),
            _ => None,
        }
    }
}
