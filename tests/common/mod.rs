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

/// Says that a test skips, where `cargo test` shows it even for a passing test
/// (straight to stderr, past the harness's capture of `eprintln!`). Under CI
/// (`CI` set, as CI runs `.ci/run`) a skip is a failure: a test CI is meant to
/// run must not pass there without running.
pub fn skip(reason: &str) {
    assert!(std::env::var_os("CI").is_none(), "skipped under CI, where it must run: {reason}");
    say_skipped(reason);
}

/// [`skip`] for a test that runs only when asked (an opt-in environment
/// variable): shown, never a failure.
pub fn skip_unless_asked(reason: &str) {
    say_skipped(reason);
}

fn say_skipped(reason: &str) {
    use std::io::Write;
    let test = std::thread::current().name().unwrap_or("a test").to_string();
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
}
