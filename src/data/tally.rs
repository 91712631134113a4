//! The parallel path's per-chunk summary: records and money per tier, with the
//! money summed as 128-bit mantissas per decimal scale. An integer add per
//! record and dimension, where a decimal add (aligning scales every time) costs
//! several times more; the chunk's totals are folded into decimals once.

use super::summary::{magnitude_parts, Summary};
use crate::eval::Decision;
use crate::number::Decimal;

/// Decimal scales: 0..=28.
const SCALES: usize = 29;

pub(super) struct Tally {
    /// Per dimension, per tier (and "no tier"): the records, and the money per scale.
    tiers: Vec<Vec<(u64, [i128; SCALES])>>,
    /// The sum of the magnitudes of the money values ([`Summary::fits`]).
    magnitude: u128,
    records: u64,
    /// A sum left the 128-bit range: only possible far beyond the totals'
    /// range, so the run's totals are out of range.
    overflow: bool,
}

impl Tally {
    pub(super) fn new(summary: &Summary) -> Self {
        let tiers = summary.tiers.iter().map(|t| vec![(0, [0; SCALES]); t.len()]).collect();
        Tally { tiers, magnitude: 0, records: 0, overflow: false }
    }

    /// One record's decisions and first money value (as [`Summary::add_money`]),
    /// as its mantissa and scale (`None`: not a number).
    pub(super) fn add(&mut self, money: Option<(i128, u32)>, decisions: &[Decision]) {
        self.records += 1;
        let (m, scale) = money.unwrap_or_default();
        if money.is_some() {
            self.magnitude = self.magnitude.saturating_add(magnitude_parts(m, scale));
        }
        let scale = scale as usize;
        for (counts, d) in self.tiers.iter_mut().zip(decisions) {
            let i = d.tier.unwrap_or(counts.len() - 1);
            if let Some((n, sums)) = counts.get_mut(i) {
                *n += 1;
                match sums.get_mut(scale).and_then(|s| s.checked_add(m)) {
                    Some(sum) => sums[scale] = sum,
                    None => self.overflow = true,
                }
            }
        }
    }

    /// Adds the chunk's records and totals to `summary` (the chunk's own).
    pub(super) fn finish(self, summary: &mut Summary) {
        summary.written += self.records;
        if let Some(m) = summary.magnitudes.first_mut() {
            *m = if self.overflow { u128::MAX } else { m.saturating_add(self.magnitude) };
        }
        for (mine, counts) in summary.tiers.iter_mut().zip(self.tiers) {
            for ((n, total), (count, sums)) in mine.iter_mut().zip(counts) {
                *n += count;
                for (scale, sum) in sums.into_iter().enumerate().filter(|&(_, s)| s != 0) {
                    let part = Decimal::try_from_i128_with_scale(sum, scale as u32).ok();
                    // Out of range only where the magnitudes are too (the run falls back).
                    *total = part.and_then(|p| total.checked_add(p)).unwrap_or(*total);
                }
            }
        }
    }
}
