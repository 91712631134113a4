//! The keys of a parallel run, checked for repeats in bounded memory: 64-bit
//! key hashes are gathered in runs of 512Ki, each grouped by its top byte (one
//! counting pass: the hashes are uniform) and spilled to an anonymous temporary
//! file. At the end each of the 256 groups is gathered from every run and
//! checked with a small hash table that fits in cache. Ten million keys cost
//! 8 MiB of memory and 80 MB of disk, not a hash set of hundreds of MiB, and
//! no sorting: every hash is moved, written and read once.

use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;

/// Hashes held in memory before a run is grouped and spilled (4 MiB, plus as
/// much again to group them; small in unit tests, so that they cross runs).
const RUN: usize = if cfg!(test) { 1 << 10 } else { 1 << 19 };
/// Groups, by the top byte of the hash.
const PARTS: usize = 256;

#[derive(Default)]
pub struct KeySet {
    run: Vec<u64>,
    grouped: Vec<u64>,
    /// Each spilled run and where its groups start (in hashes; `PARTS + 1` bounds).
    spilled: Vec<(std::fs::File, Vec<usize>)>,
}

/// A repeated hash: a repeated key, or (rarer than one in a trillion at ten
/// million keys) two keys with one hash. Either way the plain path decides.
#[derive(Debug)]
pub struct Repeat;

impl KeySet {
    /// Adds hashes; `Err` where a run cannot be spilled.
    pub fn extend(&mut self, hashes: &[u64]) -> Result<(), Repeat> {
        let mut rest = hashes;
        while !rest.is_empty() {
            let (now, later) = rest.split_at((RUN - self.run.len()).min(rest.len()));
            self.run.extend_from_slice(now);
            if self.run.len() >= RUN {
                self.spill()?;
            }
            rest = later;
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<(), Repeat> {
        let bounds = group(&self.run, &mut self.grouped);
        let file = tempfile::tempfile().map_err(|_| Repeat)?;
        let mut w = BufWriter::with_capacity(1 << 16, file);
        let mut bytes = Vec::with_capacity(1 << 16);
        for hs in self.grouped.chunks(1 << 13) {
            bytes.clear();
            bytes.extend(hs.iter().flat_map(|h| h.to_le_bytes()));
            w.write_all(&bytes).map_err(|_| Repeat)?;
        }
        self.spilled.push((w.into_inner().map_err(|_| Repeat)?, bounds));
        self.run.clear();
        Ok(())
    }

    /// `Ok` when no hash was seen twice over everything added. The groups are
    /// checked on all cores (each reads its groups' runs from the files itself):
    /// this runs after the last record, with nothing else left to overlap.
    pub fn finish(mut self) -> Result<(), Repeat> {
        let bounds = group(&self.run, &mut self.grouped);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(PARTS);
        let this = &self;
        let bounds = &bounds;
        std::thread::scope(|s| {
            let checks: Vec<_> =
                (0..threads).map(|t| s.spawn(move || this.check_parts((t..PARTS).step_by(threads), bounds))).collect();
            checks.into_iter().try_for_each(|c| c.join().unwrap_or(Err(Repeat)))
        })
    }

    /// Checks groups `parts`: each gathered from memory (`bounds`) and every spilled run.
    fn check_parts(&self, parts: impl Iterator<Item = usize>, bounds: &[usize]) -> Result<(), Repeat> {
        let (mut part, mut bytes, mut table) = (Vec::new(), Vec::new(), Vec::new());
        for p in parts {
            part.clear();
            part.extend_from_slice(&self.grouped[bounds[p]..bounds[p + 1]]);
            for (file, b) in &self.spilled {
                bytes.resize((b[p + 1] - b[p]) * 8, 0);
                file.read_exact_at(&mut bytes, b[p] as u64 * 8).map_err(|_| Repeat)?;
                part.extend(
                    bytes.chunks_exact(8).map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])),
                );
            }
            if has_repeat(&part, &mut table) {
                return Err(Repeat);
            }
        }
        Ok(())
    }
}

