//! `apply_increasing` bets that the keys increase (an export sorted by its
//! key) and checks their order instead of hashing them, against `apply`, which
//! hashes every key: where the accepted records' keys (trimmed, as the plain
//! reader compares them) only increase, it takes the run with the same output,
//! summary and rejects; where any does not, it hands back `Unsorted` (the CLI
//! then runs `apply`), so a repeated key is never taken.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use proptest::prelude::*;
use tierlang::compile::Program;
use tierlang::data::fast::{apply, apply_increasing, Handback, Sizes, Skip, Source};
use tierlang::data::{Format, Reader, Rejected};
use tierlang::number::Date;

const POLICY: &str = r#"
schema {
  id: text key
  spend: money
}
tier High { when spend >= 100 }
tier Low { otherwise }
"#;

fn today() -> Date {
    Date::parse("2025-06-30").unwrap()
}

/// What a run gives: output, records read, rejects (message and cells).
type Run = (Vec<u8>, u64, Vec<(String, Vec<(String, String)>)>);

/// `apply` (hashing keys) or `apply_increasing`, in `format`, stopping at a
/// bad record or skipping it.
fn run(p: &Program, input: &[u8], format: Format, sizes: Sizes, skipping: bool, bet: bool) -> Result<Run, Handback> {
    let read = run_from(p, Source::Read(input), format, sizes, skipping, bet);
    // At hand whole (a mapped file), the same run taken or not. Which hand-back
    // comes first (a bad record or a key out of order) depends on where the
    // chunks are cut, which differs: the law below accepts either.
    let whole = run_from(p, Source::Whole(input), format, sizes, skipping, bet);
    assert_eq!(read.as_ref().ok(), whole.as_ref().ok(), "read and whole differ");
    read
}

/// [`run`] of the input read from `input`.
fn run_from(
    p: &Program,
    input: Source<'_, &[u8]>,
    format: Format,
    sizes: Sizes,
    skipping: bool,
    bet: bool,
) -> Result<Run, Handback> {
    let mut rejects = Vec::new();
    let mut reject = |r: Rejected| {
        rejects.push((r.error.to_string(), r.cells));
        Ok(())
    };
    let skip = skipping.then_some(Skip { source: "input", reject: &mut reject });
    let mut out = Vec::new();
    let shape = (Format::Csv, false, &[][..]);
    let summary = match bet {
        true => apply_increasing(p, input, format, &mut out, shape, today(), sizes, skip)?,
        false => apply(p, (input, None), format, &mut out, shape, today(), sizes, skip).map_err(|_| Handback::Plain)?,
    };
    Ok((out, summary.read, rejects))
}

/// The keys of the records the plain reader accepts, in order.
fn accepted_keys(p: &Program, input: &[u8], format: Format) -> Vec<String> {
    let reader = Reader::new(Box::new(input), format, "input", &p.fields, p.key).unwrap();
    reader.filter_map(Result::ok).map(|row| row.key).collect()
}

/// The law for one input at one size.
fn law(input: &str, format: Format, sizes: Sizes, skipping: bool) {
    let p = common::program(POLICY);
    let hashed = run(&p, input.as_bytes(), format, sizes, skipping, false);
    let bet = run(&p, input.as_bytes(), format, sizes, skipping, true);
    let keys = accepted_keys(&p, input.as_bytes(), format);
    let increasing = keys.windows(2).all(|w| w[0].trim().as_bytes() < w[1].trim().as_bytes());
    match bet {
        Ok(got) => {
            assert!(increasing, "took keys that do not increase: {keys:?}\n{input}");
            assert_eq!(Ok(&got), hashed.as_ref().map_err(|_| ()), "{sizes:?}\n{input}");
        }
        Err(Handback::Unsorted) => assert!(!increasing || hashed.is_err(), "lost the bet on {keys:?}\n{input}"),
        Err(Handback::Plain) => assert!(hashed.is_err(), "handed back what apply takes\n{input}"),
    }
}

const SIZES: [Sizes; 3] =
    [Sizes { block: 16, chunk: 1 }, Sizes { block: 64, chunk: 20 }, Sizes { block: 1 << 16, chunk: 1 << 12 }];

/// CSV records with keys `K<n>` (zero-padded, so they sort as numbers).
fn csv(keys: &[String], spend: impl Fn(usize) -> String) -> String {
    let mut text = String::from("id,spend\n");
    for (i, k) in keys.iter().enumerate() {
        text.push_str(&format!("{k},{}\n", spend(i)));
    }
    text
}

fn numbered(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("K{i:04}")).collect()
}

#[test]
fn sorted_keys_win_the_bet_at_every_size() {
    let p = common::program(POLICY);
    let input = csv(&numbered(300), |i| format!("{}.5", i * 7 % 200));
    for sizes in SIZES {
        let got = run(&p, input.as_bytes(), Format::Csv, sizes, false, true);
        assert_eq!(got.as_ref().map(|r| r.1), Ok(300), "{sizes:?}");
        law(&input, Format::Csv, sizes, false);
    }
}

