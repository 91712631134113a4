//! Text to AST: the pest grammar in `grammar/tier.pest`, and syntax errors in words
//! a policy author reads ("expected a comparison such as `>=`"), not rule names.

pub mod ast;
mod depth;
mod error;
mod parse;
mod typos;

pub use ast::*;
pub use depth::MAX_DEPTH;
pub use error::SyntaxError;

use parse::{Rule, TierParser};
use pest::Parser;

/// Parses one policy file.
pub fn parse(source: &str) -> Result<Policy, SyntaxError> {
    depth::prescan(source)?;
    let mut pairs = TierParser::parse(Rule::file, source).map_err(|e| friendly(source, e))?;
    match pairs.next() {
        Some(file) => parse::file(file),
        None => Err(SyntaxError::internal(0..0)),
    }
}

fn friendly(source: &str, err: pest::error::Error<Rule>) -> SyntaxError {
    let pos = match err.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let line_end = source.get(pos..).and_then(|r| r.find('\n')).map_or(source.len(), |n| pos + n);
    if let Some(open) = typos::unclosed_string(source, line_end) {
        return SyntaxError::UnclosedString { span: open.into() };
    }
    if let Some((span, c, ascii)) = typos::full_width(source, line_end) {
        return SyntaxError::Unexpected {
            found: format!("full-width `{c}`"),
            expected: format!("the ASCII `{ascii}`"),
            span: span.into(),
            help: Some(format!("use the ASCII `{ascii}`: a Chinese input method typed the full-width `{c}`")),
        };
    }
    let positives = match &err.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let mut words: Vec<&str> = Vec::new();
    for rule in &positives {
        let w = describe(*rule);
        if !words.contains(&w) {
            words.push(w);
        }
    }
    let expected = match words.len() {
        0 => "something else".to_string(),
        1 => words[0].to_string(),
        _ => {
            let (last, rest) = words.split_last().map_or((&"", &[][..]), |(l, r)| (l, r));
            format!("{} or {}", rest.join(", "), last)
        }
    };
    let found_len = token_len(source, pos);
    let entry =
        positives.iter().any(|r| matches!(r, Rule::value | Rule::map_entry | Rule::given_entry | Rule::meta_entry));
    if let Some(eq) = typos::equals_for_colon(source, pos, found_len).filter(|_| entry) {
        return SyntaxError::Unexpected {
            found: "`=`".into(),
            expected: "`:`".into(),
            span: eq.into(),
            help: Some("entries of strategies, tests and the header are written `name: value`".into()),
        };
    }
    let word = source.get(pos..pos + found_len).unwrap_or("");
    SyntaxError::Unexpected {
        found: describe_found(source, pos, found_len),
        help: hint(source, pos, &positives).or_else(|| typos::keyword(word, &words)),
        expected,
        span: (pos..pos + found_len).into(),
    }
}

/// The length of the word or symbol at `pos`, for the label.
fn token_len(source: &str, pos: usize) -> usize {
    let rest = source.get(pos..).unwrap_or("");
    let mut chars = rest.char_indices();
    match chars.next() {
        None => 0,
        Some((_, c)) if c.is_alphanumeric() || c == '_' => rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
            .map_or(rest.len(), |(i, _)| i),
        Some((_, c)) => c.len_utf8(),
    }
}

fn describe_found(source: &str, pos: usize, len: usize) -> String {
    match source.get(pos..pos + len) {
        None | Some("") => "end of file".to_string(),
        Some("\n") | Some("\r") => "end of line".to_string(),
        Some(text) => format!("`{text}`"),
    }
}

