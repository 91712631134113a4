//! Formatting (`tier fmt`'s output), quick fixes (the did-you-mean suggestions
//! of `tier check`, an `otherwise` tier for a gap), and code lenses that run a
//! file's tests through the library's test runner.

use super::document::{Document, Problem};
use super::index::Kind;
use crate::analysis::Finding;
use crate::syntax::{Item, Policy};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeLens, Command, Range, TextEdit, Url, WorkspaceEdit,
};
use std::collections::HashMap;

/// One edit replacing the whole text with `tier fmt`'s output; none when it is
/// already formatted or does not parse.
pub fn formatting(doc: &Document) -> Option<Vec<TextEdit>> {
    let ast = doc.ast.as_ref()?;
    let formatted = crate::fmt::format(ast, &doc.text.text);
    if formatted == doc.text.text {
        return Some(Vec::new());
    }
    Some(vec![TextEdit::new(doc.text.full_range(), formatted)])
}

pub fn code_actions(doc: &Document, uri: &Url, range: Range) -> Vec<CodeActionOrCommand> {
    let wanted = doc.text.span(range);
    let mut out = Vec::new();
    for p in &doc.problems {
        let span = p.span();
        if span.end < wanted.start || span.start > wanted.end {
            continue;
        }
        let diagnostic = super::diagnostics::convert(uri, doc, p);
        let fix =
            suggestion(p).map(|name| (format!("replace with `{name}`"), TextEdit::new(doc.text.range(&span), name)));
        let fix = fix.or_else(|| otherwise_tier(doc, p));
        if let Some((title, edit)) = fix {
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic]),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                    ..WorkspaceEdit::default()
                }),
                is_preferred: Some(true),
                ..CodeAction::default()
            }));
        }
    }
    out
}

/// The name in a "did you mean `NAME`?" help.
fn suggestion(p: &Problem) -> Option<String> {
    let help = p.diagnostic().help()?.to_string();
    let rest = help.split("did you mean `").nth(1)?;
    Some(rest.split('`').next()?.to_string())
}

/// For a gap: a catch-all tier after the dimension's last tier.
fn otherwise_tier(doc: &Document, p: &Problem) -> Option<(String, TextEdit)> {
    let Problem::Analysis(Finding::Gap { dimension, .. }) = p else { return None };
    let ast = doc.ast.as_ref()?;
    let index = doc.current_index()?;
    let dim = index.dimension_index(dimension)?;
    let last = index.tiers(dim).last()?;
    let name = ["Other", "Others", "Rest", "Remaining"]
        .into_iter()
        .find(|n| index.find(n, |k| k == Kind::Tier(dim)).is_none())?;
    let indent = if in_block(ast, dimension) { "  " } else { "" };
    let checked = doc.checked.as_ref().and_then(|c| c.dimensions.iter().find(|d| &d.name == dimension));
    let strategy = match checked.is_some_and(|d| d.tiers.iter().any(|t| t.has_strategy)) {
        true => format!("\n{indent}  strategy {{}}"),
        false => String::new(),
    };
    let text = format!("\n\n{indent}tier {name} {{\n{indent}  otherwise{strategy}\n{indent}}}");
    let at = doc.text.position(last.full.end);
    Some((format!("add an `otherwise` tier to `{dimension}`"), TextEdit::new(Range::new(at, at), text)))
}

fn in_block(ast: &Policy, dimension: &str) -> bool {
    ast.items.iter().any(|i| matches!(i, Item::Dimension(d) if d.name.name == dimension))
}

/// "Run N tests" above the first test, "run test" above each.
pub fn code_lens(doc: &Document, uri: &Url) -> Vec<CodeLens> {
    let Some(index) = doc.current_index() else { return Vec::new() };
    let tests: Vec<_> = index.defs.iter().filter(|d| d.kind == Kind::Test).collect();
    let lens = |span: &std::ops::Range<usize>, title: String, args: Vec<serde_json::Value>| CodeLens {
        range: doc.text.range(&(span.start..span.start)),
        command: Some(Command::new(title, super::RUN_TESTS.into(), Some(args))),
        data: None,
    };
    let mut out = Vec::new();
    if let Some(first) = tests.first() {
        let n = tests.len();
        let title = format!("▶ run {n} test{}", if n == 1 { "" } else { "s" });
        out.push(lens(&first.full, title, vec![serde_json::json!(uri)]));
    }
    for t in tests {
        out.push(lens(&t.full, "▶ run test".into(), vec![serde_json::json!(uri), serde_json::json!(t.name)]));
    }
    out
}

/// Runs the tests whose name contains `filter`: a one-line summary, and a
/// report `{passed, failed, failures: [{test, line, message, details}]}`.
pub fn run_tests(doc: &Document, filter: Option<&str>) -> (String, serde_json::Value) {
    let Some(checked) = &doc.checked else {
        let msg = "the policy has errors: fix them to run its tests".to_string();
        return (msg.clone(), serde_json::json!({ "passed": 0, "failed": 0, "error": msg }));
    };
    let program = crate::compile::compile(checked);
    let as_of = super::document::as_of(checked);
    let suite = crate::testing::Suite { checked, program: &program, source: &doc.text.text, as_of };
    let results = suite.run(filter, None);
    let failed: Vec<_> = results.iter().filter(|r| !r.failures.is_empty()).collect();
    let failures: Vec<_> = failed
        .iter()
        .flat_map(|r| {
            r.failures.iter().map(|f| {
                serde_json::json!({
                    "test": r.name,
                    "line": doc.text.position(f.span.start).line + 1,
                    "message": f.message,
                    "details": f.details,
                })
            })
        })
        .collect();
    let passed = results.len() - failed.len();
    let mut summary = format!("{passed} passed, {} failed", failed.len());
    for r in &failed {
        summary.push_str(&format!(
            "; `{}`: {}",
            r.name,
            r.failures.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    (summary, serde_json::json!({ "passed": passed, "failed": failed.len(), "failures": failures }))
}
