//! Parser tests: every construct of the v1 language parses to the AST it means.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use tierlang::number::{Date, Decimal, Period};
use tierlang::syntax::*;

fn parse_ok(src: &str) -> Policy {
    match parse(src) {
        Ok(p) => p,
        Err(e) => panic!("did not parse: {e:?}\n{src}"),
    }
}

/// The condition of the first tier of a one-tier policy.
fn when(cond: &str) -> Expr {
    let p = parse_ok(&format!("tier T {{ when {cond} }}"));
    let Some(Item::Tier(t)) = p.items.into_iter().next() else { panic!("no tier") };
    match t.clauses.into_iter().next() {
        Some(TierClause::When(e)) => e,
        other => panic!("no when: {other:?}"),
    }
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn num_of(e: &Expr) -> (Decimal, String) {
    match &e.kind {
        ExprKind::Number(n) => (n.value, n.text.clone()),
        other => panic!("not a number: {other:?}"),
    }
}

#[test]
fn header_schema_and_field_options() {
    let p = parse_ok(
        r#"policy "Hospitals" { version: 3, owner: "sales-ops"; currency: CNY }
        schema {
          id: text key
          spend: money from "年度采购额"
          orders: count per year
          visits: count per half_year
          n: integer
          c: count
          score: number?
          region: enum(North, "South-East", West,)
          last: date
          flag: bool
        }"#,
    );
    let Item::Header(h) = &p.items[0] else { panic!() };
    assert_eq!(h.title.as_ref().unwrap().value, "Hospitals");
    let keys: Vec<&str> = h.entries.iter().map(|e| e.key.name.as_str()).collect();
    assert_eq!(keys, ["version", "owner", "currency"]);
    assert_eq!(h.entries[2].value.kind, ValueKind::Symbol("CNY".into()));
    let Item::Schema(s) = &p.items[1] else { panic!() };
    let kinds: Vec<&TypeKind> = s.fields.iter().map(|f| &f.ty.kind).collect();
    assert_eq!(kinds[0], &TypeKind::Text);
    assert!(s.fields[0].key.is_some());
    assert_eq!(s.fields[1].from[0].value, "年度采购额");
    assert_eq!(kinds[2], &TypeKind::Rate(Period::Year));
    assert_eq!(kinds[3], &TypeKind::Rate(Period::HalfYear));
    assert_eq!(kinds[4], &TypeKind::Integer);
    assert_eq!(kinds[5], &TypeKind::Count);
    assert!(s.fields[6].optional);
    let TypeKind::Enum(values) = kinds[7] else { panic!() };
    let names: Vec<(&str, bool)> = values.iter().map(|v| (v.name.as_str(), v.quoted)).collect();
    assert_eq!(names, [("North", false), ("South-East", true), ("West", false)]);
    assert_eq!(kinds[8], &TypeKind::Date);
    assert_eq!(kinds[9], &TypeKind::Bool);
}

#[test]
fn numbers_keep_their_spelling_and_exact_value() {
    for (text, value) in [
        ("1_000_000", "1000000"),
        ("1.2M", "1200000"),
        ("300k", "300000"),
        ("100万", "1000000"),
        ("2亿", "200000000"),
        ("20%", "0.2"),
        ("1.5B", "1500000000"),
        ("0.1", "0.1"),
    ] {
        let e = when(&format!("x > {text}"));
        let ExprKind::Compare { rest, .. } = &e.kind else { panic!() };
        assert_eq!(num_of(&rest[0].1), (dec(value), text.to_string()));
    }
}

#[test]
fn rates_money_dates_strings_bools() {
    let e = when(
        "a >= 3/quarter and b >= 3 per quarters and c > ¥5000 and d >= 2024-02-29 and e == \"x\\\"y\" and f == true",
    );
    let ExprKind::And(parts) = e.kind else { panic!() };
    let rhs = |i: usize| match &parts[i].kind {
        ExprKind::Compare { rest, .. } => rest[0].1.kind.clone(),
        other => panic!("{other:?}"),
    };
    let ExprKind::Rate(r) = rhs(0) else { panic!() };
    assert_eq!((r.count.value, r.period, r.spelled_per), (dec("3"), Period::Quarter, false));
    let ExprKind::Rate(r) = rhs(1) else { panic!() };
    assert_eq!((r.period, r.spelled_per), (Period::Quarter, true));
    let ExprKind::Money(m) = rhs(2) else { panic!() };
    assert_eq!((m.currency.as_str(), m.amount.value), ("¥", dec("5000")));
    assert_eq!(rhs(3), ExprKind::Date(Date::from_ymd(2024, 2, 29).unwrap()));
    assert_eq!(rhs(4), ExprKind::Text("x\"y".into()));
    assert_eq!(rhs(5), ExprKind::Bool(true));
}

#[test]
fn comparison_operators_in_both_spellings() {
    for (text, op) in [
        ("<", CmpOp::Lt),
        ("<=", CmpOp::Le),
        ("≤", CmpOp::Le),
        (">", CmpOp::Gt),
        (">=", CmpOp::Ge),
        ("≥", CmpOp::Ge),
        ("==", CmpOp::Eq),
        ("!=", CmpOp::Ne),
        ("≠", CmpOp::Ne),
    ] {
        let e = when(&format!("x {text} 1"));
        let ExprKind::Compare { rest, .. } = e.kind else { panic!() };
        assert_eq!(rest[0].0, op, "{text}");
    }
}

#[test]
fn chained_comparison_between_in_is() {
    let ExprKind::Compare { rest, .. } = when("30万 <= x < 100万").kind else { panic!() };
    assert_eq!(rest.iter().map(|r| r.0).collect::<Vec<_>>(), [CmpOp::Le, CmpOp::Lt]);

    let ExprKind::Between { negated, low, high, .. } = when("x not between 10万 and 30万").kind else { panic!() };
    assert!(negated);
    assert_eq!(num_of(&low).1, "10万");
    assert_eq!(num_of(&high).1, "30万");

    let ExprKind::In { negated, items, .. } = when("region not in [North, \"East\",]").kind else { panic!() };
    assert!(negated);
    assert_eq!(items[0].kind, ExprKind::Name("North".into()));
    assert_eq!(items[1].kind, ExprKind::Text("East".into()));

    let ExprKind::Is { negated, present, .. } = when("x is not missing").kind else { panic!() };
    assert!(negated && !present);
    let ExprKind::Is { negated, present, .. } = when("x is present").kind else { panic!() };
    assert!(!negated && present);
}

#[test]
fn precedence_of_logic_and_arithmetic() {
    // not > and > or; * / over + -; left-associative.
    let ExprKind::Or(parts) = when("a > 1 or not b > 2 and c > 3").kind else { panic!() };
    assert_eq!(parts.len(), 2);
    let ExprKind::And(ands) = &parts[1].kind else { panic!() };
    assert!(matches!(ands[0].kind, ExprKind::Not(_)));

    let ExprKind::Compare { first, .. } = when("a - b - c * d / 2 > 0").kind else { panic!() };
    let ExprKind::Binary { op: BinOp::Sub, lhs, rhs } = first.kind else { panic!() };
    assert!(matches!(lhs.kind, ExprKind::Binary { op: BinOp::Sub, .. }));
    assert!(matches!(rhs.kind, ExprKind::Binary { op: BinOp::Div, .. }));

    let ExprKind::Compare { first, .. } = when("-(a + b) * 2 > 0").kind else { panic!() };
    let ExprKind::Binary { op: BinOp::Mul, lhs, .. } = first.kind else { panic!() };
    assert!(matches!(lhs.kind, ExprKind::Neg(_)));
}

#[test]
fn functions_and_today() {
    let ExprKind::And(parts) = when("days_since(last) <= max(30, round(x / 7, 1)) and today() > 2020-01-01").kind
    else {
        panic!()
    };
    let ExprKind::Compare { first, rest } = &parts[0].kind else { panic!() };
    let ExprKind::Call { func, args, .. } = &first.kind else { panic!() };
    assert_eq!((func.name.as_str(), args.len()), ("days_since", 1));
    let ExprKind::Call { func, args, .. } = &rest[0].1.kind else { panic!() };
    assert_eq!((func.name.as_str(), args.len()), ("max", 2));
    let ExprKind::Compare { first, .. } = &parts[1].kind else { panic!() };
    assert_eq!(first.kind, ExprKind::Today);
    let ExprKind::Compare { first, .. } = when("today > 2020-01-01").kind else { panic!() };
    assert_eq!(first.kind, ExprKind::Today);
}

#[test]
fn lets_tiers_labels_strategies() {
    let p = parse_ok(
        r#"
        let avg = spend / orders   # per order
        tier VIP客户 "VIP 客户" {
          when spend > 100万
          when orders >= 3/quarter
          strategy {
            account_manager: "dedicated"
            visits: 1/month
            discount: 20%
            budget: ¥5000
            credit: -5
            key: true          # a keyword as a key
            "free text key": 2024-01-01
            activities: ["training", "exchange"]
            contact: { phone: true, email: false }
          }
        }
        tier Small { otherwise strategy extends VIP客户 { visits: 0/year } }
        "#,
    );
    let Item::Let(l) = &p.items[0] else { panic!() };
    assert_eq!(l.name.name, "avg");
    let Item::Tier(t) = &p.items[1] else { panic!() };
    assert_eq!(t.name.name, "VIP客户");
    assert_eq!(t.label.as_ref().unwrap().value, "VIP 客户");
    assert_eq!(t.clauses.len(), 3, "two whens and a strategy");
    let TierClause::Strategy(s) = &t.clauses[2] else { panic!() };
    let keys: Vec<&str> = s.entries.iter().map(|e| e.key.name.as_str()).collect();
    assert_eq!(
        keys,
        ["account_manager", "visits", "discount", "budget", "credit", "key", "free text key", "activities", "contact"]
    );
    let ValueKind::Number(n) = &s.entries[4].value.kind else { panic!() };
    assert_eq!(n.value, dec("-5"));
    assert!(matches!(&s.entries[8].value.kind, ValueKind::Map(m) if m.len() == 2));
    let Item::Tier(small) = &p.items[2] else { panic!() };
    assert!(matches!(small.clauses[0], TierClause::Otherwise(_)));
    let TierClause::Strategy(s) = &small.clauses[1] else { panic!() };
    assert_eq!(s.extends.as_ref().unwrap().name, "VIP客户");
}

#[test]
fn dimensions_with_options() {
    let p = parse_ok(
        r#"dimension lifecycle "生命周期" {
             hit unique
             unordered
             tier Active { when days_since(last) <= 90 }
             tier Lost { when last is missing }
           }"#,
    );
    let Item::Dimension(d) = &p.items[0] else { panic!() };
    assert_eq!(d.name.name, "lifecycle");
    assert_eq!(d.label.as_ref().unwrap().value, "生命周期");
    let kinds: Vec<DimOptionKind> = d.options.iter().map(|o| o.kind).collect();
    assert_eq!(kinds, [DimOptionKind::HitUnique, DimOptionKind::Unordered]);
    assert_eq!(d.tiers.len(), 2);
}

