//! Extreme values through lets and criteria: decimals at the edges of their
//! range and scale, far dates, rates, with the arithmetic the input picks.
//! Evaluation never panics and the decision tables agree with the tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tierlang::eval::{Evaluator, Value};
use tierlang_fuzz::{compiled, records, today};

const OPS: [&str; 4] = ["+", "-", "*", "/"];
const FUNCS: [&str; 6] = ["days_since(d)", "months_since(d)", "abs(a)", "round(a, 2)", "min(a, b)", "max(a, b)"];

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    // The input picks the lets' operators and functions and the values.
    let op = |i: usize| OPS[usize::from(data[i]) % OPS.len()];
    let func = FUNCS[usize::from(data[4]) % FUNCS.len()];
    // Shaped to pass `tier check` (types and units agree; one let per criterion).
    let src = format!(
        "schema {{ id: text key  a: number  b: number  m: money  r: count per week  d: date?  n: integer }}
         let x = a {} b
         let y = m {} x
         let z = {func} {} n
         dimension v {{
           tier T1 {{ when x > 1M }}
           tier T2 {{ when y >= 1k and r >= 2/month }}
           tier T3 {{ when z {} 0 or d is present and d > 2000-01-01 }}
           tier T4 {{ otherwise }}
         }}",
        op(0),
        ["*", "/"][usize::from(data[1]) % 2],
        op(2),
        ["<", ">", "<=", "=="][usize::from(data[3]) % 4],
    );
    let Some((_, program)) = compiled(&src) else { return };
    let tree = Evaluator::new(&program, today());
    let tables = Evaluator::with_tables(&program, today());
    let mut frames = records(&program, 16, usize::from(data[5]), true);
    // And values straight from the bytes: mantissa and scale.
    for chunk in data[8..].chunks(13) {
        let mut m = [0u8; 16];
        m[..chunk.len().min(12)].copy_from_slice(&chunk[..chunk.len().min(12)]);
        let mantissa = i128::from_le_bytes(m) >> 32;
        let scale = u32::from(chunk.get(12).copied().unwrap_or(0) % 29);
        let Ok(d) = rust_decimal::Decimal::try_from_i128_with_scale(mantissa, scale) else { continue };
        if let Some(f) = frames.first().cloned() {
            let mut f = f;
            for v in f.iter_mut().skip(1) {
                if matches!(v, Value::Num(_)) {
                    *v = Value::Num(d);
                }
            }
            frames.push(f);
        }
    }
    for frame in frames {
        let (mut a, mut b) = (frame.clone(), frame.clone());
        assert_eq!(tree.evaluate(&mut a), tables.evaluate(&mut b), "{frame:?}");
    }
});
