//! Everything `tier check` can report. Codes are stable and listed in docs/errors.md.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

#[derive(Debug, Clone, Error, Diagnostic, PartialEq)]
pub enum CheckError {
    // ------------------------------------------------------------ structure
    #[error("the policy has no `schema` block")]
    #[diagnostic(
        code(tier::missing_schema),
        help("declare every field the policy reads, e.g. `schema {{ id: text key  spend: money }}`")
    )]
    MissingSchema {
        #[label("policy starts here")]
        span: SourceSpan,
    },

    #[error("a second `{what}` block")]
    #[diagnostic(code(tier::duplicate_section), help("merge it into the first `{what}` block"))]
    DuplicateSection {
        what: &'static str,
        #[label(primary, "second `{what}`")]
        span: SourceSpan,
        #[label("first one here")]
        first: SourceSpan,
    },

    #[error("the schema has no `key` field")]
    #[diagnostic(code(tier::missing_key), help("mark the field that identifies a customer, e.g. `id: text key`"))]
    MissingKey {
        #[label("schema without a key")]
        span: SourceSpan,
    },

    #[error("more than one field is marked `key`")]
    #[diagnostic(code(tier::duplicate_key), help("a record has exactly one id field"))]
    DuplicateKey {
        #[label(primary, "second key")]
        span: SourceSpan,
        #[label("first key")]
        first: SourceSpan,
    },

    #[error("the key field `{name}` is optional")]
    #[diagnostic(code(tier::optional_key), help("every record needs an id: remove the `?`"))]
    OptionalKey {
        name: String,
        #[label("optional key")]
        span: SourceSpan,
    },

    #[error("the policy has no tiers")]
    #[diagnostic(code(tier::no_tiers), help("add at least one `tier NAME {{ when ... }}` block"))]
    NoTiers {
        #[label("policy without tiers")]
        span: SourceSpan,
    },

    #[error("field `{name}` is declared twice")]
    #[diagnostic(code(tier::duplicate_field), help("rename or remove one of them"))]
    DuplicateField {
        name: String,
        #[label(primary, "declared again here")]
        span: SourceSpan,
        #[label("first declared here")]
        first: SourceSpan,
    },

    #[error("tier `{name}` is defined twice in dimension `{dimension}`")]
    #[diagnostic(code(tier::duplicate_tier), help("tier names are unique within a dimension"))]
    DuplicateTier {
        name: String,
        dimension: String,
        #[label(primary, "defined again here")]
        span: SourceSpan,
        #[label("first defined here")]
        first: SourceSpan,
    },

    #[error("{what} `{name}` is defined twice")]
    #[diagnostic(code(tier::duplicate_name), help("rename or remove one of them"))]
    DuplicateName {
        what: &'static str,
        name: String,
        #[label(primary, "defined again here")]
        span: SourceSpan,
        #[label("first defined here")]
        first: SourceSpan,
    },

    #[error("options `{first_option}` and `{option}` contradict each other")]
    #[diagnostic(code(tier::conflicting_options), help("keep one of them"))]
    ConflictingOptions {
        first_option: String,
        option: String,
        #[label("this option")]
        span: SourceSpan,
        #[label("contradicts this one")]
        first: SourceSpan,
    },

    // ------------------------------------------------------------ tiers
    #[error("tier `{name}` has no condition")]
    #[diagnostic(
        code(tier::missing_condition),
        help("add `when <condition>`, or `otherwise` for the catch-all last tier")
    )]
    MissingCondition {
        name: String,
        #[label("no `when` or `otherwise`")]
        span: SourceSpan,
    },

    #[error("tier `{name}` has both `when` and `otherwise`")]
    #[diagnostic(
        code(tier::when_and_otherwise),
        help("`otherwise` matches everything: remove the `when` or the `otherwise`")
    )]
    WhenAndOtherwise {
        name: String,
        #[label("`otherwise` here")]
        span: SourceSpan,
    },

    #[error("`otherwise` tier `{name}` is not the last tier of `{dimension}`")]
    #[diagnostic(
        code(tier::otherwise_not_last),
        help("tiers are tried best first and `otherwise` matches everything, so `{next}` can never be chosen: move `{name}` to the end")
    )]
    OtherwiseNotLast {
        name: String,
        dimension: String,
        next: String,
        #[label("catch-all tier")]
        span: SourceSpan,
        #[label("never reached")]
        shadowed: SourceSpan,
    },

    #[error("tier `{name}` has more than one strategy")]
    #[diagnostic(code(tier::duplicate_strategy), help("merge the entries into one `strategy {{ ... }}`"))]
    DuplicateStrategy {
        name: String,
        #[label("second strategy")]
        span: SourceSpan,
    },

    #[error("`extends {name}`: no tier `{name}` in dimension `{dimension}`")]
    #[diagnostic(code(tier::unknown_extends))]
    UnknownExtends {
        name: String,
        dimension: String,
        #[label("unknown tier")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("strategies extend each other in a cycle: {cycle}")]
    #[diagnostic(
        code(tier::extends_cycle),
        help("a strategy may extend another only if that one does not lead back to it")
    )]
    ExtendsCycle {
        cycle: String,
        #[label("cycle starts here")]
        span: SourceSpan,
    },

    #[error("strategy key `{key}` is {kind} in tier `{tier}` but {first_kind} in tier `{first_tier}`")]
    #[diagnostic(
        code(tier::strategy_type_mismatch),
        help("a CRM reads `{key}` as one column: give it one kind of value in every tier")
    )]
    StrategyTypeMismatch {
        key: String,
        kind: &'static str,
        tier: String,
        first_kind: &'static str,
        first_tier: String,
        #[label("{kind}")]
        span: SourceSpan,
        #[label("{first_kind}")]
        first: SourceSpan,
    },

    #[error("tier `{tier}` has no strategy")]
    #[diagnostic(code(tier::missing_strategy), severity(Warning), help("other tiers of the dimension carry one; add `strategy {{ ... }}` (or `strategy {{}}` if it truly gets nothing)"))]
    MissingStrategy {
        tier: String,
        #[label("no strategy")]
        span: SourceSpan,
    },

    // ------------------------------------------------------------ names and types
    #[error("unknown name `{name}`")]
    #[diagnostic(code(tier::unknown_name))]
    UnknownName {
        name: String,
        #[label("not a field or let")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("unknown function `{name}`")]
    #[diagnostic(code(tier::unknown_function))]
    UnknownFunction {
        name: String,
        #[label("no such function")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("{message}")]
    #[diagnostic(code(tier::misplaced_function))]
    MisplacedFunction {
        message: String,
        #[label("here")]
        span: SourceSpan,
        #[help]
        help: String,
    },

    #[error("{message}")]
    #[diagnostic(code(tier::bad_argument))]
    BadArgument {
        message: String,
        #[label("{label}")]
        span: SourceSpan,
        label: String,
        #[help]
        help: String,
    },

    #[error("{message}")]
    #[diagnostic(code(tier::misplaced_type))]
    MisplacedType {
        message: String,
        #[label("here")]
        span: SourceSpan,
        #[help]
        help: String,
    },

    #[error("the `events` block has no `key` field")]
    #[diagnostic(
        code(tier::events_without_key),
        help("mark the field that names the customer, e.g. `customer: integer key from \"CustomerID\"`")
    )]
    EventsWithoutKey {
        #[label("events without a customer key")]
        span: SourceSpan,
    },

    #[error("test `{test}` needs a population to compute {names}")]
    #[diagnostic(
        code(tier::test_needs_population),
        help("a population function ranks a customer among others: give {names} directly (`given {{ {first}: 3 }}`), or list the other customers with `population [ {{ .. }}, .. ]`")
    )]
    TestNeedsPopulation {
        test: String,
        names: String,
        first: String,
        #[label("no population here")]
        span: SourceSpan,
    },

    #[error("{message}")]
    #[diagnostic(code(tier::bad_retention))]
    BadRetention {
        message: String,
        #[label("here")]
        span: SourceSpan,
        #[help]
        help: String,
    },

    #[error("unknown {what} `{name}`")]
    #[diagnostic(code(tier::unknown_tier))]
    UnknownTier {
        what: &'static str,
        name: String,
        #[label("not a {what} of this policy")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("{message}")]
    #[diagnostic(code(tier::bad_budget))]
    BadBudget {
        message: String,
        #[label("{label}")]
        span: SourceSpan,
        label: String,
        #[help]
        help: String,
    },

    #[error("{message}")]
    #[diagnostic(code(tier::strategy_conflict))]
    StrategyConflict {
        message: String,
        #[label("here")]
        span: SourceSpan,
        #[label("and here")]
        other: SourceSpan,
        #[help]
        help: String,
    },

    #[error("`{name}` takes {expected}, got {got}")]
    #[diagnostic(code(tier::wrong_arity))]
    WrongArity {
        name: String,
        expected: &'static str,
        got: usize,
        #[label("called here")]
        span: SourceSpan,
    },

    #[error("{message}")]
    #[diagnostic(code(tier::type_mismatch))]
    TypeMismatch {
        message: String,
        #[label("{left}")]
        left_span: SourceSpan,
        left: String,
        #[label("{right}")]
        right_span: SourceSpan,
        right: String,
        #[help]
        help: Option<String>,
    },

    #[error("{message}")]
    #[diagnostic(code(tier::wrong_type))]
    WrongType {
        message: String,
        #[label("this is {found}")]
        span: SourceSpan,
        found: String,
        #[help]
        help: Option<String>,
    },

    #[error("a rate is mixed with a plain number")]
    #[diagnostic(
        code(tier::rate_without_period),
        help("`{name}` is counted per {period}: write the number as a rate, e.g. `{example}`")
    )]
    RateWithoutPeriod {
        name: String,
        period: String,
        example: String,
        #[label("rate")]
        rate_span: SourceSpan,
        #[label("plain number")]
        span: SourceSpan,
    },

    #[error("`{value}` is not a value of enum `{field}`")]
    #[diagnostic(code(tier::unknown_enum_value))]
    UnknownEnumValue {
        value: String,
        field: String,
        #[label("not one of {choices}")]
        span: SourceSpan,
        choices: String,
        #[help]
        help: Option<String>,
    },

    #[error("`{name}` is defined in terms of itself: {cycle}")]
    #[diagnostic(code(tier::let_cycle), help("a `let` may use other lets only if they do not lead back to it"))]
    LetCycle {
        name: String,
        cycle: String,
        #[label("cycle starts here")]
        span: SourceSpan,
    },

    #[error("`{name}` nests {depth} levels deep through the lets it uses, past the limit of {limit}")]
    #[diagnostic(
        code(tier::too_deep),
        help("compute it in fewer steps (each let used by a let used by … adds its depth); docs/limits.md lists the limits")
    )]
    LetTooDeep {
        name: String,
        depth: usize,
        limit: usize,
        #[label("too deep")]
        span: SourceSpan,
    },

    #[error("empty range: no value is {description}")]
    #[diagnostic(
        code(tier::empty_range),
        help("the lower bound must come first: `x between LOW and HIGH`, `LOW <= x <= HIGH`")
    )]
    EmptyRange {
        description: String,
        #[label("this range is empty")]
        span: SourceSpan,
    },

    #[error("division by zero")]
    #[diagnostic(
        code(tier::division_by_zero),
        help("dividing by a field that is zero gives a missing value; dividing by the constant 0 is always a mistake")
    )]
    DivisionByZero {
        #[label("divides by 0")]
        span: SourceSpan,
    },

    // ------------------------------------------------------------ tests
    #[error("test `{test}` expects unknown tier `{name}`")]
    #[diagnostic(code(tier::test_unknown_tier))]
    TestUnknownTier {
        test: String,
        name: String,
        #[label("no such tier")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("test `{test}` sets unknown field `{name}`")]
    #[diagnostic(code(tier::test_unknown_field))]
    TestUnknownField {
        test: String,
        name: String,
        #[label("not in the schema")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("test `{test}` leaves required field{plural} {names} unset")]
    #[diagnostic(
        code(tier::test_missing_field),
        help("give a value for each, write `field: missing` for optional ones, or write `given defaults {{ .. }}` to fill unset fields with neutral values (0, \"\", false, the first enum value, --as-of)")
    )]
    TestMissingField {
        test: String,
        names: String,
        plural: &'static str,
        #[label("the policy reads these fields")]
        span: SourceSpan,
    },

    #[error("`{symbol}` is not the policy's currency ({currency})")]
    #[diagnostic(code(tier::foreign_currency))]
    ForeignCurrency {
        symbol: String,
        currency: String,
        #[label("an amount in another currency")]
        span: SourceSpan,
        #[help]
        help: String,
    },

    #[error("test `{test}`: {message}")]
    #[diagnostic(code(tier::test_bad_value))]
    TestBadValue {
        test: String,
        message: String,
        #[label("{label}")]
        span: SourceSpan,
        label: String,
        #[help]
        help: Option<String>,
    },

    #[error("test `{test}` has {problem}")]
    #[diagnostic(code(tier::test_incomplete), help("a test needs one `given {{ .. }}` and at least one `expect`"))]
    TestIncomplete {
        test: String,
        problem: &'static str,
        #[label("this test")]
        span: SourceSpan,
    },

    #[error("test `{test}`: `{name}` exists in several dimensions ({dimensions})")]
    #[diagnostic(code(tier::test_ambiguous_tier), help("name the dimension: `expect {first_dimension}.{name}`"))]
    TestAmbiguousTier {
        test: String,
        name: String,
        dimensions: String,
        first_dimension: String,
        #[label("which dimension?")]
        span: SourceSpan,
    },

    #[error("test `{test}` names unknown dimension `{name}`")]
    #[diagnostic(code(tier::test_unknown_dimension))]
    TestUnknownDimension {
        test: String,
        name: String,
        #[label("no such dimension")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("test `{test}` expects strategy key `{key}`, which no tier of `{dimension}` sets")]
    #[diagnostic(code(tier::test_unknown_key))]
    TestUnknownKey {
        test: String,
        key: String,
        dimension: String,
        #[label("unknown strategy key")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    // ------------------------------------------------------------ warnings
    #[error("field `{name}` is never used")]
    #[diagnostic(code(tier::unused_field), severity(Warning), help("remove it, or use it in a condition or let"))]
    UnusedField {
        name: String,
        #[label("declared but not read")]
        span: SourceSpan,
    },

    #[error("let `{name}` is never used")]
    #[diagnostic(code(tier::unused_let), severity(Warning), help("remove it, or use it in a condition"))]
    UnusedLet {
        name: String,
        #[label("defined but not read")]
        span: SourceSpan,
    },

    #[error("`{name}` is a required field, so `is {state}` is always {always}")]
    #[diagnostic(
        code(tier::required_field_missing_check),
        severity(Warning),
        help("mark the field optional (`{name}: TYPE?`) if the data may lack it")
    )]
    RequiredMissingCheck {
        name: String,
        state: &'static str,
        always: &'static str,
        #[label("always {always}")]
        span: SourceSpan,
    },
}

impl CheckError {
    pub fn is_error(&self) -> bool {
        self.severity() != Some(miette::Severity::Warning)
    }

    /// The primary span, for sorting diagnostics by position.
    pub fn primary_offset(&self) -> usize {
        self.labels().and_then(|mut l| l.next()).map_or(0, |l| l.offset())
    }
}
