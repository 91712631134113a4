//! Expressions and values on one line, with the fewest parentheses that keep the
//! tree the same (so `parse(fmt(p)) == parse(p)`), operators spelled one way.

use crate::syntax::{BinOp, Expr, ExprKind, Key, MapEntry, Num, Rate, Value, ValueKind};

/// Binding strength, loosest first.
fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Or(_) => 1,
        ExprKind::And(_) => 2,
        ExprKind::Not(_) => 3,
        ExprKind::Compare { .. } | ExprKind::Between { .. } | ExprKind::In { .. } | ExprKind::Is { .. } => 4,
        ExprKind::Binary { op: BinOp::Add | BinOp::Sub, .. } => 5,
        ExprKind::Binary { .. } => 6,
        ExprKind::Neg(_) => 7,
        _ => 8,
    }
}

/// `e` printed where an operand of strength `min` is needed.
fn operand(e: &Expr, min: u8) -> String {
    let text = expr(e);
    if precedence(e) < min {
        format!("({text})")
    } else {
        text
    }
}

pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(n) => n.text.clone(),
        ExprKind::Money(m) => format!("{}{}", m.currency, m.amount.text),
        ExprKind::Rate(r) => rate(r),
        ExprKind::Date(d) => d.to_string(),
        ExprKind::Text(s) => string(s),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Name(n) => n.clone(),
        ExprKind::Today => "today".into(),
        ExprKind::Call { func, args, window } => {
            let args: Vec<String> = args
                .iter()
                .map(|a| {
                    let name = a.name.as_ref().map_or(String::new(), |n| format!("{}: ", n.name));
                    let distinct = if a.distinct.is_some() { "distinct " } else { "" };
                    format!("{name}{distinct}{}", expr(&a.value))
                })
                .collect();
            let mut out = format!("{}({})", func.name, args.join(", "));
            if let Some(w) = window {
                let count = w.count.as_ref().map_or(String::new(), |n| format!("{} ", n.text));
                let period = if w.count.is_some() { w.period.plural() } else { w.period.name().to_string() };
                out.push_str(&format!(" within last {count}{period}"));
            }
            out
        }
        ExprKind::Neg(x) => format!("-{}", operand(x, 7)),
        ExprKind::Binary { op, lhs, rhs } => {
            let p = precedence(e);
            format!("{} {} {}", operand(lhs, p), op.symbol(), operand(rhs, p + 1))
        }
        ExprKind::Compare { first, rest } => {
            let mut out = operand(first, 5);
            for (op, x) in rest {
                out.push_str(&format!(" {} {}", op.symbol(), operand(x, 5)));
            }
            out
        }
        ExprKind::Between { negated, value, low, high } => format!(
            "{} {}between {} and {}",
            operand(value, 5),
            if *negated { "not " } else { "" },
            operand(low, 5),
            operand(high, 5)
        ),
        ExprKind::In { negated, value, items } => format!(
            "{} {}in [{}]",
            operand(value, 5),
            if *negated { "not " } else { "" },
            items.iter().map(|i| operand(i, 5)).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Is { negated, value, present } => format!(
            "{} is {}{}",
            operand(value, 5),
            if *negated { "not " } else { "" },
            if *present { "present" } else { "missing" }
        ),
        ExprKind::Not(x) => match x.kind {
            ExprKind::Not(_) | ExprKind::Name(_) | ExprKind::Bool(_) | ExprKind::Call { .. } => {
                format!("not {}", expr(x))
            }
            _ => format!("not ({})", expr(x)),
        },
        // A nested `and` inside `and` (or `or` in `or`) was parenthesised by its
        // author; keep the parentheses so the tree stays the same. An `and` inside
        // `or` is always parenthesised: readers should not need the precedence table.
        ExprKind::And(xs) => xs.iter().map(|x| operand(x, 3)).collect::<Vec<_>>().join(" and "),
        ExprKind::Or(xs) => xs.iter().map(|x| operand(x, 3)).collect::<Vec<_>>().join(" or "),
    }
}

/// The operands of a top-level `and`/`or`, for breaking a long condition.
pub fn split_logic(e: &Expr) -> Option<(&'static str, Vec<String>)> {
    match &e.kind {
        ExprKind::And(xs) => Some(("and", xs.iter().map(|x| operand(x, 3)).collect())),
        ExprKind::Or(xs) => Some(("or", xs.iter().map(|x| operand(x, 3)).collect())),
        _ => None,
    }
}

pub fn rate(r: &Rate) -> String {
    let sep = if r.spelled_per { " per " } else { "/" };
    format!("{}{sep}{}", r.count.text, r.period.name())
}

pub fn number(n: &Num) -> String {
    n.text.clone()
}

pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn key(k: &Key) -> String {
    let bare = k.name.chars().next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && k.name.chars().all(|c| c == '_' || c.is_alphanumeric());
    if k.quoted || !bare {
        string(&k.name)
    } else {
        k.name.clone()
    }
}

/// A value on one line; maps as `{ a: 1, b: 2 }`.
pub fn value(v: &Value) -> String {
    match &v.kind {
        ValueKind::Text(s) => string(s),
        ValueKind::Symbol(s) => s.clone(),
        ValueKind::Number(n) => number(n),
        ValueKind::Money(m) => format!("{}{}", m.currency, m.amount.text),
        ValueKind::Rate(r) => rate(r),
        ValueKind::Date(d) => d.to_string(),
        ValueKind::Bool(b) => b.to_string(),
        ValueKind::List(xs) => format!("[{}]", xs.iter().map(value).collect::<Vec<_>>().join(", ")),
        ValueKind::Map(entries) if entries.is_empty() => "{}".into(),
        ValueKind::Map(entries) => format!("{{ {} }}", entries.iter().map(entry).collect::<Vec<_>>().join(", ")),
    }
}

pub fn entry(e: &MapEntry) -> String {
    format!("{}: {}", key(&e.key), value(&e.value))
}
