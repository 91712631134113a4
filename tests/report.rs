//! `tier apply --report`: the HTML page of a plain, a metrics and a history
//! run (with budgets and rejects) holds the numbers of `--summary json`, and
//! renders in headless Chromium (Debian's `chromium`) with no console message
//! and a screenshot that is not blank. The README's screenshot is this test's:
//! `TIER_UPDATE_SCREENSHOT=1 cargo test --test report` copies it to
//! docs/report.png.

#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use assert_cmd::Command;
use std::collections::HashMap;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `tier apply ARGS --report DIR/report.html --summary json`; the page and the summary.
fn report(dir: &Path, args: &[&str]) -> (String, serde_json::Value) {
    let page = dir.join("report.html");
    let mut cmd = Command::cargo_bin("tier").unwrap();
    cmd.current_dir(root()).env("NO_COLOR", "1").arg("apply").args(args);
    cmd.args(["--report", page.to_str().unwrap(), "--summary", "json", "-o", dir.join("out.csv").to_str().unwrap()]);
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    let summary = serde_json::from_slice(&o.stderr).unwrap();
    (std::fs::read_to_string(page).unwrap(), summary)
}

/// Every element's `data-*` attributes, in page order.
fn data(html: &str) -> Vec<HashMap<String, String>> {
    let mut out = Vec::new();
    for tag in html.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        let mut attrs = HashMap::new();
        let mut rest = tag;
        while let Some(at) = rest.find(" data-") {
            rest = &rest[at + 6..];
            let (name, after) = rest.split_once("=\"").unwrap();
            let (value, after) = after.split_once('"').unwrap();
            attrs.insert(name.to_string(), value.replace("&amp;", "&").replace("&quot;", "\"").replace("&lt;", "<"));
            rest = after;
        }
        if !attrs.is_empty() {
            out.push(attrs);
        }
    }
    out
}

/// `a == b` as decimal numbers (`0.5` and `0.50`).
fn same_number(a: &str, b: &serde_json::Value) -> bool {
    let b = b.to_string();
    a == b || a.parse::<f64>().ok() == b.parse::<f64>().ok()
}