#[test]
fn a_repeat_or_a_step_back_anywhere_loses_the_bet() {
    let p = common::program(POLICY);
    // At the start, inside a chunk, across chunk boundaries, at the end; a
    // repeat differing only in white space; a step back that is no repeat.
    for at in [1, 2, 19, 20, 21, 150, 299] {
        let repeats = [
            ("repeat", format!("K{:04}", at - 1)),
            ("spaced", format!("\" K{:04} \"", at - 1)),
            // Above the key before as bytes, the same key trimmed.
            ("trailing space", format!("\"K{:04} \"", at - 1)),
        ];
        for (what, key) in repeats {
            let mut keys = numbered(300);
            keys[at] = key;
            let input = csv(&keys, |_| "150".into());
            for sizes in SIZES {
                let got = run(&p, input.as_bytes(), Format::Csv, sizes, false, true);
                assert_eq!(got.err(), Some(Handback::Unsorted), "{what} at {at}, {sizes:?}");
                assert!(run(&p, input.as_bytes(), Format::Csv, sizes, false, false).is_err(), "apply took a repeat");
            }
        }
        let mut keys = numbered(300);
        keys.swap(at - 1, at);
        let input = csv(&keys, |_| "150".into());
        for sizes in SIZES {
            let got = run(&p, input.as_bytes(), Format::Csv, sizes, false, true);
            assert_eq!(got.err(), Some(Handback::Unsorted), "step back at {at}, {sizes:?}");
            assert!(run(&p, input.as_bytes(), Format::Csv, sizes, false, false).is_ok());
        }
    }
}

#[test]
fn ndjson_and_json_arrays_bet_alike() {
    let rows: Vec<String> = numbered(120).iter().map(|k| format!("{{\"id\":\"{k}\",\"spend\":150}}")).collect();
    let (lines, array) = (rows.join("\n") + "\n", format!("[{}]", rows.join(",")));
    for sizes in SIZES {
        law(&lines, Format::Ndjson, sizes, false);
        law(&array, Format::Json, sizes, false);
    }
    let p = common::program(POLICY);
    let mut back = rows.clone();
    back.swap(60, 61);
    let lines = back.join("\n") + "\n";
    assert_eq!(run(&p, lines.as_bytes(), Format::Ndjson, SIZES[1], false, true).err(), Some(Handback::Unsorted));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Keys drawn from a few (so repeats and steps back are common), often
    /// sorted, sometimes padded with spaces; a few bad amounts, skipped or not.
    #[test]
    fn the_bet_takes_exactly_the_runs_whose_keys_increase(
        mut keys in prop::collection::vec(0u16..40, 0..60),
        sort in any::<bool>(),
        padded in prop::collection::vec(0u8..4, 60),
        bad in prop::collection::vec(0u8..12, 60),
        skipping in any::<bool>(),
        size in 0usize..3,
    ) {
        if sort {
            keys.sort_unstable();
        }
        let keys: Vec<String> = keys
            .iter()
            .zip(&padded)
            .map(|(k, &pad)| match pad {
                0 => format!("\" K{k:03}\""),
                1 => format!("\"K{k:03} \""),
                _ => format!("K{k:03}"),
            })
            .collect();
        let input = csv(&keys, |i| if bad[i] == 0 { "lots".into() } else { format!("{}", u32::from(bad[i]) * 20) });
        law(&input, Format::Csv, SIZES[size], skipping);
    }
}

/// `tier apply` on a file: exit code, output file (if written), reject report
/// (if written) and stderr, on the parallel path or the plain one.
fn cli(dir: &std::path::Path, data: &str, plain: bool, skipping: bool) -> (i32, String, String, String) {
    std::fs::write(dir.join("data.csv"), data).unwrap();
    for f in ["out.csv", "rejects.csv"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let mut cmd = assert_cmd::Command::cargo_bin("tier").unwrap();
    cmd.current_dir(dir).env("NO_COLOR", "1").env_remove("TIER_PLAIN_PATH");
    if plain {
        cmd.env("TIER_PLAIN_PATH", "1");
    }
    cmd.args(["apply", "--summary", "none", "p.tier", "data.csv", "-o", "out.csv"]);
    if skipping {
        cmd.args(["--on-error", "skip", "--rejects", "rejects.csv"]);
    }
    let out = cmd.timeout(std::time::Duration::from_secs(60)).output().unwrap();
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
    (out.status.code().unwrap_or(-1), read("out.csv"), read("rejects.csv"), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn the_cli_runs_again_hashing_keys_when_the_bet_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.tier"), POLICY).unwrap();
    let sorted = numbered(5000);
    let mut step_back = sorted.clone();
    step_back.swap(4998, 4999);
    let mut repeat = sorted.clone();
    repeat[4999] = "K0007".into();
    for (name, keys) in [("sorted", sorted), ("a step back at the end", step_back), ("a repeat at the end", repeat)] {
        let data = csv(&keys, |i| if i == 2500 { "lots".into() } else { "150".into() });
        for skipping in [false, true] {
            let fast = cli(dir.path(), &data, false, skipping);
            let plain = cli(dir.path(), &data, true, skipping);
            assert_eq!(fast, plain, "{name}, skipping: {skipping}");
        }
        // Skipping, every record is in the output or the report, once.
        let (code, out, rejects, _) = cli(dir.path(), &data, false, true);
        assert_eq!(code, 0, "{name}");
        let repeated = usize::from(name == "a repeat at the end");
        assert_eq!(out.lines().count() - 1, 5000 - 1 - repeated, "{name}");
        assert_eq!(rejects.lines().filter(|l| l.contains('K')).count(), 1 + repeated, "{name}:\n{rejects}");
        // The run that lost the bet leaves no temporary file behind.
        let names = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap());
        let left: Vec<String> = names.filter(|n| n.starts_with(".tier-")).collect();
        assert!(left.is_empty(), "{name}: {left:?}");
    }
}
