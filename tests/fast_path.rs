//! The parallel CSV path of `tier apply` (`data::fast`) against the plain path:
//! for any input, either the bytes written and the row counts are identical, or
//! the fast path hands back (`Fallback`) and the plain path decides. Tiny block
//! and chunk sizes put record, chunk and block boundaries everywhere, including
//! inside quoted fields.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use proptest::prelude::*;
use tierlang::compile::Program;
use tierlang::data::fast::{apply, Sizes, Skip, Source};
use tierlang::data::mapped::Mapped;
use tierlang::data::{Format, Reader, Rejected, Summary, Writer};
use tierlang::eval::{Evaluator, Value};
use tierlang::number::Date;

const POLICY: &str = r#"
schema {
  id: text key
  name: text
  spend: money from "年度消费"
  orders: count per quarter
  segment: enum(retail, wholesale)?
  joined: date?
}
let monthly = spend / 12
dimension value {
  tier VIP "贵宾" { when spend >= 1M and orders >= 3/quarter  strategy { manager: "dedicated, named" visits: 1/month } }
  tier Important { when spend >= 30万 or (segment == wholesale and monthly > 5k)  strategy { visits: 1/quarter } }
  tier General { when spend between 1 and 30万  strategy { contact: ["phone", "email"] } }
}
dimension age {
  tier Old { when joined is present and joined < 2020-01-01 }
  tier New { otherwise }
}
"#;

fn program() -> Program {
    common::program(POLICY)
}

/// The output formats both paths write byte for byte alike (Excel's files
/// carry their creation time: `tests/fast_outputs.rs` compares their cells).
const OUTPUTS: [Format; 4] = [Format::Csv, Format::Ndjson, Format::Json, Format::Parquet];

fn today() -> Date {
    Date::parse("2025-06-30").unwrap()
}

/// The plain path as `tier apply` runs it when stopping on the first bad record:
/// the bytes written and the summary (records and money per tier).
fn plain(p: &Program, input: &[u8], format: Format, tiers_only: bool, keep: &[String]) -> Option<(Vec<u8>, Summary)> {
    let reader = Reader::new(Box::new(input), Format::Csv, "input.csv", &p.fields, p.key).ok()?.keep(keep).ok()?;
    let mut out = Vec::new();
    let mut writer = Writer::with_kept(&mut out, format, p, keep.to_vec(), Vec::new(), tiers_only).unwrap();
    let ev = Evaluator::new(p, today());
    let mut summary = Summary::new(p);
    for row in reader {
        let row = row.ok()?;
        let mut frame: Vec<Value> = row.values.clone();
        let decisions = ev.evaluate(&mut frame).ok()?;
        writer.write_kept(&row.key, &row.kept, &decisions, &[]).unwrap();
        summary.read += 1;
        summary.add_money(summary.money_field.map_or(&Value::Missing, |m| &row.values[m]), &decisions);
    }
    writer.finish().unwrap();
    Some((out, summary))
}

fn fast(p: &Program, input: &[u8], format: Format, tiers_only: bool, sizes: Sizes) -> Option<(Vec<u8>, Summary)> {
    fast_keeping(p, input, (format, tiers_only, &[]), sizes)
}

fn fast_keeping(
    p: &Program,
    input: &[u8],
    shape: (Format, bool, &[String]),
    sizes: Sizes,
) -> Option<(Vec<u8>, Summary)> {
    // Read block by block, at hand whole, and mapped from a file (its pages
    // let go of block by block): the same run.
    let run = |source: Source<'_, &[u8]>| {
        let mut out = Vec::new();
        apply(p, (source, None), Format::Csv, &mut out, shape, today(), sizes, None).ok().map(|s| (out, s))
    };
    let (read, whole) = (run(Source::Read(input)), run(Source::Whole(input)));
    let counts =
        |r: &Option<(Vec<u8>, Summary)>| r.as_ref().map(|(o, s)| (o.clone(), s.read, s.written, s.tiers.clone()));
    assert_eq!(counts(&read), counts(&whole), "read and whole differ on {sizes:?}");
    let mut file = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut file, input).unwrap();
    if let Ok(mapped) = Mapped::new(file, 0) {
        assert_eq!(counts(&read), counts(&run(Source::Mapped(&mapped))), "read and mapped differ on {sizes:?}");
    }
    read
}

