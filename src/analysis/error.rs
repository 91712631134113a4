//! Findings of the decision-table analysis, each with a verified witness record.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

/// A witness record: `(field, value as a data file holds it)` for every field the
/// dimension reads; tests feed it back through the evaluator.
pub type Record = Vec<(String, String)>;

#[derive(Debug, Clone, Error, Diagnostic, PartialEq)]
pub enum Finding {
    #[error("tier `{tier}` can never be chosen: every record it matches is taken by {shadowers} above it")]
    #[diagnostic(
        code(tier::unreachable_tier),
        help(
            "for example {witness} matches `{tier}` but gets `{winner}`; narrow the tiers above, or move `{tier}` up"
        )
    )]
    Unreachable {
        tier: String,
        shadowers: String,
        winner: String,
        witness: String,
        record: Record,
        #[label("never chosen")]
        span: SourceSpan,
        #[label("shadowed by this tier")]
        shadower: SourceSpan,
    },

    #[error("the condition of tier `{tier}` can never hold")]
    #[diagnostic(
        code(tier::unsatisfiable),
        help("no value of {fields} satisfies all of it; look for bounds that exclude each other")
    )]
    NeverMatches {
        tier: String,
        fields: String,
        #[label("no record satisfies this")]
        span: SourceSpan,
    },

    #[error("the `otherwise` tier `{tier}` is never reached: the tiers above cover every record")]
    #[diagnostic(
        code(tier::unreachable_otherwise),
        severity(Warning),
        help("remove it, or keep it as a safety net if the criteria may change")
    )]
    UnreachableOtherwise {
        tier: String,
        #[label("never reached")]
        span: SourceSpan,
    },

    #[error("some records match no tier of `{dimension}`, e.g. {witness}")]
    #[diagnostic(
        code(tier::gap),
        severity(Warning),
        help("{regions}\nadd a tier (or `otherwise`) for them, or widen a neighbouring tier's bounds")
    )]
    Gap {
        dimension: String,
        witness: String,
        record: Record,
        regions: String,
        #[label("no tier for these records")]
        span: SourceSpan,
    },

    #[error("tiers `{first}` and `{second}` of `{dimension}` overlap, e.g. {witness}")]
    #[diagnostic(
        code(tier::overlap),
        help("`{dimension}` is `hit unique`, so a record may match only one tier: make the conditions exclusive")
    )]
    Overlap {
        dimension: String,
        first: String,
        second: String,
        witness: String,
        record: Record,
        #[label("matches")]
        span: SourceSpan,
        #[label("matches too")]
        other: SourceSpan,
    },

    #[error("tiers `{first}` and `{second}` overlap, e.g. {witness}: `{first}` wins")]
    #[diagnostic(
        code(tier::overlap_first),
        severity(Advice),
        help("under `hit first` the earlier tier wins; this is a note, not a problem")
    )]
    OverlapNote {
        first: String,
        second: String,
        witness: String,
        record: Record,
        #[label("wins")]
        span: SourceSpan,
        #[label("loses for these records")]
        other: SourceSpan,
    },

    #[error("`{condition}` never changes whether tier `{tier}` matches")]
    #[diagnostic(code(tier::dead_condition), severity(Warning), help("{why}: remove it, or fix the bound you meant"))]
    DeadCondition {
        condition: String,
        tier: String,
        why: String,
        #[label("dead condition")]
        span: SourceSpan,
    },

    #[error("{change} `{field}` can move a record down from `{before_tier}` to `{after_tier}`")]
    #[diagnostic(code(tier::non_monotone), severity(Warning), help("{before} gets `{before_tier}`, but {after} gets `{after_tier}`; `{field}` counts {direction} ({reason}). Close the gap between the tiers, or mark the dimension `unordered` if this is intended"))]
    NonMonotone {
        /// `more` or `less`: the change that should never hurt.
        change: &'static str,
        field: String,
        direction: &'static str,
        reason: String,
        before: String,
        record: Record,
        before_tier: String,
        after: String,
        after_record: Record,
        after_tier: String,
        #[label("`{before_tier}`")]
        span: SourceSpan,
        #[label("`{after_tier}`")]
        other: SourceSpan,
    },

    #[error("the analysis of `{dimension}` is approximate: {subjects} cannot be split exactly")]
    #[diagnostic(code(tier::approximate_analysis), severity(Advice), help("criteria comparing fields with constants are analysed exactly; these were searched over sample values instead, so a gap or overlap may go unseen"))]
    Approximate {
        dimension: String,
        subjects: String,
        #[label("analysed by search")]
        span: SourceSpan,
    },

    #[error("`{dimension}` is too large to analyse: stopped after {boxes} regions or {steps} steps")]
    #[diagnostic(
        code(tier::analysis_too_large),
        severity(Warning),
        help("split the dimension, or simplify criteria that combine many fields")
    )]
    TooLarge {
        dimension: String,
        boxes: usize,
        steps: u64,
        #[label("not analysed")]
        span: SourceSpan,
    },
}

impl Finding {
    /// The witness records of a finding, if it has any (for tests and tools).
    pub fn records(&self) -> Vec<&Record> {
        match self {
            Finding::Unreachable { record, .. }
            | Finding::Gap { record, .. }
            | Finding::Overlap { record, .. }
            | Finding::OverlapNote { record, .. } => vec![record],
            Finding::NonMonotone { record, after_record, .. } => vec![record, after_record],
            _ => vec![],
        }
    }
}
