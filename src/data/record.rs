//! One record typed by hand (`tier explain --record '{..}'`): keys may be input
//! column names or schema field names, and only the fields the tiers read are
//! needed.

use super::value::{decode, Cell, CellError};
use crate::compile::Program;
use crate::eval::Value;

/// Per field, whether some tier's condition reads it (directly or through lets).
pub fn fields_read(program: &Program) -> Vec<bool> {
    let mut slots = std::collections::BTreeSet::new();
    for d in &program.dimensions {
        for t in d.tiers.iter().filter_map(|t| t.condition.as_ref()) {
            crate::analysis::explore::slots_read(t, program, &mut slots);
        }
    }
    (0..program.fields.len()).map(|i| slots.contains(&i)).collect()
}

/// The key and the field values of a JSON object; a field the tiers do not read
/// may be left out (it is missing), one they read may not.
pub fn from_json(program: &Program, text: &str) -> Result<(String, Vec<Value>), String> {
    let text = text.trim_start_matches('\u{feff}');
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("--record is not valid JSON: {e}"))?;
    let serde_json::Value::Object(map) = doc else {
        return Err("--record is not a JSON object: write it as {\"field\": value, ...}".into());
    };
    let read = fields_read(program);
    let mut values = Vec::with_capacity(program.fields.len());
    for (i, f) in program.fields.iter().enumerate() {
        let names = || std::iter::once(&f.name).chain(std::iter::once(&f.column)).chain(&f.aliases);
        let cell = names()
            .find_map(|n| map.get(n))
            .or_else(|| names().find_map(|n| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v)))
            .map(|v| Cell::Json(v.clone()));
        let needed = read.get(i).copied().unwrap_or(true);
        let value = match decode(f, cell.as_ref()) {
            Ok(v) => v,
            Err(CellError::Empty) if !needed => Value::Missing,
            Err(CellError::Empty) => {
                let column = if f.column == f.name { String::new() } else { format!(" (column `{}`)", f.column) };
                return Err(format!("--record has no `{}`{column}: the tiers read it", f.name));
            }
            Err(CellError::Invalid { expected, help }) => {
                let raw = cell.as_ref().map(Cell::raw).unwrap_or_default();
                return Err(format!("--record: `{}`: `{raw}` is not {expected} ({help})", f.name));
            }
        };
        values.push(value);
    }
    let key = match values.get(program.key) {
        Some(Value::Text(k)) => k.clone(),
        _ => "--record".to_string(),
    };
    Ok((key, values))
}
