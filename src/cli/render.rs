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

/// A diagnostic (as [`json`] made it) as a GitHub Actions workflow command, so the
/// problem shows on the pull request's diff line.
pub fn github(d: &serde_json::Value) -> String {
    let command = match d["severity"].as_str() {
        Some("warning") => "warning",
        Some("advice") => "notice",
        _ => "error",
    };
    let mut props = vec![format!("file={}", property(d["file"].as_str().unwrap_or("")))];
    for (key, name) in [("line", "line"), ("column", "col"), ("end_line", "endLine"), ("end_column", "endColumn")] {
        if let Some(n) = d[key].as_u64() {
            props.push(format!("{name}={n}"));
        }
    }
    if let Some(code) = d["code"].as_str() {
        props.push(format!("title={}", property(code)));
    }
    let mut message = d["message"].as_str().unwrap_or("").to_string();
    if let Some(help) = d["help"].as_str() {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!("::{command} {}::{}", props.join(","), data(&message))
}

/// Escaping of a workflow command's message (GitHub's `escapeData`).
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escaping of a workflow command's property value (GitHub's `escapeProperty`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Diagnostics (as [`json`] made them) as one SARIF 2.1.0 log: one rule per code,
/// one result per diagnostic, secondary labels as related locations. Columns are
/// counted in characters, which the log declares (`columnKind`).
pub fn sarif(diags: &[serde_json::Value]) -> serde_json::Value {
    use serde_json::json;
    let mut rules: indexmap::IndexMap<String, serde_json::Value> = indexmap::IndexMap::new();
    let mut results = Vec::new();
    for d in diags {
        let code = d["code"].as_str().unwrap_or("tier::unknown").to_string();
        let index = match rules.get_index_of(&code) {
            Some(i) => i,
            None => {
                let name = code.trim_start_matches("tier::").replace('_', " ");
                rules.insert(code.clone(), json!({ "id": code, "shortDescription": { "text": name } }));
                rules.len() - 1
            }
        };
        let level = match d["severity"].as_str() {
            Some("warning") => "warning",
            Some("advice") => "note",
            _ => "error",
        };
        let mut text = d["message"].as_str().unwrap_or("").to_string();
        if let Some(help) = d["help"].as_str() {
            text.push_str("\nhelp: ");
            text.push_str(help);
        }
        let file = d["file"].as_str().unwrap_or("").replace('\\', "/");
        let location = |line: &serde_json::Value, column: &serde_json::Value, end: Option<(u64, u64)>| {
            let mut region = json!({});
            if let (Some(l), Some(c)) = (line.as_u64(), column.as_u64()) {
                region = json!({ "startLine": l, "startColumn": c });
                if let Some((el, ec)) = end {
                    region["endLine"] = json!(el);
                    region["endColumn"] = json!(ec);
                }
            }
            let mut physical = json!({ "artifactLocation": { "uri": file } });
            if region.as_object().is_some_and(|r| !r.is_empty()) {
                physical["region"] = region;
            }
            json!({ "physicalLocation": physical })
        };
        let end = d["end_line"].as_u64().zip(d["end_column"].as_u64());
        let mut result = json!({
            "ruleId": code,
            "ruleIndex": index,
            "level": level,
            "message": { "text": text },
            "locations": [location(&d["line"], &d["column"], end)],
        });
        let related: Vec<serde_json::Value> = d["labels"]
            .as_array()
            .map(|ls| ls.iter().skip(1).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                let mut loc = location(&l["line"], &l["column"], None);
                loc["id"] = json!(i);
                if let Some(m) = l["message"].as_str() {
                    loc["message"] = json!({ "text": m });
                }
                loc
            })
            .collect();
        if !related.is_empty() {
            result["relatedLocations"] = json!(related);
        }
        results.push(result);
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "tier",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules.into_values().collect::<Vec<_>>(),
            } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}
