//! Pest pairs to AST. One function per grammar rule, named like the rule.
//!
//! The grammar has already accepted the text, so a pair of an unexpected shape is a
//! bug in this file, not in the user's policy; literal values the grammar cannot
//! bound (a number too large for a decimal) become [`SyntaxError`]s.

use super::ast::*;
use super::depth::MAX_DEPTH;
use super::error::SyntaxError;
use crate::number::{self, Date, Period};
use pest::iterators::Pair;
use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "../grammar/tier.pest"]
pub(crate) struct TierParser;

type P<'a> = Pair<'a, Rule>;
type Result<T> = std::result::Result<T, SyntaxError>;

/// The pair's span without the white space and comments pest lets a
/// non-atomic rule swallow after its last token.
fn span(p: &P) -> Span {
    let s = p.as_span();
    s.start()..s.start() + trim_trailing(p.as_str()).len()
}

fn trim_trailing(mut text: &str) -> &str {
    loop {
        text = text.trim_end();
        let line_start = text.rfind('\n').map_or(0, |i| i + 1);
        match comment_start(&text[line_start..]) {
            Some(i) => text = &text[..line_start + i],
            None => return text,
        }
    }
}

/// Where a `#` comment starts on a line, outside string literals.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return Some(i),
            _ => {}
        }
    }
    None
}

fn ident(p: P) -> Ident {
    Ident { name: p.as_str().to_string(), span: span(&p) }
}

/// The inner pairs of `p`, skipping keyword tokens (which carry no data).
fn inner(p: P) -> impl Iterator<Item = P> {
    p.into_inner().filter(|c| !is_keyword_token(c.as_rule()))
}

fn is_keyword_token(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_policy
            | Rule::kw_schema
            | Rule::kw_let
            | Rule::kw_dimension
            | Rule::kw_tier
            | Rule::kw_when
            | Rule::kw_strategy
            | Rule::kw_extends
            | Rule::kw_test
            | Rule::kw_given
            | Rule::kw_expect
            | Rule::kw_hit
            | Rule::kw_and
            | Rule::kw_or
            | Rule::kw_not
            | Rule::kw_between
            | Rule::kw_in
            | Rule::kw_is
            | Rule::kw_key
            | Rule::kw_from
            | Rule::kw_per
            | Rule::kw_count
            | Rule::kw_events
            | Rule::kw_metric
            | Rule::kw_population
            | Rule::kw_where
            | Rule::kw_within
            | Rule::kw_last
            | Rule::kw_retention
            | Rule::kw_promote
            | Rule::kw_immediately
            | Rule::kw_demote
            | Rule::kw_after
            | Rule::kw_below
            | Rule::kw_at
            | Rule::kw_most
            | Rule::kw_keep
            | Rule::kw_for
            | Rule::kw_promotion
            | Rule::kw_budget
            | Rule::kw_by
            | Rule::kw_weight
            | Rule::evaluations
            | Rule::tiers_word
    )
}

pub(crate) fn file(p: P) -> Result<Policy> {
    let mut items = Vec::new();
    for c in p.into_inner() {
        items.push(match c.as_rule() {
            Rule::policy => Item::Header(policy(c)?),
            Rule::schema => Item::Schema(schema(c)?),
            Rule::events => Item::Events(events(c)?),
            Rule::metric => {
                let sp = span(&c);
                let mut it = inner(c);
                let name = ident(next(&mut it));
                Item::Metric(Metric { name, expr: expr(next(&mut it))?, span: sp })
            }
            Rule::budget => Item::Budget(budget(c)?),
            Rule::combination => Item::Combination(combination(c)?),
            Rule::population => {
                let sp = span(&c);
                Item::Population(Population { expr: expr(next(&mut inner(c)))?, span: sp })
            }
            Rule::let_def => Item::Let(let_def(c)?),
            Rule::tier => Item::Tier(tier(c)?),
            Rule::dimension => Item::Dimension(dimension(c)?),
            Rule::test => Item::Test(test(c)?),
            _ => continue, // EOI
        });
    }
    Ok(Policy { items })
}