#[test]
fn tests_with_given_and_expectations() {
    let p = parse_ok(
        r#"test "1.2M is VIP" {
             given defaults { spend: 1.2M, orders: 10/quarter, region: North, note: "x", last: missing }
             expect VIP
             expect lifecycle.Active
             expect none
             expect strategy.visits == 1/month
             expect lifecycle.strategy.contact.phone != false
           }"#,
    );
    let Item::Test(t) = &p.items[0] else { panic!() };
    assert_eq!(t.name.value, "1.2M is VIP");
    let TestItem::Given(g) = &t.items[0] else { panic!() };
    assert!(g.defaults);
    assert_eq!(g.entries.len(), 5);
    assert!(g.entries[4].value.is_none(), "`missing`");
    let TestItem::ExpectTier(e) = &t.items[1] else { panic!() };
    assert_eq!((e.dimension.is_none(), e.tier.as_ref().unwrap().name.as_str()), (true, "VIP"));
    let TestItem::ExpectTier(e) = &t.items[2] else { panic!() };
    assert_eq!(e.dimension.as_ref().unwrap().name, "lifecycle");
    let TestItem::ExpectTier(e) = &t.items[3] else { panic!() };
    assert!(e.tier.is_none());
    let TestItem::ExpectStrategy(e) = &t.items[4] else { panic!() };
    assert_eq!((e.path.len(), e.op), (1, CmpOp::Eq));
    let TestItem::ExpectStrategy(e) = &t.items[5] else { panic!() };
    assert_eq!(e.dimension.as_ref().unwrap().name, "lifecycle");
    let path: Vec<&str> = e.path.iter().map(|k| k.name.as_str()).collect();
    assert_eq!((path, e.op), (vec!["contact", "phone"], CmpOp::Ne));
}

