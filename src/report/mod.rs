//! `tier apply --report report.html`: one self-contained HTML page about a
//! finished run — per dimension the customers and money per tier, the Pareto
//! curve of the first money field, the migration since the previous run as a
//! heatmap with the movements, the budgets per tier, the rejects and their top
//! reasons, and the policy's title, version and as-of date. No script and no
//! network: charts are inline SVG ([`svg`]), styles inline; CJK text falls
//! back through the usual system fonts; `@page` sets A4.
//!
//! Every number comes from the run's outcome (the summary's JSON form, the
//! history matrices, the budget allocations), and each table row carries it
//! in `data-*` attributes so tests can check the page against `--summary json`.

mod svg;

use crate::budget::Allocation;
use crate::compile::Program;
use crate::data::table::json_decimal;
use crate::data::{grouped, Summary};
use crate::history::Movement;
use crate::number::{Date, Decimal};
use crate::run::OverTime;
use std::fmt::Write;

/// What a report shows: a finished run.
pub struct Report<'a> {
    pub program: &'a Program,
    pub as_of: Date,
    pub summary: &'a Summary,
    pub over_time: Option<&'a OverTime>,
    pub budgets: &'a [(Allocation, Vec<Option<usize>>)],
    /// The reject report's reasons, most frequent first.
    pub reject_reasons: &'a [(String, u64)],
}