/// Asserts the law for one input; returns whether the fast path took it.
fn same(p: &Program, input: &[u8], format: Format, tiers_only: bool, sizes: Sizes) -> bool {
    same_keeping(p, input, format, tiers_only, &[], sizes)
}

/// [`same`] with `--keep` columns.
fn same_keeping(p: &Program, input: &[u8], format: Format, tiers_only: bool, keep: &[String], sizes: Sizes) -> bool {
    let slow = plain(p, input, format, tiers_only, keep);
    match fast_keeping(p, input, (format, tiers_only, keep), sizes) {
        None => false,
        Some((bytes, summary)) => {
            let Some((expected, want)) = slow else {
                panic!("fast path accepted input the plain path rejects:\n{}", String::from_utf8_lossy(input))
            };
            assert_eq!(String::from_utf8_lossy(&bytes), String::from_utf8_lossy(&expected), "{sizes:?}");
            assert_eq!((summary.read, summary.written), (want.read, want.written));
            assert_eq!(summary.tiers, want.tiers, "records and money per tier");
            // The parallel path bounds the money's magnitude (whole units rounded
            // up) from above, by at most one unit a record: it only decides
            // whether to hand the run to the plain path.
            if let (Some(&got), Some(&exact)) = (summary.magnitudes.first(), want.magnitudes.first()) {
                assert!(exact <= got && got <= exact + u128::from(want.read), "magnitude {got}, exactly {exact}");
            }
            true
        }
    }
}

/// A reject as the report shows it: the message (with its location) and the cells.
type Shown = (String, Vec<(String, String)>);

/// The plain path with `--on-error skip`: bytes, summary and the rejects in order.
fn plain_skipping(p: &Program, input: &[u8], format: Format) -> Option<(Vec<u8>, Summary, Vec<Shown>)> {
    plain_reading(p, input, Format::Csv, format)
}

/// [`plain_skipping`] for an input in `in_format`.
fn plain_reading(
    p: &Program,
    input: &[u8],
    in_format: Format,
    format: Format,
) -> Option<(Vec<u8>, Summary, Vec<Shown>)> {
    let reader = Reader::new(Box::new(input), in_format, "input.csv", &p.fields, p.key).ok()?;
    let mut out = Vec::new();
    let mut writer = Writer::with_kept(&mut out, format, p, Vec::new(), Vec::new(), false).unwrap();
    let ev = Evaluator::new(p, today());
    let (mut summary, mut rejects) = (Summary::new(p), Vec::new());
    for row in reader {
        summary.read += 1;
        let row = match row {
            Ok(row) => row,
            Err(r) if r.error.location().is_some() => {
                summary.rejected += 1;
                rejects.push((r.error.to_string(), r.cells));
                continue;
            }
            Err(_) => return None,
        };
        let mut frame: Vec<Value> = row.values.clone();
        let decisions = ev.evaluate(&mut frame).ok()?;
        writer.write_kept(&row.key, &row.kept, &decisions, &[]).unwrap();
        summary.add_money(summary.money_field.map_or(&Value::Missing, |m| &row.values[m]), &decisions);
    }
    writer.finish().unwrap();
    Some((out, summary, rejects))
}

/// The skip law: the parallel path with `--on-error skip` either hands back or
/// writes the same bytes, sets aside the same records with the same messages
/// (locations included), and counts the same; returns whether it took the input.
fn same_skipping(p: &Program, input: &[u8], format: Format, sizes: Sizes) -> bool {
    let read = skipping_from(p, Source::Read(input), input, format, sizes);
    assert_eq!(read, skipping_from(p, Source::Whole(input), input, format, sizes), "read and whole differ");
    read
}