#[test]
fn spans_point_at_the_source() {
    let src = "tier VIP { when annual_purchase > 100万 }";
    let Ok(p) = parse(src) else { panic!() };
    let Item::Tier(t) = &p.items[0] else { panic!() };
    assert_eq!(&src[t.name.span.clone()], "VIP");
    let TierClause::When(e) = &t.clauses[0] else { panic!() };
    assert_eq!(&src[e.span.clone()], "annual_purchase > 100万");
    let ExprKind::Compare { first, rest } = &e.kind else { panic!() };
    assert_eq!(&src[first.span.clone()], "annual_purchase");
    assert_eq!(&src[rest[0].1.span.clone()], "100万");
}

#[test]
fn comments_and_whitespace_are_ignored() {
    let a = parse_ok("tier A { when x > 1 } # trailing\n# own line\ntier B { otherwise }");
    let b = parse_ok("tier A{when x>1}tier B{otherwise}");
    assert_eq!(a.items.len(), b.items.len());
}

#[test]
fn syntax_errors_say_where_and_what_was_expected() {
    let cases = [
        ("tier A { when x > }", "an expression"),
        ("tier A { when x > 1 && y > 2 }", "a comparison"),
        ("schema { x: moneyy }", "a field type"),
        ("tier A { when x > 1 ", "`when`, `otherwise`, `strategy`"),
        ("tier { otherwise }", "a name"),
        ("schema { x: count per fortnight }", "a period"),
    ];
    for (src, expected) in cases {
        let Err(SyntaxError::Unexpected { expected: got, .. }) = parse(src) else {
            panic!("`{src}` should fail to parse")
        };
        assert!(got.contains(expected), "`{src}`: expected to mention {expected:?}, got {got:?}");
    }
    let Err(e) = parse("tier A {\n  when x > 1 && y\n}") else { panic!() };
    assert_eq!(e.span().offset(), "tier A {\n  when x > 1 ".len());
}