const STYLE: &str = r#"
@page { size: A4; margin: 14mm 12mm; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
  "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Noto Sans", Arial, sans-serif;
  color: #1f2937; max-width: 186mm; margin: 0 auto; padding: 12px; font-size: 13px; line-height: 1.45; }
h1 { font-size: 22px; margin: 0 0 2px; } h2 { font-size: 17px; margin: 18px 0 6px; border-bottom: 1px solid #d1d5db; }
h3 { font-size: 14px; margin: 10px 0 4px; }
.meta { color: #4b5563; margin: 0 0 10px; }
section { break-inside: avoid; page-break-inside: avoid; }
table { border-collapse: collapse; margin: 4px 0 8px; }
th, td { padding: 3px 8px; border-bottom: 1px solid #e5e7eb; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
.chart { display: block; max-width: 100%; height: auto; font-size: 12px; }
.chart text { fill: #374151; } .chart .value { fill: #111827; }
.grid { stroke: #e5e7eb; } .equal { stroke: #9ca3af; stroke-dasharray: 4 4; }
.curve { fill: none; stroke: #2563eb; stroke-width: 2.5; }
.mark { stroke: #dc2626; fill: #dc2626; stroke-dasharray: 3 3; } .chart .mark-label { fill: #dc2626; font-weight: 600; }
.heat td.cell { text-align: center; min-width: 56px; }
.note { color: #6b7280; }
"#;

/// Text for HTML content and attributes.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn f64_of(d: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    d.to_f64().unwrap_or(0.0)
}

fn percent(share: Option<Decimal>) -> String {
    share.map_or("-".into(), |s| format!("{:.1}%", (s * Decimal::ONE_HUNDRED).round_dp(1)))
}

/// The whole page.
pub fn html(r: &Report) -> String {
    let doc = r.summary.to_json(r.program);
    let title = r.program.title.clone().unwrap_or_else(|| "tier report".into());
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title><style>{STYLE}</style></head><body>",
        escape(&title)
    );
    let version = r.program.meta.get("version").map(|v| v.to_text());
    let _ = write!(
        s,
        "<header><h1 id=\"title\">{}</h1><p class=\"meta\">{}as of <span id=\"as-of\">{}</span></p></header>",
        escape(&title),
        version.map_or(String::new(), |v| format!("version <span id=\"version\">{}</span> · ", escape(&v))),
        r.as_of
    );
    accounting(&mut s, &doc, r.summary.rejected, r.reject_reasons);
    distribution(&mut s, r, &doc);
    pareto(&mut s, &doc);
    if let Some(ot) = r.over_time {
        migration(&mut s, ot);
    }
    budgets(&mut s, r);
    s.push_str("<p class=\"note\">Written by <code>tier apply --report</code>.</p></body></html>\n");
    s
}

/// Rows in and out, and the rejects with their top reasons.
fn accounting(s: &mut String, doc: &serde_json::Value, rejected: u64, reasons: &[(String, u64)]) {
    let n = |k: &str| doc[k].as_u64().unwrap_or(0);
    let _ = write!(
        s,
        "<section id=\"accounting\"><h2>Records</h2><table><tr><th>read</th><th>tiered</th><th>rejected</th></tr><tr data-read=\"{}\" data-written=\"{}\" data-rejected=\"{rejected}\"><td>{}</td><td>{}</td><td>{rejected}</td></tr></table>",
        n("rows_read"),
        n("rows_written"),
        n("rows_read"),
        n("rows_written"),
    );
    if let Some(excluded) = doc["customers_excluded"].as_u64().filter(|e| *e > 0) {
        let _ = write!(s, "<p>{excluded} customers outside the population (in the reject report).</p>");
    }
    if !reasons.is_empty() {
        s.push_str(
            "<h3>Top reasons for rejects</h3><table id=\"reject-reasons\"><tr><th>reason</th><th>records</th></tr>",
        );
        for (reason, count) in reasons.iter().take(10) {
            let _ = write!(s, "<tr data-count=\"{count}\"><td>{}</td><td>{count}</td></tr>", escape(reason));
        }
        s.push_str("</table>");
    }
    s.push_str("</section>");
}

/// Per dimension: customers and money per tier, as bars and a table.
fn distribution(s: &mut String, r: &Report, doc: &serde_json::Value) {
    let money = doc["money_field"].as_str().map(str::to_string);
    for (name, tiers) in doc["dimensions"].as_object().into_iter().flatten() {
        let label = r.program.dimensions.iter().find(|d| &d.name == name).and_then(|d| d.label.clone());
        let heading = label.map_or(name.clone(), |l| format!("{name} · {l}"));
        let _ =
            write!(s, "<section class=\"dimension\" data-dimension=\"{}\"><h2>{}</h2>", escape(name), escape(&heading));
        let rows: Vec<&serde_json::Value> = tiers
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| !(t["tier"].is_null() && t["count"].as_u64() == Some(0)))
            .collect();
        let tier_name = |t: &serde_json::Value| t["tier"].as_str().unwrap_or("(no tier)").to_string();
        let count_bars: Vec<(String, f64, String)> = rows
            .iter()
            .map(|t| {
                let c = t["count"].as_u64().unwrap_or(0);
                (tier_name(t), c as f64, format!("{c} ({})", percent(json_decimal(&t["share"]))))
            })
            .collect();
        s.push_str("<h3>Customers per tier</h3>");
        s.push_str(&svg::bars("customers per tier", &count_bars, "#2563eb"));
        if let Some(m) = &money {
            let money_bars: Vec<(String, f64, String)> = rows
                .iter()
                .map(|t| {
                    let v = json_decimal(&t["money"]).unwrap_or_default();
                    (tier_name(t), f64_of(v), format!("{} ({})", grouped(v), percent(json_decimal(&t["money_share"]))))
                })
                .collect();
            let _ = write!(s, "<h3>{} per tier</h3>", escape(m));
            s.push_str(&svg::bars(&format!("{m} per tier"), &money_bars, "#059669"));
        }
        let _ = write!(
            s,
            "<table class=\"tiers\"><tr><th>tier</th><th>customers</th><th>share</th><th>{}</th><th>share</th></tr>",
            escape(money.as_deref().unwrap_or("money"))
        );
        for t in rows {
            let v = json_decimal(&t["money"]).unwrap_or_default();
            let _ = write!(
                s,
                "<tr data-tier=\"{}\" data-count=\"{}\" data-money=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&tier_name(t)),
                t["count"],
                v.normalize(),
                escape(&tier_name(t)),
                t["count"],
                percent(json_decimal(&t["share"])),
                grouped(v),
                percent(json_decimal(&t["money_share"]))
            );
        }
        s.push_str("</table></section>");
    }
}

/// The Pareto curve of the first money field.
fn pareto(s: &mut String, doc: &serde_json::Value) {
    let (Some(money), Some(points)) = (doc["money_field"].as_str(), doc["pareto"].as_array()) else { return };
    let points: Vec<(u32, f64)> = points
        .iter()
        .filter_map(|p| Some((p["top_percent"].as_u64()? as u32, f64_of(json_decimal(&p["share"])?))))
        .collect();
    let top20 = points.iter().find(|(p, _)| *p == 20).map_or(String::new(), |(_, v)| format!("{v}"));
    let _ = write!(
        s,
        "<section id=\"pareto\" data-top20=\"{top20}\"><h2>Pareto: {} by customer</h2>{}</section>",
        escape(money),
        svg::pareto(money, &points)
    );
}

/// Per dimension, previous tier × tier now as a heatmap, and the movements.
fn migration(s: &mut String, ot: &OverTime) {
    s.push_str("<section id=\"migration\"><h2>Migration since the previous run</h2>");
    for (m, counts) in ot.matrices.iter().zip(&ot.movements) {
        let max = m.counts.iter().flatten().copied().max().unwrap_or(0).max(1);
        let _ = write!(
            s,
            "<h3>{}: previous → now</h3><table class=\"heat\" data-dimension=\"{}\"><tr><th>previous \\ now</th>",
            escape(&m.dimension),
            escape(&m.dimension)
        );
        for t in &m.new_tiers {
            let _ = write!(s, "<th>{}</th>", escape(t));
        }
        s.push_str("</tr>");
        for (old, row) in m.old_tiers.iter().zip(&m.counts) {
            let _ = write!(s, "<tr><th>{}</th>", escape(old));
            for (new, c) in m.new_tiers.iter().zip(row) {
                let alpha = 0.08 + 0.8 * (*c as f64) / (max as f64);
                let color = if alpha > 0.5 { "#fff" } else { "#111827" };
                let _ = write!(
                    s,
                    "<td class=\"cell\" data-from=\"{}\" data-to=\"{}\" data-count=\"{c}\" style=\"background: rgba(37,99,235,{alpha:.2}); color: {color}\">{c}</td>",
                    escape(old),
                    escape(new)
                );
            }
            s.push_str("</tr>");
        }
        s.push_str("</table><table class=\"movements\"><tr>");
        let kinds: Vec<(&str, u64)> =
            Movement::ALL.iter().zip(counts).filter(|(_, n)| **n > 0).map(|(k, n)| (k.name(), *n)).collect();
        for (k, _) in &kinds {
            let _ = write!(s, "<th>{k}</th>");
        }
        s.push_str("</tr><tr>");
        for (k, n) in &kinds {
            let _ = write!(s, "<td data-movement=\"{k}\" data-count=\"{n}\">{n}</td>");
        }
        s.push_str("</tr></table>");
    }
    s.push_str("</section>");
}

/// Per budget, the amount each tier got.
fn budgets(s: &mut String, r: &Report) {
    for (b, (a, _)) in r.program.budgets.iter().zip(r.budgets) {
        let Some(dim) = r.program.dimensions.get(b.dimension) else { continue };
        let currency = b.currency.clone().unwrap_or_default();
        let rows: Vec<(String, f64, String)> = dim
            .tiers
            .iter()
            .zip(&a.per_tier)
            .map(|(t, v)| (t.name.clone(), f64_of(*v), format!("{currency} {}", grouped(*v))))
            .collect();
        let _ = write!(
            s,
            "<section class=\"budget\" data-budget=\"{}\" data-total=\"{}\"><h2>Budget {}: {currency} {} over {}</h2>{}<table>",
            escape(&b.name),
            a.total.normalize(),
            escape(&b.name),
            grouped(a.total),
            escape(&dim.name),
            svg::bars(&format!("budget {}", b.name), &rows, "#d97706")
        );
        for (t, v) in dim.tiers.iter().zip(&a.per_tier) {
            let _ = write!(
                s,
                "<tr data-tier=\"{}\" data-amount=\"{}\"><td>{}</td><td>{currency} {}</td></tr>",
                escape(&t.name),
                v.normalize(),
                escape(&t.name),
                grouped(*v)
            );
        }
        if !a.unallocated.is_zero() {
            let _ = write!(s, "<tr><td>unallocated</td><td>{currency} {}</td></tr>", grouped(a.unallocated));
        }
        s.push_str("</table></section>");
    }
}