/// [`same_skipping`] of the input read from `source`.
fn skipping_from(p: &Program, source: Source<'_, &[u8]>, input: &[u8], format: Format, sizes: Sizes) -> bool {
    let mut got: Vec<Shown> = Vec::new();
    let mut reject = |r: Rejected| {
        got.push((r.error.to_string(), r.cells));
        Ok(())
    };
    let mut out = Vec::new();
    let skip = Skip { source: "input.csv", reject: &mut reject };
    let Ok(summary) = apply(p, (source, None), Format::Csv, &mut out, (format, false, &[]), today(), sizes, Some(skip))
    else {
        return false;
    };
    let Some((bytes, want, rejects)) = plain_skipping(p, input, format) else {
        panic!("fast path took input the plain path stops on:\n{}", String::from_utf8_lossy(input))
    };
    assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&bytes), "{sizes:?}");
    assert_eq!(got, rejects, "{sizes:?}");
    assert_eq!((summary.read, summary.written, summary.rejected), (want.read, want.written, want.rejected));
    assert_eq!(summary.tiers, want.tiers);
    true
}

const HEADER: &str = "id,name,年度消费,orders,segment,joined\n";

/// The header and `records`, each key prefixed with the record's number (keys
/// apart), every line ended with LF or CRLF.
fn numbered(records: &[String], crlf: bool) -> String {
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut input = HEADER.replace('\n', eol);
    for (i, r) in records.iter().enumerate() {
        input.push_str(&format!("{i}{r}{eol}"));
    }
    input
}

