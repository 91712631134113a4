//! `tier explain` on every example policy: for every record of the bundled data,
//! each way up is re-evaluated and must reach the tier it names; the human
//! explanation of the first and last record of each file is a golden file
//! (`tests/explain/NAME.ID.txt`, `TIER_BLESS=1` rewrites them).

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use assert_cmd::Command;
use std::path::Path;
use tierlang::check::check;
use tierlang::compile::compile;
use tierlang::data::{decode, Cell, Format, Reader};
use tierlang::eval::Evaluator;
use tierlang::explain::Explainer;
use tierlang::number::Date;
use tierlang::syntax::parse;

const EXAMPLES: [&str; 5] = ["hospitals", "sportswear", "private_banking", "cosmetics", "value_lifecycle"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn today() -> Date {
    Date::parse("2025-06-30").unwrap()
}

#[test]
fn every_way_up_on_the_example_data_reaches_its_tier() {
    let mut verified = 0;
    for name in EXAMPLES {
        let src = std::fs::read_to_string(root().join(format!("policies/{name}.tier"))).unwrap();
        let checked = check(&parse(&src).unwrap(), &src).checked.unwrap();
        let program = compile(&checked);
        let explainer = Explainer::new(&checked, &program, &src, today());
        let ev = Evaluator::new(&program, today());
        let data = root().join(format!("examples/{name}.csv"));
        let file = std::fs::File::open(&data).unwrap();
        let reader = Reader::new(Box::new(file), Format::Csv, name, &program.fields, program.key).unwrap();
        for row in reader {
            let row = row.unwrap();
            let e = explainer.explain(&row.values);
            for (d, dim) in e.dimensions.iter().enumerate() {
                for w in dim.way_up.iter().filter(|w| w.requires.is_empty()) {
                    let mut frame = row.values.clone();
                    for (field, text) in &w.record {
                        let slot = program.fields.iter().position(|f| &f.name == field).unwrap();
                        frame[slot] = decode(&program.fields[slot], Some(&Cell::Text(text.clone()))).unwrap();
                    }
                    let got =
                        ev.evaluate(&mut frame).unwrap()[d].tier.map(|t| program.dimensions[d].tiers[t].name.clone());
                    assert_eq!(got.as_deref(), Some(w.tier.as_str()), "{name} {}: {:?}", row.key, w.changes);
                    verified += 1;
                }
            }
        }
    }
    assert!(verified >= 50, "only {verified} ways up verified");
}

#[test]
fn explanations_of_the_example_data_match_their_goldens() {
    let bless = std::env::var_os("TIER_BLESS").is_some();
    let mut stale = Vec::new();
    for name in EXAMPLES {
        let data = format!("examples/{name}.csv");
        let mut r = csv::Reader::from_path(root().join(&data)).unwrap();
        let ids: Vec<String> = r.records().map(|x| x.unwrap()[0].to_string()).collect();
        for id in [ids.first().unwrap(), ids.last().unwrap()] {
            let policy = format!("policies/{name}.tier");
            let out = Command::cargo_bin("tier")
                .unwrap()
                .current_dir(root())
                .env("NO_COLOR", "1")
                .args(["explain", "--as-of", "2025-06-30", &policy, &data, "--id", id])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{name} {id}: {}", String::from_utf8_lossy(&out.stderr));
            let got = String::from_utf8(out.stdout).unwrap();
            let golden = root().join(format!("tests/explain/{name}.{id}.txt"));
            if bless {
                std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
                std::fs::write(&golden, &got).unwrap();
            } else if std::fs::read_to_string(&golden).unwrap_or_default() != got {
                stale.push(format!("{}:\n{got}", golden.display()));
            }
        }
    }
    assert!(stale.is_empty(), "explanations differ from their goldens (TIER_BLESS=1 to accept):\n{}", stale.join("\n"));
}
