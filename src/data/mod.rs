//! Records in and out: CSV, JSON, NDJSON, Excel and Parquet readers decoding by the schema,
//! writers for tiers and strategies, the reject report and the run summary.

mod columns;
mod error;
pub mod events;
pub mod fast;
pub mod fast_events;
mod json_array;
mod json_object;
mod key_set;
pub mod layout;
pub mod mapped;
pub mod output;
mod parquet_read;
mod parquet_write;
pub mod previous;
mod quote;
mod read;
mod read_csv;
mod read_json;
pub mod record;
mod reject;
mod scan;
mod summary;
pub mod table;
pub mod tabular;
mod tally;
mod value;
mod write;
mod xlsx_read;
mod xlsx_write;

pub use error::{DataError, Location};
pub use read::{Reader, Rejected, Row};
pub use reject::{Reject, RejectWriter};
pub use summary::{grouped, out_of_range, Summary};
pub(crate) use summary::{magnitude, MAX_TOTAL};
pub use value::{decode, Cell, CellError};
pub use write::Writer;

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
    Ndjson,
    /// Excel (`.xlsx`; `.xls`, `.xlsb` and `.ods` are read too).
    Xlsx,
    Parquet,
}

impl Format {
    /// The format a file name's extension implies (`.csv`, `.json`, `.ndjson`/`.jsonl`).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => Some(Format::Xlsx),
            "parquet" | "pq" => Some(Format::Parquet),
            _ => None,
        }
    }

    /// Whether records are bytes written one after another (CSV, JSON,
    /// NDJSON), as the parallel path renders them; Excel and Parquet are
    /// documents of typed columns ([`table`]).
    pub fn streams(self) -> bool {
        matches!(self, Format::Csv | Format::Json | Format::Ndjson)
    }

    /// Why tier cannot write a file named `path` in this format, if it cannot
    /// (it reads `.xls`, `.xlsb` and `.ods` but writes only `.xlsx`).
    pub fn unwritable(path: &Path) -> Option<String> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        matches!(ext.as_str(), "xls" | "xlsb" | "ods" | "xlsm")
            .then(|| format!("tier reads `.{ext}` but writes Excel as .xlsx: name the file .xlsx"))
    }
}
