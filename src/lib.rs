//! tierlang: a small declarative language for customer tiering.
//!
//! Data flows one way: [`syntax`] (text → AST) → [`check`] (names, types, units)
//! → [`compile`] (slot-indexed program) → [`eval`] → [`data`] (records in and out)
//! → the `tier` binary's `cli`.

// One exception, allowed where it is: mapping an input file (`data::mapped`).
#![deny(unsafe_code)]

pub mod analysis;
pub mod budget;
pub mod check;
pub mod combine;
pub mod compile;
pub mod coverage;
pub mod data;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod history;
pub mod lookup;
pub mod lsp;
pub mod metrics;
pub mod number;
pub mod regions;
pub mod report;
pub mod run;
pub mod sql;
pub mod syntax;
pub mod table;
pub mod testing;
