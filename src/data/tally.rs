//! The parallel path's per-chunk summary: records and money per tier, with the
//! money summed as 128-bit mantissas per decimal scale. An integer add per
//! record and dimension, where a decimal add (aligning scales every time) costs
//! several times more; the chunk's totals are folded into decimals once.
//!
//! The magnitude of the money ([`Summary::fits`]) is bounded rather than
//! summed value by value: the absolute mantissas are summed per scale, and the
//! bound is their whole units rounded up plus one per record, at least the sum
//! of each value's rounded-up units. It only decides whether the run is handed
//! to the plain path, which then sums exactly; a bound too high by at most one
//! unit a record hands over only runs within that of the totals' range.

use super::summary::Summary;
use crate::number::Decimal;

/// Decimal scales: 0..=28.
const SCALES: usize = 29;

pub(super) struct Tally {
    /// Per dimension, per tier (and "no tier"): the records, and the money per scale.
    tiers: Vec<Vec<(u64, [i128; SCALES])>>,
    /// Per scale, the sum of the money values' absolute mantissas (saturating).
    absolute: [u128; SCALES],
    records: u64,
    /// A sum left the 128-bit range: only possible far beyond the totals'
    /// range, so the run's totals are out of range.
    overflow: bool,
}

impl Tally {
    pub(super) fn new(summary: &Summary) -> Self {
        let tiers = summary.tiers.iter().map(|t| vec![(0, [0; SCALES]); t.len()]).collect();
        Tally { tiers, absolute: [0; SCALES], records: 0, overflow: false }
    }

    /// One record: its first money value (as [`Summary::add_money`]) as its
    /// mantissa and scale (`None`: not a number), and per dimension its
    /// tier's index (the dimension's tier count for none).
    pub(super) fn add(&mut self, money: Option<(i128, u32)>, at: &[usize]) {
        self.records += 1;
        let (m, scale) = money.unwrap_or_default();
        let scale = scale as usize;
        if let Some(sum) = self.absolute.get_mut(scale) {
            *sum = sum.saturating_add(m.unsigned_abs());
        }
        for (counts, &i) in self.tiers.iter_mut().zip(at) {
            if let Some((n, sums)) = counts.get_mut(i) {
                *n += 1;
                match sums.get_mut(scale).and_then(|s| s.checked_add(m)) {
                    Some(sum) => sums[scale] = sum,
                    None => self.overflow = true,
                }
            }
        }
    }

    /// The bound on the magnitudes of the money added (see the module's docs).
    fn magnitude(&self) -> u128 {
        let units = self.absolute.iter().enumerate().map(|(s, &a)| a.div_ceil(10u128.pow(s as u32)));
        units.fold(u128::from(self.records), u128::saturating_add)
    }

    /// Adds the chunk's records and totals to `summary` (the chunk's own).
    pub(super) fn finish(self, summary: &mut Summary) {
        summary.written += self.records;
        if let Some(m) = summary.magnitudes.first_mut() {
            *m = if self.overflow { u128::MAX } else { m.saturating_add(self.magnitude()) };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::summary::magnitude;
    use proptest::prelude::*;

    proptest! {
        /// The bound is at least the sum of each value's rounded-up units, and
        /// at most one unit a record more.
        #[test]
        fn the_magnitude_bound_holds(values in proptest::collection::vec((any::<i64>(), 0u32..=28), 0..50)) {
            let mut tally = Tally { tiers: Vec::new(), absolute: [0; SCALES], records: 0, overflow: false };
            let mut exact = 0u128;
            for &(m, s) in &values {
                tally.add(Some((i128::from(m), s)), &[]);
                exact += magnitude(Decimal::new(m, s));
            }
            let bound = tally.magnitude();
            prop_assert!(exact <= bound && bound <= exact + values.len() as u128, "{bound} against {exact}");
        }
    }

    #[test]
    fn halves_round_up_one_by_one() {
        let mut tally = Tally { tiers: Vec::new(), absolute: [0; SCALES], records: 0, overflow: false };
        for _ in 0..4 {
            tally.add(Some((5, 1)), &[]); // 0.5: one whole unit, rounded up
        }
        assert!(tally.magnitude() >= 4);
    }
}
