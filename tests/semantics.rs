//! Evaluation semantics through the library: the number model at tier boundaries,
//! rates and periods, missing values, functions, lets, hit policies, strategies.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use tierlang::check::StrategyValue;
use tierlang::compile::Program;
use tierlang::data::{decode, Cell};
use tierlang::eval::{Evaluator, Value};
use tierlang::number::Date;

use common::program;

/// The tier name per dimension of a record given as `field=value` cells.
fn tiers_at(p: &Program, today: &str, cells: &[(&str, &str)]) -> Vec<Option<String>> {
    let mut frame: Vec<Value> = p
        .fields
        .iter()
        .map(|f| {
            let cell = cells.iter().find(|(n, _)| *n == f.name).map(|(_, v)| Cell::Text(v.to_string()));
            decode(f, cell.as_ref()).unwrap_or_else(|e| panic!("field {}: {e:?}", f.name))
        })
        .collect();
    let decisions = Evaluator::new(p, Date::parse(today).unwrap()).evaluate(&mut frame).unwrap();
    decisions.iter().zip(&p.dimensions).map(|(d, dim)| d.tier.map(|i| dim.tiers[i].name.clone())).collect()
}

fn tier(p: &Program, cells: &[(&str, &str)]) -> String {
    tiers_at(p, "2025-01-01", cells)[0].clone().unwrap_or_else(|| "-".into())
}

const HOSPITALS: &str = r#"
schema { id: text key  spend: money  orders: count per year  bonus: number? }
tier VIP { when spend >= 1M }
tier Important { when 30万 <= spend < 100万 and orders >= 3/quarter }
tier General { when spend between 10万 and 30万 }
tier Small { otherwise }
"#;

#[test]
fn boundaries_compare_exactly() {
    let p = program(HOSPITALS);
    let t = |spend: &str, orders: &str| tier(&p, &[("id", "x"), ("spend", spend), ("orders", orders)]);
    assert_eq!(t("1000000", "0"), "VIP");
    assert_eq!(t("1,000,000.00", "0"), "VIP");
    assert_eq!(t("100万", "0"), "VIP");
    assert_eq!(t("1M", "0"), "VIP");
    assert_eq!(t("999999.99", "12"), "Important");
    assert_eq!(t("999999.99", "11"), "Small", "11 a year is below 3 a quarter");
    assert_eq!(t("300000", "12"), "Important");
    assert_eq!(t("299999.99", "12"), "General");
    assert_eq!(t("100000", "0"), "General");
    assert_eq!(t("99999.99", "0"), "Small");
}

#[test]
fn decimal_sums_have_no_float_surprises() {
    let p = program(
        "schema { id: text key  a: number  b: number }
         tier Exact { when a + b == 0.3 }
         tier Off { otherwise }",
    );
    assert_eq!(tier(&p, &[("id", "x"), ("a", "0.1"), ("b", "0.2")]), "Exact");
    let p = program(
        "schema { id: text key  a: money }
         tier Same { when a * 3 == 1.2M and 1.2M == 1_200_000 and 100万 == 1M and 20% == 0.2 }
         tier Off { otherwise }",
    );
    assert_eq!(tier(&p, &[("id", "x"), ("a", "400000")]), "Same");
}

#[test]
fn rates_normalise_between_periods() {
    let p = program(
        "schema { id: text key  visits: count per month  orders: count per quarter }
         tier A { when visits >= 3/quarter and orders >= 8 per half_year }
         tier B { when visits * 2 > orders }
         tier C { otherwise }",
    );
    // 1 a month = 3 a quarter; 4 a quarter = 8 a half year.
    assert_eq!(tier(&p, &[("id", "x"), ("visits", "1"), ("orders", "4")]), "A");
    assert_eq!(tier(&p, &[("id", "x"), ("visits", "0.9"), ("orders", "4")]), "B", "10.8*2 > 16 a year");
    assert_eq!(tier(&p, &[("id", "x"), ("visits", "0.5"), ("orders", "4")]), "C");
    // 2 a month * 2 = 48 a year > 3 a quarter = 12 a year.
    assert_eq!(tier(&p, &[("id", "x"), ("visits", "2"), ("orders", "3")]), "B");
}

