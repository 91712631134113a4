//! Metrics: per-customer aggregates streamed over an event log, then the
//! population functions over all customers of the run, then the metric values.
//!
//! Memory is one accumulator per customer and aggregate (plus the distinct
//! values a `count(distinct ..)` has seen for that customer); events are not kept.
//! Population functions are exact: each sorts the column of its argument once.

mod acc;
mod distinct;
mod population;

pub use population::{compute, PopResult};

use crate::compile::{MetricsProgram, Program};
use crate::eval::{order, Evaluator, Value};
use crate::number::{Date, Period};
use acc::{combine, empty, result, update, Acc};
use std::cmp::Ordering;
// Customer keys and distinct values are hashed once per event: foldhash, seeded
// per process like std's, is several times faster than SipHash on short keys.
use foldhash::HashMap;

/// What became of the events read.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct EventCounts {
    pub read: u64,
    /// Aggregated into a customer's metrics.
    pub used: u64,
    /// Left out by the events' `where`.
    pub filtered: u64,
    /// No customer id: cannot be attributed to anyone.
    pub no_customer: u64,
    /// At or after the start of the as-of date: not yet known on that day.
    pub after_as_of: u64,
    /// Could not be read (bad values); listed in the reject report.
    pub rejected: u64,
}

impl EventCounts {
    /// Whether every event read is accounted for exactly once.
    pub fn balanced(&self) -> bool {
        self.read == self.used + self.filtered + self.no_customer + self.after_as_of + self.rejected
    }
}

/// One customer's record: its key as written and its metric frame.
#[derive(Debug, Clone)]
pub struct Customer {
    pub key: String,
    pub frame: Vec<Value>,
    /// The customers file's cells `tier apply --keep` copies to the output.
    pub kept: Vec<String>,
}

/// Streams events into per-customer accumulators.
pub struct Aggregation<'p> {
    program: &'p MetricsProgram,
    evaluator: Evaluator<'p>,
    index: HashMap<Value, u32>,
    /// The last event's customer: the lines of an invoice come together, so
    /// most events find their customer here without hashing the key.
    last: Option<(Value, u32)>,
    /// Key value and key text, by customer index.
    keys: Vec<(Value, String)>,
    accs: Vec<Acc>,
    /// The values each `count(distinct ..)` accumulator has seen.
    distinct: distinct::Distinct,
    /// Per aggregate: the first instant (seconds) its window admits.
    window_start: Vec<Option<i64>>,
    /// The start of the as-of day, in seconds: later events are not counted.
    end: i64,
    pub counts: EventCounts,
}

/// What [`Aggregation::add`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Used,
    Filtered,
    NoCustomer,
    AfterAsOf,
}

impl<'p> Aggregation<'p> {
    pub fn new(program: &'p Program, today: Date) -> Option<Self> {
        let mp = program.metrics.as_ref()?;
        let end = i64::from(today.0) * 86_400;
        let window_start = mp.aggregates.iter().map(|a| a.window.map(|w| window_start(today, w))).collect();
        Some(Aggregation {
            program: mp,
            evaluator: Evaluator::new(program, today),
            index: HashMap::default(),
            last: None,
            keys: Vec::new(),
            accs: Vec::new(),
            distinct: distinct::Distinct::default(),
            window_start,
            end,
            counts: EventCounts::default(),
        })
    }

