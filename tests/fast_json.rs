//! The parallel path's JSON record scanner against the plain reader: NDJSON
//! lines and JSON array elements drawn from records it splits itself (plain
//! numbers, strings, booleans, null, spacing, a numeric key, keys the CSV
//! output quotes, a key in another case beside the exact one) and records it
//! must leave to the plain reader (escapes, exponents, a repeated key, nested
//! values, a field's key only in another case, invalid numbers, control
//! characters, non-objects, blank lines), at tiny chunk sizes: the same
//! output, the same rejects with the same locations, the same counts. Each
//! input is read through a reader and at hand whole (where a JSON array is
//! cut between objects before its strings are seen: `}, {` inside strings and
//! nested values here are where such cuts go wrong).

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use proptest::prelude::*;
use tierlang::compile::Program;
use tierlang::data::fast::{apply, Sizes, Skip, Source};
use tierlang::data::mapped::Mapped;
use tierlang::data::{Format, Reader, Rejected, Writer};
use tierlang::eval::Evaluator;
use tierlang::number::Date;

const POLICY: &str = r#"
schema {
  id: text key
  name: text
  spend: money from "年度消费" or "spend"
  orders: count per quarter
  segment: enum(retail, wholesale)?
  joined: date?
  vip: bool?
}
dimension value {
  tier VIP { when spend >= 1M or vip  strategy { visits: 1/month } }
  tier Important { when spend >= 300k or segment == wholesale or orders >= 5/quarter }
  tier General { otherwise }
}
dimension age {
  tier Old { when joined is present and joined < 2020-01-01 }
  tier New { otherwise }
}
"#;

/// Records; `#` is replaced by the record's number, so keys differ.
const RECORDS: &[&str] = &[
    r#"{"id":"K#","name":"a","年度消费":1200,"orders":3}"#,
    r#" { "id" : "K#" , "name" : "a" ,	"年度消费" : 2000000.50 , "orders" : 6 } "#,
    r#"{"id":#,"name":"b","年度消费":-0,"orders":0,"vip":true}"#,
    r#"{"id":" K# ","name":"a","年度消费":"1,200.50","orders":"3","vip":"yes"}"#,
    r#"{"id":"K#","name":"a","年度消费":"¥300,000","orders":3,"segment":"Wholesale"}"#,
    r#"{"id":"K#","name":"a","年度消费":100,"orders":3,"joined":"2019-01-01","Orders":9}"#,
    r#"{"id":"K#","name":"a","年度消费":100,"orders":3,"joined":"2019-01-01T10:00:00"}"#,
    r#"{"id":"K#","name":"a","年度消费":100,"orders":3,"joined":null,"segment":null}"#,
    r#"{"id":"K#","name":"a","spend":2000000,"orders":3}"#,
    r#"{"id":"K#","name":"a","SPEND":2000000,"orders":3}"#,
    // Keys the CSV output quotes (a comma) or copies (inner space, non-ASCII).
    r#"{"id":"K#,x","name":"a","年度消费":1200,"orders":3}"#,
    r#"{"id":"K# 客户","name":"a","年度消费":1200,"orders":3}"#,
    // An array at hand whole is cut at `}, {`: here inside a string.
    r#"{"id":"K#","name":"a}, {b},{","年度消费":1200,"orders":3}"#,
    // Left to the plain reader:
    r#"{"id":"K#","name":"a","年度消费":1.5e6,"orders":3}"#,
    r#"{"id":"K#","name":"a \"quoted\" \u00e9","年度消费":100,"orders":3}"#,
    r#"{"ID":"K#","name":"a","年度消费":100,"orders":3}"#,
    r#"{"id":"K#","name":"a","spend":2000000,"年度消费":1,"orders":3}"#,
    r#"{"id":"K#\u0041","name":"a","年度消费":2000000,"orders":3}"#,
    r#"{"id":"K#","name":"a","年度消费":100,"orders":3,"orders":40}"#,
    r#"{"id":"K#","name":"a","年度消费":100,"orders":3,"extra":{"x":[1,{"y":2}]}}"#,
    r#"{"id":"K#","name":"a","年度消费":100,"orders":3,"extra":[{"x":1}, {"y":"}, {\"}, {"}]}"#,
    r#"{"id":"K#","name":"a","orders":3,"年度消费":100,"JOINED":"2010-01-01"}"#,
    // Set aside by both:
    r#"{"id":"K#","name":"a","年度消费":null,"orders":3}"#,
    r#"{"id":"K#","name":"  ","年度消费":5,"orders":3}"#,
    r#"{"id":"K#","name":"a","年度消费":100,"orders":true}"#,
    r#"{"id":"K#","name":"a","年度消费":100}"#,
    r#"{"id":"K#","name":"a","年度消费":100,"orders":-2}"#,
    r#"{"id":"K#","name":"a","年度消费":"$5","orders":3}"#,
    "[1]",
    // Not JSON: set aside from NDJSON, the end of a JSON array.
    r#"{"id":"K#","name":"a","年度消费":01,"orders":3}"#,
    r#"{"id":"K#","name":"a","年度消费":1.,"orders":3}"#,
    "{\"id\":\"K#\",\"name\":\"tab\there\",\"年度消费\":1,\"orders\":1}",
    "{\"id\":\"K#\"",
];

