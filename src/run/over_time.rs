//! The history stage: each record's tiers moved under the retention rules
//! against the state the previous run carried forward, the migration matrix
//! (previous × now, customers and money) and the count of each movement.

use super::Record;
use crate::compile::Program;
use crate::data::previous::Previous;
use crate::diff::Migration;
use crate::eval::{Decision, Value};
use crate::history::{self, Movement, State};
use crate::number::{Date, Decimal};

/// The retention rules at work over one run.
#[derive(Debug)]
pub struct OverTime {
    today: Date,
    previous: Previous,
    /// Per previous customer, whether this run has it (by index in `previous`).
    seen: Vec<bool>,
    /// Per dimension: previous tier × tier now.
    pub matrices: Vec<Migration>,
    /// Per dimension: how many records made each [`Movement`].
    pub movements: Vec<[u64; 7]>,
    money: Option<usize>,
}

/// The place of a movement in [`Movement::ALL`] (and in `movements`).
pub fn movement_index(m: Movement) -> usize {
    Movement::ALL.iter().position(|x| *x == m).unwrap_or(0)
}

impl OverTime {
    /// History against `previous` (a previous output read back); `None` for
    /// the first run of a policy with retention rules: everyone is new.
    pub fn new(program: &Program, previous: Option<Previous>, today: Date) -> Self {
        let matrices = program
            .dimensions
            .iter()
            .map(|d| {
                let names: Vec<String> = d.tiers.iter().map(|t| t.name.clone()).collect();
                Migration::new(&d.name, names.clone(), names)
            })
            .collect();
        let previous = previous.unwrap_or_default();
        OverTime {
            today,
            seen: vec![false; previous.len()],
            previous,
            matrices,
            movements: vec![[0; Movement::ALL.len()]; program.dimensions.len()],
            money: program.fields.iter().position(|f| f.ty == crate::check::Ty::Money),
        }
    }

    /// The output columns: per dimension the previous tier, the movement and
    /// the state the next run reads back.
    pub fn columns(program: &Program) -> Vec<String> {
        let names = ["previous", "movement", "entered", "below"];
        program.dimensions.iter().flat_map(|d| names.map(|c| format!("{}_{c}", d.name))).collect()
    }

    /// Moves one record's `decisions` (its criteria's tiers) under the rules;
    /// returns its history cells.
    pub fn step(&mut self, program: &Program, record: &Record, decisions: &mut [Decision]) -> Vec<serde_json::Value> {
        let found = self.previous.get_full(&record.key);
        if let Some((i, _, _)) = found {
            self.seen[i] = true;
        }
        let before = found.map(|(_, _, s)| s);
        let money = money_of(self.money, &record.values);
        let mut cells = Vec::with_capacity(4 * program.dimensions.len());
        for (d, dim) in program.dimensions.iter().enumerate() {
            let state = before.and_then(|s| s.get(d));
            let step = history::step(dim, state, decisions[d].tier, self.today);
            decisions[d].tier = step.tier;
            let was = state.and_then(|s| s.tier.as_ref()).and_then(|t| dim.tiers.iter().position(|x| &x.name == t));
            self.matrices[d].add(if before.is_some() { was } else { None }, step.tier, money);
            self.movements[d][movement_index(step.movement)] += 1;
            cells.extend(cells_of(state, step.movement, &step.state));
        }
        cells
    }

    /// The customers of the previous run not in this one, with their history
    /// cells (`gone`).
    pub fn gone(&mut self, program: &Program) -> Vec<(String, Vec<serde_json::Value>)> {
        let mut out = Vec::new();
        let gone = self.previous.iter().zip(&self.seen).filter(|(_, seen)| !**seen);
        for ((key, states), _) in gone {
            let mut cells = Vec::new();
            for (d, dim) in program.dimensions.iter().enumerate() {
                let state = states.get(d);
                let was = state.and_then(|s| s.tier.as_ref()).and_then(|t| dim.tiers.iter().position(|x| &x.name == t));
                self.matrices[d].add(was, None, Decimal::ZERO);
                self.movements[d][movement_index(Movement::Gone)] += 1;
                let carried = State { tier: None, entered: None, below: 0 };
                cells.extend(cells_of(state, Movement::Gone, &carried));
            }
            out.push((key.clone(), cells));
        }
        out
    }

    /// How many customers of the previous run are gone (after [`OverTime::gone`]).
    pub fn gone_count(&self) -> u64 {
        self.movements.first().map_or(0, |m| m[movement_index(Movement::Gone)])
    }
}

fn money_of(field: Option<usize>, values: &[Value]) -> Decimal {
    match field.and_then(|i| values.get(i)) {
        Some(Value::Num(d)) => *d,
        _ => Decimal::ZERO,
    }
}

/// `DIM_previous`, `DIM_movement`, `DIM_entered`, `DIM_below`.
fn cells_of(before: Option<&State>, movement: Movement, after: &State) -> [serde_json::Value; 4] {
    use serde_json::Value as J;
    let text = |s: Option<String>| s.map_or(J::Null, J::String);
    [
        text(before.and_then(|s| s.tier.clone())),
        J::String(movement.name().into()),
        text(after.entered.map(|d| d.to_string())),
        J::from(after.below),
    ]
}
