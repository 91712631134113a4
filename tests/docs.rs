//! The docs say what the tool does: the commands in README.md, docs/ci.md and
//! .pre-commit-hooks.yaml are the ones CI runs, and they work.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use assert_cmd::Command;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

/// The `tier …` command lines `.ci/run` runs, without the binary's path.
fn ci_commands() -> Vec<String> {
    read(".ci/run")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("./target/debug/tier "))
        .map(|rest| format!("tier {rest}"))
        .collect()
}

#[test]
fn docs_ci_md_runs_what_ci_runs() {
    let ci = ci_commands();
    assert!(ci.len() >= 3, "{ci:?}");
    let doc = read("docs/ci.md");
    for command in &ci {
        assert!(doc.contains(command.as_str()), "docs/ci.md lacks `{command}`");
    }
}

#[test]
fn the_ci_commands_pass_on_policies() {
    for command in ci_commands() {
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let out = Command::cargo_bin("tier").unwrap().current_dir(root()).args(&args).output().unwrap();
        assert!(out.status.success(), "{command}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn pre_commit_hooks_run_on_a_policy_file() {
    let hooks = read(".pre-commit-hooks.yaml");
    let entries: Vec<&str> = hooks.lines().filter_map(|l| l.trim().strip_prefix("entry: ")).collect();
    assert_eq!(entries.len(), 3, "{entries:?}");
    for entry in entries {
        let mut args: Vec<&str> = entry.split_whitespace().skip(1).collect();
        args.push("policies/hospitals.tier");
        let out = Command::cargo_bin("tier").unwrap().current_dir(root()).args(&args).output().unwrap();
        assert!(out.status.success(), "{entry}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn readme_starts_with_the_two_commands_and_their_files_exist() {
    let readme = read("README.md");
    let block = readme.split("```sh").nth(1).unwrap().split("```").next().unwrap();
    let commands: Vec<&str> = block.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    assert!(commands[0].starts_with("cargo run --release -- apply "), "{commands:?}");
    assert!(commands[1].starts_with("cargo test"), "{commands:?}");
    for word in commands[0].split_whitespace().filter(|w| w.contains('/')) {
        assert!(root().join(word).exists(), "README names {word}, which does not exist");
    }
    assert!(read(".ci/run").contains("cargo test --locked"));
}

/// Only run by `skips_show_and_fail_under_ci`, through this test binary.
#[test]
fn skip_probe() {
    if std::env::var_os("TIER_SKIP_PROBE").is_some() {
        common::skip("the probe skips");
    }
}

#[test]
fn skips_show_and_fail_under_ci() {
    let run = |ci: bool| {
        let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
        cmd.args(["skip_probe", "--exact", "--nocapture"]).env("TIER_SKIP_PROBE", "1").env_remove("CI");
        if ci {
            cmd.env("CI", "true");
        }
        cmd.output().unwrap()
    };
    let local = run(false);
    assert!(local.status.success());
    assert!(String::from_utf8_lossy(&local.stderr).contains("SKIPPED skip_probe: the probe skips"));
    let ci = run(true);
    assert!(!ci.status.success(), "a skip under CI fails");
    // .ci/run enforces it when run by hand too, and no test skips another way.
    assert!(read(".ci/run").contains("export CI="), ".ci/run sets CI");
    for entry in std::fs::read_dir(root().join("tests")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(!text.contains("eprintln!(\"SKIP"), "{}: use common::skip", path.display());
        }
    }
}

#[test]
fn every_command_help_has_an_example_that_runs() {
    for command in ["check", "test", "fmt", "apply", "table", "explain", "diff", "compile"] {
        let help = Command::cargo_bin("tier").unwrap().args([command, "--help"]).output().unwrap();
        let text = String::from_utf8_lossy(&help.stdout).into_owned();
        let example =
            text.split("Example:\n").nth(1).unwrap_or_else(|| panic!("`tier {command} --help` has no example"));
        let line = example.lines().next().unwrap().trim();
        let args: Vec<&str> = line.split_whitespace().skip(1).collect();
        assert_eq!(args[0], command, "{line}");
        let out = Command::cargo_bin("tier").unwrap().current_dir(root()).args(&args).output().unwrap();
        assert!(out.status.success(), "{line}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn the_readme_policy_is_a_true_excerpt_of_the_file_it_names() {
    let readme = read("README.md");
    let block = readme.split("```tier\n").nth(1).unwrap().split("```").next().unwrap();
    let mut lines = block.lines();
    let first = lines.next().unwrap();
    let path = first.strip_prefix("# ").unwrap().split_whitespace().next().unwrap();
    let file = read(path);
    let mut rest = file.lines();
    // Every line of the excerpt, in order, is a line of the file.
    for line in lines {
        assert!(
            rest.any(|l| l == line),
            "README's {path} excerpt has a line the file lacks (or out of order): {line:?}"
        );
    }
}

#[test]
fn the_language_reference_example_checks_clean_and_its_tests_pass() {
    let doc = read("docs/language.md");
    assert!(!doc.contains("DESIGN.md") && !read("README.md").contains("DESIGN.md"), "docs stand alone");
    let example = doc.split("```tier\n").nth(1).unwrap().split("```").next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("example.tier");
    std::fs::write(&path, example).unwrap();
    for command in [&["check", "--deny-warnings"][..], &["test"][..]] {
        let out = Command::cargo_bin("tier").unwrap().args(command).arg(&path).output().unwrap();
        assert!(out.status.success(), "{command:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