fn policy(p: P) -> Result<Header> {
    let sp = span(&p);
    let mut title = None;
    let mut entries = Vec::new();
    for c in inner(p) {
        match c.as_rule() {
            Rule::string => title = Some(string(c)),
            _ => entries.push(map_entry(c)?),
        }
    }
    Ok(Header { title, entries, span: sp })
}

fn schema(p: P) -> Result<Schema> {
    let sp = span(&p);
    let fields = inner(p).map(field).collect::<Result<_>>()?;
    Ok(Schema { fields, span: sp })
}

fn events(p: P) -> Result<Events> {
    let sp = span(&p);
    let mut it = inner(p);
    let name = ident(next(&mut it));
    let mut entries = Vec::new();
    for c in it {
        entries.push(match c.as_rule() {
            Rule::where_clause => EventsEntry::Where(expr(next(&mut inner(c)))?),
            Rule::let_def => EventsEntry::Let(let_def(c)?),
            _ => EventsEntry::Field(field(c)?),
        });
    }
    Ok(Events { name, entries, span: sp })
}

fn field(p: P) -> Result<Field> {
    let sp = span(&p);
    let mut it = p.into_inner();
    let name = ident(next(&mut it));
    let ty = field_type(next(&mut it));
    let (mut optional, mut key, mut time, mut from, mut prefer) = (false, None, None, Vec::new(), None);
    for c in it {
        match c.as_rule() {
            Rule::optional => optional = true,
            Rule::field_opt => {
                let o = next(&mut c.into_inner());
                match o.as_rule() {
                    Rule::kw_key => key = Some(span(&o)),
                    Rule::kw_time => time = Some(span(&o)),
                    Rule::prefer => {
                        let dir = next(&mut o.clone().into_inner());
                        prefer = Some((dir.as_str() == "higher", span(&o)));
                    }
                    _ => from = inner(o).map(string).collect(),
                }
            }
            _ => {}
        }
    }
    Ok(Field { name, ty, optional, key, time, from, prefer, span: sp })
}

fn field_type(p: P) -> TypeExpr {
    let sp = span(&p);
    let c = next(&mut p.into_inner());
    let kind = match c.as_rule() {
        Rule::enum_type => TypeKind::Enum(inner(c).map(enum_value).collect()),
        Rule::rate_type => TypeKind::Rate(period(next(&mut inner(c)))),
        _ => match c.as_str().trim() {
            "text" => TypeKind::Text,
            "number" => TypeKind::Number,
            "integer" => TypeKind::Integer,
            "count" => TypeKind::Count,
            "money" => TypeKind::Money,
            "date" => TypeKind::Date,
            "datetime" => TypeKind::DateTime,
            _ => TypeKind::Bool,
        },
    };
    TypeExpr { kind, span: sp }
}

fn enum_value(p: P) -> EnumValue {
    let sp = span(&p);
    let c = next(&mut p.into_inner());
    match c.as_rule() {
        Rule::string => EnumValue { name: string(c).value, quoted: true, span: sp },
        _ => EnumValue { name: c.as_str().to_string(), quoted: false, span: sp },
    }
}

fn period(p: P) -> Period {
    // The grammar only admits period words.
    Period::parse(p.as_str()).unwrap_or(Period::Year)
}

fn let_def(p: P) -> Result<Let> {
    let sp = span(&p);
    let mut it = inner(p);
    let name = ident(next(&mut it));
    let expr = expr(next(&mut it))?;
    Ok(Let { name, expr, span: sp })
}

fn dimension(p: P) -> Result<Dimension> {
    let sp = span(&p);
    let mut it = inner(p);
    let name = ident(next(&mut it));
    let (mut label, mut options, mut tiers, mut retention) = (None, Vec::new(), Vec::new(), None);
    for c in it {
        match c.as_rule() {
            Rule::string => label = Some(string(c)),
            Rule::dim_option => {
                let o = next(&mut c.clone().into_inner());
                if o.as_rule() == Rule::retention {
                    retention = Some(retention_of(o)?);
                } else {
                    options.push(dim_option(c));
                }
            }
            _ => tiers.push(tier(c)?),
        }
    }
    Ok(Dimension { name, label, options, retention, tiers, span: sp })
}

