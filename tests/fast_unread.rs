//! Fields no rule reads are only checked on the parallel path, never stored:
//! every kind of cell in every type of field a policy declares but does not
//! read is refused or accepted exactly as the plain reader refuses or
//! accepts it, with the same reject report, at any chunk size.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use tierlang::data::fast::{apply, Sizes, Skip, Source};
use tierlang::data::{Format, Reader, Rejected, Writer};
use tierlang::eval::Evaluator;
use tierlang::number::Date;

/// Only `spend` is read; every other field is declared and never read.
const POLICY: &str = r#"
schema {
  id: text key
  note: text
  memo: text?
  born: date
  seen: date?
  count: integer
  ratio: number?
  visits: count per month
  spend: money
}
tier High { when spend >= 100 }
tier Low { otherwise }
"#;

const HEADER: &str = "id,note,memo,born,seen,count,ratio,visits,spend\n";

/// A record that every reader accepts, and one cell at a time changed to
/// another value: `(column, value, accepted)`.
const GOOD: [&str; 9] = ["K", "a", "", "2020-01-01", "", "3", "", "2", "150"];
const CELLS: &[(usize, &str, bool)] = &[
    (1, "  ", false),
    (1, "\"\"", false),
    (1, "\"x, y\"", true),
    (1, "张三", true),
    (2, " ", true),
    (3, "2024-02-29", true),
    (3, "2000-02-29", true),
    (3, "2023-02-29", false),
    (3, "1900-02-29", false),
    (3, "2023-02-30", false),
    (3, "2020-04-31", false),
    (3, "2020-13-01", false),
    (3, "2020-00-10", false),
    (3, "0000-01-01", true),
    (3, "9999-12-31", true),
    (3, "", false),
    (3, "nope", false),
    (3, "2020-1-5", false),
    (3, " 2020-01-05 ", true),
    (4, "2021-06-30", true),
    (4, "2021-06-31", false),
    (4, "", true),
    (5, "2.5", false),
    (5, "2.0", true),
    (5, "-4", true),
    (5, "x", false),
    (5, "\"1,200\"", true),
    (6, "", true),
    (6, "abc", false),
    (7, "-1", false),
    (7, "1.5", true),
    (8, "99.99", true),
];

fn today() -> Date {
    Date::parse("2025-06-30").unwrap()
}

/// A reject as the report shows it: the message (with its location) and the cells.
type Shown = (String, Vec<(String, String)>);

/// Output and rejects of the plain reader skipping bad records.
fn plain(p: &tierlang::compile::Program, input: &[u8]) -> (Vec<u8>, Vec<Shown>) {
    let reader = Reader::new(Box::new(input), Format::Csv, "input.csv", &p.fields, p.key).unwrap();
    let (mut out, mut rejects) = (Vec::new(), Vec::new());
    let mut writer = Writer::with_kept(&mut out, Format::Csv, p, Vec::new(), Vec::new(), false).unwrap();
    let ev = Evaluator::new(p, today());
    for row in reader {
        match row {
            Ok(row) => {
                let decisions = ev.evaluate(&mut row.values.clone()).unwrap();
                writer.write_kept(&row.key, &row.kept, &decisions, &[]).unwrap();
            }
            Err(r) => rejects.push((r.error.to_string(), r.cells)),
        }
    }
    writer.finish().unwrap();
    (out, rejects)
}

/// The parallel path skipping bad records, in blocks of `block` bytes and
/// each of `chunks`: takes the run and gives the plain reader's output and rejects.
fn agrees(
    p: &tierlang::compile::Program,
    input: &str,
    (want, refused): (&[u8], &[Shown]),
    block: usize,
    chunks: &[usize],
) {
    for &chunk in chunks {
        let mut got: Vec<Shown> = Vec::new();
        let mut reject = |r: Rejected| {
            got.push((r.error.to_string(), r.cells));
            Ok(())
        };
        let skip = Some(Skip { source: "input.csv", reject: &mut reject });
        let mut out = Vec::new();
        let sizes = Sizes { block, chunk };
        let shape = (Format::Csv, false, &[][..]);
        let taken =
            apply(p, (Source::Read(input.as_bytes()), None), Format::Csv, &mut out, shape, today(), sizes, skip);
        assert!(taken.is_ok(), "the parallel path handed the run back at chunk {chunk}");
        if let Some(d) = common::first_difference(&out, want) {
            panic!("output differs (fast, then plain) at chunk {chunk}, {d}");
        }
        assert_eq!(got, refused, "rejects at chunk {chunk}");
    }
}

