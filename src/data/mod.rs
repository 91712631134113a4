//! Records in and out: CSV, JSON and NDJSON readers decoding by the schema,
//! writers for tiers and strategies, the reject report and the run summary.

mod error;
pub mod events;
pub mod fast;
pub mod fast_events;
mod json_array;
mod key_set;
pub mod layout;
pub mod output;
pub mod previous;
mod quote;
mod read;
pub mod record;
mod summary;
mod value;
mod write;

pub use error::{DataError, Location};
pub use read::{Reader, Rejected, Row};
pub use summary::{grouped, out_of_range, Summary};
pub(crate) use summary::{magnitude, MAX_TOTAL};
pub use value::{decode, Cell, CellError};
pub use write::{Reject, RejectWriter, Writer};

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
    Ndjson,
}

impl Format {
    /// The format a file name's extension implies (`.csv`, `.json`, `.ndjson`/`.jsonl`).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            _ => None,
        }
    }
}
