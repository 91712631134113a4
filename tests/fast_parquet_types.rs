//! The parallel path's typed Parquet decoder against the plain path
//! (`TIER_PLAIN_PATH=1`) on every kind of column it decodes straight to
//! values, and the edges where it hands a value to the plain cell code: an
//! integer key, negative and 29-digit decimals, negative integers, numbers and
//! dates written as text (thousands separators, padding, a time part),
//! dictionary-encoded enums, large strings, floats (NaN among them), nulls, a
//! date beyond year 9999 and a blank required text no tier reads. The same
//! stdout, reject report and exit code, stopping on the first bad row and
//! skipping them all.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use arrow_array::builder::{
    Date32Builder, Decimal128Builder, Float64Builder, Int32Builder, Int64Builder, LargeStringBuilder, StringBuilder,
    StringDictionaryBuilder,
};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;

mod common;

use common::same;

const POLICY: &str = r#"policy "typed" { version: 1 }
schema {
  id: text key
  spend: money
  visits: integer
  per_month: count per month
  joined: date
  seen: date?
  segment: enum(retail, corporate)?
  score: number?
  label: text?
  note: text
}
tier VIP { when spend >= 1M }
tier Old { when joined < 2023-01-01 and visits >= 3 }
tier Busy { when per_month >= 5/month }
tier Seen { when seen >= 2024-06-01 }
tier Corp { when segment == corporate and score > 2 }
tier Labelled { when label == "gold" }
tier Rest { otherwise }
"#;

/// Rows that hold a bad value, when `bad`: a date past 9999, a NaN score, a
/// blank note (a required field no tier reads).
const BAD: [usize; 3] = [1_234, 5_001, 9_876];

/// `n` rows in row groups of 2,500, every column of a different type.
fn write(path: &Path, n: usize, bad: bool) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("spend", DataType::Decimal128(38, 4), true),
        Field::new("visits", DataType::Int32, true),
        Field::new("per_month", DataType::Utf8, true),
        Field::new("joined", DataType::Utf8, true),
        Field::new("seen", DataType::Date32, true),
        Field::new("segment", DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), true),
        Field::new("score", DataType::Float64, true),
        Field::new("label", DataType::LargeUtf8, true),
        Field::new("note", DataType::Utf8, true),
    ]));
    let props = WriterProperties::builder().set_max_row_group_row_count(Some(2_500)).build();
    let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema.clone(), Some(props)).unwrap();
    let mut id = Int64Builder::new();
    let mut spend = Decimal128Builder::new().with_precision_and_scale(38, 4).unwrap();
    let (mut visits, mut per_month, mut joined) = (Int32Builder::new(), StringBuilder::new(), StringBuilder::new());
    let (mut seen, mut segment) = (Date32Builder::new(), StringDictionaryBuilder::<Int32Type>::new());
    let (mut score, mut label, mut note) = (Float64Builder::new(), LargeStringBuilder::new(), StringBuilder::new());
    for i in 0..n {
        id.append_value(i as i64 * 3 + 1);
        match i % 9 {
            0 => spend.append_value(-125_000),           // -12.5: a refund
            1 => spend.append_value(10i128.pow(27) + 7), // 29 digits: past the fast decimal
            2 => spend.append_value(0),
            3 => spend.append_value(12_345_678),     // 1234.5678
            4 => spend.append_value(15_000_000_000), // 1.5M
            _ => spend.append_value((i as i128 * 79_193_311) % 100_000_000_000),
        }
        visits.append_value((i % 13) as i32 - 3);
        match i % 7 {
            0 => per_month.append_value("1,200"),
            1 => per_month.append_value(" 3 "),
            2 => per_month.append_value("2.5"),
            3 => per_month.append_value("0"),
            4 if bad => per_month.append_null(), // a required count left empty: a reject
            _ => per_month.append_value(format!("{}", i % 12)),
        }
        match i % 3 {
            0 => joined.append_value("2024-03-01"),
            1 => joined.append_value("2022-12-31T10:00:00"),
            _ => joined.append_value(" 2022-06-15 08:00"),
        }
        match i % 11 {
            0 => seen.append_null(),
            _ if bad && i == BAD[0] => seen.append_value(3_000_000),
            k => seen.append_value(19_800 + (i % 400) as i32 * k as i32 / 4),
        }
        match i % 4 {
            0 => segment.append_null(),
            1 => segment.append_value("corporate"),
            2 => segment.append_value("Retail"),
            _ => segment.append_value("retail"),
        }
        match i % 5 {
            0 => score.append_null(),
            _ if bad && i == BAD[1] => score.append_value(f64::NAN),
            k => score.append_value(k as f64 * 0.75),
        }
        match i % 6 {
            0 => label.append_null(),
            1 => label.append_value("gold"),
            2 => label.append_value("  gold  "),
            _ => label.append_value(format!("label {i}")),
        }
        note.append_value(if bad && i == BAD[2] { "   " } else { "n" });
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(spend.finish()),
        Arc::new(visits.finish()),
        Arc::new(per_month.finish()),
        Arc::new(joined.finish()),
        Arc::new(seen.finish()),
        Arc::new(segment.finish()),
        Arc::new(score.finish()),
        Arc::new(label.finish()),
        Arc::new(note.finish()),
    ];
    w.write(&RecordBatch::try_new(schema, columns).unwrap()).unwrap();
    w.close().unwrap();
}

#[test]
fn typed_columns_and_their_edges_give_the_plain_paths_bytes_reports_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.tier");
    std::fs::write(&policy, POLICY).unwrap();
    let policy = policy.to_str().unwrap();
    let rejects = dir.path().join("rejects.csv");
    let rejects_arg = rejects.to_str().unwrap();
    let n = 12_000;
    // In the bad file every 7th row has no count: skipped, the rest decided.
    let missing_counts = (0..n).filter(|i| i % 7 == 4).count();
    for bad in [false, true] {
        let data = dir.path().join(format!("typed_{bad}.parquet"));
        write(&data, n, bad);
        let data = data.to_str().unwrap();
        let stop = same(&["apply", policy, data, "-o", "-", "--format", "csv"], None);
        assert_eq!(stop.2, Some(if bad { 1 } else { 0 }), "the first bad row stops the run");
        for more in [&["--format", "csv"][..], &["--format", "ndjson", "--keep", "seen,label,spend"]] {
            let mut args = vec!["apply", policy, data, "-o", "-", "--on-error", "skip", "--rejects", rejects_arg];
            args.extend(more);
            let (out, report, code) = same(&args, Some(&rejects));
            assert_eq!(code, Some(0), "{}", common::errors(&args));
            let report = String::from_utf8(report.unwrap_or_default()).unwrap();
            let rejected = if bad { missing_counts + BAD.len() } else { 0 };
            assert_eq!(report.lines().count().saturating_sub(1), rejected, "{report}");
            let out = String::from_utf8(out).unwrap();
            assert_eq!(out.lines().count(), usize::from(more[1] == "csv") + n - rejected);
            // Every tier is reached: each kind of column decides some rows.
            for t in ["VIP", "Old", "Busy", "Seen", "Corp", "Labelled", "Rest"] {
                assert!(out.contains(&format!("\"{t}\"")) || out.contains(&format!(",{t},")), "{t} never chosen");
            }
            if bad {
                assert!(report.contains("day 3000000 from 1970-01-01"), "{report}");
            }
        }
    }
}
