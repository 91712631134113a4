//! Rendering diagnostics: miette's graphical report for people, JSON for tools.

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, NamedSource, Severity};
use std::io::IsTerminal;

/// A diagnostic, with the text it points into.
pub fn human<D: Diagnostic + Clone + Send + Sync + 'static>(diag: &D, source: Option<&NamedSource<String>>) -> String {
    let theme = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let report = match source {
        Some(s) => miette::Report::new(diag.clone()).with_source_code(s.clone()),
        None => miette::Report::new(diag.clone()),
    };
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        out = format!("{diag}\n");
    }
    out
}

/// A diagnostic as a JSON object: code, severity, message, file, 1-based line
/// and column of the primary label's start and end, labels, help.
pub fn json<D: Diagnostic>(diag: &D, file: &str, source: &str) -> serde_json::Value {
    let severity = match diag.severity() {
        Some(Severity::Warning) => "warning",
        Some(Severity::Advice) => "advice",
        _ => "error",
    };
    let labels: Vec<_> = diag.labels().map(|l| l.collect()).unwrap_or_default();
    let primary = labels.first();
    let (line, column) = primary.map_or((None, None), |l| {
        let (a, b) = line_col(source, l.offset());
        (Some(a), Some(b))
    });
    let (end_line, end_column) = primary.map_or((None, None), |l| {
        let (a, b) = line_col(source, l.offset() + l.len());
        (Some(a), Some(b))
    });
    serde_json::json!({
        "code": diag.code().map(|c| c.to_string()),
        "severity": severity,
        "message": diag.to_string(),
        "file": file,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "labels": labels.iter().map(|l| serde_json::json!({
            "message": l.label(),
            "line": line_col(source, l.offset()).0,
            "column": line_col(source, l.offset()).1,
        })).collect::<Vec<_>>(),
        "help": diag.help().map(|h| h.to_string()),
    })
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = source.get(..offset.min(source.len())).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
