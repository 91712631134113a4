//! What the fuzz targets share: the input caps, the pipeline from text to a
//! compiled program, and records generated from a policy's own constants.

use rust_decimal::Decimal;
use tierlang::check::{check, Checked, Ty};
use tierlang::compile::{compile, Node, Program};
use tierlang::eval::Value;
use tierlang::number::Date;
use tierlang::syntax::parse;

/// Longest policy text the policy and fmt targets take (also `-max_len`).
pub const MAX_LEN: usize = 4096;
/// Deepest bracket nesting they take: deeper parser recursion is the open
/// `tier::too_deep` work (docs/fuzzing.md), not something to find again.
pub const MAX_DEPTH: usize = 24;
/// Most prefix operators (`not`, `-`) they take, for the same reason.
pub const MAX_PREFIX: usize = 48;

/// The date every target stands on.
pub fn today() -> Date {
    Date(19_900)
}

/// The text of a policy input, if within the caps.
pub fn policy_text(data: &[u8]) -> Option<&str> {
    let src = std::str::from_utf8(data).ok()?;
    (src.len() <= MAX_LEN && depth(src) <= MAX_DEPTH && prefixes(src) <= MAX_PREFIX).then_some(src)
}

fn depth(src: &str) -> usize {
    let (mut d, mut max) = (0usize, 0usize);
    for b in src.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                d += 1;
                max = max.max(d);
            }
            b')' | b']' | b'}' => d = d.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn prefixes(src: &str) -> usize {
    src.matches("not").count() + src.matches('-').count() + src.matches('!').count()
}

/// Parsed, checked without errors, compiled.
pub fn compiled(src: &str) -> Option<(Checked, Program)> {
    let ast = parse(src).ok()?;
    let outcome = check(&ast, src);
    if outcome.diagnostics.iter().any(|d| d.is_error()) {
        return None;
    }
    let checked = outcome.checked?;
    let program = compile(&checked);
    Some((checked, program))
}

fn constants(n: &Node, out: &mut Vec<Value>) {
    match n {
        Node::Const(v) => out.push(v.clone()),
        Node::Slot(_) | Node::Today => {}
        Node::Neg(x) | Node::Not(x) => constants(x, out),
        Node::Is { value, .. } => constants(value, out),
        Node::Arith(_, l, r) => {
            constants(l, out);
            constants(r, out);
        }
        Node::Compare(first, rest) => {
            constants(first, out);
            rest.iter().for_each(|(_, x)| constants(x, out));
        }
        Node::Between { value, low, high, .. } => [value, low, high].iter().for_each(|x| constants(x, out)),
        Node::In { value, items, .. } => {
            constants(value, out);
            items.iter().for_each(|x| constants(x, out));
        }
        Node::And(xs) | Node::Or(xs) | Node::Call(_, xs) => xs.iter().for_each(|x| constants(x, out)),
    }
}

/// Candidate values per field: the policy's constants, a cent and a unit
/// either side, zero, extremes; missing for optional fields.
pub fn candidates(p: &Program, extremes: bool) -> Vec<Vec<Value>> {
    let mut consts = Vec::new();
    for d in &p.dimensions {
        d.tiers.iter().filter_map(|t| t.condition.as_ref()).for_each(|c| constants(c, &mut consts));
    }
    p.lets.iter().for_each(|(_, n)| constants(n, &mut consts));
    let cent = Decimal::new(1, 2);
    let mut nums = vec![Decimal::ZERO, Decimal::from(-1), Decimal::new(12345, 1)];
    if extremes {
        nums.extend([Decimal::MAX, Decimal::MIN, Decimal::new(1, 28), Decimal::new(-1, 28), Decimal::from(i64::MAX)]);
    }
    let t = today().0;
    let mut dates = vec![t, t - 1, t + 1];
    if extremes {
        dates.extend([i32::MIN / 2, i32::MAX / 2, -719_528, 2_932_896]);
    }
    for c in &consts {
        match c {
            Value::Num(d) => {
                for delta in [Decimal::ZERO, cent, -cent, Decimal::ONE, -Decimal::ONE] {
                    nums.extend(d.checked_add(delta));
                }
            }
            Value::Date(d) => dates.extend([d.0, d.0 - 1, d.0 + 1]),
            _ => {}
        }
    }
    let texts: Vec<Value> =
        consts.iter().filter(|c| matches!(c, Value::Text(_))).cloned().chain([Value::Text("other".into())]).collect();
    p.fields
        .iter()
        .map(|f| {
            let mut vs: Vec<Value> = match f.ty {
                Ty::Number | Ty::Money | Ty::Integer | Ty::Rate | Ty::Lit => {
                    nums.iter().map(|d| Value::Num(*d)).collect()
                }
                Ty::Date | Ty::DateTime => dates.iter().map(|d| Value::Date(Date(*d))).collect(),
                Ty::Enum(_) => (0..f.enum_values.len() as u32).map(Value::Enum).collect(),
                Ty::Bool => vec![Value::Bool(true), Value::Bool(false)],
                Ty::Text | Ty::Error => texts.clone(),
            };
            if f.optional || vs.is_empty() {
                vs.push(Value::Missing);
            }
            vs
        })
        .collect()
}

/// `n` records cycling through the candidates, shifted by `seed`.
pub fn records(p: &Program, n: usize, seed: usize, extremes: bool) -> Vec<Vec<Value>> {
    let cands = candidates(p, extremes);
    (0..n)
        .map(|r| {
            cands
                .iter()
                .enumerate()
                .map(|(f, vs)| vs[(r.wrapping_mul(f + 1).wrapping_add(seed)) % vs.len()].clone())
                .collect()
        })
        .collect()
}

/// The AST's debug form with every byte span blanked out (as tests/fmt.rs).
pub fn without_spans(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len());
    let bytes = debug.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let digits = |from: usize| bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
        let a = digits(i);
        let starts_number = a > 0 && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        if starts_number && debug[i + a..].starts_with("..") {
            let b = digits(i + a + 2);
            if b > 0 {
                out.push('_');
                i += a + 2 + b;
                continue;
            }
        }
        out.push(bytes[i] as char);
        i += 1;
    }
    out
}
