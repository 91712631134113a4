//! The report's charts as inline SVG, generated here: horizontal bars and the
//! Pareto curve are a few rectangles, lines and labels. No charting script
//! (nothing to load, run or break offline, and the numbers are in the page as
//! text) and no charting crate (plotters needs font files to measure labels;
//! the browser lays out CJK text itself).

use super::escape;
use std::fmt::Write;

/// Width of every chart, in CSS pixels (fits A4 portrait with margins).
const WIDTH: f64 = 640.0;
const ROW: f64 = 24.0;

/// Label column width for `labels`: CJK characters are two columns wide.
fn label_width(labels: impl Iterator<Item = usize>) -> f64 {
    (labels.max().unwrap_or(4) as f64 * 7.5 + 12.0).clamp(60.0, 220.0)
}

/// A horizontal bar per `(label, value, shown text)`, scaled to the largest.
pub fn bars(title: &str, rows: &[(String, f64, String)], color: &str) -> String {
    let left = label_width(rows.iter().map(|(l, _, _)| unicode_width::UnicodeWidthStr::width(l.as_str())));
    let right = 150.0;
    let height = ROW * rows.len() as f64 + 8.0;
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart bars" role="img" aria-label="{}" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">"#,
        escape(title)
    );
    for (i, (label, value, text)) in rows.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let w = if max > 0.0 { (WIDTH - left - right) * value / max } else { 0.0 };
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{left}" y="{}" width="{w:.1}" height="{}" fill="{color}"/><text x="{:.1}" y="{}" class="value">{}</text>"#,
            left - 6.0,
            y + 16.0,
            escape(label),
            y + 3.0,
            ROW - 6.0,
            left + w + 6.0,
            y + 16.0,
            escape(text)
        );
    }
    s.push_str("</svg>");
    s
}

/// The Pareto curve: share of the money held by the top x% of customers,
/// through `points` (percent of customers, share 0..1), the 20% point marked.
pub fn pareto(money: &str, points: &[(u32, f64)]) -> String {
    let (w, h, pad) = (WIDTH, 300.0, 44.0);
    let x = |p: f64| pad + (w - 2.0 * pad) * p / 100.0;
    let y = |share: f64| h - pad - (h - 2.0 * pad) * share;
    let mut curve: Vec<(f64, f64)> = vec![(0.0, 0.0)];
    curve.extend(points.iter().map(|(p, s)| (f64::from(*p), *s)));
    curve.push((100.0, 1.0));
    let path: Vec<String> = curve.iter().map(|(p, s)| format!("{:.1},{:.1}", x(*p), y(*s))).collect();
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart pareto" role="img" aria-label="Pareto curve of {}" viewBox="0 0 {w} {h}" width="{w}" height="{h}">"#,
        escape(money)
    );
    // Axes with ticks every 20%, and the line of equal shares.
    for t in [0.0, 20.0, 40.0, 60.0, 80.0, 100.0] {
        let _ = write!(
            s,
            r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" class="grid"/><text x="{:.1}" y="{:.1}" text-anchor="middle">{t}%</text><text x="{:.1}" y="{:.1}" text-anchor="end">{t}%</text>"#,
            x(t),
            y(0.0),
            x(t),
            y(1.0),
            x(t),
            h - pad + 16.0,
            pad - 6.0,
            y(t / 100.0) + 4.0
        );
    }
    let _ = write!(
        s,
        r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" class="equal"/><polyline points="{}" class="curve"/>"#,
        x(0.0),
        y(0.0),
        x(100.0),
        y(1.0),
        path.join(" ")
    );
    if let Some((_, share)) = points.iter().find(|(p, _)| *p == 20) {
        let _ = write!(
            s,
            r#"<line x1="{0:.1}" y1="{1:.1}" x2="{0:.1}" y2="{2:.1}" class="mark"/><circle cx="{0:.1}" cy="{2:.1}" r="5" class="mark"/><text x="{3:.1}" y="{4:.1}" class="mark-label">top 20% hold {5:.1}%</text>"#,
            x(20.0),
            y(0.0),
            y(*share),
            x(20.0) + 10.0,
            y(*share) + 18.0,
            share * 100.0
        );
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">share of customers (largest {} first)</text></svg>"#,
        w / 2.0,
        h - 6.0,
        escape(money)
    );
    s
}
