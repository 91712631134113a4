//! Both versions of a policy over the same customers: each customer decided by
//! each version, counted in the migration matrix of every dimension both have.

use super::{strategy_changes, Migration, StrategyChange};
use crate::check::{Checked, Ty};
use crate::compile::Program;
use crate::data::Rejected;
use crate::eval::{Evaluator, Value};
use crate::metrics::Scored;
use crate::number::{Date, Decimal};
use crate::run::Record;
use std::collections::{BTreeMap, BTreeSet};

/// What `tier diff` reports on data.
pub struct Report {
    pub migrations: Vec<Migration>,
    pub strategies: Vec<StrategyChange>,
    /// Notes for the dimensions only one version has.
    pub only_one: Vec<String>,
    /// Records one version could not read or decide, and the first few reasons.
    pub not_compared: u64,
    pub reasons: Vec<String>,
    pub money_field: Option<String>,
    /// Every customer that changes tier: key, dimension, old tier, new tier.
    pub changes: Vec<(String, String, String, String)>,
    /// Per migration: its dimension in the old and in the new version.
    pairs: Vec<(usize, usize)>,
}

/// One version: its checked policy and its program.
pub type Version<'a> = (&'a Checked, &'a Program);

/// The records of one input, read by each version with its own schema, in
/// pairs (the same record twice).
pub fn compare_records(
    (oc, op): Version,
    (nc, np): Version,
    pairs: impl Iterator<Item = (Result<Record, Rejected>, Result<Record, Rejected>)>,
    today: Date,
) -> Report {
    let mut report = Report::new((oc, op), (nc, np));
    let money_field = money_slot(np);
    let (oe, ne) = (Evaluator::new(op, today), Evaluator::new(np, today));
    for (o, n) in pairs {
        let (mut orow, mut nrow) = match (o, n) {
            (Ok(o), Ok(n)) => (o, n),
            (o, n) => {
                report.not_compared += 1;
                for e in [o.err(), n.err()].into_iter().flatten() {
                    let reason = e.error.to_string();
                    if report.reasons.len() < 5 && !report.reasons.contains(&reason) {
                        report.reasons.push(reason);
                    }
                }
                continue;
            }
        };
        let money = money_of(money_field.and_then(|i| nrow.values.get(i)));
        let (Ok(od), Ok(nd)) = (oe.evaluate(&mut orow.values), ne.evaluate(&mut nrow.values)) else {
            report.not_compared += 1;
            continue;
        };
        let tiers = |d: Vec<crate::eval::Decision>| d.into_iter().map(|d| d.tier).collect::<Vec<_>>();
        report.add(op, np, &nrow.key, Some(&tiers(od)), Some(&tiers(nd)), money);
    }
    report
}

/// Both versions' scored customers (each version computes its own metrics from
/// the same event log), compared by key. A customer one version does not tier
/// (outside its population, or without events it counts) is `(none)` there.
pub fn compare_scored((oc, op): Version, (nc, np): Version, old: Scored, new: Scored, today: Date) -> Report {
    let (old, new) = (tiers(op, old, today), tiers(np, new, today));
    let mut report = Report::new((oc, op), (nc, np));
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for key in keys {
        let (o, n) = (old.get(key), new.get(key));
        let money = n.or(o).map_or(Decimal::ZERO, |x| x.1);
        report.add(op, np, key, o.map(|x| x.0.as_slice()), n.map(|x| x.0.as_slice()), money);
    }
    report
}

/// Per customer key: the tier in each dimension, and the money field.
type Tiered = BTreeMap<String, (Vec<Option<usize>>, Decimal)>;

fn tiers(p: &Program, scored: Scored, today: Date) -> Tiered {
    let ev = Evaluator::new(p, today);
    let (n, money) = (p.fields.len(), money_slot(p));
    let mut out = BTreeMap::new();
    for c in scored.kept {
        let mut frame = c.frame[..n].to_vec();
        let m = money_of(money.and_then(|i| frame.get(i)));
        let Ok(d) = ev.evaluate(&mut frame) else { continue };
        out.insert(c.key, (d.into_iter().map(|d| d.tier).collect(), m));
    }
    out
}

fn money_slot(p: &Program) -> Option<usize> {
    p.fields.iter().position(|f| f.ty == Ty::Money)
}

fn money_of(v: Option<&Value>) -> Decimal {
    match v {
        Some(Value::Num(d)) => *d,
        _ => Decimal::ZERO,
    }
}

impl Report {
    fn new((oc, op): Version, (nc, np): Version) -> Self {
        let (pairs, migrations) = matrices(op, np);
        Report {
            pairs,
            migrations,
            strategies: strategy_changes(oc, nc),
            only_one: only_one(op, np),
            not_compared: 0,
            reasons: Vec::new(),
            money_field: money_slot(np).map(|i| np.fields[i].name.clone()),
            changes: Vec::new(),
        }
    }

    /// A customer's tiers under each version (`None`: not tiered by it).
    fn add(
        &mut self,
        op: &Program,
        np: &Program,
        key: &str,
        o: Option<&[Option<usize>]>,
        n: Option<&[Option<usize>]>,
        money: Decimal,
    ) {
        for (m, &(od, nd)) in self.migrations.iter_mut().zip(&self.pairs) {
            let (ot, nt) = (o.and_then(|x| x[od]), n.and_then(|x| x[nd]));
            if m.add(ot, nt, money) {
                let name = |p: &Program, d: usize, t: Option<usize>| {
                    t.map_or(String::new(), |t| p.dimensions[d].tiers[t].name.clone())
                };
                self.changes.push((key.to_string(), m.dimension.clone(), name(op, od, ot), name(np, nd, nt)));
            }
        }
    }
}

/// The dimensions both versions have (old index, new index), and an empty
/// migration matrix for each.
fn matrices(op: &Program, np: &Program) -> (Vec<(usize, usize)>, Vec<Migration>) {
    let pairs: Vec<(usize, usize)> = np
        .dimensions
        .iter()
        .enumerate()
        .filter_map(|(n, d)| op.dimensions.iter().position(|o| o.name == d.name).map(|o| (o, n)))
        .collect();
    let migrations = pairs
        .iter()
        .map(|&(o, n)| {
            let names = |p: &Program, i: usize| p.dimensions[i].tiers.iter().map(|t| t.name.clone()).collect();
            Migration::new(&np.dimensions[n].name, names(op, o), names(np, n))
        })
        .collect();
    (pairs, migrations)
}

/// Notes for the dimensions only one version has.
fn only_one(op: &Program, np: &Program) -> Vec<String> {
    let missing = |a: &Program, b: &Program, which: &str| -> Vec<String> {
        a.dimensions
            .iter()
            .filter(|d| !b.dimensions.iter().any(|o| o.name == d.name))
            .map(|d| format!("`{}` only in the {which} version", d.name))
            .collect()
    };
    missing(np, op, "new").into_iter().chain(missing(op, np, "old")).collect()
}
