//! The values `count(distinct ..)` has seen, for every customer of an
//! aggregation in one table: an entry is an accumulator's index and the value's
//! bytes, held in one arena. A set per customer cost an allocation per new
//! value and one per customer, and freeing hundreds of thousands of them at the
//! end of a run; this costs a few growing buffers.

use crate::eval::Value;
use hashbrown::HashTable;
use std::hash::BuildHasher;

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The accumulator (customer × aggregate) the value was seen for.
    owner: usize,
    /// Where the value's bytes are in the arena.
    start: usize,
    len: usize,
    hash: u64,
}

#[derive(Debug, Default)]
pub(super) struct Distinct {
    table: HashTable<Entry>,
    arena: Vec<u8>,
    hasher: foldhash::fast::RandomState,
    /// A value's bytes, reused from value to value.
    scratch: Vec<u8>,
}

impl Distinct {
    /// Records `v` (not missing) as seen by `owner`: whether it is new there.
    pub(super) fn insert(&mut self, owner: usize, v: &Value) -> bool {
        let mut bytes = std::mem::take(&mut self.scratch);
        bytes.clear();
        encode(v, &mut bytes);
        let new = self.insert_bytes(owner, &bytes);
        self.scratch = bytes;
        new
    }

    fn insert_bytes(&mut self, owner: usize, bytes: &[u8]) -> bool {
        let hash = self.hasher.hash_one((owner, bytes));
        let arena = &self.arena;
        let same = |e: &Entry| e.hash == hash && e.owner == owner && arena.get(e.start..e.start + e.len) == Some(bytes);
        if self.table.find(hash, same).is_some() {
            return false;
        }
        let start = self.arena.len();
        self.arena.extend_from_slice(bytes);
        self.table.insert_unique(hash, Entry { owner, start, len: bytes.len(), hash }, |e| e.hash);
        true
    }

    /// Adds what `other` has seen, its owners renamed by `owner`: each
    /// owner (here) that gains a value, once per value gained.
    pub(super) fn merge(&mut self, other: &Distinct, owner: impl Fn(usize) -> usize, mut gained: impl FnMut(usize)) {
        // Room for all of them at once: no table regrown entry by entry.
        self.table.reserve(other.table.len(), |e| e.hash);
        self.arena.reserve(other.arena.len());
        for e in other.table.iter() {
            let mine = owner(e.owner);
            if let Some(bytes) = other.arena.get(e.start..e.start + e.len) {
                if self.insert_bytes(mine, bytes) {
                    gained(mine);
                }
            }
        }
    }
}

/// Bytes equal exactly when the values are (`Value`'s own equality: numbers
/// by value, so `1.0` and `1` are one value), each kind tagged apart.
fn encode(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Missing => out.push(0),
        // Normalized (trailing zeros dropped, -0 made 0): one form per number.
        Value::Num(d) => {
            out.push(1);
            out.extend_from_slice(&d.normalize().serialize());
        }
        Value::Text(s) => {
            out.push(2);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bool(b) => out.extend_from_slice(&[3, u8::from(*b)]),
        Value::Date(d) => {
            out.push(4);
            out.extend_from_slice(&d.0.to_le_bytes());
        }
        Value::DateTime(s) => {
            out.push(5);
            out.extend_from_slice(&s.to_le_bytes());
        }
        Value::Enum(i) => {
            out.push(6);
            out.extend_from_slice(&i.to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::{Date, Decimal};
    use std::str::FromStr;

    fn num(s: &str) -> Value {
        Value::Num(Decimal::from_str(s).unwrap())
    }

    #[test]
    fn a_value_counts_once_per_owner_by_value_equality() {
        let values = [
            num("1"),
            num("1.00"),
            num("-0"),
            num("0.0"),
            num("10"),
            Value::Text("1".into()),
            Value::Text(String::new()),
            Value::Text("C536".into()),
            Value::Bool(true),
            Value::Enum(1),
            Value::Date(Date(1)),
            Value::DateTime(1),
            Value::DateTime(86_400),
        ];
        let mut d = Distinct::default();
        for owner in [0, 7] {
            let mut seen: Vec<&Value> = Vec::new();
            for v in values.iter().chain(&values) {
                let want = !seen.contains(&v);
                assert_eq!(d.insert(owner, v), want, "{v:?} for {owner}");
                if want {
                    seen.push(v);
                }
            }
            // 1 = 1.00 and -0 = 0.0: two numbers fewer than listed.
            assert_eq!(seen.len(), values.len() - 2);
        }
    }

    #[test]
    fn merging_adds_only_what_is_new_to_each_renamed_owner() {
        let (mut a, mut b) = (Distinct::default(), Distinct::default());
        for v in ["x", "y"] {
            a.insert(0, &Value::Text(v.into()));
        }
        for v in ["y", "z"] {
            b.insert(5, &Value::Text(v.into())); // owner 5 there is owner 0 here
        }
        b.insert(6, &Value::Text("x".into())); // owner 6 there is new here: 3
        let mut gained = Vec::new();
        a.merge(&b, |o| if o == 5 { 0 } else { 3 }, |o| gained.push(o));
        gained.sort_unstable();
        assert_eq!(gained, [0, 3]); // z for 0, x for 3; y was known to 0
        assert!(!a.insert(0, &Value::Text("z".into())));
        assert!(!a.insert(3, &Value::Text("x".into())));
        assert!(a.insert(3, &Value::Text("y".into())));
    }
}
