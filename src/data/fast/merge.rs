//! The workers' results put back in input order: each chunk's rejects placed
//! at their record and line in the input and handed to `--on-error skip`, its
//! keys checked against all before, its summary added. A chunk of a whole
//! input cut speculatively that starts inside the one before (see
//! `speculate`) is dropped or read again from where that one ends.

use super::rows::Rendered;
use super::{Fallback, Skip};
use crate::compile::Program;
use crate::data::key_set::KeySet;
use crate::data::Summary;
use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::Receiver;

/// Reads the chunk of a whole input between two offsets again.
pub(super) type Again<'a> = Box<dyn FnMut((usize, usize)) -> Rendered + 'a>;

pub(super) struct InOrder<'s, 'a> {
    done: Receiver<(usize, Rendered)>,
    /// Results that came back before the one awaited.
    early: HashMap<usize, Rendered>,
    next: usize,
    /// Records and lines before the next chunk, and the lines a chunk's own
    /// locations already count (the header's, for CSV).
    records: usize,
    lines: u64,
    counted: u64,
    seen: KeySet,
    /// Betting that keys increase: the last key so far (`Some` while the bet
    /// holds), and whether it was lost.
    increasing: Option<Vec<u8>>,
    pub(super) unsorted: bool,
    summary: Summary,
    skip: Option<Skip<'s>>,
    /// Where each chunk not yet in is in a whole input (in order), and
    /// where the last chunk put in order really ended.
    spans: VecDeque<Option<(usize, usize)>>,
    resume: Option<usize>,
    again: Option<Again<'a>>,
}

impl<'s, 'a> InOrder<'s, 'a> {
    /// Results from `done`, numbered from 0; the input's first chunk starts
    /// after `lines` lines, of which its locations count `counted`.
    pub(super) fn new(
        program: &Program,
        done: Receiver<(usize, Rendered)>,
        skip: Option<Skip<'s>>,
        (lines, counted): (u64, u64),
        increasing: bool,
    ) -> Self {
        let (early, seen, summary) = (HashMap::new(), KeySet::default(), Summary::new(program));
        let increasing = increasing.then(Vec::new);
        let (spans, resume, again) = (VecDeque::new(), None, None);
        let (records, unsorted) = (0, false);
        InOrder {
            done,
            early,
            next: 0,
            records,
            lines,
            counted,
            seen,
            increasing,
            unsorted,
            summary,
            skip,
            spans,
            resume,
            again,
        }
    }

    /// How a chunk cut wrong is read again (see [`InOrder::expect`]).
    pub(super) fn again(&mut self, again: Again<'a>) {
        self.again = Some(again);
    }

    /// The next chunk handed out: where it is in a whole input, if it is
    /// one cut speculatively (see `speculate`).
    pub(super) fn expect(&mut self, span: Option<(usize, usize)>) {
        self.spans.push_back(span);
    }

    /// The next chunk's output bytes.
    pub(super) fn next(&mut self) -> Result<Vec<u8>, Fallback> {
        let seq = self.next;
        let rendered = loop {
            if let Some(r) = self.early.remove(&seq) {
                break r;
            }
            let (got, r) = self.done.recv().map_err(|_| Fallback)?;
            if got == seq {
                break r;
            }
            self.early.insert(got, r);
        };
        self.next += 1;
        let span = self.spans.pop_front().flatten();
        // Starting before the chunk before it ended, the chunk was cut inside
        // a quoted field (or a JSON element): its result is void.
        let rendered = match (span, self.resume) {
            (Some((_, e)), Some(r)) if e <= r => return Ok(Vec::new()),
            (Some((s, e)), Some(r)) if s < r => self.again.as_mut().ok_or(Fallback)?((r, e)),
            _ => rendered,
        };
        let part = rendered?;
        if span.is_some() {
            self.resume = part.end;
        }
        if !part.rejects.is_empty() {
            // Stopping on the first bad record: the plain path reports it.
            let skip = self.skip.as_mut().ok_or(Fallback)?;
            for mut r in part.rejects {
                r.error.shift(self.records, self.lines - self.counted);
                (skip.reject)(r).map_err(|()| Fallback)?;
            }
        }
        (self.records, self.lines) = (self.records + part.records, self.lines + part.lines);
        // A key seen twice (or a hash collision, rarer than one in a trillion)
        // goes to the plain path, which compares the keys themselves and
        // names both records.
        match &mut self.increasing {
            None => self.seen.extend(&part.keys).map_err(|_| Fallback)?,
            // Keys that only increase are distinct; the first that does not
            // loses the bet, and the caller runs again hashing them.
            Some(last) => match part.order.first {
                None => {}
                // (An empty key is never above the empty start: the bet is lost, safely.)
                Some(first) if part.order.increasing && first > *last => *last = part.order.last,
                Some(_) => {
                    self.unsorted = true;
                    return Err(Fallback);
                }
            },
        }
        self.summary.merge(&part.summary);
        Ok(part.bytes)
    }

    /// The output bytes of the next `n` chunks.
    pub(super) fn take(&mut self, n: usize) -> Result<Vec<Vec<u8>>, Fallback> {
        (0..n).map(|_| self.next()).collect()
    }

    /// The run's summary, once every chunk is in.
    pub(super) fn finish(self) -> Result<Summary, Fallback> {
        self.seen.finish().map_err(|_| Fallback)?;
        // Totals out of range: the plain path names the record that does not fit.
        match self.summary.out_of_range() {
            Some(_) => Err(Fallback),
            None => Ok(self.summary),
        }
    }
}

/// A worker's chunk, run so that a panic in it (a bug: the panic message
/// still shows) hands the run back instead of leaving [`InOrder`] waiting for
/// that chunk's result for ever.
pub(super) fn guarded(work: impl FnOnce() -> Rendered) -> Rendered {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or(Err(Fallback))
}