fn clean_rows() -> String {
    let mut s = String::from(HEADER);
    let rows = [
        "C1,Alice,1000000,3,retail,2019-05-01",
        "C2,\"Bob, Jr.\",999999.99,12,wholesale,",
        "C3,\"Says \"\"hi\"\"\",300000,0,,2021-01-01",
        "C4,张三,299999.99,1,wholesale,",
        "\"C5\",\"multi\nline\",0,0,retail,",
        "C6,李四,1,2,,",
        "C7,x,-5,4,retail,2018-12-31",
        "\"C,8\",y,1000000.00,2,,",
    ];
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// A file at hand whole is cut at line ends before its quotes are seen:
/// fields over many lines put cuts inside them, and chunks wholly inside
/// them. Every chunk size reads them as the plain path does, read or whole.
#[test]
fn quoted_fields_over_many_lines_are_read_whole_at_every_chunk_size() {
    let p = program();
    let mut input = String::from(HEADER);
    for i in 1..12 {
        let lines = (0..i).map(|k| format!("line {k}, \"{k}\"\"")).collect::<Vec<_>>().join("\n");
        let name = format!("\"{}\"", lines.replace('"', "\"\""));
        input.push_str(&format!("K{i},{name},{},1,retail,\nL{i},plain,2,3,,\n", i * 100_000));
    }
    for chunk in [1, 2, 3, 5, 8, 13, 40, 1 << 16] {
        for block in [1, 16, 64, 1 << 20] {
            let sizes = Sizes { block, chunk };
            assert!(same(&p, input.as_bytes(), Format::Csv, false, sizes), "fell back at {sizes:?}");
        }
    }
}

#[test]
fn clean_input_takes_the_fast_path_with_identical_output_at_every_size() {
    let p = program();
    let input = clean_rows();
    for format in OUTPUTS {
        for tiers_only in [false, true] {
            for block in [1, 7, 33, 64, 1 << 20] {
                for chunk in [1, 5, 40, 1 << 16] {
                    let sizes = Sizes { block, chunk };
                    assert!(same(&p, input.as_bytes(), format, tiers_only, sizes), "fell back at {sizes:?}");
                }
            }
        }
    }
}

#[test]
fn boundary_values_decide_the_same_tiers() {
    let p = program();
    let (out, _) = fast(&p, clean_rows().as_bytes(), Format::Csv, true, Sizes { block: 16, chunk: 8 }).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,value,age");
    assert_eq!(lines[1], "C1,VIP,Old"); // exactly 1M and 3 a quarter
    assert_eq!(lines[2], "C2,Important,New"); // a cent under 1M, wholesale with monthly > 5k
    assert_eq!(lines[3], "C3,Important,New"); // exactly 30万
    assert_eq!(lines[5], "C5,,New"); // spend 0: no value tier
    assert_eq!(lines[8], "\"C,8\",Important,New"); // 1M but too few orders
}

#[test]
fn a_stray_quote_or_carriage_return_before_the_line_end_is_not_a_line_end() {
    // Only `\r\n` ends a line: a quote there (two of them, so the chunks are
    // cut as usual) or a lone `\r` belongs to the cell, as the csv crate reads it.
    let p = program();
    for stray in ["\"", "\r", "\"\r", "\r\""] {
        let input =
            format!("{HEADER}K1,a,100,1,retail,2020-01-01{stray}\nK2,b,100,1,retail,2020-01-01{stray}\nK3,c,5,1,,\n");
        for sizes in [Sizes::default(), Sizes { block: 10, chunk: 3 }] {
            same(&p, input.as_bytes(), Format::Csv, false, sizes);
            same_skipping(&p, input.as_bytes(), Format::Csv, sizes);
        }
    }
}

#[test]
fn windows_line_endings_and_a_missing_final_newline() {
    let p = program();
    let crlf = clean_rows().replace('\n', "\r\n");
    assert!(same(&p, crlf.as_bytes(), Format::Csv, false, Sizes { block: 10, chunk: 3 }));
    let trimmed = clean_rows();
    let trimmed = trimmed.trim_end();
    assert!(same(&p, trimmed.as_bytes(), Format::Csv, false, Sizes { block: 10, chunk: 3 }));
}

#[test]
fn bad_records_make_the_fast_path_hand_back() {
    let p = program();
    for bad in [
        "C9,z,lots,1,,",          // not an amount
        "C9,z,100,1,other,",      // not in the enum
        "C9,z,100,1",             // too few cells
        "C9,z,100,1,,,",          // too many cells
        "C9,z,,1,,",              // required spend empty
        ",z,100,1,,",             // no key
        "C9,z,100,1,,2025-13-01", // not a date
    ] {
        let input = format!("{}{bad}\n", clean_rows());
        let sizes = Sizes { block: 32, chunk: 16 };
        assert!(fast(&p, input.as_bytes(), Format::Csv, false, sizes).is_none(), "accepted {bad}");
        assert!(plain(&p, input.as_bytes(), Format::Csv, false, &[]).is_none(), "plain accepted {bad}");
    }
}

#[test]
fn a_quote_inside_an_unquoted_field_is_left_to_the_plain_reader() {
    let p = program();
    let input = format!("{HEADER}C9,z\"q,100,1,,\n");
    let sizes = Sizes { block: 32, chunk: 16 };
    assert!(fast(&p, input.as_bytes(), Format::Csv, false, sizes).is_none());
    assert!(plain(&p, input.as_bytes(), Format::Csv, false, &[]).is_some());
}

#[test]
fn formatted_numbers_go_through_the_plain_decoder() {
    let p = program();
    let input = format!("{HEADER}D1,a,\"1,200,000\",3,,\nD2,b,¥5k,1,,\nD3,c,120万,9,,\n");
    assert!(same(&p, input.as_bytes(), Format::Csv, false, Sizes { block: 8, chunk: 4 }));
}

/// Amounts every reader accepts, on and beside the tier boundaries.
const CLEAN_AMOUNTS: &[&str] =
    &["1000000", "999999.99", "300000", "299999.99", "0", "1", "-3", "1000000.000", "\"1,000,000\"", "100万", "5k"];

/// One generated cell: plain and formatted numbers near the boundaries, text
/// with separators, quotes, newlines and CJK, blanks, and a few bad values.
fn cell(kind: u8) -> BoxedStrategy<String> {
    let text = prop::sample::select(vec!["a", "Bob, Jr.", "say \"hi\"", "two\nlines", "张三", " pad ", "", "x\r\ny"]);
    let quote =
        |s: &str| if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.into() };
    match kind {
        // Also cells written wrongly: a quote inside an unquoted field, text
        // after a closing quote, a lone `\r` (each read as the csv crate reads it).
        0 => prop_oneof![
            8 => text.prop_map(quote),
            1 => prop::sample::select(vec!["ab\"c", "\"ab\"c", "a\rb", "x\"\"", "\"a\"\"b\" c"]).prop_map(String::from),
        ]
        .boxed(),
        1 => {
            let amounts: Vec<&str> = CLEAN_AMOUNTS.iter().copied().chain(["", "abc", ".5", "5."]).collect();
            prop::sample::select(amounts).prop_map(String::from).boxed()
        }
        2 => prop::sample::select(vec!["0", "1", "3", "12", "", "2.0", "x", "-1"]).prop_map(String::from).boxed(),
        3 => prop::sample::select(vec!["retail", "wholesale", "", "Retail", "other"]).prop_map(String::from).boxed(),
        // The last cell: a stray quote or `\r` just before the line end too.
        _ => prop::sample::select(vec![
            "",
            "2019-12-31",
            "2020-01-01",
            "2024-02-29",
            "nope",
            "2020-01-01\"",
            "2020-01-01\r",
        ])
        .prop_map(String::from)
        .boxed(),
    }
}

