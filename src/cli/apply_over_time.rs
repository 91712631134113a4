//! `tier apply` with history (`--previous LAST_OUTPUT`) or budgets: every record
//! is decided first, then moved under the retention rules, then the budgets are
//! split over the final tiers, then everything is written. Customers of the
//! previous output missing from the data are written too, as `gone`.
//!
//! Output adds, per dimension with history, `DIM_previous`, `DIM_movement`
//! and the state the next run reads back (`DIM_entered`, `DIM_below`); per
//! budget, `budget.NAME`. The summary adds the migration matrix (previous × new,
//! customers and money), the count of each movement, and each budget per tier.

use super::apply::{io, Args, OnError, Output, Stop};
use std::fmt::Write as _;
use tierlang::compile::Program;
use tierlang::data::{DataError, Format, Reader, Rejected, Summary, Writer};
use tierlang::diff::Migration;
use tierlang::eval::{Decision, Evaluator, Value};
use tierlang::history::{self, Movement, State};
use tierlang::number::{Date, Decimal};

/// Whether a policy's runs go this way even without `--previous`: it has
/// budgets, or retention rules (whose state every run writes for the next).
pub(super) fn applies(program: &Program) -> bool {
    !program.budgets.is_empty() || program.dimensions.iter().any(|d| d.retention.is_some())
}

/// One record on its way out.
struct Out {
    key: String,
    decisions: Vec<Decision>,
    extra: Vec<serde_json::Value>,
    values: Vec<Value>,
}