/// `run` into `out` grouped by top byte (a counting sort on it); the bounds of the groups.
fn group(run: &[u64], out: &mut Vec<u64>) -> Vec<usize> {
    let mut bounds = vec![0usize; PARTS + 1];
    for &h in run {
        bounds[(h >> 56) as usize + 1] += 1;
    }
    for p in 0..PARTS {
        bounds[p + 1] += bounds[p];
    }
    out.clear();
    out.resize(run.len(), 0);
    let mut at = bounds.clone();
    for &h in run {
        let p = (h >> 56) as usize;
        out[at[p]] = h;
        at[p] += 1;
    }
    bounds
}

/// Whether `part` holds a value twice: open addressing, linear probing, at most
/// half full. 0 marks a free slot, so the hash 0 is tracked apart.
fn has_repeat(part: &[u64], table: &mut Vec<u64>) -> bool {
    let size = (part.len() * 2).next_power_of_two().max(16);
    table.clear();
    table.resize(size, 0);
    let mask = size - 1;
    let mut zero = false;
    for &h in part {
        if h == 0 {
            if zero {
                return true;
            }
            zero = true;
            continue;
        }
        // The low bits: the top byte is the same throughout a group.
        let mut i = h as usize & mask;
        loop {
            match table[i] {
                0 => {
                    table[i] = h;
                    break;
                }
                x if x == h => return true,
                _ => i = (i + 1) & mask,
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_found_within_and_across_spilled_runs() {
        let mut set = KeySet::default();
        assert!(set
            .extend(&(0..(RUN as u64 * 2 + 5)).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect::<Vec<u64>>())
            .is_ok());
        assert!(set.finish().is_ok(), "distinct hashes over three runs");
        let mut set = KeySet::default();
        set.extend(&(0..RUN as u64).collect::<Vec<u64>>()).unwrap(); // spilled
        set.extend(&[7]).unwrap(); // repeats a spilled hash, found in the merge
        assert!(set.finish().is_err());
        // One slice across a spill: its repeat on the far side of it.
        let mut set = KeySet::default();
        set.extend(&(0..RUN as u64 + 2).chain([RUN as u64 - 1]).collect::<Vec<u64>>()).unwrap();
        assert!(set.finish().is_err());
        let mut set = KeySet::default();
        assert!(set.extend(&[1, 2, 3]).is_ok());
        assert!(set.extend(&[2]).is_ok());
        assert!(set.finish().is_err(), "in memory");
    }

    #[test]
    fn a_repeat_in_any_group_is_found_whichever_thread_checks_it() {
        for top in 0..PARTS as u64 {
            let mut set = KeySet::default();
            set.extend(&(1..RUN as u64 * 2).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1).collect::<Vec<u64>>())
                .unwrap();
            let h = top << 56 | 2; // even: none of the odd hashes above
            set.extend(&[h]).unwrap();
            set.extend(&[h]).unwrap();
            assert!(set.finish().is_err(), "group {top}");
        }
    }

    #[test]
    fn any_distribution_and_the_zero_hash() {
        // All in one group (top byte 0), across runs: still exact.
        let mut set = KeySet::default();
        set.extend(&(0..(RUN as u64 * 3)).collect::<Vec<u64>>()).unwrap();
        assert!(set.finish().is_ok());
        let mut set = KeySet::default();
        set.extend(&[0, 5, u64::MAX]).unwrap();
        assert!(set.finish().is_ok(), "0 once is not a repeat");
        let mut set = KeySet::default();
        set.extend(&[0, 5, 0]).unwrap();
        assert!(set.finish().is_err(), "0 twice is");
        let mut set = KeySet::default();
        set.extend(&(0..RUN as u64 * 2).map(|i| i << 40).collect::<Vec<u64>>()).unwrap(); // equal low bits: long probes, still exact
        set.extend(&[(RUN as u64 + 3) << 40]).unwrap();
        assert!(set.finish().is_err());
    }
}