fn record() -> impl Strategy<Value = String> {
    (any::<u16>(), cell(0), cell(1), cell(2), cell(3), cell(4))
        .prop_map(|(id, name, spend, orders, seg, joined)| format!("K{id},{name},{spend},{orders},{seg},{joined}"))
}

/// A record every reader accepts.
fn clean_record() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec!["a", "\"Bob, Jr.\"", "\"say \"\"hi\"\"\"", "\"two\nlines\"", "张三", " pad "]);
    let spend = prop::sample::select(CLEAN_AMOUNTS);
    let orders = prop::sample::select(vec!["0", "1", "3", "12"]);
    let seg = prop::sample::select(vec!["retail", "wholesale", ""]);
    let joined = prop::sample::select(vec!["", "2019-12-31", "2020-01-01", "2024-02-29"]);
    (any::<u16>(), name, spend, orders, seg, joined)
        .prop_map(|(id, name, spend, orders, seg, joined)| format!("K{id},{name},{spend},{orders},{seg},{joined}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn fast_and_plain_agree(
        records in prop::collection::vec(record(), 0..40),
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
        block in 1usize..200,
        chunk in 1usize..100,
        tiers_only in any::<bool>(),
        output in 0..OUTPUTS.len(),
        keep in prop::sample::select(vec![vec![], vec!["name"], vec!["segment", "年度消费"], vec!["spend", "joined"]]),
    ) {
        let p = program();
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut input = HEADER.replace('\n', eol);
        input.push_str(&records.join(eol));
        if final_newline && !records.is_empty() {
            input.push_str(eol);
        }
        let format = OUTPUTS[output];
        let keep: Vec<String> = keep.into_iter().map(String::from).collect();
        same_keeping(&p, input.as_bytes(), format, tiers_only, &keep, Sizes { block, chunk });
    }

    #[test]
    fn fast_and_plain_agree_when_skipping_bad_records(
        records in prop::collection::vec(record(), 0..40),
        crlf in any::<bool>(),
        block in 1usize..200,
        chunk in 1usize..100,
        output in 0..OUTPUTS.len(),
    ) {
        // Keys numbered apart: a repeated key hands the run back, tested below.
        let input = numbered(&records, crlf);
        let format = OUTPUTS[output];
        same_skipping(&program(), input.as_bytes(), format, Sizes { block, chunk });
    }

    #[test]
    fn fast_path_takes_every_clean_input(
        records in prop::collection::vec(clean_record(), 0..40),
        crlf in any::<bool>(),
        block in 1usize..200,
        chunk in 1usize..100,
        output in 0..OUTPUTS.len(),
    ) {
        let p = program();
        // A repeated key is a bad record: clean inputs number their keys apart.
        let input = numbered(&records, crlf);
        let format = OUTPUTS[output];
        prop_assert!(same(&p, input.as_bytes(), format, false, Sizes { block, chunk }), "fell back on\n{}", input);
        let keep = ["name".to_string(), "segment".to_string()];
        prop_assert!(same_keeping(&p, input.as_bytes(), format, false, &keep, Sizes { block, chunk }), "fell back with --keep on\n{}", input);
    }
}