    /// Adds one decoded event (`frame`: the event fields by slot). The caller
    /// counts `read` and `rejected`.
    pub fn add(&mut self, frame: &mut Vec<Value>) -> Outcome {
        let Some(ev) = &self.program.events else { return Outcome::Filtered };
        frame.resize(ev.frame_size, Value::Missing);
        let time = ev.time.map(|t| instant(&frame[t]));
        if time.flatten().is_some_and(|t| t >= self.end) {
            self.counts.after_as_of += 1;
            return Outcome::AfterAsOf;
        }
        for (slot, node) in &ev.lets {
            let v = self.evaluator.value(node, frame);
            frame[*slot] = v;
        }
        if !ev.filters.iter().all(|f| self.evaluator.truth(f, frame)) {
            self.counts.filtered += 1;
            return Outcome::Filtered;
        }
        let key = &frame[ev.key];
        if matches!(key, Value::Missing) {
            self.counts.no_customer += 1;
            return Outcome::NoCustomer;
        }
        let n = self.program.aggregates.len();
        let customer = match &self.last {
            Some((last, i)) if same(last, key) => *i as usize,
            _ => {
                let i = match self.index.get(key) {
                    Some(&i) => i as usize,
                    None => {
                        let i = self.keys.len();
                        self.index.insert(key.clone(), i as u32);
                        self.keys.push((key.clone(), key_text(key)));
                        self.accs.extend(self.program.aggregates.iter().map(empty));
                        i
                    }
                };
                self.last = Some((key.clone(), i as u32));
                i
            }
        };
        let time = time.flatten();
        for (j, agg) in self.program.aggregates.iter().enumerate() {
            if let Some(start) = self.window_start[j] {
                if time.is_none_or(|t| t < start) {
                    continue;
                }
            }
            // A field itself (`distinct invoice`, `max(at)`) is read in place:
            // a text is copied only where the accumulator keeps it.
            let v = match &agg.arg {
                Some(a) => self.evaluator.value_ref(a, frame),
                None => std::borrow::Cow::Owned(Value::Missing),
            };
            let at = customer * n + j;
            update(&mut self.accs[at], agg.kind, &v, (&mut self.distinct, at));
        }
        self.counts.used += 1;
        Outcome::Used
    }

    /// Adds the events another aggregation (of other events of the same run)
    /// has seen: the result is as if this one had seen them all.
    pub fn merge(&mut self, other: Aggregation) {
        let c = &other.counts;
        self.counts.read += c.read;
        self.counts.used += c.used;
        self.counts.filtered += c.filtered;
        self.counts.no_customer += c.no_customer;
        self.counts.after_as_of += c.after_as_of;
        self.counts.rejected += c.rejected;
        let n = self.program.aggregates.len();
        let mut accs = other.accs.into_iter();
        // Their customers' indices here, for their distinct values' owners.
        let mut mine_of = Vec::with_capacity(other.keys.len());
        for (key, text) in other.keys {
            let mine = match self.index.get(&key) {
                Some(&i) => i as usize,
                None => {
                    let i = self.keys.len();
                    self.index.insert(key.clone(), i as u32);
                    self.keys.push((key, text));
                    self.accs.extend(self.program.aggregates.iter().map(empty));
                    i
                }
            };
            mine_of.push(mine);
            for (j, acc) in accs.by_ref().take(n).enumerate() {
                combine(&mut self.accs[mine * n + j], acc, self.program.aggregates[j].kind);
            }
        }
        // Distinct values: counted here where new to the customer.
        let accs = &mut self.accs;
        let owner = |o: usize| mine_of.get(o / n.max(1)).map_or(o, |m| m * n + o % n);
        self.distinct.merge(&other.distinct, owner, |at| {
            if let Some(Acc::Distinct { count, .. }) = accs.get_mut(at) {
                *count += 1;
            }
        });
    }

    /// The customers in ascending key order (numbers by value), each frame
    /// holding the key field and the aggregates' values.
    pub fn customers(self, program: &Program) -> Vec<Customer> {
        let n = self.program.aggregates.len();
        let mut order_: Vec<usize> = (0..self.keys.len()).collect();
        // Whole-number keys (the usual ids) sorted as integers; keys are
        // distinct customers, so no two compare equal.
        let whole = |k: &Value| match k {
            Value::Num(d) => {
                Some(d.normalize()).filter(|d| d.scale() == 0).and_then(|d| i64::try_from(d.mantissa()).ok())
            }
            _ => None,
        };
        match self.keys.iter().map(|(k, _)| whole(k)).collect::<Option<Vec<i64>>>() {
            Some(ints) => order_.sort_unstable_by_key(|&a| ints[a]),
            None => order_.sort_by(|&a, &b| key_order(&self.keys[a].0, &self.keys[b].0)),
        }
        let mut accs: Vec<Option<Acc>> = self.accs.into_iter().map(Some).collect();
        order_
            .into_iter()
            .map(|i| {
                let mut frame = vec![Value::Missing; self.program.frame_size];
                frame[program.key] = self.keys[i].0.clone();
                for (j, agg) in self.program.aggregates.iter().enumerate() {
                    let acc = accs[i * n + j].take().unwrap_or_else(|| empty(agg));
                    frame[self.program.aggs_at + j] = result(acc, agg);
                }
                Customer { key: self.keys[i].1.clone(), frame, kept: Vec::new() }
            })
            .collect()
    }
}

