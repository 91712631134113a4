//! Problems as protocol diagnostics: the code, message and help of `tier check`,
//! the primary label's range, the other labels as related locations.

use super::document::{Document, Problem};
use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, PublishDiagnosticsParams,
    Url,
};

pub fn publish(uri: &Url, doc: &Document) -> PublishDiagnosticsParams {
    let diagnostics = doc.problems.iter().map(|p| convert(uri, doc, p)).collect();
    PublishDiagnosticsParams { uri: uri.clone(), diagnostics, version: Some(doc.version) }
}

pub fn convert(uri: &Url, doc: &Document, problem: &Problem) -> Diagnostic {
    let d = problem.diagnostic();
    let severity = match d.severity() {
        Some(miette::Severity::Warning) => DiagnosticSeverity::WARNING,
        Some(miette::Severity::Advice) => DiagnosticSeverity::INFORMATION,
        _ => DiagnosticSeverity::ERROR,
    };
    let mut message = d.to_string();
    if let Some(help) = d.help() {
        message.push_str("\nhelp: ");
        message.push_str(&help.to_string());
    }
    let labels: Vec<_> = d.labels().map(|l| l.collect()).unwrap_or_default();
    let related: Vec<_> = labels
        .iter()
        .map(|l| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), doc.text.range(&(l.offset()..l.offset() + l.len()))),
            message: l.label().unwrap_or("here").to_string(),
        })
        .collect();
    Diagnostic {
        range: doc.text.range(&problem.span()),
        severity: Some(severity),
        code: d.code().map(|c| NumberOrString::String(c.to_string())),
        source: Some("tier".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Diagnostic::default()
    }
}