/// Bad cells, formatted numbers, a blank line and a record of the wrong width,
/// after a quoted field spanning lines: the parallel path takes the input and
/// places every reject at the row and line the plain reader gives.
#[test]
fn bad_records_are_set_aside_by_the_parallel_path_itself() {
    let p = program();
    let mut input = String::from(HEADER);
    for i in 0..300 {
        let name = if i % 7 == 0 { "\"two\nlines\"" } else { "a" };
        let spend = match i % 50 {
            3 => "lots",          // a bad value
            11 => "\"1,200.50\"", // formatted: decoded by the plain decoder, not set aside
            _ => "120000",
        };
        let orders = if i % 97 == 5 { "" } else { "3" }; // a missing value
        input.push_str(&format!("K{i},{name},{spend},{orders},retail,2020-01-01\n"));
        if i == 150 {
            input.push_str("\nK-extra,a,1\n"); // a blank line, then too few cells
        }
    }
    for sizes in [Sizes { block: 64, chunk: 16 }, Sizes { block: 1 << 12, chunk: 256 }, Sizes::default()] {
        for format in OUTPUTS {
            assert!(same_skipping(&p, input.as_bytes(), format, sizes), "handed back at {sizes:?} to {format:?}");
        }
    }
    // Stopping at the first bad record, the parallel path hands back.
    assert!(fast(&p, input.as_bytes(), Format::Csv, false, Sizes::default()).is_none());
    // A repeated key hands back too: the plain path names both records.
    let repeated = format!("{HEADER}K1,a,1,1,,\nK2,a,lots,1,,\nK1,b,2,1,,\n");
    let mut out = Vec::new();
    let mut reject = |_: Rejected| Ok(());
    let skip = Skip { source: "input.csv", reject: &mut reject };
    let shape = (Format::Csv, false, &[][..]);
    assert!(apply(
        &p,
        (Source::whole(repeated.as_bytes()), None),
        Format::Csv,
        &mut out,
        shape,
        today(),
        Sizes::default(),
        Some(skip)
    )
    .is_err());
}