/// The records a JSON array can hold and still be one.
const IN_ARRAY: usize = RECORDS.len() - 4;

fn today() -> Date {
    Date::parse("2025-06-30").unwrap()
}

/// A reject as the report shows it: the message (with its location) and the cells.
type Shown = (String, Vec<(String, String)>);

/// Output, rejects and `(read, written, rejected)` of one path.
type Got = (Vec<u8>, Vec<Shown>, (u64, u64, u64));

/// The plain reader, skipping bad records; `None` where it stops the run.
fn plain(p: &Program, input: &[u8], format: Format, keep: &[String]) -> Option<Got> {
    let reader = Reader::new(Box::new(input), format, "input", &p.fields, p.key).ok()?.keep(keep).ok()?;
    let (mut out, mut rejects, mut counts) = (Vec::new(), Vec::new(), (0, 0, 0));
    let mut writer = Writer::with_kept(&mut out, Format::Csv, p, keep.to_vec(), Vec::new(), false).unwrap();
    let ev = Evaluator::new(p, today());
    for row in reader {
        counts.0 += 1;
        match row {
            Ok(row) => {
                let decisions = ev.evaluate(&mut row.values.clone()).ok()?;
                writer.write_kept(&row.key, &row.kept, &decisions, &[]).unwrap();
                counts.1 += 1;
            }
            Err(r) if r.error.location().is_some() => {
                rejects.push((r.error.to_string(), r.cells));
                counts.2 += 1;
            }
            Err(_) => return None,
        }
    }
    writer.finish().unwrap();
    Some((out, rejects, counts))
}

/// The parallel path, skipping bad records; `None` where it hands back.
/// Read and at hand whole, it must do the same.
fn fast(p: &Program, input: &[u8], format: Format, keep: &[String], sizes: Sizes) -> Option<Got> {
    let got = fast_from(p, Source::Read(input), format, keep, sizes);
    let whole = fast_from(p, Source::Whole(input), format, keep, sizes);
    assert_eq!(whole, got, "read and whole differ on {sizes:?}");
    got
}

fn fast_from(p: &Program, input: Source<'_, &[u8]>, format: Format, keep: &[String], sizes: Sizes) -> Option<Got> {
    let mut rejects: Vec<Shown> = Vec::new();
    let mut reject = |r: Rejected| {
        rejects.push((r.error.to_string(), r.cells));
        Ok(())
    };
    let skip = Some(Skip { source: "input", reject: &mut reject });
    let (mut out, shape) = (Vec::new(), (Format::Csv, false, keep));
    let s = apply(p, (input, None), format, &mut out, shape, today(), sizes, skip).ok()?;
    Some((out, rejects, (s.read, s.written, s.rejected)))
}

/// `--keep` columns: a field by its name (found by its column and aliases),
/// one by its column, one no record has, one in another case, one nested.
fn kept() -> Vec<String> {
    ["spend", "name", "note", "Segment", "extra"].map(String::from).to_vec()
}

