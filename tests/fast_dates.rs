//! Terms computed from one date (`days_since(d)`, `months_since(d)`, a date
//! shifted by a constant) are classed column-wise on the parallel path, each
//! distinct day once and remembered in a table shared by the workers. The law:
//! every record gets the tiers the tree evaluator gives it, whatever the days
//! (any year 0000..9999, days far enough apart to share a slot of the table,
//! the same day many times) and whatever `today` is.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use proptest::prelude::*;
use tierlang::data::fast::{run_sized, Sizes, Source};
use tierlang::data::Format;
use tierlang::eval::{Evaluator, Value};
use tierlang::number::Date;

const POLICY: &str = r#"
schema {
  id: text key
  first: date
  last: date?
}
dimension lifecycle {
  tier New { when months_since(first) < 12 }
  tier Active { when last is present and days_since(last) <= 180 }
  tier Lapsing { when last is present and days_since(last) <= 540 }
  tier Lost { otherwise }
}
dimension era {
  tier Future { when days_since(first) < 0 }
  tier Decade { when months_since(first) <= 120 }
  tier Old { otherwise }
}
"#;

/// Days from 0000-01-01 to 9999-12-31, and a few days 2^14 apart (they share a
/// slot of the day table) around a `today`-ish day, repeated.
fn day(near: i32) -> impl Strategy<Value = i32> {
    prop_oneof![
        Date::MIN.0..=Date::MAX.0,
        (-3i32..=3, 0i32..40).prop_map(move |(k, d)| near + k * (1 << 14) + d),
        (0i32..800).prop_map(move |d| near - d),
    ]
    .prop_map(|d| d.clamp(Date::MIN.0, Date::MAX.0))
}

/// Each record's tiers as the tree evaluator decides them, as `--tiers-only` writes them.
fn expected(program: &tierlang::compile::Program, rows: &[(i32, Option<i32>)], today: Date) -> String {
    let ev = Evaluator::new(program, today);
    let mut out = String::from("id,lifecycle,era\n");
    for (i, &(first, last)) in rows.iter().enumerate() {
        let mut frame =
            vec![Value::Missing, Value::Date(Date(first)), last.map_or(Value::Missing, |d| Value::Date(Date(d)))];
        let decisions = ev.evaluate(&mut frame).unwrap();
        let names: Vec<&str> = decisions
            .iter()
            .zip(&program.dimensions)
            .map(|(d, dim)| d.tier.map_or("", |t| dim.tiers[t].name.as_str()))
            .collect();
        out.push_str(&format!("K{i},{}\n", names.join(",")));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn date_terms_decided_column_wise_match_the_evaluator(
        (today, rows) in (0i32..30_000).prop_flat_map(|today| {
            (Just(today), prop::collection::vec((day(today), prop::option::of(day(today))), 1..400))
        }),
        chunk in 16usize..4096,
    ) {
        let program = common::program(POLICY);
        let mut input = String::from("id,first,last\n");
        for (i, (first, last)) in rows.iter().enumerate() {
            let last = last.map_or(String::new(), |d| Date(d).to_string());
            input.push_str(&format!("K{i},{},{last}\n", Date(*first)));
        }
        let mut out = Vec::new();
        let sizes = Sizes { block: chunk * 4, chunk };
        run_sized(&program, Source::Read(input.as_bytes()), &mut out, Format::Csv, true, Date(today), sizes)
            .unwrap_or_else(|_| panic!("the fast path handed back plain dates:\n{input}"));
        let want = expected(&program, &rows, Date(today));
        if let Some(d) = common::first_difference(&out, want.as_bytes()) {
            panic!("fast path against the evaluator, today {}: {d}", Date(today));
        }
    }
}