/// NDJSON on the parallel path: lines decoded by the plain reader on every
/// core, bad lines (invalid JSON, bad values, blank lines between) set aside
/// in order with the plain reader's locations; stopping, a bad line hands back.
#[test]
fn ndjson_lines_are_decided_in_parallel_exactly_as_the_plain_reader_does() {
    let p = program();
    let mut input = String::new();
    for i in 0..400 {
        let spend = match i % 37 {
            3 => "\"lots\"".to_string(),
            5 => "\"1,200.50\"".to_string(),
            _ => format!("{}", i * 1000),
        };
        match i % 53 {
            7 => input.push_str("{not json\n"),
            9 => input.push('\n'),
            _ => {}
        }
        input.push_str(&format!(
            "{{\"id\":\"K{i}\",\"name\":\"a\\nb {i}\",\"年度消费\":{spend},\"orders\":3,\"segment\":\"retail\"}}\n"
        ));
    }
    let (want, summary, rejects) = plain_reading(&p, input.as_bytes(), Format::Ndjson, Format::Csv).unwrap();
    assert!(rejects.len() > 10, "{rejects:?}");
    for sizes in [Sizes { block: 64, chunk: 16 }, Sizes { block: 1 << 12, chunk: 300 }, Sizes::default()] {
        let mut got: Vec<Shown> = Vec::new();
        let mut reject = |r: Rejected| {
            got.push((r.error.to_string(), r.cells));
            Ok(())
        };
        let skip = Some(Skip { source: "input.csv", reject: &mut reject });
        let mut out = Vec::new();
        let shape = (Format::Csv, false, &[][..]);
        let s =
            apply(&p, (Source::Read(input.as_bytes()), None), Format::Ndjson, &mut out, shape, today(), sizes, skip)
                .unwrap();
        assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&want), "{sizes:?}");
        assert_eq!(got, rejects, "{sizes:?}");
        assert_eq!((s.read, s.written, s.rejected), (summary.read, summary.written, summary.rejected));
        assert_eq!(s.tiers, summary.tiers);
        let mut out = Vec::new();
        assert!(apply(
            &p,
            (Source::Read(input.as_bytes()), None),
            Format::Ndjson,
            &mut out,
            shape,
            today(),
            sizes,
            None
        )
        .is_err());
    }
    // A byte order mark opening a line other than the first is data: the plain
    // reader rejects that line, so the parallel path (whose chunks each have a
    // first line) must not read it as a mark.
    let marked = "{\"id\":\"K1\",\"name\":\"a\",\"年度消费\":1,\"orders\":1}\n\u{feff}{\"id\":\"K2\",\"name\":\"a\",\"年度消费\":1,\"orders\":1}\n";
    let (want, _, rejects) = plain_reading(&p, marked.as_bytes(), Format::Ndjson, Format::Csv).unwrap();
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    for chunk in 1..marked.len() {
        let mut got = Vec::new();
        let mut reject = |r: Rejected| {
            got.push((r.error.to_string(), r.cells));
            Ok(())
        };
        let skip = Some(Skip { source: "input.csv", reject: &mut reject });
        let (mut out, shape, sizes) = (Vec::new(), (Format::Csv, false, &[][..]), Sizes { block: 1 << 10, chunk });
        if apply(&p, (Source::whole(marked.as_bytes()), None), Format::Ndjson, &mut out, shape, today(), sizes, skip)
            .is_ok()
        {
            assert_eq!((out.as_slice(), &got), (want.as_slice(), &rejects), "chunk {chunk}");
        }
    }
}

#[test]
fn odd_inputs_are_left_to_the_plain_path() {
    let p = program();
    let sizes = Sizes { block: 16, chunk: 8 };
    // No header at all: the plain path reports the missing columns.
    assert!(fast(&p, b"", Format::Csv, false, sizes).is_none());
    // A lone carriage return ends a record for the csv crate.
    let input = format!("{HEADER}C1,a\rb,100,1,,\n");
    assert!(fast(&p, input.as_bytes(), Format::Csv, false, sizes).is_none());
    // An unterminated quote at the end of the input.
    let input = format!("{HEADER}C1,\"abc,100,1,,\n");
    assert!(fast(&p, input.as_bytes(), Format::Csv, false, sizes).is_none());
    // Invalid UTF-8 in a cell nobody reads.
    let mut input = format!("{HEADER}C1,").into_bytes();
    input.extend_from_slice(b"\xff\xfe,100,1,,\n");
    assert!(fast(&p, &input, Format::Csv, false, sizes).is_none());
}

