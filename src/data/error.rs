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

    #[error("{at}: key `{key}` appears twice: first at {first}")]
    #[diagnostic(
        code(tier::repeated_key),
        help("each customer must appear once: remove or merge the repeated record (with --on-error skip the first is kept and this one goes to the reject report)")
    )]
    DuplicateKey { at: Location, column: String, key: String, first: Location },

    #[error("{at}: the record is not valid UTF-8 ({detail})")]
    #[diagnostic(
        code(tier::not_utf8),
        help("the file is not UTF-8 (GBK, as Excel saves CSV on Chinese Windows?): re-save it as \"CSV UTF-8\"")
    )]
    NotUtf8 { at: Location, detail: String },

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
    /// The stable code, as in the reject report.
    pub fn code(&self) -> &'static str {
        match self {
            DataError::BadValue { .. } => "tier::bad_value",
            DataError::MissingValue { .. } => "tier::missing_value",
            DataError::Malformed { .. } => "tier::malformed_record",
            DataError::DuplicateKey { .. } => "tier::repeated_key",
            DataError::NotUtf8 { .. } => "tier::not_utf8",
            DataError::MissingColumn { .. } => "tier::missing_column",
            DataError::Unreadable { .. } => "tier::unreadable_input",
        }
    }

    /// The location of a record-level error; `None` for file-level ones.
    pub fn location(&self) -> Option<&Location> {
        match self {
            DataError::BadValue { at, .. }
            | DataError::MissingValue { at, .. }
            | DataError::Malformed { at, .. }
            | DataError::DuplicateKey { at, .. }
            | DataError::NotUtf8 { at, .. } => Some(at),
            DataError::MissingColumn { .. } | DataError::Unreadable { .. } => None,
        }
    }

    /// Moves the error's locations `rows` records and `lines` lines further
    /// into the file (an error found in a part of the input read alone).
    pub fn shift(&mut self, rows: usize, lines: u64) {
        let at = |l: &mut Location| {
            l.row += rows;
            l.line = l.line.map(|n| n + lines);
        };
        match self {
            DataError::DuplicateKey { at: a, first, .. } => {
                at(a);
                at(first);
            }
            DataError::BadValue { at: a, .. }
            | DataError::MissingValue { at: a, .. }
            | DataError::Malformed { at: a, .. }
            | DataError::NotUtf8 { at: a, .. } => at(a),
            DataError::MissingColumn { .. } | DataError::Unreadable { .. } => {}
        }
    }

    /// Whether setting the record aside (`--on-error skip`) would let the run go
    /// on: a bad record, not a bad file.
    pub fn skippable(&self) -> bool {
        matches!(
            self,
            DataError::BadValue { .. }
                | DataError::MissingValue { .. }
                | DataError::Malformed { .. }
                | DataError::DuplicateKey { .. }
        )
    }

    /// The column at fault, where there is one.
    pub fn column(&self) -> Option<&str> {
        match self {
            DataError::BadValue { column, .. }
            | DataError::MissingValue { column, .. }
            | DataError::DuplicateKey { column, .. } => Some(column),
            _ => None,
        }
    }

    /// The value at fault, where there is one.
    pub fn value(&self) -> Option<&str> {
        match self {
            DataError::BadValue { value, .. } => Some(value),
            DataError::DuplicateKey { key, .. } => Some(key),
            _ => None,
        }
    }
}
