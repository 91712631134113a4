//! The keys of a parallel run, checked for repeats in bounded memory: 64-bit
//! key hashes are gathered in runs of a few MiB, each sorted (a repeat inside a
//! run shows at once) and spilled to an anonymous temporary file; at the end
//! the runs are merged and compared. Ten million keys cost 16 MiB of memory
//! and 80 MB of disk, not a hash set of hundreds of MiB.

use std::io::{BufReader, BufWriter, Read, Seek, Write};

/// Hashes held in memory before a run is sorted and spilled (16 MiB; small in
/// unit tests, so that they cross runs quickly).
const RUN: usize = if cfg!(test) { 1 << 10 } else { 2 << 20 };

#[derive(Default)]
pub struct KeySet {
    run: Vec<u64>,
    spilled: Vec<std::fs::File>,
}

/// A repeated hash: a repeated key, or (rarer than one in a trillion at ten
/// million keys) two keys with one hash. Either way the plain path decides.
#[derive(Debug)]
pub struct Repeat;

impl KeySet {
    /// Adds hashes; `Err` where one is seen twice within the current run, or
    /// the run cannot be spilled.
    pub fn extend(&mut self, hashes: impl IntoIterator<Item = u64>) -> Result<(), Repeat> {
        for h in hashes {
            self.run.push(h);
            if self.run.len() >= RUN {
                self.spill()?;
            }
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<(), Repeat> {
        sort_unique(&mut self.run)?;
        let file = tempfile::tempfile().map_err(|_| Repeat)?;
        let mut w = BufWriter::with_capacity(1 << 16, file);
        for h in &self.run {
            w.write_all(&h.to_le_bytes()).map_err(|_| Repeat)?;
        }
        let mut file = w.into_inner().map_err(|_| Repeat)?;
        file.rewind().map_err(|_| Repeat)?;
        self.spilled.push(file);
        self.run.clear();
        Ok(())
    }

    /// `Ok` when no hash was seen twice over everything added.
    pub fn finish(mut self) -> Result<(), Repeat> {
        sort_unique(&mut self.run)?;
        if self.spilled.is_empty() {
            return Ok(());
        }
        let mut runs: Vec<Box<dyn Iterator<Item = u64>>> = vec![Box::new(std::mem::take(&mut self.run).into_iter())];
        for f in self.spilled {
            let mut r = BufReader::with_capacity(1 << 16, f);
            runs.push(Box::new(std::iter::from_fn(move || {
                let mut b = [0u8; 8];
                r.read_exact(&mut b).ok().map(|()| u64::from_le_bytes(b))
            })));
        }
        // A k-way merge: the smallest head each time; equal heads are a repeat.
        let mut heads: Vec<Option<u64>> = runs.iter_mut().map(Iterator::next).collect();
        let mut last: Option<u64> = None;
        while let Some((i, h)) = heads.iter().enumerate().filter_map(|(i, h)| h.map(|h| (i, h))).min_by_key(|&(_, h)| h)
        {
            if last == Some(h) {
                return Err(Repeat);
            }
            last = Some(h);
            heads[i] = runs[i].next();
        }
        Ok(())
    }
}

fn sort_unique(run: &mut [u64]) -> Result<(), Repeat> {
    run.sort_unstable();
    if run.windows(2).any(|w| w[0] == w[1]) {
        return Err(Repeat);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_found_within_and_across_spilled_runs() {
        let mut set = KeySet::default();
        assert!(set.extend((0..(RUN as u64 * 2 + 5)).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))).is_ok());
        assert!(set.finish().is_ok(), "distinct hashes over three runs");
        let mut set = KeySet::default();
        set.extend(0..RUN as u64).unwrap(); // spilled
        set.extend([7]).unwrap(); // repeats a spilled hash, found in the merge
        assert!(set.finish().is_err());
        let mut set = KeySet::default();
        assert!(set.extend([1, 2, 3]).is_ok());
        assert!(set.extend([2]).is_ok());
        assert!(set.finish().is_err(), "in memory");
    }
}
