//! `tier table`: each dimension as a decision table, the view reviewers know
//! from DMN tools. Rows are tiers in order; columns are the things the criteria
//! constrain (a field, a let, or an expression such as `days_since(last)`); cells
//! are ranges written with the author's constants (`[30万, 100万]`, `> 100万`).
//! A criterion that is not a conjunction of one-subject comparisons goes, as
//! written, into the `other` column. `-` means "any value".

use crate::check::{Checked, TExpr, TKind};
use crate::syntax::CmpOp;
use indexmap::IndexMap;

pub struct Table {
    pub dimension: String,
    pub label: Option<String>,
    pub hit: &'static str,
    pub ordered: bool,
    pub columns: Vec<String>,
    /// `(tier, label, cells by column)`.
    pub rows: Vec<(String, String, Vec<String>)>,
}

/// Bounds and other constraints on one subject, gathered over a criterion.
#[derive(Default)]
struct Cell {
    lower: Option<(String, bool)>,
    upper: Option<(String, bool)>,
    other: Vec<String>,
}

impl Cell {
    fn render(&self) -> String {
        let mut parts = Vec::new();
        match (&self.lower, &self.upper) {
            (Some((lo, li)), Some((hi, hi_incl))) => {
                parts.push(format!("{}{lo}, {hi}{}", if *li { "[" } else { "(" }, if *hi_incl { "]" } else { ")" }))
            }
            (Some((lo, incl)), None) => parts.push(format!("{} {lo}", if *incl { "≥" } else { ">" })),
            (None, Some((hi, incl))) => parts.push(format!("{} {hi}", if *incl { "≤" } else { "<" })),
            (None, None) => {}
        }
        parts.extend(self.other.iter().cloned());
        parts.join(" and ")
    }
}

pub fn tables(checked: &Checked, source: &str) -> Vec<Table> {
    checked.dimensions.iter().map(|d| table(d, source)).collect()
}

fn table(d: &crate::check::DimensionInfo, source: &str) -> Table {
    let text = |t: &TExpr| source.get(t.span.clone()).unwrap_or("?").to_string();
    let mut columns: Vec<String> = Vec::new();
    let mut per_tier: Vec<IndexMap<String, Cell>> = Vec::new();
    for t in &d.tiers {
        let mut cells: IndexMap<String, Cell> = IndexMap::new();
        match &t.condition {
            None => cells.entry("other".into()).or_default().other.push("otherwise".into()),
            Some(c) => {
                for conjunct in conjuncts(c) {
                    if !constrain(conjunct, &text, &mut cells) {
                        cells.entry("other".into()).or_default().other.push(text(conjunct));
                    }
                }
            }
        }
        for k in cells.keys() {
            if !columns.contains(k) && k != "other" {
                columns.push(k.clone());
            }
        }
        per_tier.push(cells);
    }
    if per_tier.iter().any(|c| c.contains_key("other")) {
        columns.push("other".into());
    }
    let rows = d
        .tiers
        .iter()
        .zip(&per_tier)
        .map(|(t, cells)| {
            let row = columns.iter().map(|c| cells.get(c).map_or("-".into(), Cell::render)).collect();
            (t.name.clone(), t.label.clone().unwrap_or_default(), row)
        })
        .collect();
    let hit = if d.hit == crate::check::Hit::Unique { "unique" } else { "first" };
    Table { dimension: d.name.clone(), label: d.label.clone(), hit, ordered: d.ordered, columns, rows }
}

fn conjuncts(t: &TExpr) -> Vec<&TExpr> {
    match &t.kind {
        TKind::And(xs) => xs.iter().flat_map(conjuncts).collect(),
        _ => vec![t],
    }
}

fn is_const(t: &TExpr) -> bool {
    matches!(t.kind, TKind::Const(_) | TKind::Today)
        || matches!(&t.kind, TKind::Arith(_, a, b) if is_const(a) && is_const(b))
}

