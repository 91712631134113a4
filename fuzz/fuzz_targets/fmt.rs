//! The formatter's laws on any policy that parses: its output parses, is a
//! fixed point (fmt(fmt(x)) == fmt(x)), keeps the AST (spans aside), the check
//! result (the diagnostic codes) and, when it checks, every decision.
#![no_main]

use libfuzzer_sys::fuzz_target;
use miette::Diagnostic;
use tierlang::eval::Evaluator;
use tierlang::syntax::parse;
use tierlang_fuzz::{compiled, policy_text, records, today, without_spans};

fn codes(src: &str) -> Vec<String> {
    let Ok(ast) = parse(src) else { return vec!["parse".into()] };
    let outcome = tierlang::check::check(&ast, src);
    let mut codes: Vec<String> =
        outcome.diagnostics.iter().map(|d| d.code().map_or(String::new(), |c| c.to_string())).collect();
    codes.sort();
    codes
}

fuzz_target!(|data: &[u8]| {
    let Some(src) = policy_text(data) else { return };
    let Ok(ast) = parse(src) else { return };
    let once = tierlang::fmt::format(&ast, src);
    let again = parse(&once).unwrap_or_else(|e| panic!("formatted text does not parse: {e:?}\n{once}"));
    let twice = tierlang::fmt::format(&again, &once);
    assert_eq!(once, twice, "formatting is not idempotent");
    assert_eq!(without_spans(&format!("{ast:?}")), without_spans(&format!("{again:?}")), "formatting changed the AST");
    assert_eq!(codes(src), codes(&once), "formatting changed the check result");
    let (Some((_, p)), Some((_, q))) = (compiled(src), compiled(&once)) else { return };
    let (a, b) = (Evaluator::new(&p, today()), Evaluator::new(&q, today()));
    for record in records(&p, 8, data.len(), false) {
        let (mut x, mut y) = (record.clone(), record.clone());
        assert_eq!(a.evaluate(&mut x), b.evaluate(&mut y), "formatting changed the decision on {record:?}");
    }
});