fn retention_of(p: P) -> Result<Retention> {
    let sp = span(&p);
    let mut rules = Vec::new();
    for r in inner(p) {
        let rsp = span(&r);
        let c = next(&mut r.into_inner());
        let kind = match c.as_rule() {
            Rule::promote_rule => RetentionKind::PromoteImmediately,
            Rule::demote_after => RetentionKind::DemoteAfter(num(next(&mut inner(c)))?),
            Rule::demote_at_most => RetentionKind::DemoteAtMost(num(next(&mut inner(c)))?),
            _ => {
                let mut it = inner(c);
                let tier = ident(next(&mut it));
                let count = num(next(&mut it))?;
                RetentionKind::Keep { tier, count, period: period(next(&mut it)) }
            }
        };
        rules.push(RetentionRule { kind, span: rsp });
    }
    Ok(Retention { rules, span: sp })
}

fn budget(p: P) -> Result<Budget> {
    let sp = span(&p);
    let mut it = inner(p);
    let name = ident(next(&mut it));
    let (mut amount, mut per, mut by_weight, mut entries) = (None, None, false, Vec::new());
    for c in it {
        match c.as_rule() {
            Rule::budget_amount => {
                let a = next(&mut c.into_inner());
                let asp = span(&a);
                let kind = match a.as_rule() {
                    Rule::money => ValueKind::Money(money(a)?),
                    _ => ValueKind::Number(num(a)?),
                };
                amount = Some(Value { kind, span: asp });
            }
            Rule::period => per = Some(period(c)),
            Rule::by_weight => by_weight = true,
            _ => {
                let mut e = c.into_inner();
                let tier = ident(next(&mut e));
                entries.push((tier, num(next(&mut e))?));
            }
        }
    }
    let amount = amount.ok_or_else(|| SyntaxError::internal(sp.clone()))?;
    Ok(Budget { name, amount, period: per, by_weight, entries, span: sp })
}

fn combination(p: P) -> Result<Combination> {
    let sp = span(&p);
    let (mut conditions, mut override_, mut strat) = (Vec::new(), false, None);
    for c in inner(p) {
        match c.as_rule() {
            Rule::combo_cond => {
                let mut it = inner(c);
                let dim = ident(next(&mut it));
                conditions.push((dim, ident(next(&mut it))));
            }
            Rule::override_mark => override_ = true,
            _ => strat = Some(strategy(c)?),
        }
    }
    let strategy = strat.ok_or_else(|| SyntaxError::internal(sp.clone()))?;
    Ok(Combination { conditions, override_, strategy, span: sp })
}

fn dim_option(p: P) -> DimOption {
    let sp = span(&p);
    let kind = match next(&mut p.into_inner()).as_rule() {
        Rule::hit_first => DimOptionKind::HitFirst,
        Rule::hit_unique => DimOptionKind::HitUnique,
        Rule::kw_ordered => DimOptionKind::Ordered,
        _ => DimOptionKind::Unordered,
    };
    DimOption { kind, span: sp }
}

fn tier(p: P) -> Result<Tier> {
    let sp = span(&p);
    let mut it = inner(p);
    let name = ident(next(&mut it));
    let (mut label, mut clauses) = (None, Vec::new());
    for c in it {
        match c.as_rule() {
            Rule::string => label = Some(string(c)),
            Rule::when => clauses.push(TierClause::When(expr(next(&mut inner(c)))?)),
            Rule::otherwise => clauses.push(TierClause::Otherwise(span(&c))),
            _ => clauses.push(TierClause::Strategy(strategy(c)?)),
        }
    }
    Ok(Tier { name, label, clauses, span: sp })
}