/// Adds one conjunct to the cell of its subject; false if it has no single subject.
fn constrain(t: &TExpr, text: &dyn Fn(&TExpr) -> String, cells: &mut IndexMap<String, Cell>) -> bool {
    match &t.kind {
        TKind::Compare(first, rest) => {
            let operands: Vec<&TExpr> = std::iter::once(&**first).chain(rest.iter().map(|(_, x)| x)).collect();
            let subjects: Vec<&&TExpr> = operands.iter().filter(|o| !is_const(o)).collect();
            let [subject] = subjects.as_slice() else {
                return false;
            };
            let cell = cells.entry(text(subject)).or_default();
            for (i, (op, _)) in rest.iter().enumerate() {
                let (l, r) = (operands[i], operands[i + 1]);
                let (op, bound) = if std::ptr::eq(l, **subject) {
                    (*op, r)
                } else if std::ptr::eq(r, **subject) {
                    (mirror(*op), l)
                } else {
                    continue;
                };
                let b = text(bound);
                match op {
                    CmpOp::Gt => cell.lower = Some((b, false)),
                    CmpOp::Ge => cell.lower = Some((b, true)),
                    CmpOp::Lt => cell.upper = Some((b, false)),
                    CmpOp::Le => cell.upper = Some((b, true)),
                    CmpOp::Eq => cell.other.push(format!("= {b}")),
                    CmpOp::Ne => cell.other.push(format!("≠ {b}")),
                }
            }
            true
        }
        TKind::Between { negated, value, low, high } if !is_const(value) && is_const(low) && is_const(high) => {
            let cell = cells.entry(text(value)).or_default();
            if *negated {
                cell.other.push(format!("not [{}, {}]", text(low), text(high)));
            } else {
                cell.lower = Some((text(low), true));
                cell.upper = Some((text(high), true));
            }
            true
        }
        TKind::In { negated, value, items } if !is_const(value) && items.iter().all(is_const) => {
            let list: Vec<String> = items.iter().map(text).collect();
            let prefix = if *negated { "not " } else { "" };
            cells.entry(text(value)).or_default().other.push(format!("{prefix}{{{}}}", list.join(", ")));
            true
        }
        TKind::Is { present, value } => {
            cells.entry(text(value)).or_default().other.push(if *present { "present" } else { "missing" }.into());
            true
        }
        _ => false,
    }
}

/// `c < x` is `x > c`.
fn mirror(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

impl Table {
    pub fn markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|");
        let label = self.label.as_ref().map_or(String::new(), |l| format!(" {l}"));
        let order = if self.ordered { "best first" } else { "unordered" };
        let mut out = format!("### {}{label} (hit {}, {order})\n\n", self.dimension, self.hit);
        let head: Vec<String> = ["#", "tier", "label"]
            .iter()
            .map(|s| s.to_string())
            .chain(self.columns.iter().map(|c| format!("`{}`", esc(c))))
            .collect();
        out.push_str(&format!("| {} |\n", head.join(" | ")));
        out.push_str(&format!("|{}\n", "---|".repeat(head.len())));
        for (i, (tier, label, cells)) in self.rows.iter().enumerate() {
            let cells: Vec<String> = cells.iter().map(|c| esc(c)).collect();
            out.push_str(&format!("| {} | {} | {} | {} |\n", i + 1, esc(tier), esc(label), cells.join(" | ")));
        }
        out
    }

    /// The value of `column` in each row (`-` where this table has no such column).
    fn column(&self, column: &str) -> Vec<String> {
        let i = self.columns.iter().position(|c| c == column);
        self.rows
            .iter()
            .map(|(_, _, cells)| i.and_then(|i| cells.get(i)).cloned().unwrap_or_else(|| "-".into()))
            .collect()
    }
}

/// All tables as CSV records: `dimension, order, tier, label`, then the union of
/// the tables' columns.
pub fn csv_records(tables: &[Table]) -> Vec<Vec<String>> {
    let mut columns: Vec<&String> = Vec::new();
    for c in tables.iter().flat_map(|t| &t.columns) {
        if !columns.contains(&c) {
            columns.push(c);
        }
    }
    let mut head = vec!["dimension".to_string(), "order".into(), "tier".into(), "label".into()];
    head.extend(columns.iter().map(|c| c.to_string()));
    let mut out = vec![head];
    for t in tables {
        let by_column: Vec<Vec<String>> = columns.iter().map(|c| t.column(c)).collect();
        for (i, (tier, label, _)) in t.rows.iter().enumerate() {
            let mut row = vec![t.dimension.clone(), (i + 1).to_string(), tier.clone(), label.clone()];
            row.extend(by_column.iter().map(|col| col[i].clone()));
            out.push(row);
        }
    }
    out
}
