//! Which input column each schema field and each `--keep` name reads: by
//! name, then by alias, exact matches before ones ignoring case and spaces.

use super::error::DataError;
use crate::check::FieldInfo;

/// The names a `--keep` column may have: as given, and the column (and
/// alternatives) of a schema field of that name.
pub(crate) fn kept_names(fields: &[FieldInfo], name: &str) -> Vec<String> {
    let mut names = vec![name.to_string()];
    if let Some(f) = fields.iter().find(|f| f.name == name) {
        names.extend(std::iter::once(&f.column).chain(&f.aliases).cloned());
    }
    names
}

/// The header column `--keep NAME` copies: exact names first, then ignoring case.
pub(crate) fn kept_column(columns: &[String], fields: &[FieldInfo], name: &str) -> Option<usize> {
    let names = kept_names(fields, name);
    names
        .iter()
        .find_map(|c| columns.iter().position(|h| h == c))
        .or_else(|| names.iter().find_map(|c| columns.iter().position(|h| h.trim().eq_ignore_ascii_case(c))))
}

/// The input column of each field; an error for a required field with none.
pub(crate) fn column_index(
    columns: &[String],
    fields: &[FieldInfo],
    source: &str,
) -> Result<Vec<Option<usize>>, DataError> {
    fields
        .iter()
        .map(|f| {
            let found = column_of(columns, f);
            match found {
                None if !f.optional => Err(DataError::MissingColumn {
                    source_name: source.to_string(),
                    column: std::iter::once(&f.column).chain(&f.aliases).cloned().collect::<Vec<_>>().join("` or `"),
                    field: f.name.clone(),
                    available: columns.join(", "),
                }),
                found => Ok(found),
            }
        })
        .collect()
}

/// The column a field reads: its name, else each alias; exact matches first,
/// then ignoring case and surrounding spaces.
pub(crate) fn column_of(columns: &[String], f: &FieldInfo) -> Option<usize> {
    let names = || std::iter::once(&f.column).chain(&f.aliases);
    names()
        .find_map(|n| columns.iter().position(|c| c == n))
        .or_else(|| names().find_map(|n| columns.iter().position(|c| c.trim().eq_ignore_ascii_case(n.trim()))))
}

/// A field's column and its aliases (`from "A" or "B"`), in the order they are tried.
pub(crate) fn column_names(f: &FieldInfo) -> Vec<&str> {
    std::iter::once(&f.column).chain(&f.aliases).map(String::as_str).collect()
}