/// Checks the page's numbers against the summary JSON of the same run.
fn check_numbers(html: &str, summary: &serde_json::Value) {
    let attrs = data(html);
    let acc = attrs.iter().find(|a| a.contains_key("read")).unwrap();
    assert_eq!(acc["read"], summary["rows_read"].to_string());
    assert_eq!(acc["written"], summary["rows_written"].to_string());
    assert_eq!(acc["rejected"], summary["rows_rejected"].to_string());
    // Per dimension, the tiers in order with their customers and money.
    for (dim, tiers) in summary["dimensions"].as_object().unwrap() {
        let start = attrs.iter().position(|a| a.get("dimension") == Some(dim)).unwrap();
        let rows: Vec<&HashMap<String, String>> = attrs[start + 1..]
            .iter()
            .take_while(|a| !a.contains_key("dimension"))
            .filter(|a| a.contains_key("money"))
            .collect();
        let want: Vec<&serde_json::Value> =
            tiers.as_array().unwrap().iter().filter(|t| !t["tier"].is_null() || t["count"] != 0).collect();
        assert_eq!(rows.len(), want.len(), "{dim}");
        for (row, t) in rows.iter().zip(want) {
            assert_eq!(row["tier"], t["tier"].as_str().unwrap_or("(no tier)"));
            assert_eq!(row["count"], t["count"].to_string());
            assert!(same_number(&row["money"], &t["money"]), "{dim}: {row:?} vs {t}");
        }
    }
    if let Some(points) = summary["pareto"].as_array() {
        let top20 = points.iter().find(|p| p["top_percent"] == 20).unwrap();
        let shown = attrs.iter().find_map(|a| a.get("top20")).unwrap();
        assert!((shown.parse::<f64>().unwrap() - top20["share"].as_f64().unwrap()).abs() < 1e-6, "{shown} vs {top20}");
    }
    for h in summary["history"].as_array().into_iter().flatten() {
        // The heatmap is the last element naming the dimension (after its distribution).
        let at = attrs.iter().rposition(|a| a.get("dimension").map(String::as_str) == h["dimension"].as_str()).unwrap();
        let cells: Vec<u64> = attrs[at..]
            .iter()
            .filter(|a| a.contains_key("from"))
            .take(h["previous"].as_array().unwrap().len() * h["now"].as_array().unwrap().len())
            .map(|a| a["count"].parse().unwrap())
            .collect();
        let want: Vec<u64> = h["counts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap())
            .map(|c| c.as_u64().unwrap())
            .collect();
        assert_eq!(cells, want, "migration of {}", h["dimension"]);
    }
    for b in summary["budgets"].as_array().into_iter().flatten() {
        let start = attrs.iter().position(|a| a.get("budget").map(String::as_str) == b["budget"].as_str()).unwrap();
        assert!(same_number(&attrs[start]["total"], &b["total"]));
        for (row, t) in attrs[start + 1..].iter().zip(b["tiers"].as_array().unwrap()) {
            assert_eq!(row["tier"], t["tier"].as_str().unwrap());
            assert!(same_number(&row["amount"], &t["amount"]), "{row:?} vs {t}");
        }
    }
}

#[test]
fn the_report_of_a_plain_run_with_rejects_holds_its_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.csv");
    let args = [
        "policies/hospitals.tier",
        "examples/hospitals_bad.csv",
        "--on-error",
        "skip",
        "--rejects",
        rejects.to_str().unwrap(),
    ];
    let (html, summary) = report(dir.path(), &args);
    check_numbers(&html, &summary);
    assert!(summary["rows_rejected"].as_u64().unwrap() > 0);
    // The top reasons add up to the rejects.
    let reasons: u64 = data(&html)
        .iter()
        .filter(|a| a.len() == 1 && a.contains_key("count"))
        .map(|a| a["count"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(reasons, summary["rows_rejected"].as_u64().unwrap());
    assert!(html.contains("tier::"), "reasons name their codes");
}

#[test]
fn the_report_of_a_metrics_run_holds_its_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["policies/retail_value.tier", "--events", "examples/online_retail_sample.csv"];
    let (html, summary) = report(dir.path(), &args);
    check_numbers(&html, &summary);
    assert!(html.contains("id=\"pareto\""), "a metrics run has a money field and its Pareto curve");
}

#[test]
fn the_report_of_a_history_run_with_budgets_holds_its_numbers_and_renders_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let jan = dir.path().join("jan.csv");
    let o = Command::cargo_bin("tier")
        .unwrap()
        .current_dir(root())
        .args(["apply", "policies/loyalty_program.tier", "examples/loyalty_2025-01.csv", "--as-of", "2025-01-31"])
        .args(["--summary", "none", "-o", jan.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success());
    let args = [
        "policies/loyalty_program.tier",
        "examples/loyalty_2025-02.csv",
        "--as-of",
        "2025-02-28",
        "--previous",
        jan.to_str().unwrap(),
    ];
    let (html, summary) = report(dir.path(), &args);
    check_numbers(&html, &summary);
    assert!(summary["history"].is_array() && summary["budgets"].is_array());
    assert!(html.contains("Loyalty program") && html.contains("2025-02-28") && html.contains("id=\"version\">1<"));
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"), "self-contained");
    render(&dir.path().join("report.html"), dir.path());
}

/// Chromium with the given page: its stderr (console messages logged there) and the screenshot.
fn chromium(page: &Path, dir: &Path, name: &str) -> Option<(String, std::path::PathBuf)> {
    let shot = dir.join(format!("{name}.png"));
    let profile = tempfile::tempdir().unwrap();
    let o = std::process::Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        .args(["--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"])
        .args(["--enable-logging=stderr", "--v=0", "--window-size=900,2000"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output();
    match o {
        Ok(o) => {
            assert!(o.status.success(), "chromium: {}", String::from_utf8_lossy(&o.stderr));
            Some((String::from_utf8_lossy(&o.stderr).into_owned(), shot))
        }
        Err(_) => {
            common::skip("rendering the report needs Debian's chromium (.ci/run installs it)");
            None
        }
    }
}

/// Console messages Chromium logged (`CONSOLE(line)` lines).
fn console(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

/// The share of pixels that are not (near) white, and the number of colours.
fn ink(png_path: &Path) -> (f64, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png_path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let inked = pixels.iter().filter(|p| p.iter().take(3).any(|c| *c < 230)).count();
    let colours: std::collections::HashSet<&[u8]> = pixels.iter().copied().collect();
    (inked as f64 / pixels.len() as f64, colours.len())
}

fn render(page: &Path, dir: &Path) {
    // The check itself first: a page that logs an error and a blank page are caught.
    let control = dir.join("control.html");
    std::fs::write(&control, "<html><body><script>console.error('control error')</script></body></html>").unwrap();
    let Some((stderr, blank)) = chromium(&control, dir, "control") else { return };
    assert_eq!(console(&stderr).len(), 1, "the console check sees a logged error: {stderr}");
    assert!(ink(&blank).0 < 0.001, "the blank check sees a blank page");
    let Some((stderr, shot)) = chromium(page, dir, "report") else { return };
    assert!(console(&stderr).is_empty(), "console messages: {:?}", console(&stderr));
    let (inked, colours) = ink(&shot);
    assert!(inked > 0.03 && colours > 20, "the screenshot looks blank: {inked:.3} inked, {colours} colours");
    if std::env::var_os("TIER_UPDATE_SCREENSHOT").is_some() {
        std::fs::copy(&shot, root().join("docs/report.png")).unwrap();
    }
}
