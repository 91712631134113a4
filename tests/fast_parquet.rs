//! Parquet input on the parallel path against the plain path
//! (`TIER_PLAIN_PATH=1`): the same stdout bytes, the same reject report and
//! the same exit code, on every example policy's Parquet fixture and on
//! generated files (many row groups, one big row group, nulls, bad cells with
//! and without `--on-error skip`, a repeated key, `--keep`, `--tiers-only`,
//! NDJSON output).

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int64Builder, StringBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;
use tierlang::compile::Program;
use tierlang::data::fast::{apply, Sizes, Skip, Source};
use tierlang::data::{Format, Reader, Rejected, Writer};
use tierlang::eval::{Evaluator, Value};
use tierlang::number::Date;

mod common;

use common::{errors, same};

#[test]
fn every_example_parquet_fixture_gives_the_plain_paths_bytes() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("hospitals", "hospitals", &[]),
        ("sportswear", "sportswear", &[]),
        ("private_banking", "private_banking", &[]),
        ("cosmetics", "cosmetics", &[]),
        ("value_lifecycle", "value_lifecycle", &[]),
        ("loyalty_program", "loyalty_2025-01", &["--as-of", "2025-01-31"]),
        ("loyalty_program", "loyalty_2025-02", &["--as-of", "2025-02-28"]),
    ];
    for (policy, data, extra) in cases {
        let (policy, data) = (format!("policies/{policy}.tier"), format!("tests/formats/{data}.parquet"));
        for more in [&["--format", "csv"][..], &["--format", "csv", "--tiers-only"], &["--format", "ndjson"]] {
            let mut args = vec!["apply", policy.as_str(), data.as_str(), "-o", "-"];
            args.extend(*extra);
            args.extend(more);
            let (out, _, code) = same(&args, None);
            assert_eq!(code, Some(0), "{args:?}");
            assert!(out.len() > 40, "{args:?}");
        }
    }
    // A bad value and a repeated key: stopped on, or skipped into the report.
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.csv");
    let bad = ["apply", "policies/cosmetics.tier", "tests/formats/cosmetics_bad.parquet", "-o", "-", "--format", "csv"];
    assert_eq!(same(&bad, None).2, Some(1));
    let mut args = bad.to_vec();
    args.extend(["--on-error", "skip", "--rejects", rejects.to_str().unwrap()]);
    let (_, report, code) = same(&args, Some(&rejects));
    assert_eq!(code, Some(0));
    assert!(report.unwrap().len() > 20);
}

const POLICY: &str = r#"policy "generated" { version: 1 }
schema {
  id: text key
  spend: money
  orders: count per quarter
  score: number?
  since: date?
  active: bool?
  note: text?
}
tier VIP { when spend >= 1M }
tier Busy { when orders >= 3/quarter and active }
tier Recent { when since >= 2024-01-01 }
tier Rest { otherwise }
"#;

/// Which rows of a generated file are unusual.
#[derive(Clone, Copy, Default)]
struct Quirks {
    /// A row whose spend is null (a required field left empty).
    null_spend: Option<usize>,
    /// A row whose key is that of row 0.
    repeat: Option<usize>,
    /// A row whose orders are negative, which a count refuses.
    bad_count: Option<usize>,
}

