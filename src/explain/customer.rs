//! The customer an explanation is about: found in the data (every record read,
//! so a repeat or a bad record with that key is not missed), its metrics and
//! how the population functions scored it, and its movement under the
//! retention rules since the previous run.

use super::Explanation;
use crate::check::{decimal_json, Checked};
use crate::compile::Program;
use crate::data::{DataError, Rejected, Row};
use crate::eval::{Evaluator, Value};
use crate::history::State;
use crate::metrics::{Customer, Scored};
use crate::number::{Date, Decimal};
use crate::run::{field_json, value_json};

/// Why the customer could not be found.
#[derive(Debug)]
pub enum NotFound {
    /// A bad record (or a repeat) with that key: its error.
    Bad(DataError),
    /// No record with that key among `read`.
    Missing { read: usize },
}

/// The key and field values of the record keyed `id`.
pub fn find_record(
    program: &Program,
    records: impl Iterator<Item = Result<Row, Rejected>>,
    id: &str,
) -> Result<(String, Vec<Value>), NotFound> {
    let key_column = &program.fields[program.key].column;
    let (mut read, mut found) = (0, None);
    for row in records {
        read += 1;
        match row {
            Ok(row) if row.key == id => found = found.or(Some((row.key, row.values))),
            Ok(_) => {}
            Err(rejected) => {
                let key = match &rejected.error {
                    DataError::DuplicateKey { key, .. } => Some(key.as_str()),
                    _ => rejected.cells.iter().find(|(c, _)| c == key_column).map(|(_, v)| v.trim()),
                };
                if key == Some(id) {
                    return Err(NotFound::Bad(rejected.error));
                }
            }
        }
    }
    found.ok_or(NotFound::Missing { read })
}

/// A metric of the explained customer and how its population functions scored it.
#[derive(serde::Serialize)]
pub struct MetricLine {
    pub name: String,
    pub value: serde_json::Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scores: Vec<ScoreLine>,
}

#[derive(serde::Serialize)]
pub struct ScoreLine {
    /// The call as written, e.g. `quantile_score(recency, 5, reversed: true)`.
    pub call: String,
    pub input: serde_json::Value,
    pub value: serde_json::Value,
    /// Customers ranked.
    pub population: usize,
    /// `quantile_score`: the bucket edges, lowest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cut_points: Vec<serde_json::Value>,
    /// `quantile_score`: the bucket the input fell in, e.g. `(13.8, 33]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// `top`: the lowest value inside the top share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<serde_json::Value>,
}

/// The metrics of customer `c` (one of `scored`), each with the population
/// functions over it; `source` is the policy text (calls are quoted from it).
pub fn metric_lines(
    program: &Program,
    checked: &Checked,
    source: &str,
    evaluator: &Evaluator,
    scored: &Scored,
    c: &Customer,
) -> Vec<MetricLine> {
    let Some(mp) = program.metrics.as_ref() else { return Vec::new() };
    let text = |span: &std::ops::Range<usize>| source.get(span.clone()).unwrap_or("?").to_string();
    let num = |d: &Decimal| decimal_json(d.round_dp(6));
    let score = |i: usize| -> Option<ScoreLine> {
        let r = scored.results.get(i)?.as_ref()?;
        let input = evaluator.value(&mp.populations[i].arg, &c.frame);
        // Buckets are closed on the right; the first also on the left.
        let bucket = match &input {
            Value::Num(v) if r.edges.len() > 1 => {
                let b = (1..r.edges.len()).find(|&b| *v <= r.edges[b]).unwrap_or(r.edges.len() - 1);
                let open = if b == 1 { "[" } else { "(" };
                Some(format!("{open}{}, {}]", num(&r.edges[b - 1]), num(&r.edges[b])))
            }
            _ => None,
        };
        Some(ScoreLine {
            call: text(&checked.populations[i].span),
            input: value_json(&input),
            bucket,
            value: value_json(&c.frame[mp.pops_at + i]),
            population: r.n,
            cut_points: r.edges.iter().map(num).collect(),
            threshold: r.threshold.as_ref().map(num),
        })
    };
    mp.metrics
        .iter()
        .map(|m| MetricLine {
            name: m.name.clone(),
            value: field_json(&program.fields[m.slot], &c.frame[m.slot]),
            scores: m.pops.iter().filter_map(|&i| score(i)).collect(),
        })
        .collect()
}

/// The customer's movement in each dimension since the previous output.
#[derive(serde::Serialize)]
pub struct HistoryLine {
    pub dimension: String,
    pub previous: Option<String>,
    /// The tier after the retention rules (the explanation's is the criteria's).
    pub tier: Option<String>,
    pub movement: crate::history::Movement,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The retention rules applied to the explained tiers, from the customer's
/// states in the previous output (`None`: not there).
pub fn history_lines(program: &Program, states: Option<&Vec<State>>, e: &Explanation, today: Date) -> Vec<HistoryLine> {
    program
        .dimensions
        .iter()
        .zip(&e.dimensions)
        .enumerate()
        .map(|(d, (dim, x))| {
            let computed = dim.tiers.iter().position(|t| Some(&t.name) == x.tier.as_ref());
            let state = states.and_then(|s| s.get(d));
            let step = crate::history::step(dim, state, computed, today);
            HistoryLine {
                dimension: dim.name.clone(),
                previous: state.and_then(|s| s.tier.clone()),
                tier: step.tier.map(|t| dim.tiers[t].name.clone()),
                movement: step.movement,
                note: step.note,
            }
        })
        .collect()
}