/// The aggregates of a customer with no events (from a customers file).
pub fn no_events(mp: &MetricsProgram, frame: &mut [Value]) {
    for (j, agg) in mp.aggregates.iter().enumerate() {
        frame[mp.aggs_at + j] = result(empty(agg), agg);
    }
}

/// `12345.0` and `12345` name the same customer, written `12345`.
pub fn key_text(key: &Value) -> String {
    match key {
        Value::Num(d) => d.normalize().to_string(),
        Value::Text(s) => s.clone(),
        Value::Date(d) => d.to_string(),
        Value::DateTime(s) => crate::number::format_datetime(*s),
        Value::Bool(b) => b.to_string(),
        Value::Enum(i) => i.to_string(),
        Value::Missing => String::new(),
    }
}

/// Whether two keys are the same customer, cheaply: a number compared by its
/// representation (`1.0` and `1` differ here; the caller then looks the key up,
/// where they are one customer).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => x.serialize() == y.serialize(),
        _ => a == b,
    }
}

fn key_order(a: &Value, b: &Value) -> Ordering {
    order(a, b).unwrap_or(Ordering::Equal)
}

fn instant(v: &Value) -> Option<i64> {
    match v {
        Value::DateTime(s) => Some(*s),
        Value::Date(d) => Some(i64::from(d.0) * 86_400),
        _ => None,
    }
}

/// `within last N PERIOD` of the as-of date: months, quarters and years count
/// calendar months back (as `months_since` does), days and weeks count days.
fn window_start(today: Date, (n, period): (u32, Period)) -> i64 {
    today.shift(-i64::from(n), period).map_or(i64::MIN, |d| i64::from(d.0) * 86_400)
}

/// Customers scored: those in the population with every metric computed, and
/// those outside it with the reason.
#[derive(Debug, Default)]
pub struct Scored {
    pub kept: Vec<Customer>,
    pub excluded: Vec<(Customer, String)>,
    /// Per population function call: what it computed (cut points for
    /// `quantile_score`), for explanations.
    pub results: Vec<Option<PopResult>>,
}

/// Computes the metrics of `customers` (frames holding the schema fields and
/// the aggregates): plain metrics, the population filter, then the population
/// functions over the customers kept.
pub fn score(program: &Program, evaluator: &Evaluator, mut customers: Vec<Customer>) -> Scored {
    let Some(mp) = program.metrics.as_ref() else {
        return Scored { kept: customers, ..Default::default() };
    };
    // A metric already set (a test's given value) is kept.
    for m in mp.metrics.iter().filter(|m| !m.population) {
        for c in customers.iter_mut().filter(|c| c.frame[m.slot] == Value::Missing) {
            let v = evaluator.value(&m.expr, &c.frame);
            c.frame[m.slot] = v;
        }
    }
    let mut excluded = Vec::new();
    let mut kept = Vec::with_capacity(customers.len());
    for c in customers {
        if mp.filter.as_ref().is_some_and(|f| !evaluator.truth(f, &c.frame)) {
            excluded.push((c, "outside the population: the `population where` condition is false".to_string()));
            continue;
        }
        // A score needs its input: such customers are reported, not scored.
        let missing =
            mp.populations.iter().position(|p| !p.nested && evaluator.value(&p.arg, &c.frame) == Value::Missing);
        if let Some(i) = missing {
            let name = mp.metrics.iter().find(|m| m.pops.contains(&i)).map_or("a score", |m| m.name.as_str());
            excluded.push((c, format!("outside the population: `{name}` cannot be computed (its input is missing)")));
            continue;
        }
        kept.push(c);
    }
    let mut results = vec![None; mp.populations.len()];
    for m in mp.metrics.iter().filter(|m| m.population) {
        for &i in &m.pops {
            if results[i].is_some() {
                continue;
            }
            let p = &mp.populations[i];
            let column: Vec<Value> = kept.iter().map(|c| evaluator.value(&p.arg, &c.frame)).collect();
            let (values, res) = compute(&p.kind, &column);
            for (c, v) in kept.iter_mut().zip(values) {
                c.frame[mp.pops_at + i] = v;
            }
            results[i] = Some(res);
        }
        for c in kept.iter_mut().filter(|c| c.frame[m.slot] == Value::Missing) {
            let v = evaluator.value(&m.expr, &c.frame);
            c.frame[m.slot] = v;
        }
    }
    Scored { kept, excluded, results }
}
