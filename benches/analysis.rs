//! Decision-table analysis cost on generated policies: 50 tiers over 10 fields
//! (the target: well under a second), and how it grows with tiers and fields.
//!
//!     cargo bench --bench analysis

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use tierlang::analysis::{analyze, Options};
use tierlang::check::check;
use tierlang::compile::compile;
use tierlang::number::Date;
use tierlang::syntax::parse;

/// A deterministic policy: each tier asks for 2–3 bounds on random fields.
pub fn policy(tiers: usize, fields: usize) -> String {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut src = String::from("schema {\n  id: text key\n");
    for f in 0..fields {
        src.push_str(&format!("  f{f}: money\n"));
    }
    src.push_str("}\n");
    for t in 0..tiers {
        let n = 2 + next(2) as usize;
        let parts: Vec<String> = (0..n)
            .map(|_| {
                let f = next(fields as u64);
                let op = [">=", ">", "<", "<="][next(4) as usize];
                format!("f{f} {op} {}", (next(20) + 1) * 1000)
            })
            .collect();
        src.push_str(&format!("tier T{t} {{ when {} }}\n", parts.join(" and ")));
    }
    src.push_str("tier Rest { otherwise }\n");
    src
}

fn run(src: &str) -> usize {
    let ast = parse(src).expect("generated policy parses");
    let checked = check(&ast, src).checked.expect("generated policy checks");
    let program = compile(&checked);
    let today = Date::parse("2024-06-30").expect("date");
    analyze(&checked, &program, src, Options { today, explain_overlaps: false }).len()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("analysis");
    group.sample_size(10);
    for (tiers, fields) in [(10, 5), (50, 5), (50, 10), (100, 10), (50, 20)] {
        let src = policy(tiers, fields);
        group.bench_with_input(BenchmarkId::new("tiers_x_fields", format!("{tiers}x{fields}")), &src, |b, src| {
            b.iter(|| run(black_box(src)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
