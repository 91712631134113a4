//! Hover: a field's type, unit and column; a tier's criteria and resolved
//! strategy; a let's or metric's type and definition; a function's signature;
//! a number literal's exact value.

use super::document::Document;
use super::index::{Def, Kind};
use crate::check::{StrategyValue, Ty};
use crate::number::Decimal;
use crate::syntax::walk;
use crate::syntax::{EventsEntry, ExprKind, Field, Item, Policy, TierClause, TypeKind, ValueKind};
use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

/// The functions of criteria and metrics, with their signatures.
pub const FUNCTIONS: [(&str, &str); 16] = [
    ("min", "min(a, b, …) → the smallest of its arguments (same unit)"),
    ("max", "max(a, b, …) → the largest of its arguments (same unit)"),
    ("abs", "abs(x) → the absolute value of x"),
    ("round", "round(x) / round(x, places) → x rounded half away from zero"),
    ("days_since", "days_since(date) → number of days from date to today"),
    ("months_since", "months_since(date) → whole calendar months from date to today"),
    ("years_since", "years_since(date) → whole years from date to today, counted as ages are"),
    ("contains", "contains(text, part) → true/false"),
    ("starts_with", "starts_with(text, prefix) → true/false"),
    ("count", "count() / count(distinct x) [within last N PERIOD] → the customer's events (a rate when windowed)"),
    ("sum", "sum(x) [within last N PERIOD] → the sum over the customer's events"),
    ("avg", "avg(x) [within last N PERIOD] → the mean over the customer's events"),
    ("quantile_score", "quantile_score(x, buckets, reversed: true|false) → 1..buckets by quantile (pandas qcut)"),
    ("rank", "rank(x, ties: first|average|min|max) → the customer's rank in the population"),
    ("percentile", "percentile(x) → the share of customers whose value is at most this one's"),
    ("top", "top(x, share) → true for the ceil(share × n) highest customers"),
];

pub fn hover(doc: &Document, offset: usize) -> Option<Hover> {
    let ast = doc.ast.as_ref()?;
    let text = literal(ast, offset)
        .or_else(|| function(ast, offset))
        .or_else(|| doc.current_index()?.at(offset).and_then(|d| definition(doc, ast, d)))
        .or_else(|| enum_value(doc, offset))?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: text }),
        range: None,
    })
}

fn definition(doc: &Document, ast: &Policy, def: usize) -> Option<String> {
    let index = doc.current_index()?;
    let d = index.defs.get(def)?;
    let source = &doc.text.text;
    let code = |span: &std::ops::Range<usize>| format!("```tier\n{}\n```", source.get(span.clone()).unwrap_or(""));
    match d.kind {
        Kind::Field | Kind::EventField => field(ast, d, source),
        Kind::Let | Kind::EventLet | Kind::Metric => {
            let ty = doc.checked.as_ref().and_then(|c| {
                let let_ty = c.lets.iter().find(|l| l.name == d.name).map(|l| l.expr.ty);
                let_ty.or_else(|| c.metrics.iter().find(|m| m.name == d.name).map(|m| m.expr.ty))
            });
            let what = if d.kind == Kind::Metric { "metric" } else { "let" };
            let ty = ty.map(|t| format!("\n\n{what} of type {}", describe(t))).unwrap_or_default();
            Some(format!("{}{ty}", code(&d.full)))
        }
        Kind::Tier(dim) => tier(doc, ast, d, dim),
        Kind::Dimension | Kind::Test => {
            let end = source.get(d.full.clone())?.find('{').map_or(d.span.end, |i| d.full.start + i);
            Some(code(&(d.full.start..end)).replace(" \n```", "\n```"))
        }
    }
}

/// A word that is a value of an enum field: which field, and its values.
fn enum_value(doc: &Document, offset: usize) -> Option<String> {
    let text = &doc.text.text;
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let start = text.get(..offset)?.rfind(|c| !is_word(c)).map_or(0, |i| i + 1);
    let end = text.get(offset..)?.find(|c| !is_word(c)).map_or(text.len(), |i| offset + i);
    let word = text.get(start..end).filter(|w| !w.is_empty())?;
    let index = doc.current_index()?;
    let (field, values) = index.enums.iter().find(|(_, values)| values.iter().any(|v| v == word))?;
    Some(format!("`{word}`: a value of the enum field `{field}` ({})", values.join(", ")))
}