/// `n` generated customers in row groups of `group` rows: money as
/// decimal128, orders as int64, score float64, dates date32, nulls.
fn write(path: &Path, n: usize, group: usize, q: Quirks) {
    use arrow_schema::{DataType, Field, Schema};
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("spend", DataType::Decimal128(18, 2), true),
        Field::new("orders", DataType::Int64, true),
        Field::new("score", DataType::Float64, true),
        Field::new("since", DataType::Date32, true),
        Field::new("active", DataType::Boolean, true),
        Field::new("note", DataType::Utf8, true),
        Field::new("extra", DataType::Utf8, true),
    ]));
    let props = WriterProperties::builder().set_max_row_group_row_count(Some(group)).build();
    let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema.clone(), Some(props)).unwrap();
    let mut start = 0;
    while start < n {
        let end = (start + 10_000).min(n);
        let (mut id, mut spend, mut orders) = (
            StringBuilder::new(),
            Decimal128Builder::new().with_precision_and_scale(18, 2).unwrap(),
            Int64Builder::new(),
        );
        let (mut score, mut since, mut active) = (Float64Builder::new(), Date32Builder::new(), BooleanBuilder::new());
        let (mut note, mut extra) = (StringBuilder::new(), StringBuilder::new());
        for i in start..end {
            id.append_value(format!("C{:07}", if q.repeat == Some(i) { 0 } else { i }));
            if q.null_spend == Some(i) {
                spend.append_null();
            } else {
                spend.append_value((i as i128 * 7_919_331) % 250_000_000);
            }
            orders.append_value(if q.bad_count == Some(i) { -3 } else { (i % 11) as i64 });
            match i % 7 {
                0 => score.append_null(),
                k => score.append_value(k as f64 * 1.25),
            }
            match i % 5 {
                0 => since.append_null(),
                k => since.append_value(19_000 + (i % 1_000) as i32 * k as i32),
            }
            match i % 3 {
                0 => active.append_null(),
                k => active.append_value(k == 1),
            }
            match i % 4 {
                0 => note.append_null(),
                1 => note.append_value("  padded  "),
                2 => note.append_value(""),
                _ => note.append_value(format!("note \"{i}\", with comma")),
            }
            extra.append_value(format!("x{i}"));
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(id.finish()),
            Arc::new(spend.finish()),
            Arc::new(orders.finish()),
            Arc::new(score.finish()),
            Arc::new(since.finish()),
            Arc::new(active.finish()),
            Arc::new(note.finish()),
            Arc::new(extra.finish()),
        ];
        w.write(&RecordBatch::try_new(schema.clone(), columns).unwrap()).unwrap();
        start = end;
    }
    w.close().unwrap();
}

#[test]
fn generated_files_give_the_plain_paths_bytes_reports_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.tier");
    std::fs::write(&policy, POLICY).unwrap();
    let policy = policy.to_str().unwrap().to_string();
    let rejects = dir.path().join("rejects.csv");
    let rejects_arg = rejects.to_str().unwrap().to_string();
    // Kept small: every run is two debug builds of `tier` over the file.
    // Slices of a big row group are the library test's below.
    let n = 20_000;
    for (name, group) in [("many", 3_000), ("one", n), ("odd", 6_577)] {
        let data = dir.path().join(format!("{name}.parquet"));
        write(&data, n, group, Quirks::default());
        let data = data.to_str().unwrap();
        let shapes: [&[&str]; 4] = [
            &["--format", "csv"],
            &["--format", "csv", "--tiers-only"],
            &["--format", "ndjson"],
            &["--format", "ndjson", "--keep", "extra,note"],
        ];
        for more in shapes {
            let mut args = vec!["apply", policy.as_str(), data, "-o", "-"];
            args.extend(more);
            let (out, _, code) = same(&args, None);
            assert_eq!(code, Some(0), "{name} {more:?}: {}", errors(&args));
            assert!(out.len() > n * 10, "{name} {more:?}: {} bytes", out.len());
        }
    }
    // Bad rows late in the file: stopped on, or skipped with their rows named
    // as the plain path names them (a repeated key as well).
    let quirks = [
        Quirks { null_spend: Some(19_001), ..Default::default() },
        Quirks { bad_count: Some(9_999), null_spend: Some(3), ..Default::default() },
        Quirks { repeat: Some(17_000), ..Default::default() },
    ];
    for (k, q) in quirks.into_iter().enumerate() {
        let data = dir.path().join(format!("bad{k}.parquet"));
        write(&data, n, 3_000, q);
        let data = data.to_str().unwrap();
        let stop = same(&["apply", policy.as_str(), data, "-o", "-", "--format", "csv"], None);
        assert_ne!(stop.2, Some(0), "quirks {k}");
        let args =
            ["apply", &policy, data, "-o", "-", "--format", "csv", "--on-error", "skip", "--rejects", &rejects_arg];
        let (_, report, code) = same(&args, Some(&rejects));
        assert_eq!(code, Some(0), "quirks {k}");
        let report = String::from_utf8(report.unwrap()).unwrap();
        assert_eq!(
            report.lines().count(),
            1 + q.null_spend.iter().chain(&q.bad_count).chain(&q.repeat).count(),
            "{report}"
        );
    }
}

