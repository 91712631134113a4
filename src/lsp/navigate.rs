//! Go to definition, find references, rename and document symbols, from the
//! names the index found in the current text.

use super::document::Document;
use super::index::{Index, Kind};
use lsp_server::ErrorCode;
use lsp_types::{DocumentSymbol, Location, PrepareRenameResponse, SymbolKind, TextEdit, Url, WorkspaceEdit};
use std::collections::HashMap;

pub fn definition(doc: &Document, uri: &Url, offset: usize) -> Option<Location> {
    let index = doc.current_index()?;
    let def = index.defs.get(index.at(offset)?)?;
    Some(Location::new(uri.clone(), doc.text.range(&def.span)))
}

pub fn references(doc: &Document, uri: &Url, offset: usize, with_definition: bool) -> Vec<Location> {
    let Some(index) = doc.current_index() else { return Vec::new() };
    let Some(def) = index.at(offset) else { return Vec::new() };
    index.uses(def, with_definition).iter().map(|s| Location::new(uri.clone(), doc.text.range(s))).collect()
}

pub fn prepare_rename(doc: &Document, offset: usize) -> Option<PrepareRenameResponse> {
    let index = doc.current_index()?;
    let def = index.at(offset)?;
    if index.defs.get(def)?.kind == Kind::Test {
        return None;
    }
    let span = index.uses(def, true).into_iter().find(|s| s.start <= offset && offset <= s.end)?;
    Some(PrepareRenameResponse::Range(doc.text.range(&span)))
}

type Failure = (ErrorCode, String);

/// Renames a field, let, metric, tier or dimension everywhere. A field read from
/// the column of its own name keeps reading that column (`from "old"` is added).
pub fn rename(doc: &Document, uri: &Url, offset: usize, new_name: &str) -> Result<WorkspaceEdit, Failure> {
    let invalid = |m: String| (ErrorCode::InvalidParams, m);
    let index = doc.current_index().ok_or_else(|| invalid("the policy does not parse: fix it first".into()))?;
    let def = index.at(offset).ok_or_else(|| invalid("no name to rename here".into()))?;
    let d = index.defs.get(def).ok_or_else(|| invalid("no name to rename here".into()))?;
    if d.kind == Kind::Test {
        return Err(invalid("a test's name is a string: edit it in place".into()));
    }
    if !is_identifier(new_name) {
        return Err(invalid(format!("`{new_name}` is not a name (letters, digits and `_`, not a keyword)")));
    }
    if clashes(index, d.kind, new_name) {
        return Err(invalid(format!("`{new_name}` is already defined")));
    }
    let mut edits: Vec<TextEdit> =
        index.uses(def, true).iter().map(|s| TextEdit::new(doc.text.range(s), new_name.to_string())).collect();
    if matches!(d.kind, Kind::Field | Kind::EventField) {
        edits.extend(keep_column(doc, &d.span, &d.name));
    }
    Ok(WorkspaceEdit { changes: Some(HashMap::from([(uri.clone(), edits)])), ..WorkspaceEdit::default() })
}

/// ` from "old"` after a field's type, when it has no `from` of its own.
fn keep_column(doc: &Document, name: &std::ops::Range<usize>, old: &str) -> Option<TextEdit> {
    let ast = doc.ast.as_ref()?;
    let f = super::hover::fields(ast).into_iter().find(|f| &f.name.span == name)?;
    if !f.from.is_empty() {
        return None;
    }
    let optional = usize::from(f.optional && doc.text.text.get(f.ty.span.end..)?.starts_with('?'));
    let at = doc.text.position(f.ty.span.end + optional);
    Some(TextEdit::new(lsp_types::Range::new(at, at), format!(" from \"{old}\"")))
}

fn clashes(index: &Index, kind: Kind, name: &str) -> bool {
    let same_scope = |k: Kind| match kind {
        Kind::Field | Kind::Let | Kind::Metric => matches!(k, Kind::Field | Kind::Let | Kind::Metric),
        Kind::EventField | Kind::EventLet => matches!(k, Kind::EventField | Kind::EventLet),
        other => k == other,
    };
    index.find(name, same_scope).is_some()
}

pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_');
    first_ok && chars.all(|c| c.is_alphanumeric() || c == '_') && !super::complete::KEYWORDS.contains(&name)
}

/// Dimensions with their tiers, top-level tiers, fields, lets, metrics and tests.
pub fn symbols(doc: &Document) -> Vec<DocumentSymbol> {
    let Some(index) = doc.current_index() else { return Vec::new() };
    let mut out = Vec::new();
    for (i, d) in index.defs.iter().enumerate() {
        let kind = match d.kind {
            Kind::Field | Kind::EventField => SymbolKind::FIELD,
            Kind::Let | Kind::EventLet => SymbolKind::VARIABLE,
            Kind::Metric => SymbolKind::PROPERTY,
            Kind::Tier(dim) if index.dimensions.get(dim).is_some_and(|(_, def)| def.is_some()) => continue,
            Kind::Tier(_) => SymbolKind::ENUM_MEMBER,
            Kind::Dimension => SymbolKind::ENUM,
            Kind::Test => SymbolKind::METHOD,
        };
        let mut sym = symbol(doc, &d.name, kind, &d.span, &d.full);
        if d.kind == Kind::Dimension {
            let dim = index.dimensions.iter().position(|(_, def)| *def == Some(i));
            let tiers = dim.into_iter().flat_map(|dim| index.tiers(dim));
            let children = tiers.map(|t| symbol(doc, &t.name, SymbolKind::ENUM_MEMBER, &t.span, &t.full)).collect();
            sym.children = Some(children);
        }
        out.push(sym);
    }
    out
}

#[allow(deprecated)] // `deprecated` is a required field of the struct
fn symbol(
    doc: &Document,
    name: &str,
    kind: SymbolKind,
    span: &std::ops::Range<usize>,
    full: &std::ops::Range<usize>,
) -> DocumentSymbol {
    DocumentSymbol {
        name: name.to_string(),
        detail: None,
        kind,
        tags: None,
        deprecated: None,
        range: doc.text.range(full),
        selection_range: doc.text.range(span),
        children: None,
    }
}
