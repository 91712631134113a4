//! Any policy text through every stage: parse, check, compile, evaluate a few
//! records with the tree evaluator and the decision tables (which must agree),
//! the policy's tests with coverage, the analysis, the tables, SQL for every
//! dialect and the explanations. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tierlang::eval::Evaluator;
use tierlang_fuzz::{compiled, policy_text, records, today};

fuzz_target!(|data: &[u8]| {
    let Some(src) = policy_text(data) else { return };
    let Ok(ast) = tierlang::syntax::parse(src) else { return };
    let outcome = tierlang::check::check(&ast, src);
    for d in &outcome.diagnostics {
        let _ = d.to_string();
    }
    let _ = tierlang::fmt::format(&ast, src);
    let Some((checked, program)) = compiled(src) else { return };
    let tree = Evaluator::new(&program, today());
    let tables = Evaluator::with_tables(&program, today());
    let explainer = tierlang::explain::Explainer::new(&checked, &program, src, today());
    for record in records(&program, 8, data.len(), false) {
        let (mut a, mut b) = (record.clone(), record.clone());
        let (x, y) = (tree.evaluate(&mut a), tables.evaluate(&mut b));
        assert_eq!(x, y, "the decision tables disagree with the tree evaluator on {record:?}");
        if let Ok(decisions) = &x {
            let _ = explainer.columns_for(decisions, &record);
        }
        let _ = explainer.explain(&record);
    }
    let suite = tierlang::testing::Suite { checked: &checked, program: &program, source: src, as_of: Some(today()) };
    let mut coverage = tierlang::coverage::Coverage::new(&checked);
    let _ = suite.run(None, Some(&mut coverage));
    let _ = coverage.gaps(src);
    let options = tierlang::analysis::Options { today: today(), explain_overlaps: true };
    let _ = tierlang::analysis::analyze(&checked, &program, src, options);
    let tables = tierlang::table::tables(&checked, src);
    for t in &tables {
        let _ = t.markdown();
    }
    let _ = tierlang::table::csv_records(&tables);
    use tierlang::sql::Dialect;
    for dialect in [Dialect::Duckdb, Dialect::Postgres, Dialect::Sqlite, Dialect::Spark, Dialect::Bigquery] {
        let _ = tierlang::sql::compile(&checked, &program, dialect, "customers", Some("tiers"), today());
    }
});