/// A reject as the report shows it: the message (with its location) and the cells.
type Shown = (String, Vec<(String, String)>);

/// The plain reader over the whole file with `--on-error skip`: bytes and rejects.
fn plain(p: &Program, path: &Path) -> (Vec<u8>, Vec<Shown>) {
    let reader = Reader::open(path.to_str().unwrap(), Format::Parquet, None, &p.fields, p.key).unwrap();
    let mut out = Vec::new();
    let mut writer = Writer::with_kept(&mut out, Format::Csv, p, Vec::new(), Vec::new(), false).unwrap();
    let ev = Evaluator::new(p, today());
    let mut rejects = Vec::new();
    for row in reader {
        let row = match row {
            Ok(row) => row,
            Err(r) => {
                rejects.push((r.error.to_string(), r.cells));
                continue;
            }
        };
        let mut frame: Vec<Value> = row.values.clone();
        let decisions = ev.evaluate(&mut frame).unwrap();
        writer.write_kept(&row.key, &row.kept, &decisions, &[]).unwrap();
    }
    writer.finish().unwrap();
    (out, rejects)
}

fn today() -> Date {
    Date::parse("2025-06-30").unwrap()
}

/// One row group cut into shares of a few hundred rows (slices the CLI makes
/// only of groups over 131,072 rows): the same bytes and rejects, each named
/// by its row in the file, as the plain reader over the whole file.
#[test]
fn slices_of_one_big_row_group_give_the_plain_readers_bytes_and_rejects() {
    let p = common::program(POLICY);
    let dir = tempfile::tempdir().unwrap();
    let n = 5_000;
    let quirks = Quirks { null_spend: Some(4_321), bad_count: Some(777), ..Default::default() };
    let data = dir.path().join("one.parquet");
    write(&data, n, n, quirks);
    let (want, want_rejects) = plain(&p, &data);
    assert_eq!(want_rejects.len(), 2);
    for chunk in [333, 1_000, 2_499, 1 << 20] {
        let mut got: Vec<Shown> = Vec::new();
        let mut reject = |r: Rejected| {
            got.push((r.error.to_string(), r.cells));
            Ok(())
        };
        let skip = Skip { source: data.to_str().unwrap(), reject: &mut reject };
        let (s, out) = parquet_to_csv(&p, &data, chunk, Some(skip));
        let s = s.unwrap();
        assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&want), "shares of {chunk}");
        assert_eq!(got, want_rejects, "shares of {chunk}");
        assert_eq!((s.read, s.rejected), (n as u64, 2), "shares of {chunk}");
        // Without skip the first bad row hands the run back to the plain path.
        assert!(parquet_to_csv(&p, &data, chunk, None).0.is_err(), "shares of {chunk}");
    }
    // A key repeated across shares: handed back, for the plain path to name both rows.
    write(&data, n, n, Quirks { repeat: Some(4_000), ..Default::default() });
    let mut reject = |_: Rejected| Ok(());
    let skip = Skip { source: "x", reject: &mut reject };
    assert!(parquet_to_csv(&p, &data, 500, Some(skip)).0.is_err());
}

/// The parallel path over the Parquet file `data` in shares of `chunk` rows, to CSV.
fn parquet_to_csv(
    p: &Program,
    data: &Path,
    chunk: usize,
    skip: Option<Skip<'_>>,
) -> (Result<tierlang::data::Summary, tierlang::data::fast::Fallback>, Vec<u8>) {
    let (mut out, shape, sizes) = (Vec::new(), (Format::Csv, false, &[][..]), Sizes { block: 1 << 20, chunk });
    let input = (Source::Read(std::io::empty()), Some(data));
    let s = apply(p, input, Format::Parquet, &mut out, shape, today(), sizes, skip);
    (s, out)
}
