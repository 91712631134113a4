//! Completion from the text before the cursor and the names of the last text
//! that parsed: tiers after `extends`, `expect`, `keep` and in combinations and
//! budgets, enum values after `==` / `in`, periods after `/`, number units after
//! digits, types in a schema, the words after `hit`, `prefer`, `ties:` and
//! `reversed:`, else fields, lets, metrics, functions and keywords.

use super::document::Document;
use super::index::{Index, Kind};
use lsp_types::{CompletionItem, CompletionItemKind};

pub const KEYWORDS: [&str; 31] = [
    "policy",
    "schema",
    "let",
    "tier",
    "dimension",
    "when",
    "otherwise",
    "strategy",
    "extends",
    "test",
    "given",
    "defaults",
    "expect",
    "hit",
    "and",
    "or",
    "not",
    "between",
    "in",
    "is",
    "missing",
    "present",
    "key",
    "from",
    "per",
    "true",
    "false",
    "today",
    "none",
    "unordered",
    "ordered",
];

const PERIODS: [&str; 6] = ["day", "week", "month", "quarter", "half_year", "year"];
const UNITS: [(&str, &str); 7] = [
    ("万", "× 10,000"),
    ("亿", "× 100,000,000"),
    ("k", "× 1,000"),
    ("M", "× 1,000,000"),
    ("B", "× 1,000,000,000"),
    ("%", "÷ 100"),
    ("_000", "digit separator"),
];
const TYPES: [&str; 10] =
    ["text", "number", "integer", "count", "money", "date", "bool", "enum()", "count per", "datetime"];

pub fn complete(doc: &Document, offset: usize) -> Vec<CompletionItem> {
    let text = &doc.text.text;
    let before = text.get(..offset).unwrap_or("");
    let line = before.rsplit('\n').next().unwrap_or("");
    let head = line.trim_end_matches(|c: char| c.is_alphanumeric() || c == '_');
    let words: Vec<&str> =
        head.split(|c: char| c.is_whitespace() || c == '[' || c == ',').filter(|w| !w.is_empty()).collect();
    let last = words.last().copied().unwrap_or("");
    let index = &doc.index;
    if let Some(dim) = head.strip_suffix('.').and_then(|h| h.split_whitespace().last()) {
        if let Some(d) = index.dimension_index(dim) {
            let mut out = tiers(index, Some(d));
            out.push(item("strategy", CompletionItemKind::KEYWORD, None));
            return out;
        }
    }
    match last {
        "extends" | "keep" => return tiers(index, None),
        "expect" => {
            let mut out = tiers(index, None);
            out.extend(
                index
                    .dimensions
                    .iter()
                    .filter(|(_, def)| def.is_some())
                    .map(|(n, _)| item(n, CompletionItemKind::MODULE, Some("dimension"))),
            );
            out.extend(["strategy", "none"].map(|k| item(k, CompletionItemKind::KEYWORD, None)));
            return out;
        }
        "is" => {
            let subject = words.iter().rev().nth(1).copied().unwrap_or("");
            return match index.dimension_index(subject) {
                Some(d) => tiers(index, Some(d)),
                None => ["missing", "present"].map(|k| item(k, CompletionItemKind::KEYWORD, None)).into(),
            };
        }
        "per" | "last" => return periods(),
        "hit" => return keywords(&["first", "unique"]),
        "prefer" => return keywords(&["higher", "lower"]),
        "ties:" => return keywords(&["first", "average", "min", "max"]),
        "reversed:" => return keywords(&["true", "false"]),
        _ => {}
    }
    if head.trim_end().ends_with('/') {
        return periods();
    }
    if let Some(values) = enum_context(index, head) {
        return values;
    }
    let typed = line.get(head.len()..).unwrap_or("");
    if !typed.is_empty() && typed.chars().all(|c| c.is_ascii_digit()) {
        return UNITS.iter().map(|(u, what)| item(u, CompletionItemKind::UNIT, Some(what))).collect();
    }
    match enclosing_block(before) {
        Some("schema") | Some("events") if head.trim_end().ends_with(':') => {
            TYPES.iter().map(|t| item(t, CompletionItemKind::TYPE_PARAMETER, Some("type"))).collect()
        }
        Some("budget") => tiers(index, None),
        Some("given") => names(index, |k| matches!(k, Kind::Field | Kind::Metric)),
        _ => general(index),
    }
}