fn describe(ty: Ty) -> &'static str {
    match ty {
        Ty::Number | Ty::Lit => "number",
        Ty::Integer => "integer",
        Ty::Rate => "rate",
        Ty::Date => "date",
        Ty::DateTime => "datetime",
        Ty::Bool => "bool",
        Ty::Enum(_) => "enum",
        other => other.describe(),
    }
}

fn field(ast: &Policy, d: &Def, source: &str) -> Option<String> {
    let f = fields(ast).into_iter().find(|f| f.name.span == d.span)?;
    let decl = source.get(f.span.clone())?;
    let (ty, unit) = match &f.ty.kind {
        TypeKind::Money => ("money".to_string(), currency(ast).map(|c| format!("in {c}"))),
        TypeKind::Rate(p) => (format!("count per {}", p.name()), Some(format!("per {}", p.name()))),
        TypeKind::Enum(values) => {
            let names: Vec<&str> = values.iter().map(|v| v.name.as_str()).collect();
            (format!("enum({})", names.join(", ")), None)
        }
        _ => (source.get(f.ty.span.clone()).unwrap_or("").to_string(), None),
    };
    let mut lines = vec![format!("```tier\n{decl}\n```"), format!("field `{}`: type **{ty}**", f.name.name)];
    if let Some(unit) = unit {
        lines.push(format!("unit: {unit}"));
    }
    let column = match f.from.as_slice() {
        [] => format!("`{}`", f.name.name),
        cols => cols.iter().map(|c| format!("`{}`", c.value)).collect::<Vec<_>>().join(" or "),
    };
    lines.push(format!("from column {column}"));
    if f.optional {
        lines.push("optional: may be missing".into());
    }
    if f.key.is_some() {
        lines.push("the record's key".into());
    }
    Some(lines.join("\n\n"))
}

/// Every declared field, of the schema and of the events block.
pub fn fields(ast: &Policy) -> Vec<&Field> {
    let mut out = Vec::new();
    for item in &ast.items {
        match item {
            Item::Schema(s) => out.extend(s.fields.iter()),
            Item::Events(e) => out.extend(e.entries.iter().filter_map(|x| match x {
                EventsEntry::Field(f) => Some(f),
                _ => None,
            })),
            _ => {}
        }
    }
    out
}

fn currency(ast: &Policy) -> Option<String> {
    ast.items.iter().find_map(|i| match i {
        Item::Header(h) => h.entries.iter().find(|e| e.key.name == "currency").and_then(|e| match &e.value.kind {
            ValueKind::Symbol(s) | ValueKind::Text(s) => Some(s.clone()),
            _ => None,
        }),
        _ => None,
    })
}

fn tier(doc: &Document, ast: &Policy, d: &Def, dim: usize) -> Option<String> {
    let index = doc.current_index()?;
    let dim_name = index.dimensions.get(dim).map_or("tier", |(n, _)| n.as_str());
    let source = &doc.text.text;
    let t = tiers(ast).into_iter().find(|t| t.name.span == d.span)?;
    let label = t.label.as_ref().map(|l| format!(" \"{}\"", l.value)).unwrap_or_default();
    let mut out = format!("```tier\ntier {}{label}\n```\n\ndimension `{dim_name}`", t.name.name);
    let criteria: Vec<String> = t
        .clauses
        .iter()
        .filter_map(|c| match c {
            TierClause::When(e) => Some(format!("- `when {}`", source.get(e.span.clone()).unwrap_or(""))),
            TierClause::Otherwise(_) => Some("- `otherwise` (every record the tiers above leave)".into()),
            TierClause::Strategy(_) => None,
        })
        .collect();
    out.push_str("\n\n**criteria**\n");
    out.push_str(&criteria.join("\n"));
    let resolved = doc.checked.as_ref().and_then(|c| {
        let dim = c.dimensions.iter().find(|x| x.name == dim_name)?;
        dim.tiers
            .iter()
            .find(|x| x.name == t.name.name)
            .map(|x| (x.strategy.clone(), x.extends.and_then(|e| dim.tiers.get(e)).map(|e| e.name.clone())))
    });
    if let Some((strategy, extends)) = resolved {
        let from = extends.map(|e| format!(" (extends `{e}`)")).unwrap_or_default();
        out.push_str(&format!("\n\n**strategy**{from}\n"));
        let entries: Vec<String> = strategy.iter().map(|(k, v)| format!("- {k}: {}", show(v))).collect();
        out.push_str(if entries.is_empty() { "(none)" } else { "" });
        out.push_str(&entries.join("\n"));
    }
    Some(out)
}