pub(super) fn execute(
    args: &Args,
    program: &Program,
    input: Box<dyn std::io::Read>,
    input_format: Format,
    source: &str,
    format: Format,
    today: Date,
) -> Result<(Summary, String, serde_json::Value), Stop> {
    // With retention rules even the first run records history (everyone is new).
    let previous = match &args.previous {
        Some(p) => Some(tierlang::data::previous::read(&p.display().to_string(), program).map_err(Stop::Data)?),
        None if program.dimensions.iter().any(|d| d.retention.is_some()) => Some(Default::default()),
        None => None,
    };
    let reader = Reader::new(input, input_format, source, &program.fields, program.key).map_err(Stop::Data)?;
    let mut rejects = super::apply::open_rejects(args)?;
    let evaluator = Evaluator::with_tables(program, today);
    let mut summary = Summary::with_values(program);
    // The totals so far, to set aside a record they cannot hold before it is used.
    let mut totals = Summary::new(program);
    let mut rows: Vec<Out> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut matrices: Vec<Migration> = program
        .dimensions
        .iter()
        .map(|d| {
            let names: Vec<String> = d.tiers.iter().map(|t| t.name.clone()).collect();
            Migration::new(&d.name, names.clone(), names)
        })
        .collect();
    let mut movements = vec![[0u64; Movement::ALL.len()]; program.dimensions.len()];
    let money = program.fields.iter().position(|f| f.ty == tierlang::check::Ty::Money);
    for row in reader {
        summary.read += 1;
        let row = match row {
            Ok(r) => r,
            Err(Rejected { error, cells }) => {
                let skip = args.on_error == OnError::Skip && !super::apply::unreadable(&error);
                let Some(rejects) = rejects.as_mut().filter(|_| skip) else {
                    return Err(Stop::Data(error));
                };
                summary.rejected += 1;
                super::apply::write_reject(rejects, &error, &cells, source, None)?;
                continue;
            }
        };
        let mut frame = row.values.clone();
        let computed = match evaluator.evaluate(&mut frame) {
            Ok(d) => d,
            // Two tiers under `hit unique`: stops the run, or is set aside as any bad record.
            Err(e) => {
                let error = DataError::Malformed { at: row.at.clone(), message: e.to_string(), help: None };
                let Some(rejects) = rejects.as_mut().filter(|_| args.on_error == OnError::Skip) else {
                    return Err(Stop::Data(error));
                };
                summary.rejected += 1;
                let cells = super::apply::field_cells(program, &row.values, &row.key);
                super::apply::write_reject(rejects, &error, &cells, source, Some("tier::unique_overlap"))?;
                continue;
            }
        };
        // A money value the run's totals cannot hold is a bad value of its record.
        if let Err(slot) = totals.fits(&row.values) {
            let error = tierlang::data::out_of_range(program, slot, row.at.clone(), &row.values);
            let Some(rejects) = rejects.as_mut().filter(|_| args.on_error == OnError::Skip) else {
                return Err(Stop::Data(error));
            };
            summary.rejected += 1;
            let cells = super::apply::field_cells(program, &row.values, &row.key);
            super::apply::write_reject(rejects, &error, &cells, source, None)?;
            continue;
        }
        totals.add(&row.values, &computed);
        let mut decisions = computed.clone();
        let mut extra = Vec::new();
        if let Some(prev) = &previous {
            let before = prev.get(&row.key);
            for (d, dim) in program.dimensions.iter().enumerate() {
                let state = before.and_then(|s| s.get(d));
                let step = history::step(dim, state, computed[d].tier, today);
                decisions[d].tier = step.tier;
                let was = state.and_then(|s| s.tier.as_ref()).and_then(|t| dim.tiers.iter().position(|x| &x.name == t));
                matrices[d].add(if before.is_some() { was } else { None }, step.tier, money_of(money, &row.values));
                movements[d][Movement::ALL.iter().position(|m| *m == step.movement).unwrap_or(0)] += 1;
                extra.extend(history_cells(state, step.movement, &step.state));
            }
        }
        seen.insert(row.key.clone());
        rows.push(Out { key: row.key, decisions, extra, values: frame });
    }
    // Customers of the previous evaluation that are not in this one's data.
    let mut gone = Vec::new();
    if let Some(prev) = &previous {
        for (key, states) in prev.iter().filter(|(k, _)| !seen.contains(*k)) {
            let mut extra = Vec::new();
            for (d, dim) in program.dimensions.iter().enumerate() {
                let state = states.get(d);
                let was = state.and_then(|s| s.tier.as_ref()).and_then(|t| dim.tiers.iter().position(|x| &x.name == t));
                matrices[d].add(was, None, Decimal::ZERO);
                movements[d][Movement::ALL.iter().position(|m| *m == Movement::Gone).unwrap_or(0)] += 1;
                let carried = State { tier: None, entered: None, below: 0 };
                extra.extend(history_cells(state, Movement::Gone, &carried));
            }
            gone.push((key.clone(), extra));
        }
    }
    // Budgets over the final tiers.
    let allocations: Vec<tierlang::budget::Allocation> = program
        .budgets
        .iter()
        .map(|b| {
            let tiers: Vec<Option<usize>> = rows.iter().map(|r| r.decisions[b.dimension].tier).collect();
            tierlang::budget::allocate(b, &tiers)
        })
        .collect::<Result<_, _>>()
        .map_err(|message| {
            let at = tierlang::data::Location { source: source.into(), row: rows.len(), line: None };
            let help = Some("budgets are split in whole cents (at most 92,233,720,368,547,758.07)".to_string());
            Stop::Data(DataError::Malformed { at, message, help })
        })?;
    let mut columns = Vec::new();
    if previous.is_some() {
        for d in &program.dimensions {
            for c in ["previous", "movement", "entered", "below"] {
                columns.push(format!("{}_{c}", d.name));
            }
        }
    }
    columns.extend(program.budgets.iter().map(|b| format!("budget.{}", b.name)));
    let out = Output::create(&args.output)?;
    let mut writer = Writer::new(out, format, program, columns, args.tiers_only).map_err(io)?;
    for (i, r) in rows.iter().enumerate() {
        let mut extra = r.extra.clone();
        extra.extend(allocations.iter().map(|a| tierlang::check::decimal_json(a.per_record[i])));
        writer.write(&r.key, &r.decisions, &extra).map_err(io)?;
        summary.add(&r.values, &r.decisions);
    }
    let none: Vec<Decision> = program.dimensions.iter().map(|_| Decision { tier: None }).collect();
    for (key, mut extra) in gone {
        extra.extend(allocations.iter().map(|_| tierlang::check::decimal_json(Decimal::ZERO)));
        writer.write(&key, &none, &extra).map_err(io)?;
    }
    let rejects = rejects.map(|r| r.finish().map_err(io)).transpose()?;
    super::apply::commit(writer.finish().map_err(io)?, rejects)?;
    let tiers_of = |b: &tierlang::check::BudgetInfo| -> Vec<Option<usize>> {
        rows.iter().map(|r| r.decisions[b.dimension].tier).collect()
    };
    let members: Vec<Vec<Option<usize>>> = program.budgets.iter().map(tiers_of).collect();
    let (text, json) = report(program, previous.is_some().then_some((&matrices, &movements)), &allocations, &members);
    Ok((summary, text, json))
}

fn money_of(field: Option<usize>, values: &[Value]) -> Decimal {
    match field.and_then(|i| values.get(i)) {
        Some(Value::Num(d)) => *d,
        _ => Decimal::ZERO,
    }
}

/// `DIM_previous`, `DIM_movement`, `DIM_entered`, `DIM_below`.
fn history_cells(before: Option<&State>, movement: Movement, after: &State) -> [serde_json::Value; 4] {
    use serde_json::Value as J;
    let text = |s: Option<String>| s.map_or(J::Null, J::String);
    [
        text(before.and_then(|s| s.tier.clone())),
        J::String(movement.name().into()),
        text(after.entered.map(|d| d.to_string())),
        J::from(after.below),
    ]
}