fn strategy(p: P) -> Result<Strategy> {
    let sp = span(&p);
    let mut extends = None;
    let mut entries = Vec::new();
    for c in inner(p) {
        match c.as_rule() {
            Rule::extends => extends = Some(ident(next(&mut inner(c)))),
            _ => entries = map_entries(c)?,
        }
    }
    Ok(Strategy { extends, entries, span: sp })
}

fn test(p: P) -> Result<Test> {
    let sp = span(&p);
    let mut it = inner(p);
    let name = string(next(&mut it));
    let mut items = Vec::new();
    for c in it {
        items.push(match c.as_rule() {
            Rule::given => TestItem::Given(given(c)?),
            Rule::population_given => TestItem::Population(value(next(&mut inner(c)))?),
            Rule::expect_tier => TestItem::ExpectTier(expect_tier(c)),
            _ => TestItem::ExpectStrategy(expect_strategy(c)?),
        });
    }
    Ok(Test { name, items, span: sp })
}

fn given(p: P) -> Result<Given> {
    let sp = span(&p);
    let mut defaults = false;
    let mut entries = Vec::new();
    for c in inner(p) {
        match c.as_rule() {
            Rule::defaults => defaults = true,
            _ => entries.push(given_entry(c)?),
        }
    }
    Ok(Given { defaults, entries, span: sp })
}

fn given_entry(p: P) -> Result<GivenEntry> {
    let sp = span(&p);
    let mut it = p.into_inner();
    let field = ident(next(&mut it));
    let v = next(&mut it);
    let value = match v.as_rule() {
        Rule::missing_value => None,
        _ => Some(value(v)?),
    };
    Ok(GivenEntry { field, value, span: sp })
}

fn expect_tier(p: P) -> ExpectTier {
    let sp = span(&p);
    let mut names: Vec<P> = inner(p).collect();
    let last = names.pop();
    let tier = last.filter(|l| l.as_rule() == Rule::ident).map(ident);
    let dimension = names.pop().map(ident);
    ExpectTier { dimension, tier, span: sp }
}

fn expect_strategy(p: P) -> Result<ExpectStrategy> {
    let sp = span(&p);
    let (mut dimension, mut path, mut op, mut val) = (None, Vec::new(), CmpOp::Eq, None);
    let mut seen_strategy = false;
    for c in p.into_inner() {
        match c.as_rule() {
            Rule::kw_expect => {}
            Rule::kw_strategy => seen_strategy = true,
            Rule::ident if !seen_strategy => dimension = Some(ident(c)),
            Rule::cmp_op => op = cmp_op(&c),
            Rule::value => val = Some(value(c)?),
            _ => path.push(key(c)),
        }
    }
    let value = val.ok_or_else(|| SyntaxError::internal(sp.clone()))?;
    Ok(ExpectStrategy { dimension, path, op, value, span: sp })
}

fn map_entries(p: P) -> Result<Vec<MapEntry>> {
    map_entries_at(p, 0)
}

fn map_entries_at(p: P, depth: usize) -> Result<Vec<MapEntry>> {
    p.into_inner().map(|e| map_entry_at(e, depth)).collect()
}

fn map_entry(p: P) -> Result<MapEntry> {
    map_entry_at(p, 0)
}

fn map_entry_at(p: P, depth: usize) -> Result<MapEntry> {
    let mut it = p.into_inner();
    let key = key(next(&mut it));
    let value = value_at(next(&mut it), depth)?;
    Ok(MapEntry { key, value })
}

fn key(p: P) -> Key {
    let sp = span(&p);
    match p.as_rule() {
        Rule::string => Key { name: string(p).value, quoted: true, span: sp },
        _ => Key { name: p.as_str().to_string(), quoted: false, span: sp },
    }
}

fn value(p: P) -> Result<Value> {
    value_at(p, 0)
}