#[test]
fn missing_values_make_comparisons_false() {
    let p = program(
        "schema { id: text key  credit: money? }
         tier High { when credit > 1000 }
         tier NotBetween { when credit not between 0 and 10 }
         tier NotHigh { when not (credit > 1000) and credit is present }
         tier Unknown { when credit is missing }",
    );
    assert_eq!(tier(&p, &[("id", "x"), ("credit", "5000")]), "High");
    assert_eq!(tier(&p, &[("id", "x"), ("credit", "500")]), "NotBetween");
    assert_eq!(tier(&p, &[("id", "x"), ("credit", "5")]), "NotHigh");
    assert_eq!(tier(&p, &[("id", "x"), ("credit", "")]), "Unknown");
    let p = program(
        "schema { id: text key  credit: money? }
         tier Negated { when not (credit > 1000) }
         tier Other { otherwise }",
    );
    assert_eq!(tier(&p, &[("id", "x")]), "Negated", "`not` negates the false comparison");
}

#[test]
fn division_by_zero_is_missing() {
    let p = program(
        "schema { id: text key  spend: money  orders: count per year }
         let avg = spend / orders
         tier Big { when avg > 1000 }
         tier NoOrders { when avg is missing }
         tier Rest { otherwise }",
    );
    assert_eq!(tier(&p, &[("id", "x"), ("spend", "5000"), ("orders", "2")]), "Big");
    assert_eq!(tier(&p, &[("id", "x"), ("spend", "5000"), ("orders", "0")]), "NoOrders");
}

/// `contains` finds one character or a longer text, ASCII or not; a byte of a
/// wider character is no match for an ASCII one.
#[test]
fn contains_finds_characters_and_texts() {
    let p = program(
        r#"schema { id: text key  invoice: text  needle: text }
           tier Hit { when contains(invoice, needle) }
           tier Miss { otherwise }"#,
    );
    let at = |invoice: &str, needle: &str| tier(&p, &[("id", "x"), ("invoice", invoice), ("needle", needle)]);
    for (invoice, needle, want) in [
        ("C536379", "C", "Hit"),
        ("536379", "C", "Miss"),
        ("5363C", "C", "Hit"),
        ("订单C1", "C", "Hit"),
        ("订单1", "单", "Hit"),
        ("订单1", "C", "Miss"),
        ("ab", "abc", "Miss"),
        ("xabcx", "abc", "Hit"),
    ] {
        assert_eq!(at(invoice, needle), want, "contains({invoice:?}, {needle:?})");
    }
}

#[test]
fn enums_sets_and_text() {
    let p = program(
        r#"schema { id: text key  region: enum(North, South, East, West)  channel: text }
           tier Coastal { when region in [East, "South"] }
           tier NotWest { when region != West and channel == "online" }
           tier Rest { otherwise }"#,
    );
    assert_eq!(tier(&p, &[("id", "x"), ("region", "South"), ("channel", "shop")]), "Coastal");
    assert_eq!(tier(&p, &[("id", "x"), ("region", "North"), ("channel", "online")]), "NotWest");
    assert_eq!(tier(&p, &[("id", "x"), ("region", "West"), ("channel", "online")]), "Rest");
}

#[test]
fn dates_today_and_functions() {
    let src = "schema { id: text key  last: date  first: date  spend: money  refund: money }
         let years = days_since(first) / 365
         tier Loyal { when days_since(last) <= 90 and years >= 2 }
         tier Recent { when last > today - 30 }
         tier Calc { when max(spend, 100) - min(refund, 5) == 95 and abs(refund - 20) == 10 and round(spend / 3, 2) == 3.33 }
         tier Rest { otherwise }";
    let p = program(src);
    let cells = |last, first, spend, refund| {
        vec![("id", "x"), ("last", last), ("first", first), ("spend", spend), ("refund", refund)]
    };
    assert_eq!(tiers_at(&p, "2024-06-30", &cells("2024-04-01", "2022-06-30", "0", "0"))[0].as_deref(), Some("Loyal"));
    assert_eq!(tiers_at(&p, "2024-06-30", &cells("2024-04-01", "2022-07-01", "0", "0"))[0].as_deref(), Some("Loyal"));
    assert_eq!(tiers_at(&p, "2024-06-30", &cells("2024-04-01", "2022-07-02", "0", "0"))[0].as_deref(), Some("Rest"));
    assert_eq!(tiers_at(&p, "2024-06-30", &cells("2024-06-29", "2024-01-01", "0", "0"))[0].as_deref(), Some("Recent"));
    assert_eq!(tiers_at(&p, "2024-06-30", &cells("2020-01-01", "2020-01-01", "10", "30"))[0].as_deref(), Some("Calc"));
}

