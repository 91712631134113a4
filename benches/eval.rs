//! Evaluation speed in memory, one core: records per second for each example
//! policy and the benchmark policies, on records decoded beforehand (so this is
//! the evaluator alone: lets, conditions, hit policies; no parsing or output),
//! walking the condition trees and with decision tables (`lookup`).
//!
//!     cargo bench --bench eval
//!
//! Records are the bundled example rows (examples/NAME.csv), repeated to 100k;
//! for bench/four_tiers.tier, 100k generated customers with spend spread over
//! every tier boundary.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use tierlang::check::check;
use tierlang::compile::{compile, Program};
use tierlang::data::{Format, Reader};
use tierlang::eval::{Decision, Evaluator, Value};
use tierlang::number::Date;
use tierlang::syntax::parse;

const N: usize = 100_000;

fn program(path: &str) -> Program {
    let src = std::fs::read_to_string(path).expect("policy");
    let ast = parse(&src).expect("parses");
    let out = check(&ast, &src);
    compile(out.checked.as_ref().expect("checks"))
}

/// Decoded frames from a CSV file, repeated to `N`.
fn frames_from(p: &Program, data: &str) -> Vec<Vec<Value>> {
    let file = std::fs::File::open(data).expect("data");
    let reader = Reader::new(Box::new(file), Format::Csv, data, &p.fields, p.key).expect("reader");
    let rows: Vec<Vec<Value>> = reader.map(|r| r.expect("clean example").values).collect();
    rows.iter().cycle().take(N).cloned().collect()
}

/// `id, annual_spend, orders_per_quarter` spread over the four tiers' edges.
fn generated(p: &Program) -> Vec<Vec<Value>> {
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    (0..N)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let spend = rust_decimal::Decimal::new((seed % 150_000_000) as i64, 2);
            let orders = rust_decimal::Decimal::from((seed >> 32) % 8 * 4); // per year
            let mut frame = vec![Value::Missing; p.fields.len()];
            frame[1] = Value::Num(spend);
            frame[2] = Value::Num(orders);
            frame
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let today = Date::parse("2025-06-30").expect("date");
    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(N as u64));
    let mut cases: Vec<(String, Program, Vec<Vec<Value>>)> = Vec::new();
    let four = program("bench/four_tiers.tier");
    let frames = generated(&four);
    cases.push(("four_tiers".into(), four, frames));
    for name in ["hospitals", "sportswear", "private_banking", "cosmetics", "value_lifecycle"] {
        let p = program(&format!("policies/{name}.tier"));
        let frames = frames_from(&p, &format!("examples/{name}.csv"));
        cases.push((name.into(), p, frames));
    }
    for (name, p, frames) in &cases {
        for (kind, ev) in [("tree", Evaluator::new(p, today)), ("tables", Evaluator::with_tables(p, today))] {
            group.bench_with_input(BenchmarkId::new(kind, name), frames, |b, frames| {
                let mut frame: Vec<Value> = Vec::with_capacity(p.frame_size);
                let mut out: Vec<Decision> = Vec::with_capacity(p.dimensions.len());
                b.iter(|| {
                    let mut chosen = 0usize;
                    for f in frames {
                        frame.clear();
                        frame.extend_from_slice(f);
                        ev.evaluate_into(&mut frame, &mut out).expect("no overlap");
                        chosen += out[0].tier.unwrap_or(0);
                    }
                    black_box(chosen)
                })
            });
        }
    }
    // Column-wise: the same records stored as one column per field, every
    // dimension decided by `Lookup::decide_batch` (where all have tables).
    for (name, p, frames) in &cases {
        let lookup = tierlang::lookup::Lookup::new(p, today);
        let ev = Evaluator::new(p, today);
        let columns: Vec<tierlang::lookup::Column> =
            (0..p.fields.len()).map(|f| frames.iter().map(|fr| fr[f].clone()).collect::<Vec<_>>().into()).collect();
        let (mut cells, mut out) = (Vec::new(), Vec::new());
        if !(0..p.dimensions.len()).all(|d| lookup.decide_batch(d, &columns, &mut cells, &mut out, &ev)) {
            continue;
        }
        group.bench_with_input(BenchmarkId::new("batch", name), &columns, |b, columns| {
            let (mut cells, mut out) = (Vec::with_capacity(N), Vec::with_capacity(N));
            b.iter(|| {
                for d in 0..p.dimensions.len() {
                    lookup.decide_batch(d, columns, &mut cells, &mut out, &ev);
                }
                black_box(out.len())
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