/// A value inside `depth` lists and maps: past [`MAX_DEPTH`] the policy is refused.
fn value_at(p: P, depth: usize) -> Result<Value> {
    let sp = span(&p);
    let c = next(&mut p.into_inner());
    if depth >= MAX_DEPTH && matches!(c.as_rule(), Rule::list | Rule::map) {
        return Err(SyntaxError::too_deep(sp.start..sp.start + 1, "lists and maps", MAX_DEPTH));
    }
    let kind = match c.as_rule() {
        Rule::list => ValueKind::List(c.into_inner().map(|v| value_at(v, depth + 1)).collect::<Result<_>>()?),
        Rule::map => ValueKind::Map(map_entries_at(c, depth + 1)?),
        Rule::date => ValueKind::Date(date(&c)?),
        Rule::rate => ValueKind::Rate(rate(c)?),
        Rule::money => ValueKind::Money(money(c)?),
        Rule::signed => {
            let n = num(next(&mut c.into_inner()))?;
            ValueKind::Number(Num { value: -n.value, text: format!("-{}", n.text) })
        }
        Rule::number => ValueKind::Number(num(c)?),
        Rule::string => ValueKind::Text(string(c).value),
        Rule::boolean => ValueKind::Bool(c.as_str() == "true"),
        _ => ValueKind::Symbol(c.as_str().to_string()),
    };
    Ok(Value { kind, span: sp })
}

fn num(p: P) -> Result<Num> {
    let text = p.as_str().to_string();
    let value = number::parse_literal(&text)
        .ok_or_else(|| SyntaxError::BadNumber { text: text.clone(), span: span(&p).into() })?;
    Ok(Num { value, text })
}

fn money(p: P) -> Result<Money> {
    let mut it = p.into_inner();
    let currency = next(&mut it).as_str().to_string();
    Ok(Money { currency, amount: num(next(&mut it))? })
}

fn rate(p: P) -> Result<Rate> {
    let sp = span(&p);
    let mut it = p.into_inner();
    let count = num(next(&mut it))?;
    let sep = next(&mut it);
    let (spelled_per, per) = match sep.as_rule() {
        Rule::kw_per => (true, next(&mut it)),
        _ => (false, sep),
    };
    let period = period(per);
    // Rates compare per year: 1e28 per day is beyond the number range.
    if count.value.checked_mul(period.per_year()).is_none() {
        return Err(SyntaxError::BadNumber { text: count.text, span: sp.into() });
    }
    Ok(Rate { count, period, spelled_per })
}

fn date(p: &P) -> Result<Date> {
    Date::parse(p.as_str()).ok_or_else(|| SyntaxError::BadDate { text: p.as_str().to_string(), span: span(p).into() })
}

fn string(p: P) -> Str {
    let sp = span(&p);
    let raw = p.into_inner().next().map_or("", |i| i.as_str());
    let mut value = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            value.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => value.push('\n'),
            Some('t') => value.push('\t'),
            Some(other) => value.push(other),
            None => {}
        }
    }
    Str { value, span: sp }
}

fn cmp_op(p: &P) -> CmpOp {
    match p.as_str() {
        "<" => CmpOp::Lt,
        "<=" | "≤" => CmpOp::Le,
        ">" => CmpOp::Gt,
        ">=" | "≥" => CmpOp::Ge,
        "!=" | "≠" => CmpOp::Ne,
        _ => CmpOp::Eq,
    }
}

// ---------------------------------------------------------------- expressions

/// An expression that stands on its own (a `when`, a `let`, a `metric`, …).
fn expr(p: P) -> Result<Expr> {
    expr_at(p, 0)
}

/// An expression `depth` operators deep: past [`MAX_DEPTH`] the policy is refused
/// (every later pass recurses over the tree, and the stack is finite).
fn expr_at(p: P, depth: usize) -> Result<Expr> {
    let p = skip_wrappers(p);
    if depth > MAX_DEPTH {
        return Err(SyntaxError::too_deep(span(&p), "expression", MAX_DEPTH));
    }
    match p.as_rule() {
        Rule::or_expr => chain(p, depth, ExprKind::Or),
        Rule::and_expr => chain(p, depth, ExprKind::And),
        Rule::negation => {
            let sp = span(&p);
            let e = expr_at(next(&mut inner(p)), depth + 1)?;
            Ok(Expr { kind: ExprKind::Not(Box::new(e)), span: sp })
        }
        Rule::predicate => predicate(p, depth),
        Rule::sum | Rule::product => binary(p, depth),
        Rule::unary => unary(p, depth),
        _ => primary(p, depth),
    }
}

