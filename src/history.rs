//! Tiers over time: a record's tier this evaluation from the tier its criteria
//! give and the state the previous evaluation carried forward, under the
//! dimension's `retention` rules.
//!
//! Without rules a customer moves at once both ways. With them, in this order:
//! a better tier is taken at once (`promote immediately`); a worse one is held
//! while a `keep TIER for N PERIOD after promotion` applies, or until the
//! customer has been below the tier's criteria `demote after N evaluations
//! below` times in a row; a demotion then goes down at most `demote at most N
//! tiers per evaluation`. After a demotion the count starts again.

use crate::compile::DimProgram;
use crate::number::{Date, Period};

/// What the previous evaluation carried forward for one record and dimension.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct State {
    /// The tier it ended in (by name: the policy may have changed).
    pub tier: Option<String>,
    /// When it entered that tier (`None`: unknown, e.g. an output without history).
    pub entered: Option<Date>,
    /// Consecutive evaluations below that tier's criteria, held by the rules.
    pub below: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Movement {
    /// Not in the previous evaluation.
    New,
    Promoted,
    Demoted,
    Retained,
    /// Below its tier's criteria, kept there by a retention rule.
    Held,
    /// In the previous evaluation, not in this one's data.
    Gone,
    /// Another tier of an unordered dimension.
    Changed,
}

impl Movement {
    pub const ALL: [Movement; 7] = [
        Movement::New,
        Movement::Promoted,
        Movement::Demoted,
        Movement::Retained,
        Movement::Held,
        Movement::Gone,
        Movement::Changed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Movement::New => "new",
            Movement::Promoted => "promoted",
            Movement::Demoted => "demoted",
            Movement::Retained => "retained",
            Movement::Held => "held",
            Movement::Gone => "gone",
            Movement::Changed => "changed",
        }
    }
}

/// This evaluation's outcome for one record and dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The tier the record ends in (index into the dimension's tiers).
    pub tier: Option<usize>,
    pub movement: Movement,
    /// The state to carry forward.
    pub state: State,
    /// Why it was held, in words ("first evaluation below the criteria, 1 of 2").
    pub note: Option<String>,
}

/// The step for a record whose criteria give `computed` in `dim`, given what the
/// previous evaluation carried (`None`: the record is new).
pub fn step(dim: &DimProgram, previous: Option<&State>, computed: Option<usize>, today: Date) -> Step {
    let name = |t: Option<usize>| t.and_then(|i| dim.tiers.get(i)).map(|t| t.name.clone());
    let fresh = |movement| Step {
        tier: computed,
        movement,
        state: State { tier: name(computed), entered: Some(today), below: 0 },
        note: None,
    };
    let Some(prev) = previous else { return fresh(Movement::New) };
    // A tier the policy no longer has: the record starts afresh.
    let p = match &prev.tier {
        Some(t) => match dim.tiers.iter().position(|x| &x.name == t) {
            Some(i) => Some(i),
            None => return fresh(Movement::New),
        },
        None => None,
    };
    if p == computed {
        let state = State { tier: name(p), entered: prev.entered.or(Some(today)), below: 0 };
        return Step { tier: p, movement: Movement::Retained, state, note: None };
    }
    // "No tier" is below every tier.
    let rank = |t: Option<usize>| t.unwrap_or(dim.tiers.len());
    let ordered = dim.ordered;
    if rank(computed) < rank(p) || !ordered {
        return fresh(if ordered { Movement::Promoted } else { Movement::Changed });
    }
    let rules =
        dim.retention.clone().unwrap_or(crate::check::RetentionInfo { demote_after: 1, at_most: None, keep: vec![] });
    let below = prev.below + 1;
    let held = |note: String| Step {
        tier: p,
        movement: Movement::Held,
        state: State { tier: name(p), entered: prev.entered, below },
        note: Some(note),
    };
    let tier_name = name(p).unwrap_or_default();
    if let (Some(pi), Some(entered)) = (p, prev.entered) {
        for &(_, n, period) in rules.keep.iter().filter(|k| k.0 == pi) {
            let until = add(entered, n, period);
            if today < until {
                return held(format!(
                    "kept in {tier_name} until {until} ({n} {} after promotion)",
                    period_word(n, period)
                ));
            }
        }
    }
    if below < rules.demote_after {
        let nth = ordinal(below);
        return held(format!("{nth} evaluation below the criteria of {tier_name}, {below} of {}", rules.demote_after));
    }
    let target = match rules.at_most {
        Some(m) => rank(computed).min(rank(p) + m as usize),
        None => rank(computed),
    };
    let tier = (target < dim.tiers.len()).then_some(target);
    Step {
        tier,
        movement: Movement::Demoted,
        state: State { tier: name(tier), entered: Some(today), below: 0 },
        note: (tier != computed).then(|| {
            format!("one tier at a time: the criteria give {}", name(computed).unwrap_or_else(|| "no tier".into()))
        }),
    }
}

/// `date` plus `n` periods (months clamp to the month's last day).
pub fn add(date: Date, n: u32, period: Period) -> Date {
    date.shift(i64::from(n), period).unwrap_or(date)
}

fn period_word(n: u32, p: Period) -> String {
    if n == 1 {
        p.name().to_string()
    } else {
        p.plural()
    }
}

fn ordinal(n: u32) -> String {
    match n {
        1 => "first".into(),
        2 => "second".into(),
        3 => "third".into(),
        n => format!("{n}th"),
    }
}
