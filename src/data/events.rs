//! The plain path of event aggregation: events decoded one by one by the
//! [`Reader`] (any input format), in file order. `fast_events` is the parallel
//! path for CSV; both give the same customers and counts.

use super::{DataError, Reader, Rejected};
use crate::compile::Program;
use crate::metrics::{Aggregation, Customer, EventCounts};
use crate::number::Date;

/// Aggregates every event `reader` yields. An event without a customer id is
/// counted (`no_customer`), not rejected; any other unreadable event goes to
/// `reject`, which may stop the run with its error.
pub fn aggregate<E>(
    program: &Program,
    reader: Reader,
    today: Date,
    mut reject: impl FnMut(Rejected) -> Result<(), E>,
) -> Result<(Vec<Customer>, EventCounts), E> {
    let (Some(mut agg), Some(ev)) =
        (Aggregation::new(program, today), program.metrics.as_ref().and_then(|m| m.events.as_ref()))
    else {
        return Ok((Vec::new(), EventCounts::default()));
    };
    let (mut read, mut rejected) = (0, 0);
    for row in reader {
        read += 1;
        match row {
            Ok(row) => {
                let mut frame = row.values;
                agg.add(&mut frame);
            }
            // The column is there, the customer is not.
            Err(Rejected { error: DataError::MissingValue { field, .. }, .. }) if field == ev.fields[ev.key].name => {
                agg.counts.no_customer += 1;
            }
            Err(r) => {
                rejected += 1;
                reject(r)?;
            }
        }
    }
    let mut counts = agg.counts.clone();
    counts.read = read;
    counts.rejected = rejected;
    Ok((agg.customers(program), counts))
}