#[test]
fn fields_no_rule_reads_are_checked_as_the_plain_reader_checks_them() {
    let p = common::program(POLICY);
    let mut input = String::from(HEADER);
    for (i, &(column, value, _)) in CELLS.iter().enumerate() {
        let mut cells = GOOD.map(String::from);
        cells[0] = format!("K{i}");
        cells[column] = value.to_string();
        input.push_str(&cells.join(","));
        input.push('\n');
    }
    let (want, refused) = plain(&p, input.as_bytes());
    // The plain reader refuses exactly the cells marked so.
    let bad: Vec<String> =
        CELLS.iter().enumerate().filter(|(_, c)| !c.2).map(|(i, _)| format!("row {}", i + 1)).collect();
    assert_eq!(refused.len(), bad.len(), "{refused:#?}");
    for (r, row) in refused.iter().zip(&bad) {
        assert!(r.0.contains(row), "{} for {row}", r.0);
    }
    agrees(&p, &input, (&want, &refused), 1 << 12, &[1, 7, 64, 1 << 16]);
}

/// Three read fields (a money first, a rate and a date later) around unread
/// ones: the parallel path decodes records column by column in runs of 128,
/// so a bad cell after a read field has taken the run's values must leave
/// nothing behind.
const RUNS: &str = r#"
schema {
  id: text key
  spend: money
  born: date
  note: text
  visits: count per month
  joined: date
}
tier High { when spend >= 100 and visits >= 2/month and days_since(joined) <= 365 }
tier Mid { when spend >= 100 }
tier Low { otherwise }
"#;

#[test]
fn a_bad_cell_anywhere_in_a_run_leaves_the_runs_columns_as_the_plain_reader_would() {
    let p = common::program(RUNS);
    // Per record number: what is put in its place (a bad cell in each field
    // after the first read one, a formatted number, a quoted key, a blank
    // line, a short record), at and around the run boundaries.
    let special = |i: usize| -> Option<String> {
        Some(match i {
            0 => format!("K{i},150,2020-02-30,a,3,2025-01-01"),
            5 => format!("K{i},\"1,500\",2000-01-01,a,3,2025-01-01"),
            126 => format!("K{i},150,2000-01-01,,3,2025-01-01"),
            127 => format!("K{i},150,2000-01-01,a,-3,2025-01-01"),
            128 => format!("K{i},150,2000-01-01,a,3,2025-02-30"),
            129 => String::new(),
            200 => format!("\"K{i}\",150,2000-01-01,a,3,2025-01-01"),
            255 => format!("K{i},150,2000-01-01,a"),
            256 => format!("K{i},abc,2000-01-01,a,3,2025-01-01"),
            300 => format!("K{i},150,2000-01-01,a,3,2025-01-01,extra"),
            399 => format!("K{i},150,2000-01-01,a,3,soon"),
            _ => return None,
        })
    };
    let mut input = String::from("id,spend,born,note,visits,joined\n");
    for i in 0..400 {
        let good = format!("K{i},{}.5,2001-02-03,n{i},{}.25,2025-0{}-1{}", 90 + i % 20, i % 4, 1 + i % 6, i % 10);
        input.push_str(&special(i).unwrap_or(good));
        input.push('\n');
    }
    let (want, refused) = plain(&p, input.as_bytes());
    assert_eq!(refused.len(), 8, "{refused:#?}");
    agrees(&p, &input, (&want, &refused), 1 << 15, &[7, 100, 4096, 1 << 16]);
}