/// `picks` of [`RECORDS`] as NDJSON (blank lines where `blank`, CRLF where
/// asked) or as a JSON array (pretty or packed).
fn input(picks: &[(usize, bool)], array: bool, crlf: bool) -> String {
    let record = |i: usize, r: usize| RECORDS[if array { r % IN_ARRAY } else { r }].replace('#', &i.to_string());
    let records: Vec<String> = picks.iter().enumerate().map(|(i, &(r, _))| record(i, r)).collect();
    if array {
        let sep = if crlf { ",\r\n  " } else { "," };
        return format!("[{}]\n", records.join(sep));
    }
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut text = String::new();
    for (record, &(_, blank)) in records.iter().zip(picks) {
        if blank {
            text.push_str(eol);
        }
        text.push_str(record);
        text.push_str(eol);
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn json_records_are_decided_as_the_plain_reader_decides_them(
        picks in prop::collection::vec((0..RECORDS.len(), prop::bool::weighted(0.1)), 0..30),
        array in any::<bool>(),
        crlf in any::<bool>(),
        chunk in 1usize..400,
        keeping in any::<bool>(),
    ) {
        let p = common::program(POLICY);
        let text = input(&picks, array, crlf);
        let format = if array { Format::Json } else { Format::Ndjson };
        let keep = if keeping { kept() } else { Vec::new() };
        let want = plain(&p, text.as_bytes(), format, &keep).unwrap();
        let got = fast(&p, text.as_bytes(), format, &keep, Sizes { block: 1 << 12, chunk });
        prop_assert!(got.is_some(), "handed back on\n{}", text);
        let got = got.unwrap();
        if let Some(d) = common::first_difference(&got.0, &want.0) {
            panic!("output differs (fast, then plain) at {d} on\n{text}");
        }
        prop_assert_eq!(&got.1, &want.1, "rejects on\n{}", text);
        prop_assert_eq!(got.2, want.2);
    }
}

/// A field's aliases (`from "A" or "B"`) name its key in JSON as they name
/// its column in CSV: the first listed that is written, else one in another case.
#[test]
fn json_records_find_fields_by_their_aliases() {
    let p = common::program(POLICY);
    let spend = |text: &str, format: Format| {
        let mut reader = Reader::new(Box::new(text.as_bytes()), format, "input", &p.fields, p.key).unwrap();
        let row = reader.next().unwrap().unwrap();
        row.values[2].clone()
    };
    let num = |n: i64| tierlang::eval::Value::Num(n.into());
    let csv = "id,name,spend,orders\nK1,a,2000000,3\n";
    assert_eq!(spend(csv, Format::Csv), num(2_000_000));
    assert_eq!(spend(r#"{"id":"K1","name":"a","spend":2000000,"orders":3}"#, Format::Ndjson), num(2_000_000));
    assert_eq!(spend(r#"[{"id":"K1","name":"a","Spend":7,"orders":3}]"#, Format::Json), num(7));
    // Both names written: the column first, as in a CSV header.
    assert_eq!(spend(r#"{"id":"K1","name":"a","spend":2,"年度消费":1,"orders":3}"#, Format::Ndjson), num(1));
}

/// Every record of [`RECORDS`] once: the split ones take the column decoder,
/// the rest the plain reader, in one chunk and one record per chunk.
#[test]
fn every_kind_of_record_in_one_input() {
    let p = common::program(POLICY);
    for array in [false, true] {
        let n = if array { IN_ARRAY } else { RECORDS.len() };
        let picks: Vec<(usize, bool)> = (0..n).map(|r| (r, r % 5 == 0)).collect();
        let text = input(&picks, array, false);
        let format = if array { Format::Json } else { Format::Ndjson };
        for keep in [Vec::new(), kept()] {
            let want = plain(&p, text.as_bytes(), format, &keep).unwrap();
            assert_eq!(want.2 .2, if array { 6 } else { 10 }, "the records both set aside: {:?}", want.1);
            for chunk in [1, 64, 1 << 16] {
                let got = fast(&p, text.as_bytes(), format, &keep, Sizes { block: 1 << 12, chunk }).unwrap();
                assert_eq!(got, want, "array {array}, chunk {chunk}, keep {keep:?}");
            }
        }
    }
}

/// A JSON array of a few megabytes mapped from a file (as the command line
/// reads one), at the default sizes: chunks of 256 KiB in blocks of 4 MiB,
/// cut between objects wherever that falls, some cuts inside strings and
/// nested values; pretty and packed.
#[test]
fn a_mapped_array_is_read_as_the_plain_reader_reads_it() {
    use std::io::Write;
    let p = common::program(POLICY);
    for crlf in [false, true] {
        let picks: Vec<(usize, bool)> = (0..60_000).map(|i| ((i * 7) % IN_ARRAY, false)).collect();
        let text = input(&picks, true, crlf);
        assert!(text.len() > 3 << 20);
        let want = plain(&p, text.as_bytes(), Format::Json, &kept()).unwrap();
        assert!(want.2 .2 > 1000, "records set aside: {:?}", want.2);
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        let mapped = Mapped::new(file, 0).unwrap();
        let got = fast_from(&p, Source::Mapped(&mapped), Format::Json, &kept(), Sizes::default());
        assert!(got == Some(want), "crlf {crlf}: the mapped array differs from the plain reader's");
    }
}

/// A document that is no JSON array of elements (an empty element, a comma
/// after the last, text after the `]`, no `]`, one only inside a string) is
/// refused by the plain reader; the parallel path must hand it back, read or
/// at hand whole, wherever its chunks are cut.
#[test]
fn a_broken_array_is_handed_back_wherever_it_is_cut() {
    let p = common::program(POLICY);
    let good = |i: usize| format!(r#"{{"id":"K{i}","name":"a","年度消费":1200,"orders":3}}"#);
    let (a, b, c) = (good(1), good(2), good(3));
    let broken = [
        format!("[{a},,{b}]"),
        format!("[,{a}]"),
        format!("[{a}, {b},]"),
        format!("[{a}, {b},\n]\n"),
        format!("[{a}, {b}] x"),
        format!("[{a}, {b}] ]"),
        format!("[{a}, {b}"),
        format!("[{a}, {{\"id\":\"K9\",\"name\":\"]"),
        format!("[{a}, {b}, {{\"id\":\"K9\",\"name\":\"}}, {c}]"),
        format!("[{a}, {b}}}, {c}]"),
        "[".to_string(),
        "[,]".to_string(),
    ];
    for bad in broken {
        assert_eq!(plain(&p, bad.as_bytes(), Format::Json, &[]), None, "{bad}");
        for chunk in [1, 8, 64, 1 << 16] {
            let got = fast(&p, bad.as_bytes(), Format::Json, &[], Sizes { block: 1 << 12, chunk });
            assert_eq!(got, None, "{bad}, chunk {chunk}");
        }
    }
    // An empty array is no records, however it is spaced.
    for empty in ["[]", "[ ]", " [\n]\n"] {
        let want = plain(&p, empty.as_bytes(), Format::Json, &[]).unwrap();
        assert_eq!(want.2, (0, 0, 0));
        assert_eq!(fast(&p, empty.as_bytes(), Format::Json, &[], Sizes { block: 1 << 12, chunk: 1 }), Some(want));
    }
}

/// An array element followed by anything but a comma or the array's end is no
/// JSON array: the plain reader stops the run there, and the parallel path,
/// which finds an element's end as it reads the element, must not decide it.
#[test]
fn an_element_with_trailing_characters_is_not_decided() {
    let p = common::program(POLICY);
    let good = r#"{"id":"K1","name":"a","年度消费":1200,"orders":3}"#;
    for bad in [format!("[{good} x, {good}]"), format!("[{good} {good}]"), format!("[{good}}}, {good}]")] {
        assert_eq!(plain(&p, bad.as_bytes(), Format::Json, &[]), None, "{bad}");
        for chunk in [1, 64, 1 << 16] {
            let got = fast(&p, bad.as_bytes(), Format::Json, &[], Sizes { block: 1 << 12, chunk });
            assert_eq!(got, None, "{bad}, chunk {chunk}");
        }
    }
}
