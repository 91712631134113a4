//! Any bytes as CSV, JSON or NDJSON records of a fixed schema. The plain path
//! accounts for every record (read = written + rejected, and on quote-free CSV
//! one record per non-empty line); the parallel CSV path, at block and chunk
//! sizes from the input, read block by block or at hand whole (as a mapped
//! file is), either hands back or writes the same bytes and the same
//! summary. Rendering the summary never panics. With the selector's high
//! bit set the bytes are a CSV event log instead: the parallel aggregation
//! either hands back or gives the plain path's customers and counts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tierlang::compile::Program;
use tierlang::data::fast::{apply, Sizes, Source};
use tierlang::data::{Format, Reader, Summary, Writer};
use tierlang::eval::Evaluator;
use tierlang_fuzz::{compiled, today};

const POLICY: &str = r#"
schema {
  id: text key
  spend: money
  orders: count per quarter
  segment: enum(retail, wholesale)?
  joined: date?
  refund: money?
}
let monthly = spend / 12
dimension value {
  tier VIP { when spend >= 1M and orders >= 3/quarter  strategy { visits: 1/month } }
  tier Important { when spend >= 30万 or (segment == wholesale and monthly > 5k) }
  tier General { when spend between 1 and 30万 }
}
dimension age {
  tier Old { when joined is present and joined < 2020-01-01 }
  tier New { otherwise }
}
"#;

const EVENTS: &str = r#"
events lines {
  customer: integer key from "CustomerID"
  invoice: text from "InvoiceNo"
  quantity: number from "Quantity"
  price: money from "UnitPrice"
  at: datetime time from "InvoiceDate"
  let amount = quantity * price
  where not contains(invoice, "C")
}
metric spend = sum(amount)
metric recent = sum(amount) within last 3 months
metric invoices = count(distinct invoice)
metric last_days = days_since(max(at))
metric mean = avg(price)
tier Top { when spend > 100 and invoices >= 2 and last_days >= 0 and mean > 0 and recent >= 0 }
tier Rest { otherwise }
"#;

fn events_program() -> &'static Program {
    static P: OnceLock<Program> = OnceLock::new();
    P.get_or_init(|| compiled(EVENTS).expect("the events policy checks").1)
}

/// The event log both ways: the same customers and counts, or a hand-back.
fn events(input: &[u8], sizes: Sizes) {
    let p = events_program();
    let Some(ev) = p.metrics.as_ref().and_then(|m| m.events.as_ref()) else { return };
    let Ok(reader) = Reader::new(Box::new(input), Format::Csv, "events", &ev.fields, ev.key) else { return };
    // An event log repeats customer ids by nature (the plain apply path says so too).
    let reader = reader.repeated_keys();
    let plain = tierlang::data::events::aggregate(p, reader, today(), |_| Err(()));
    // Read block by block, or at hand whole (cut at line ends first).
    let source = match sizes.block % 2 {
        0 => Source::Read(input),
        _ => Source::Whole(input),
    };
    let Ok(fast) = tierlang::data::fast_events::aggregate_sized(p, source, today(), sizes) else { return };
    let Ok(plain) = plain else { panic!("the parallel event path took a log the plain path rejects") };
    assert_eq!(fast.1, plain.1, "event counts differ");
    assert_eq!(format!("{:?}", fast.0), format!("{:?}", plain.0), "customers differ");
}

fn program() -> &'static Program {
    static P: OnceLock<Program> = OnceLock::new();
    P.get_or_init(|| compiled(POLICY).expect("the reader policy checks").1)
}

/// The plain path as `tier apply` runs it: output, summary, records rejected.
fn plain(p: &Program, input: &[u8], format: Format, out_format: Format) -> Option<(Vec<u8>, Summary, u64)> {
    let reader = Reader::new(Box::new(input), format, "input", &p.fields, p.key).ok()?;
    let mut out = Vec::new();
    let mut writer = Writer::new(&mut out, out_format, p, Vec::new(), false).expect("a writer");
    let ev = Evaluator::new(p, today());
    let mut summary = Summary::with_values(p);
    let mut items = 0u64;
    for row in reader {
        items += 1;
        summary.read += 1;
        let Ok(row) = row else {
            summary.rejected += 1;
            continue;
        };
        let mut frame = row.values.clone();
        match ev.evaluate(&mut frame) {
            // As `tier apply`: a record the totals cannot hold is rejected.
            Ok(_) if summary.fits(&row.values).is_err() => summary.rejected += 1,
            Ok(decisions) => {
                writer.write(&row.key, &decisions, &[]).expect("write");
                summary.add(&frame, &decisions);
            }
            Err(_) => summary.rejected += 1,
        }
    }
    writer.finish().expect("finish");
    assert_eq!(summary.read, summary.written + summary.rejected, "rows lost");
    assert_eq!(items, summary.read);
    Some((out, summary, items))
}

/// Records csv-core sees in quote-free text: non-empty lines (`\r`, `\n` and
/// `\r\n` all end one).
fn lines(input: &[u8]) -> u64 {
    input.split(|&b| b == b'\n' || b == b'\r').filter(|l| !l.is_empty()).count() as u64
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, input)) = data.split_first() else { return };
    let sizes = Sizes { block: 1 + usize::from(sel / 6) * 7, chunk: 1 + usize::from(sel % 7) * 3 };
    if sel & 0x80 != 0 {
        return events(input, sizes);
    }
    let p = program();
    let format = [Format::Csv, Format::Json, Format::Ndjson][usize::from(sel % 3)];
    let out_format = [Format::Csv, Format::Ndjson][usize::from(sel / 3 % 2)];
    let Some((bytes, summary, items)) = plain(p, input, format, out_format) else { return };
    let _ = summary.render(p);
    let _ = summary.to_json(p);
    if format == Format::Csv && !input.contains(&b'"') {
        assert_eq!(items + 1, lines(input), "records lost or invented");
    }
    // The parallel path on every input format: CSV records, NDJSON lines and
    // JSON array elements.
    let mut out = Vec::new();
    let shape = (out_format, false, &[][..]);
    // Read block by block, or at hand whole (as a mapped file is).
    let source = match sel & 0x40 {
        0 => Source::Read(input),
        _ => Source::Whole(input),
    };
    let Ok(fast) = apply(p, (source, None), format, &mut out, shape, today(), sizes, None) else { return };
    assert_eq!(summary.rejected, 0, "the parallel path took input the plain path rejects");
    assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&bytes), "the paths differ");
    assert_eq!((fast.read, fast.written), (summary.read, summary.written));
    assert_eq!(fast.tiers, summary.tiers, "the paths' summaries differ");
    let _ = fast.render(p);
    let _ = fast.to_json(p);
});
