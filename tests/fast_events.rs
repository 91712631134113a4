//! The parallel event aggregation (`data::fast_events`) against the plain reader
//! and one `Aggregation`: for any event log, either the customers (every metric
//! frame) and the event counts are identical, or the fast path hands back
//! (`Fallback`, on input the plain reader rejects). Tiny block and chunk sizes put
//! boundaries everywhere, including inside quoted descriptions with commas,
//! quotes and line breaks.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use proptest::prelude::*;
use std::io::Write;
use tierlang::compile::Program;
use tierlang::data::fast::Sizes;
use tierlang::data::fast::Source;
use tierlang::data::fast_events::aggregate_sized;
use tierlang::data::mapped::Mapped;
use tierlang::data::{Format, Reader};
use tierlang::eval::Value;
use tierlang::metrics::{Customer, EventCounts};
use tierlang::number::Date;

const POLICY: &str = r#"
events lines {
  customer: integer key from "CustomerID"
  invoice: text from "InvoiceNo"
  description: text? from "Description"
  quantity: number from "Quantity"
  price: money from "UnitPrice"
  at: datetime time from "InvoiceDate"
  let amount = quantity * price
  where not contains(invoice, "C")
}
metric spend = sum(amount)
metric recent = sum(amount) within last 3 months
metric invoices = count(distinct invoice)
metric lines_q = count() within last quarter
metric first_days = days_since(min(at))
metric last_days = days_since(max(at))
metric mean = avg(price)
tier Top { when spend > 100 and invoices >= 2 and lines_q >= 1/quarter and first_days >= 0 and last_days >= 0 and mean > 0 and recent >= 0 }
tier Rest { otherwise }
"#;

fn today() -> Date {
    Date::parse("2011-12-11").unwrap()
}

/// The plain path: the CSV reader and one aggregation, in file order.
fn plain(p: &Program, csv: &str) -> Option<(Vec<Customer>, EventCounts)> {
    let ev = p.metrics.as_ref().unwrap().events.as_ref().unwrap();
    let reader = Reader::new(Box::new(csv.as_bytes()), Format::Csv, "t.csv", &ev.fields, ev.key).ok()?.repeated_keys();
    tierlang::data::events::aggregate(p, reader, today(), |_| Err(())).ok()
}

fn frames(cs: &[Customer]) -> Vec<(String, Vec<Value>)> {
    cs.iter().map(|c| (c.key.clone(), c.frame.clone())).collect()
}