#[test]
fn out_of_range_numbers_and_impossible_dates_are_errors() {
    assert!(matches!(
        parse("tier A { when x > 99999999999999999999999999999999 }"),
        Err(SyntaxError::BadNumber { .. })
    ));
    assert!(matches!(parse("tier A { when d > 2023-02-29 }"), Err(SyntaxError::BadDate { .. })));
}

#[test]
fn fields_declare_which_way_they_count() {
    let p = parse_ok("schema { id: text key  spend: money prefer higher  risk: number? prefer lower  prefer: text }");
    let Item::Schema(s) = &p.items[0] else { panic!() };
    let prefs: Vec<Option<bool>> = s.fields.iter().map(|f| f.prefer.as_ref().map(|p| p.0)).collect();
    assert_eq!(prefs, [None, Some(true), Some(false), None]);
    assert_eq!(s.fields[3].name.name, "prefer", "`prefer` stays usable as a field name");
}

#[test]
fn events_metrics_population_and_call_options() {
    let p = parse_ok(
        r#"events orders {
          customer: integer key from "CustomerID" or "Customer ID"
          at: datetime time from "InvoiceDate"
          amount: money
          let net = amount * 2
          where not contains(customer, "C")
        }
        metric spend = sum(net) within last 12 months
        metric visits = count(distinct at) within last quarter
        metric r = rank(spend, ties: first)
        population where spend > 0"#,
    );
    let Some(Item::Events(e)) = p.items.first() else { panic!("no events") };
    assert_eq!(e.name.name, "orders");
    let EventsEntry::Field(customer) = &e.entries[0] else { panic!() };
    let names: Vec<&str> = customer.from.iter().map(|s| s.value.as_str()).collect();
    assert_eq!((customer.key.is_some(), names), (true, vec!["CustomerID", "Customer ID"]));
    let EventsEntry::Field(at) = &e.entries[1] else { panic!() };
    assert_eq!((at.ty.kind.clone(), at.time.is_some()), (TypeKind::DateTime, true));
    assert!(matches!(&e.entries[3], EventsEntry::Let(l) if l.name.name == "net"));
    assert!(matches!(&e.entries[4], EventsEntry::Where(w) if matches!(w.kind, ExprKind::Not(_))));
    let metric = |i: usize| match &p.items[i] {
        Item::Metric(m) => m.clone(),
        other => panic!("not a metric: {other:?}"),
    };
    let ExprKind::Call { func, args, window } = metric(1).expr.kind else { panic!() };
    let w = window.unwrap();
    assert_eq!(
        (func.name.as_str(), args.len(), w.count.unwrap().text, w.period),
        ("sum", 1, "12".into(), Period::Month)
    );
    let ExprKind::Call { args, window, .. } = metric(2).expr.kind else { panic!() };
    assert!(args[0].distinct.is_some());
    assert_eq!(window.map(|w| (w.count.is_none(), w.period)), Some((true, Period::Quarter)));
    let ExprKind::Call { args, .. } = metric(3).expr.kind else { panic!() };
    assert_eq!(args[1].name.as_ref().map(|n| n.name.as_str()), Some("ties"));
    assert_eq!(args[1].value.kind, ExprKind::Name("first".into()));
    assert!(matches!(&p.items[4], Item::Population(pop) if matches!(pop.expr.kind, ExprKind::Compare { .. })));
}