/// One element of a generated JSON array: records (pretty-printed too, with
/// brackets, commas and escapes inside strings), bad values, and elements
/// that are not objects.
fn json_element() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        r#"{"id":"K","name":"a","年度消费":1200,"orders":3}"#,
        "{\n  \"id\": \"K\",\n  \"name\": \"x ] , } \\\" \\\\\",\n  \"年度消费\": \"1,000,000\",\n  \"orders\": 3\n}",
        r#"{"id":"K","name":"[1,2]","年度消费":"lots","orders":1}"#,
        r#"{"id":"K","name":"b","年度消费":300000,"orders":"x","segment":"retail","extra":{"a":[1,{"b":2}]}}"#,
        r#"{"id":"K","name":"张三","年度消费":"5k","orders":12,"joined":"2019-12-31"}"#,
        r#"{"id":"K","name":"c"}"#,
        "42",
        r#"["not", "an", "object"]"#,
        "null",
    ])
    .prop_map(String::from)
}

/// A JSON array input: `elements` with their keys numbered apart, joined by
/// commas and white space; `damage` breaks the document in one of a few ways.
fn json_array(elements: &[String], gaps: &[&str], damage: u8) -> String {
    let mut text = String::from("\u{feff}\n [");
    for (i, e) in elements.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(gaps[i % gaps.len()]);
        text.push_str(&e.replacen("\"K\"", &format!("\"K{i}\""), 1));
    }
    match damage {
        1 => text.push_str(",]"),           // a trailing comma
        2 => text.push_str("] x"),          // text after the array
        3 => {}                             // never closed
        4 => text.push_str(",,{}]"),        // an empty element
        5 => text.push_str("}]"),           // a stray closing brace
        6 => text.push_str(" {\"id\":1}]"), // a missing comma
        _ => text.push_str("\n]\n"),
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// JSON arrays on the parallel path: cut between elements, each chunk read
    /// as an array of its own. Either the run is handed back, or the output,
    /// the rejects (with their rows and lines) and the counts are the plain
    /// reader's; a clean array is always taken.
    #[test]
    fn json_arrays_are_decided_in_parallel_exactly_as_the_plain_reader_does(
        elements in prop::collection::vec(json_element(), 0..30),
        gaps in prop::sample::select(vec![vec![""], vec!["\n"], vec![" ", "\n  ", "\r\n"]]),
        damage in prop::sample::select(vec![0u8, 0, 0, 1, 2, 3, 4, 5, 6]),
        block in 1usize..300,
        chunk in 1usize..120,
        skipping in any::<bool>(),
    ) {
        let p = program();
        let input = json_array(&elements, &gaps, damage);
        let sizes = Sizes { block, chunk };
        let plain = plain_reading(&p, input.as_bytes(), Format::Json, Format::Csv);
        let mut got: Vec<Shown> = Vec::new();
        let mut reject = |r: Rejected| {
            got.push((r.error.to_string(), r.cells));
            Ok(())
        };
        let skip = skipping.then_some(Skip { source: "input.csv", reject: &mut reject });
        let mut out = Vec::new();
        let shape = (Format::Csv, false, &[][..]);
        let fast = apply(&p, (Source::whole(input.as_bytes()), None), Format::Json, &mut out, shape, today(), sizes, skip);
        if let Ok(s) = fast {
            let Some((want, summary, rejects)) = plain else {
                panic!("fast path took a JSON document the plain path stops on:\n{input}")
            };
            prop_assert!(skipping || rejects.is_empty(), "took bad records without --on-error skip:\n{input}");
            prop_assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&want));
            prop_assert_eq!(&got, &rejects);
            prop_assert_eq!((s.read, s.written, s.rejected), (summary.read, summary.written, summary.rejected));
            prop_assert_eq!(s.tiers, summary.tiers);
        } else {
            let clean = damage == 0 && plain.is_some_and(|(_, _, rejects)| rejects.is_empty());
            prop_assert!(!clean, "a clean array was handed back:\n{input}");
        }
    }
}