#[test]
fn first_match_wins_and_gaps_have_no_tier() {
    let p = program(
        "schema { id: text key  spend: money }
         tier Broad { when spend > 10 }
         tier Narrow { when spend > 100 }",
    );
    assert_eq!(tier(&p, &[("id", "x"), ("spend", "1000")]), "Broad");
    assert_eq!(tier(&p, &[("id", "x"), ("spend", "5")]), "-");
}

#[test]
fn several_dimensions_and_hit_unique() {
    let p = program(
        "schema { id: text key  spend: money  last: date? }
         tier Big { when spend >= 1000 }
         tier Small { otherwise }
         dimension lifecycle {
           hit unique
           unordered
           tier Active { when days_since(last) <= 90 }
           tier Lost { when days_since(last) > 90 or last is missing }
         }",
    );
    let got = tiers_at(&p, "2024-06-30", &[("id", "x"), ("spend", "5000"), ("last", "2024-06-01")]);
    assert_eq!(got, [Some("Big".to_string()), Some("Active".to_string())]);
    let got = tiers_at(&p, "2024-06-30", &[("id", "x"), ("spend", "5"), ("last", "")]);
    assert_eq!(got, [Some("Small".to_string()), Some("Lost".to_string())]);

    let overlapping = program(
        "schema { id: text key  spend: money }
         dimension d { hit unique tier A { when spend > 1 } tier B { when spend > 2 } }",
    );
    let mut frame = vec![Value::Text("x".into()), Value::Num(5.into())];
    let err = Evaluator::new(&overlapping, Date(0)).evaluate(&mut frame).unwrap_err();
    assert!(err.to_string().contains("`A` and `B`"), "{err}");
}

#[test]
fn strategies_extend_and_merge() {
    let p = program(
        r#"schema { id: text key  spend: money }
           tier Gold { when spend > 10 strategy { visits: 1/month, perks: { gift: true, lounge: "airport" }, tags: ["a"] } }
           tier Silver { otherwise strategy extends Gold { perks: { lounge: "none" }, discount: 5% } }"#,
    );
    let silver = &p.dimensions[0].tiers[1].strategy;
    assert_eq!(silver.keys().collect::<Vec<_>>(), ["visits", "perks", "tags", "discount"]);
    let StrategyValue::Map(perks) = &silver["perks"] else { panic!() };
    assert_eq!(perks["gift"], StrategyValue::Bool(true), "nested maps merge key by key");
    assert_eq!(perks["lounge"], StrategyValue::Text("none".into()));
    // Percentages are written as written, as rates are; they compare as numbers.
    assert_eq!(silver["discount"].to_json().to_string(), "\"5%\"");
    assert_eq!(silver["discount"].to_text(), "5%");
    assert!(silver["discount"].same(&StrategyValue::Number("0.05".parse().unwrap())));
    assert_eq!(silver["visits"].to_text(), "1/month");
}

#[test]
fn months_and_years_since_count_completed_calendar_periods() {
    let p = program(
        "schema { id: text key  joined: date }\n\
         let months = months_since(joined)\n\
         tier Y3 { when years_since(joined) >= 3 }\n\
         tier M6 { when months >= 6 }\n\
         tier New { otherwise }",
    );
    let at = |today: &str, joined: &str| tiers_at(&p, today, &[("id", "c1"), ("joined", joined)])[0].clone().unwrap();
    // Three years are complete on the third anniversary, not a day before.
    assert_eq!(at("2025-06-30", "2022-06-30"), "Y3");
    assert_eq!(at("2025-06-29", "2022-06-30"), "M6");
    // 365-day years would drift across the leap day; calendar years do not.
    assert_eq!(at("2024-02-28", "2021-02-28"), "Y3");
    assert_eq!(at("2024-02-27", "2021-02-28"), "M6");
    // A month from the 31st completes on the last day of a shorter month.
    assert_eq!(at("2024-07-31", "2024-01-31"), "M6");
    assert_eq!(at("2024-07-30", "2024-01-31"), "New");
    assert_eq!(at("2023-08-31", "2023-02-28"), "M6");
    // Born on a leap day: a year completes on 28 February of a common year.
    assert_eq!(at("2023-02-28", "2020-02-29"), "Y3");
    assert_eq!(at("2023-02-27", "2020-02-29"), "M6");
    // A date after today gives a negative count: no tier above New.
    assert_eq!(at("2024-01-01", "2025-01-01"), "New");
}