/// A help line for the mistakes people make most.
fn hint(source: &str, pos: usize, positives: &[Rule]) -> Option<String> {
    let rest = source.get(pos..).unwrap_or("").trim_start();
    if rest.starts_with('\'') {
        return Some("strings use double quotes: \"like this\"".into());
    }
    if rest.starts_with("&&") || rest.starts_with("||") {
        return Some("write `and` / `or` instead of `&&` / `||`".into());
    }
    if rest.starts_with("else") {
        return Some("the catch-all tier is written `otherwise`".into());
    }
    let before = source.get(..pos).unwrap_or("").trim_end();
    if before.ends_with('=') && (rest.starts_with('>') || rest.starts_with('<')) {
        return Some(format!("write `{}=` (the comparison comes first)", &rest[..1]));
    }
    let block = ["tier ", "dimension ", "test ", "schema ", "let ", "policy "];
    if block.iter().any(|k| rest.starts_with(k)) {
        if let Some(open) = unclosed_brace(before) {
            let line = source[..open].matches('\n').count() + 1;
            return Some(format!("the `{{` on line {line} is never closed: add `}}` before this line"));
        }
    }
    if positives.contains(&Rule::field_type) || positives.contains(&Rule::simple_type) {
        return Some("field types are text, number, integer, money, date, bool, enum(A, B), count per PERIOD".into());
    }
    if positives.contains(&Rule::period) {
        return Some("periods are day, week, month, quarter, half_year, year".into());
    }
    if positives.contains(&Rule::item) || positives.contains(&Rule::kw_tier) {
        return Some("a policy is made of `policy`, `schema`, `let`, `tier`, `dimension` and `test` blocks".into());
    }
    None
}

/// The offset of the last `{` in `text` without its `}`, outside strings and comments.
fn unclosed_brace(text: &str) -> Option<usize> {
    let mut open = Vec::new();
    let (mut in_string, mut in_comment) = (false, false);
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' => in_comment = false,
            _ if in_comment => {}
            '\\' if in_string => {
                chars.next();
            }
            '"' => in_string = !in_string,
            _ if in_string => {}
            '#' => in_comment = true,
            '{' => open.push(i),
            '}' => {
                open.pop();
            }
            _ => {}
        }
    }
    open.pop()
}

/// Names a grammar rule in a policy author's words.
fn describe(rule: Rule) -> &'static str {
    use Rule::*;
    match rule {
        EOI => "end of file",
        policy | kw_policy => "`policy`",
        schema | kw_schema => "`schema`",
        let_def | kw_let => "`let`",
        tier | kw_tier => "`tier`",
        dimension | kw_dimension => "`dimension`",
        test | kw_test => "`test`",
        item => "a `policy`, `schema`, `let`, `tier`, `dimension` or `test` block",
        ident | name | symbol | any_word => "a name",
        string | string_inner => "a quoted string",
        field => "a field declaration such as `spend: money`",
        field_type | simple_type | enum_type | rate_type | kw_count => "a field type",
        optional => "`?`",
        field_opt | kw_key | kw_from | from_opt | prefer | prefer_dir => {
            "`key`, `from \"column\"` or `prefer higher|lower`"
        }
        period => "a period (day, week, month, quarter, half_year, year)",
        kw_per => "`per`",
        dim_option | hit_first | hit_unique | kw_hit => "`hit first`, `hit unique` or `unordered`",
        kw_first | kw_unique => "`first` or `unique`",
        kw_ordered | kw_unordered => "`ordered` or `unordered`",
        when | kw_when => "`when`",
        otherwise | kw_otherwise => "`otherwise`",
        strategy | kw_strategy => "`strategy`",
        extends | kw_extends => "`extends`",
        given | kw_given => "`given`",
        defaults | kw_defaults => "`defaults`",
        given_entry => "a field value such as `spend: 1.2M`",
        missing_value | kw_missing => "`missing`",
        kw_present => "`present`",
        expect_tier | expect_strategy | kw_expect => "`expect`",
        kw_none => "`none`",
        expr | or_expr | and_expr | not_expr | negation | predicate | sum | product | unary | call | kw_today
        | kw_not => "an expression",
        comparison | cmp_op => "a comparison such as `>=`",
        between | kw_between => "`between`",
        in_set | kw_in => "`in`",
        is_check | kw_is => "`is`",
        negated => "`not`",
        kw_and => "`and`",
        kw_or => "`or`",
        add_op | mul_op | neg => "an operator",
        value | map_entry | list | map | signed => "a value",
        meta_entry => "an entry such as `owner: \"sales\"`",
        date => "a date (YYYY-MM-DD)",
        rate => "a rate such as `3/quarter`",
        money | currency => "an amount",
        number => "a number",
        boolean => "`true` or `false`",
        keyword => "a keyword",
        _ => "something else",
    }
}
