//! Helpers shared by the integration tests (each test file that needs them
//! says `mod common;`).

#![allow(clippy::unwrap_used, clippy::panic, dead_code)] // tests may fail loudly

use tierlang::check::check;
use tierlang::compile::{compile, Program};
use tierlang::syntax::parse;

/// A policy that must parse and check without errors, compiled.
pub fn program(src: &str) -> Program {
    let ast = parse(src).unwrap_or_else(|e| panic!("parse: {e:?}"));
    let out = check(&ast, src);
    let errors: Vec<String> = out.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "check errors: {errors:?}");
    compile(out.checked.as_ref().unwrap())
}