fn line() -> impl Strategy<Value = String> {
    let customer = prop_oneof![3 => (12_340u32..12_350).prop_map(|c| c.to_string()), 1 => Just(String::new())];
    // Texts read as they are, and ones the decoder trims or unquotes.
    let invoice = prop_oneof![
        5 => (536_000u32..536_020).prop_map(|i| i.to_string()),
        1 => Just("C536001".to_string()),
        1 => prop::sample::select(vec![" 536001", "536001 ", "\"536001\"", "\" 536002\"", "发票7", "A-1\u{3000}", "\u{3000}536003"])
            .prop_map(str::to_string),
    ];
    let description = prop_oneof![
        Just("LANTERN".to_string()),
        Just("\"HEART, WHITE\"".to_string()),
        Just("\"SAY \"\"HELLO\"\"\"".to_string()),
        Just("\"TWO\nLINES\"".to_string()),
        Just(String::new()),
    ];
    let quantity = prop_oneof![(-5i32..50).prop_map(|q| q.to_string()), Just("1.5".to_string())];
    let price = prop_oneof![(0u32..2000).prop_map(|p| format!("{}.{:02}", p / 100, p % 100)), Just("12".to_string())];
    // Date-times in every shape the decoder takes (and some it refuses: then
    // both paths refuse the file).
    let day = (1u32..=31, 0u32..24, 0u32..60, 0usize..40).prop_map(|(d, h, m, shape)| {
        let date = format!("2011-{:02}-{d:02}", d % 12 + 1);
        match shape {
            0 => format!("{date} {h:02}:{m:02}"),
            1 => format!("{date}T{h:02}:{m:02}:{:02}", 59 - m),
            2 => format!("{date} {h:02}:{m:02}:07.25"),
            3 => date,
            4 => format!(" {date} {h:02}:{m:02}:00"),
            5 => format!("\"{date} {h:02}:{m:02}:00\""),
            6 => format!("{date} {h:02}:{m:02}:00 "),
            7 => format!("{date} 24:{m:02}:00"), // no such hour
            _ => format!("{date} {h:02}:{m:02}:00"),
        }
    });
    (customer, invoice, description, quantity, price, day)
        .prop_map(|(c, i, d, q, p, t)| format!("{i},{d},{q},{t},{p},{c}\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn fast_aggregation_equals_the_plain_reader(
        lines in proptest::collection::vec(line(), 0..120),
        block in 1usize..400,
        chunk in 1usize..200,
        bad in proptest::option::of(0usize..120),
    ) {
        let p = common::program(POLICY);
        let mut csv = String::from("InvoiceNo,Description,Quantity,InvoiceDate,UnitPrice,CustomerID\n");
        for (i, l) in lines.iter().enumerate() {
            // Now and then a bad quantity: the fast path must hand back.
            if bad == Some(i) {
                csv.push_str("536001,X,lots,2011-01-01 00:00:00,1,12345\n");
            }
            csv.push_str(l);
        }
        let fast = aggregate_sized(&p, Source::Read(csv.as_bytes()), today(), Sizes { block, chunk });
        // At hand whole (cut at line ends, then where the quotes say if need be): the same.
        let whole = aggregate_sized(&p, Source::whole(csv.as_bytes()), today(), Sizes { block, chunk });
        prop_assert_eq!(whole.is_ok(), fast.is_ok(), "read and whole differ");
        if let (Ok(w), Ok(f)) = (&whole, &fast) {
            prop_assert_eq!(frames(&w.0), frames(&f.0));
            prop_assert_eq!(&w.1, &f.1);
        }
        let plain = plain(&p, &csv);
        match (fast, plain) {
            (Ok((f, fc)), Some((s, sc))) => {
                prop_assert_eq!(frames(&f), frames(&s));
                prop_assert_eq!(fc, sc);
            }
            (Err(_), None) => {} // handed back: the plain path refuses it and says why
            (Err(_), Some(_)) => prop_assert!(false, "the fast path handed back valid input"),
            (Ok(_), None) => prop_assert!(false, "the fast path accepted what the plain reader rejects"),
        }
    }
}

#[test]
fn the_bundled_sample_aggregates_alike_with_any_chunking() {
    let p =
        common::program(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/policies/rfm.tier")).unwrap());
    let csv =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/online_retail_sample.csv")).unwrap();
    let (customers, plain_counts) = plain(&p, &csv).unwrap();
    let want = frames(&customers);
    // Mapped from a file, as `tier apply --events` takes a log of a megabyte or more.
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(csv.as_bytes()).unwrap();
    let mapped = Mapped::new(file, 0).unwrap();
    for (block, chunk) in [(1 << 20, 1 << 16), (4096, 512), (300, 7)] {
        let sizes = Sizes { block, chunk };
        let sources = [Source::Read(csv.as_bytes()), Source::Whole(csv.as_bytes()), Source::Mapped(&mapped)];
        for source in sources {
            let (got, counts) = aggregate_sized(&p, source, today(), sizes).unwrap();
            assert_eq!(frames(&got), want, "block {block}, chunk {chunk}");
            assert_eq!(counts, plain_counts);
            assert_eq!(counts.read, 3472);
        }
    }
}

/// A log at hand whole is cut at line ends before its quotes are seen: a
/// description of several lines makes the chunk before a wrong cut fail, and
/// the log is cut again where its quotes say; the result is the plain path's,
/// at every chunk size.
#[test]
fn a_whole_log_with_fields_of_several_lines_aggregates_as_read() {
    let p =
        common::program(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/policies/rfm.tier")).unwrap());
    let mut csv = String::from("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n");
    for i in 0..400 {
        let description = if i % 9 == 0 { "\"TWO\nLINES, \"\"QUOTED\"\"\"" } else { "LANTERN" };
        csv.push_str(&format!(
            "5{i},A,{description},{},2011-0{}-03 11:13:00,2.5,{},UK\n",
            i % 7 + 1,
            i % 9 + 1,
            12000 + i % 37
        ));
    }
    let (customers, counts) = plain(&p, &csv).unwrap();
    for chunk in [1, 5, 64, 1000, 1 << 16] {
        let got = aggregate_sized(&p, Source::whole(csv.as_bytes()), today(), Sizes { block: 4096, chunk }).unwrap();
        assert_eq!(frames(&got.0), frames(&customers), "chunk {chunk}");
        assert_eq!(got.1, counts);
    }
}