/// Steps through the rules that wrap a single operand (`expr`, a parenthesis, an
/// `or` of one term, …) without recursing: they add no node to the tree.
fn skip_wrappers(mut p: P) -> P {
    loop {
        let wrapper = match p.as_rule() {
            Rule::expr | Rule::not_expr => true,
            Rule::or_expr | Rule::and_expr | Rule::predicate | Rule::sum | Rule::product | Rule::unary => {
                inner(p.clone()).nth(1).is_none()
            }
            _ => false,
        };
        if !wrapper {
            return p;
        }
        p = next(&mut inner(p));
    }
}

/// `a or b or c` / `a and b`: one operand stays itself, several become a list.
fn chain(p: P, depth: usize, make: fn(Vec<Expr>) -> ExprKind) -> Result<Expr> {
    let sp = span(&p);
    let mut operands = inner(p).map(|c| expr_at(c, depth + 1)).collect::<Result<Vec<_>>>()?;
    if operands.len() == 1 {
        return operands.pop().ok_or_else(|| SyntaxError::internal(sp));
    }
    Ok(Expr { kind: make(operands), span: sp })
}

fn predicate(p: P, depth: usize) -> Result<Expr> {
    let sp = span(&p);
    let mut it = p.into_inner();
    let subject = expr_at(next(&mut it), depth + 1)?;
    let Some(tail) = it.next() else {
        return Ok(subject);
    };
    let value = Box::new(subject);
    let kind = match tail.as_rule() {
        Rule::comparison => {
            let mut rest = Vec::new();
            let mut parts = tail.into_inner();
            while let (Some(op), Some(rhs)) = (parts.next(), parts.next()) {
                rest.push((cmp_op(&op), expr_at(rhs, depth + 1)?));
            }
            ExprKind::Compare { first: value, rest }
        }
        Rule::between => {
            let (negated, mut ops) = negated_operands(tail, depth)?;
            let high = Box::new(ops.pop().ok_or_else(|| SyntaxError::internal(sp.clone()))?);
            let low = Box::new(ops.pop().ok_or_else(|| SyntaxError::internal(sp.clone()))?);
            ExprKind::Between { negated, value, low, high }
        }
        Rule::in_set => {
            let (negated, items) = negated_operands(tail, depth)?;
            ExprKind::In { negated, value, items }
        }
        _ => {
            let negated = tail.clone().into_inner().any(|c| c.as_rule() == Rule::negated);
            let present = tail.into_inner().any(|c| c.as_rule() == Rule::kw_present);
            ExprKind::Is { negated, value, present }
        }
    };
    Ok(Expr { kind, span: sp })
}

fn negated_operands(p: P, depth: usize) -> Result<(bool, Vec<Expr>)> {
    let mut negated = false;
    let mut ops = Vec::new();
    for c in inner(p) {
        match c.as_rule() {
            Rule::negated => negated = true,
            _ => ops.push(expr_at(c, depth + 1)?),
        }
    }
    Ok((negated, ops))
}

/// Left-associative `+ -` and `* /`: `a + b + c` is `(a + b) + c`, so a chain of
/// n operators nests n deep.
fn binary(p: P, depth: usize) -> Result<Expr> {
    let parts: Vec<P> = p.into_inner().collect();
    let operators = parts.len() / 2;
    if depth + operators > MAX_DEPTH {
        let op = parts.get(2 * (MAX_DEPTH - depth.min(MAX_DEPTH)) + 1).or(parts.get(1));
        return Err(SyntaxError::too_deep(op.map_or(0..0, span), "a chain of `+ - * /`", MAX_DEPTH));
    }
    let inner_depth = depth + operators;
    let mut it = parts.into_iter();
    let mut acc = expr_at(next(&mut it), inner_depth)?;
    while let (Some(op), Some(rhs)) = (it.next(), it.next()) {
        let rhs = expr_at(rhs, inner_depth)?;
        let op = match op.as_str() {
            "+" => BinOp::Add,
            "-" => BinOp::Sub,
            "*" => BinOp::Mul,
            _ => BinOp::Div,
        };
        let sp = acc.span.start..rhs.span.end;
        acc = Expr { kind: ExprKind::Binary { op, lhs: Box::new(acc), rhs: Box::new(rhs) }, span: sp };
    }
    Ok(acc)
}