/// The migration matrices, movement counts and budgets, as text and JSON.
fn report(
    program: &Program,
    history: Option<(&Vec<Migration>, &Vec<[u64; 7]>)>,
    allocations: &[tierlang::budget::Allocation],
    members: &[Vec<Option<usize>>],
) -> (String, serde_json::Value) {
    let mut text = String::new();
    let mut json = serde_json::Map::new();
    if let Some((matrices, movements)) = history {
        let mut dims = Vec::new();
        for (m, counts) in matrices.iter().zip(movements) {
            let _ = writeln!(text, "{}: previous \\ now (customers; share of money)", m.dimension);
            let width = m.new_tiers.iter().map(|t| t.chars().count()).max().unwrap_or(0).max(8) + 2;
            let _ = writeln!(
                text,
                "  {:<width$}{}",
                "",
                m.new_tiers.iter().map(|t| format!("{t:>width$}")).collect::<String>()
            );
            for ((name, row), money) in m.old_tiers.iter().zip(&m.counts).zip(&m.money) {
                let cells: String = row
                    .iter()
                    .zip(money)
                    .map(|(c, v)| {
                        let share = if m.money_total.is_zero() {
                            Decimal::ZERO
                        } else {
                            *v * Decimal::from(100) / m.money_total
                        };
                        format!("{:>width$}", format!("{c} ({:.0}%)", share.round_dp(0)))
                    })
                    .collect();
                let _ = writeln!(text, "  {name:<width$}{cells}");
            }
            let kinds: Vec<String> = Movement::ALL
                .iter()
                .zip(counts)
                .filter(|(_, n)| **n > 0)
                .map(|(k, n)| format!("{} {n}", k.name()))
                .collect();
            let _ = writeln!(text, "  movements: {}\n", kinds.join(", "));
            let by_kind: serde_json::Map<String, serde_json::Value> =
                Movement::ALL.iter().zip(counts).map(|(k, n)| (k.name().to_string(), (*n).into())).collect();
            let money: Vec<Vec<serde_json::Value>> =
                m.money.iter().map(|r| r.iter().map(|v| tierlang::check::decimal_json(*v)).collect()).collect();
            dims.push(serde_json::json!({
                "dimension": m.dimension,
                "previous": m.old_tiers,
                "now": m.new_tiers,
                "counts": m.counts,
                "money": money,
                "movements": by_kind,
            }));
        }
        json.insert("history".into(), dims.into());
    }
    let mut budgets = Vec::new();
    for ((b, a), tiers_of) in program.budgets.iter().zip(allocations).zip(members) {
        let dim = &program.dimensions[b.dimension];
        let currency = b.currency.clone().unwrap_or_default();
        let _ = writeln!(text, "budget {}: {currency}{} over `{}`", b.name, a.total, dim.name);
        let mut tiers = Vec::new();
        for (t, amount) in a.per_tier.iter().enumerate().take(dim.tiers.len()) {
            // Per customer: one amount, or the lowest and highest when odd cents differ.
            let each: Vec<Decimal> =
                (0..tiers_of.len()).filter(|&i| tiers_of[i] == Some(t)).map(|i| a.per_record[i]).collect();
            let (lo, hi) = (each.iter().min().copied(), each.iter().max().copied());
            let per = match (lo, hi) {
                (Some(l), Some(h)) if l == h => format!(" ({} customers, {currency}{l} each)", each.len()),
                (Some(l), Some(h)) => format!(" ({} customers, {currency}{l} to {currency}{h} each)", each.len()),
                _ => " (no customers)".to_string(),
            };
            let _ = writeln!(text, "  {:<16} {currency}{amount}{per}", dim.tiers[t].name);
            tiers.push(serde_json::json!({
                "tier": dim.tiers[t].name,
                "amount": tierlang::check::decimal_json(*amount),
                "customers": each.len(),
                "per_customer_min": lo.map(tierlang::check::decimal_json),
                "per_customer_max": hi.map(tierlang::check::decimal_json),
            }));
        }
        if !a.unallocated.is_zero() {
            let _ = writeln!(
                text,
                "  {:<16} {currency}{} (tiers with a share but no customers)",
                "unallocated", a.unallocated
            );
        }
        let _ = writeln!(text);
        budgets.push(serde_json::json!({
            "budget": b.name,
            "total": tierlang::check::decimal_json(a.total),
            "tiers": tiers,
            "unallocated": tierlang::check::decimal_json(a.unallocated),
        }));
    }
    if !budgets.is_empty() {
        json.insert("budgets".into(), budgets.into());
    }
    (text, serde_json::Value::Object(json))
}
