//! Strategy checks: one kind of value per key across a dimension's tiers, and a
//! strategy on every tier once some tier has one.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use miette::Diagnostic;
use tierlang::check::check;
use tierlang::syntax::parse;

fn codes(src: &str) -> Vec<String> {
    let ast = parse(src).unwrap();
    check(&ast, src).diagnostics.iter().map(|d| d.code().unwrap().to_string()).collect()
}

#[test]
fn a_key_with_two_kinds_of_value_is_an_error() {
    let src = r#"schema { id: text key  s: money }
        tier A { when s > 1 strategy { discount: 20% } }
        tier B { otherwise strategy { discount: "high" } }"#;
    assert_eq!(codes(src), ["tier::strategy_type_mismatch"]);
}

#[test]
fn money_and_numbers_agree_and_inherited_values_are_not_rechecked() {
    let src = r#"schema { id: text key  s: money }
        tier A { when s > 1 strategy { budget: ¥5000, visits: 1/month } }
        tier B { otherwise strategy extends A { budget: 2000 } }"#;
    assert!(codes(src).is_empty(), "{:?}", codes(src));
}

#[test]
fn a_tier_without_strategy_is_a_warning_only_where_others_have_one() {
    let with = "schema { id: text key  s: money }\ntier A { when s > 1 strategy { x: 1 } }\ntier B { otherwise }";
    assert_eq!(codes(with), ["tier::missing_strategy"]);
    let without = "schema { id: text key  s: money }\ntier A { when s > 1 }\ntier B { otherwise }";
    assert!(codes(without).is_empty());
}