fn unary(p: P, depth: usize) -> Result<Expr> {
    let sp = span(&p);
    let parts: Vec<P> = p.into_inner().collect();
    let negs = parts.iter().filter(|c| c.as_rule() == Rule::neg).count();
    if depth + negs > MAX_DEPTH {
        let neg = parts.get(MAX_DEPTH - depth.min(MAX_DEPTH)).map_or(sp.clone(), span);
        return Err(SyntaxError::too_deep(neg, "minus signs", MAX_DEPTH));
    }
    let last = parts.into_iter().last().ok_or_else(|| SyntaxError::internal(sp.clone()))?;
    let mut e = expr_at(last, depth + negs)?;
    for _ in 0..negs {
        e = Expr { kind: ExprKind::Neg(Box::new(e)), span: sp.clone() };
    }
    Ok(e)
}

fn primary(p: P, depth: usize) -> Result<Expr> {
    let sp = span(&p);
    let kind = match p.as_rule() {
        Rule::number => ExprKind::Number(num(p)?),
        Rule::money => ExprKind::Money(money(p)?),
        Rule::rate => ExprKind::Rate(rate(p)?),
        Rule::date => ExprKind::Date(date(&p)?),
        Rule::string => ExprKind::Text(string(p).value),
        Rule::boolean => ExprKind::Bool(p.as_str() == "true"),
        Rule::kw_today => ExprKind::Today,
        Rule::name => ExprKind::Name(p.as_str().to_string()),
        Rule::call => {
            let mut it = p.into_inner();
            let func = ident(next(&mut it));
            let (mut args, mut window) = (Vec::new(), None);
            for c in it {
                match c.as_rule() {
                    Rule::window => window = Some(window_of(c)?),
                    _ => args.push(call_arg(c, depth + 1)?),
                }
            }
            ExprKind::Call { func, args, window }
        }
        _ => return Err(SyntaxError::internal(sp)),
    };
    Ok(Expr { kind, span: sp })
}

fn call_arg(p: P, depth: usize) -> Result<Arg> {
    let (mut name, mut distinct, mut value) = (None, None, None);
    for c in p.into_inner() {
        match c.as_rule() {
            Rule::arg_name => name = Some(ident(next(&mut c.into_inner()))),
            Rule::distinct => distinct = Some(span(&c)),
            _ => value = Some(expr_at(c, depth)?),
        }
    }
    let value = match value {
        Some(v) => v,
        None => unreachable_pair(),
    };
    Ok(Arg { name, distinct, value })
}

fn window_of(p: P) -> Result<Window> {
    let sp = span(&p);
    let (mut count, mut per) = (None, None);
    for c in inner(p) {
        match c.as_rule() {
            Rule::number => count = Some(num(c)?),
            _ => per = Some(period(c)),
        }
    }
    Ok(Window { count, period: per.unwrap_or(Period::Year), span: sp })
}

/// The next pair; the grammar guarantees it exists, so a missing one is an
/// internal error surfaced as an empty pair-less panic-free default.
fn next<'a>(it: &mut impl Iterator<Item = P<'a>>) -> P<'a> {
    match it.next() {
        Some(p) => p,
        None => unreachable_pair(),
    }
}

#[cold]
fn unreachable_pair() -> ! {
    // Only reachable if grammar/tier.pest and this file disagree: a bug in tier,
    // caught by the parser tests, never by user input the grammar accepted.
    unreachable!("grammar and parser disagree on a pair's shape")
}