fn show(v: &StrategyValue) -> String {
    match v {
        StrategyValue::Text(s) => format!("\"{s}\""),
        StrategyValue::Money { currency, amount } => format!("{currency}{}", group(*amount)),
        StrategyValue::Number(n) => group(*n),
        other => other.to_text(),
    }
}

/// Every tier, top-level and in dimensions.
pub fn tiers(ast: &Policy) -> Vec<&crate::syntax::Tier> {
    ast.items
        .iter()
        .flat_map(|i| match i {
            Item::Tier(t) => std::slice::from_ref(t),
            Item::Dimension(d) => d.tiers.as_slice(),
            _ => &[],
        })
        .collect()
}

fn function(ast: &Policy, offset: usize) -> Option<String> {
    let mut found = None;
    for e in super::index::exprs(ast) {
        walk(e, &mut |x| {
            if let ExprKind::Call { func, .. } = &x.kind {
                if func.span.start <= offset && offset <= func.span.end {
                    found = FUNCTIONS.iter().find(|(n, _)| *n == func.name).map(|(_, s)| *s);
                }
            }
        });
    }
    found.map(|s| format!("```tier\n{s}\n```"))
}

/// A number, money or rate literal under the cursor, in criteria or values.
fn literal(ast: &Policy, offset: usize) -> Option<String> {
    let inside = |s: &std::ops::Range<usize>| s.start <= offset && offset < s.end;
    let mut found = None;
    for e in super::index::exprs(ast) {
        walk(e, &mut |x| {
            if inside(&x.span) {
                let shown = match &x.kind {
                    ExprKind::Number(n) => Some(number(&n.text, n.value)),
                    ExprKind::Money(m) => Some(number(&format!("{}{}", m.currency, m.amount.text), m.amount.value)),
                    ExprKind::Rate(r) => Some(rate(&r.count.text, r.count.value, r.period)),
                    _ => None,
                };
                found = shown.or(found.take());
            }
        });
    }
    found.or_else(|| value_literal(ast, offset))
}

fn value_literal(ast: &Policy, offset: usize) -> Option<String> {
    let mut values = Vec::new();
    for item in &ast.items {
        if let Item::Test(t) = item {
            for i in &t.items {
                if let crate::syntax::TestItem::Given(g) = i {
                    values.extend(g.entries.iter().filter_map(|e| e.value.as_ref()));
                }
            }
        }
    }
    for t in tiers(ast) {
        for c in &t.clauses {
            if let TierClause::Strategy(s) = c {
                values.extend(s.entries.iter().map(|e| &e.value));
            }
        }
    }
    let v = values.into_iter().find(|v| v.span.start <= offset && offset < v.span.end)?;
    match &v.kind {
        ValueKind::Number(n) => Some(number(&n.text, n.value)),
        ValueKind::Money(m) => Some(number(&format!("{}{}", m.currency, m.amount.text), m.amount.value)),
        ValueKind::Rate(r) => Some(rate(&r.count.text, r.count.value, r.period)),
        _ => None,
    }
}

fn number(text: &str, value: Decimal) -> String {
    format!("`{text}` = **{}**", group(value))
}

fn rate(text: &str, count: Decimal, period: crate::number::Period) -> String {
    let per_year = count * period.per_year();
    format!("`{text}/{}` = **{}** per year", period.name(), group(per_year))
}

/// An exact decimal with thousands separators: `1000000` → `1,000,000`.
pub fn group(d: Decimal) -> String {
    let text = d.normalize().to_string();
    let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |t| ("-", t));
    let (whole, frac) = digits.split_once('.').map_or((digits, None), |(w, f)| (w, Some(f)));
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
    format!("{sign}{out}{frac}")
}