/// After `FIELD ==` or `FIELD in [`, the values of an enum field.
fn enum_context(index: &Index, head: &str) -> Option<Vec<CompletionItem>> {
    let trimmed = head.trim_end();
    let subject = if let Some(rest) =
        trimmed.strip_suffix("==").or_else(|| trimmed.strip_suffix("!=")).or_else(|| trimmed.strip_suffix('='))
    {
        rest.split_whitespace().last()?
    } else {
        let open = trimmed.rfind('[')?;
        if trimmed.get(open..)?.contains(']') {
            return None;
        }
        let mut words = trimmed.get(..open)?.split_whitespace().rev();
        if words.next()? != "in" {
            return None;
        }
        match words.next()? {
            "not" => words.next()?,
            field => field,
        }
    };
    let (_, values) = index.enums.iter().find(|(name, _)| name == subject)?;
    Some(values.iter().map(|v| item(v, CompletionItemKind::ENUM_MEMBER, Some(subject))).collect())
}

/// The word before the innermost `{` still open at the end of `text`.
fn enclosing_block(text: &str) -> Option<&str> {
    let mut open = Vec::new();
    let mut in_string = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '{' if !in_string => open.push(i),
            '}' if !in_string => {
                open.pop();
            }
            '\n' => in_string = false,
            _ => {}
        }
    }
    let start = text.get(..*open.last()?)?;
    let line = start.rsplit('\n').next()?;
    let word = line.split_whitespace().next()?;
    Some(if line.split_whitespace().any(|w| w == "given") { "given" } else { word })
}

fn tiers(index: &Index, dim: Option<usize>) -> Vec<CompletionItem> {
    let mut seen = Vec::new();
    index
        .defs
        .iter()
        .filter(|d| matches!(d.kind, Kind::Tier(x) if dim.is_none_or(|want| want == x)))
        .filter(|d| {
            let new = !seen.contains(&d.name);
            seen.push(d.name.clone());
            new
        })
        .map(|d| {
            let dim = match d.kind {
                Kind::Tier(x) => index.dimensions.get(x).map_or("tier", |(n, _)| n.as_str()),
                _ => "tier",
            };
            item(&d.name, CompletionItemKind::ENUM_MEMBER, Some(&format!("tier of {dim}")))
        })
        .collect()
}

fn names(index: &Index, wanted: impl Fn(Kind) -> bool) -> Vec<CompletionItem> {
    index
        .defs
        .iter()
        .filter(|d| wanted(d.kind))
        .map(|d| {
            let (kind, what) = match d.kind {
                Kind::Field | Kind::EventField => (CompletionItemKind::FIELD, "field"),
                Kind::Metric => (CompletionItemKind::PROPERTY, "metric"),
                _ => (CompletionItemKind::VARIABLE, "let"),
            };
            item(&d.name, kind, Some(what))
        })
        .collect()
}

fn general(index: &Index) -> Vec<CompletionItem> {
    let mut out = names(index, |k| matches!(k, Kind::Field | Kind::Let | Kind::Metric));
    out.extend(super::hover::FUNCTIONS.iter().map(|(f, sig)| item(f, CompletionItemKind::FUNCTION, Some(sig))));
    out.extend(KEYWORDS.iter().map(|k| item(k, CompletionItemKind::KEYWORD, None)));
    out
}

fn keywords(words: &[&str]) -> Vec<CompletionItem> {
    words.iter().map(|w| item(w, CompletionItemKind::KEYWORD, None)).collect()
}

fn periods() -> Vec<CompletionItem> {
    PERIODS.iter().map(|p| item(p, CompletionItemKind::UNIT, Some("period"))).collect()
}

fn item(label: &str, kind: CompletionItemKind, detail: Option<&str>) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: detail.map(str::to_string),
        ..CompletionItem::default()
    }
}
