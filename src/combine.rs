//! A record's strategy in one dimension: its tier's own (with `extends`), then
//! every `when DIM is TIER and ..` combination that holds for the record's tiers
//! and names this dimension first, in source order, `override`s last. The
//! checker has already refused two combinations that could disagree on a key.

use crate::check::strategy::merge;
use crate::check::StrategyValue;
use crate::compile::Program;
use crate::eval::Decision;
use indexmap::IndexMap;
use std::borrow::Cow;

/// The strategy of dimension `dim` for a record decided as `decisions`
/// (`None` when it has no tier and no combination applies).
pub fn strategy<'p>(
    program: &'p Program,
    decisions: &[Decision],
    dim: usize,
) -> Option<Cow<'p, IndexMap<String, StrategyValue>>> {
    let own = decisions.get(dim)?.tier.and_then(|t| program.dimensions[dim].tiers.get(t)).map(|t| &t.strategy);
    let mut out: Option<Cow<'p, IndexMap<String, StrategyValue>>> = own.map(Cow::Borrowed);
    for c in applying(program, decisions, dim) {
        merge(out.get_or_insert_with(Default::default).to_mut(), c.strategy.clone());
    }
    out
}

/// The combinations that hold for `decisions` and merge onto `dim`, in order.
pub fn applying<'p>(
    program: &'p Program,
    decisions: &'p [Decision],
    dim: usize,
) -> impl Iterator<Item = &'p crate::check::CombinationInfo> + 'p {
    program.combinations.iter().filter(move |c| {
        c.target == dim && c.conditions.iter().all(|&(d, t)| decisions.get(d).is_some_and(|x| x.tier == Some(t)))
    })
}

/// Every key a dimension's strategy can have: its tiers' and its combinations'.
pub fn keys(program: &Program, dim: usize) -> Vec<&IndexMap<String, StrategyValue>> {
    let tiers = program.dimensions[dim].tiers.iter().map(|t| &t.strategy);
    tiers.chain(program.combinations.iter().filter(|c| c.target == dim).map(|c| &c.strategy)).collect()
}