#[test]
fn a_test_states_its_population_as_a_list_of_records() {
    let p = parse_ok(r#"test "t" { population [ { a: 1 }, { a: 2, b: "x" } ] given { a: 3 } expect T }"#);
    let Some(Item::Test(t)) = p.items.first() else { panic!() };
    let TestItem::Population(v) = &t.items[0] else { panic!("{:?}", t.items[0]) };
    let ValueKind::List(rows) = &v.kind else { panic!() };
    assert_eq!(rows.len(), 2);
    assert!(matches!(&rows[1].kind, ValueKind::Map(entries) if entries.len() == 2));
}

#[test]
fn retention_budgets_and_combinations() {
    let p = parse_ok(
        r#"dimension value {
          ordered
          retention { promote immediately  demote after 2 evaluations below
                      demote at most 1 tier per evaluation  keep VIP for 12 months after promotion }
          tier VIP { when spend > 1 }
        }
        budget marketing ¥1M per year { VIP: 50%, Small: 50% }
        budget hours 300 by weight { VIP: 3 }
        when value is VIP and lifecycle is AtRisk override { strategy { call: true } }"#,
    );
    let Some(Item::Dimension(d)) = p.items.first() else { panic!() };
    let kinds: Vec<RetentionKind> = d.retention.as_ref().unwrap().rules.iter().map(|r| r.kind.clone()).collect();
    assert_eq!(kinds[0], RetentionKind::PromoteImmediately);
    assert!(matches!(&kinds[1], RetentionKind::DemoteAfter(n) if n.text == "2"));
    assert!(matches!(&kinds[2], RetentionKind::DemoteAtMost(n) if n.text == "1"));
    assert!(
        matches!(&kinds[3], RetentionKind::Keep { tier, count, period } if tier.name == "VIP" && count.text == "12" && *period == Period::Month)
    );
    let Item::Budget(b) = &p.items[1] else { panic!() };
    assert_eq!(
        (b.name.name.as_str(), b.period, b.by_weight, b.entries.len()),
        ("marketing", Some(Period::Year), false, 2)
    );
    assert!(matches!(&b.amount.kind, ValueKind::Money(m) if m.currency == "¥" && m.amount.value == dec("1000000")));
    assert_eq!(b.entries[0].1.value, dec("0.5"));
    let Item::Budget(h) = &p.items[2] else { panic!() };
    assert_eq!((h.period, h.by_weight), (None, true));
    let Item::Combination(c) = &p.items[3] else { panic!() };
    let conds: Vec<(&str, &str)> = c.conditions.iter().map(|(d, t)| (d.name.as_str(), t.name.as_str())).collect();
    assert_eq!(conds, [("value", "VIP"), ("lifecycle", "AtRisk")]);
    assert!(c.override_);
    assert_eq!(c.strategy.entries[0].key.name, "call");
}
