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

/// `tier` run from the repository root, without colour, on the plain path
/// (`TIER_PLAIN_PATH`) or on whichever path it picks.
pub fn tier(plain: bool) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("tier").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).env("NO_COLOR", "1").env_remove("TIER_PLAIN_PATH");
    if plain {
        cmd.env("TIER_PLAIN_PATH", "1");
    }
    cmd
}

/// The first line where two outputs differ, for a failure's message (whole
/// outputs are too long to read).
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<String> {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    let mut lines = a.lines().zip(b.lines()).enumerate();
    match lines.find(|(_, (x, y))| x != y) {
        Some((i, (x, y))) => Some(format!("line {}:\n  {x}\n  {y}", i + 1)),
        None if a.lines().count() != b.lines().count() => {
            Some(format!("{} lines against {}", a.lines().count(), b.lines().count()))
        }
        None => (a != b).then(|| "line ends differ".to_string()),
    }
}

/// stdout, the reject report (if asked for) and the exit code of one run.
pub type Run = (Vec<u8>, Option<Vec<u8>>, Option<i32>);

/// `tier args` on the plain path or not, with the reject report it writes to `rejects`.
pub fn run(args: &[&str], plain: bool, rejects: Option<&std::path::Path>) -> Run {
    if let Some(r) = rejects {
        let _ = std::fs::remove_file(r);
    }
    let o = tier(plain).args(args).output().unwrap();
    (o.stdout, rejects.and_then(|r| std::fs::read(r).ok()), o.status.code())
}

/// What the plain path says on `args`, for a failure's message.
pub fn errors(args: &[&str]) -> String {
    String::from_utf8_lossy(&tier(true).args(args).output().unwrap().stderr).into_owned()
}

/// Both paths on `args`: their stdout, reject report and exit code, which must agree.
pub fn same(args: &[&str], rejects: Option<&std::path::Path>) -> Run {
    let fast = run(args, false, rejects);
    let plain = run(args, true, rejects);
    if let Some(d) = first_difference(&fast.0, &plain.0) {
        panic!("stdout differs on {args:?} (fast, then plain) at {d}");
    }
    assert_eq!(fast.1, plain.1, "reject report differs on {args:?}");
    assert_eq!(fast.2, plain.2, "exit code differs on {args:?}");
    fast
}

/// The temporary output files `tier apply` left in `dir`.
pub fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tier-"))
        .collect()
}
