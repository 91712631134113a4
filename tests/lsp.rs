//! `tier lsp` driven as an editor drives it: the binary over stdio, JSON-RPC
//! framed with `Content-Length`, on a policy with Chinese names so that every
//! column is checked in UTF-16 code units (and in UTF-8 when negotiated). This
//! file: the protocol, diagnostics and sync; `tests/lsp_features.rs`: hover,
//! completion, navigation, rename, code actions, symbols and code lenses.

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)] // tests may fail loudly

#[path = "lsp/client.rs"]
#[allow(dead_code)] // each test file uses some of the helpers
mod client;

use client::*;
use serde_json::{json, Value};

#[test]
fn initialize_advertises_capabilities_and_utf16() {
    let (client, result) = Client::start(json!({}));
    let caps = &result["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["textDocumentSync"], 2, "incremental sync");
    for cap in ["hoverProvider", "definitionProvider", "referencesProvider", "documentFormattingProvider"] {
        assert_eq!(caps[cap], true, "{cap}");
    }
    assert_eq!(caps["renameProvider"]["prepareProvider"], true);
    assert_eq!(caps["executeCommandProvider"]["commands"], json!(["tier.runTests"]));
    assert_eq!(result["serverInfo"]["name"], "tier");
    assert!(client.stop().success());
}

#[test]
fn diagnostics_follow_changes_in_utf16_columns() {
    let mut client = start();
    assert_eq!(client.open(URI, POLICY), Vec::<Value>::new());

    // Full sync: a misspelt let (大額 for 大额) after `when ` on line 10.
    let broken = POLICY.replace("when 大额", "when 大額");
    let diags = change(&mut client, 2, json!([{ "text": broken }]));
    // The suggested let is not also reported unused (tier check does the same).
    assert_eq!(codes(&diags), ["tier::unknown_name"]);
    let unknown = &diags[0];
    assert_eq!(unknown["range"], range(9, 7, 9, 9));
    assert_eq!(unknown["severity"], 1);
    assert_eq!(unknown["source"], "tier");
    assert_eq!(unknown["message"], "unknown name `大額`\nhelp: did you mean `大额`?");
    assert_eq!(unknown["relatedInformation"][0]["message"], "not a field or let");

    // Incremental sync: replace the one character; the diagnostics clear.
    let diags = change(&mut client, 3, json!([{ "range": range(9, 8, 9, 9), "text": "额" }]));
    assert_eq!(diags, Vec::<Value>::new());

    // A syntax error after Chinese text: `&&` at UTF-16 column 17 of line 10.
    let diags = change(&mut client, 4, json!([{ "range": range(9, 10, 9, 13), "text": "&&" }]));
    assert_eq!(codes(&diags), ["tier::syntax"]);
    assert_eq!(diags[0]["range"]["start"], pos(9, 10));
    assert!(diags[0]["message"].as_str().unwrap().contains("help: write `and` / `or`"), "{}", diags[0]);

    // Two changes in one notification, applied in order.
    let diags = change(
        &mut client,
        5,
        json!([{ "range": range(9, 10, 9, 12), "text": "or" }, { "range": range(9, 10, 9, 12), "text": "and" }]),
    );
    assert_eq!(diags, Vec::<Value>::new());
    assert!(client.stop().success());
}

#[test]
fn analysis_findings_once_the_policy_checks() {
    let mut client = start();
    let without_otherwise =
        POLICY.replace("tier 普通 {\n  otherwise\n  strategy extends 贵宾 { visits: 1/year }\n}\n", "");
    let diags = client.open(URI, &without_otherwise);
    assert_eq!(codes(&diags), ["tier::gap"]);
    let gap = &diags[0];
    assert_eq!(gap["range"], range(8, 5, 8, 7), "the tier name 贵宾");
    let message = gap["message"].as_str().unwrap();
    assert!(
        message.starts_with("some records match no tier of `tier`, e.g. 年度采购额 = 999999, 等级 = 金"),
        "{message}"
    );
    assert!(message.contains("help: records with no tier"), "{message}");

    // The quick fix adds an `otherwise` tier; applied, the gap is gone.
    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": doc(), "range": range(8, 5, 8, 7), "context": { "diagnostics": diags } }),
    );
    let fix = &actions[0];
    assert_eq!(fix["title"], "add an `otherwise` tier to `tier`");
    let edit = &fix["edit"]["changes"][URI][0];
    let diags = change(&mut client, 2, json!([{ "range": edit["range"], "text": edit["newText"] }]));
    assert_eq!(diags, Vec::<Value>::new(), "{edit}");
    client.stop();
}

#[test]
fn utf8_when_the_client_offers_it() {
    let caps = json!({ "general": { "positionEncodings": ["utf-8", "utf-16"] } });
    let (mut client, result) = Client::start(caps);
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-8");
    let diags = client.open(URI, &POLICY.replace("when 大额", "when 大額"));
    assert_eq!(diags[0]["range"], range(9, 7, 9, 13), "bytes: 大額 is 6");
    // 等级 on line 10 starts at byte 18 (at UTF-16 column 14).
    let hover = client.request("textDocument/hover", at(9, 19));
    assert!(hover["contents"]["value"].as_str().unwrap().contains("field `等级`"), "{hover}");
    client.stop();
}

#[test]
fn formatting_is_tier_fmt() {
    let mut client = start();
    client.open(URI, POLICY);
    let edits = client.request(
        "textDocument/formatting",
        json!({ "textDocument": doc(), "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let edits = edits.as_array().unwrap();
    assert_eq!(edits.len(), 1);
    let fmt =
        assert_cmd::Command::new(env!("CARGO_BIN_EXE_tier")).args(["fmt", "-"]).write_stdin(POLICY).output().unwrap();
    assert_eq!(edits[0]["newText"].as_str().unwrap(), String::from_utf8(fmt.stdout).unwrap());
    assert_eq!(edits[0]["range"], range(0, 0, 22, 0));
    // Formatted text needs no edit.
    let formatted = edits[0]["newText"].as_str().unwrap().to_string();
    change(&mut client, 2, json!([{ "text": formatted }]));
    let edits = client.request(
        "textDocument/formatting",
        json!({ "textDocument": doc(), "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(edits, json!([]));
    client.stop();
}

#[test]
fn closing_clears_diagnostics_and_unknown_requests_fail_politely() {
    let mut client = start();
    client.open(URI, "tier {");
    client.notify("textDocument/didClose", json!({ "textDocument": doc() }));
    let cleared = client.notification("textDocument/publishDiagnostics");
    assert_eq!(cleared["diagnostics"], json!([]));
    let unknown = client.request_raw("textDocument/semanticTokens/full", json!({ "textDocument": doc() }));
    assert_eq!(unknown["error"]["code"], -32601);
    let not_open = client.request_raw("textDocument/hover", at(0, 0));
    assert_eq!(not_open["error"]["code"], -32602);
    assert!(client.stop().success());
}

/// A policy with `n` tiers over two fields, far larger than any example.
fn synthetic(n: usize) -> String {
    let mut text = String::from("schema {\n  id: text key\n  spend: money\n  orders: count per year\n}\n");
    for i in 0..n {
        let (floor, orders) = (2000 - i * 10, i % 12);
        text.push_str(&format!("\ntier T{i} {{\n  when spend >= {floor}万 and orders >= {orders}/month\n  strategy {{\n    level: {i}\n  }}\n}}\n"));
    }
    text.push_str("\ntier Rest {\n  otherwise\n  strategy {\n    level: 0\n  }\n}\n");
    text
}

/// Latency on every policy in policies/ and a synthetic one with 200 tiers
/// (the numbers in docs/editors.md): diagnostics after an incremental
/// didChange (parse, check and analysis), a hover sent right after the change
/// (while the analysis runs) and a completion, on the first criterion, 30 rounds
/// each. Prints a table; asserts nothing about time.
///   cargo build --release && TIER_BIN=target/release/tier cargo test --test lsp -- --ignored --nocapture latency
#[test]
#[ignore]
fn latency() {
    use std::time::{Duration, Instant};
    let mut client = start();
    println!("| policy | bytes | didChange → diagnostics (median / max) | hover right after the change | completion |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let mut files: Vec<_> = std::fs::read_dir("policies").unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut policies: Vec<(String, String)> = files
        .iter()
        .map(|f| (f.file_name().unwrap().to_string_lossy().into(), std::fs::read_to_string(f).unwrap()))
        .collect();
    policies.push(("synthetic: 200 tiers".into(), synthetic(200)));
    for (n, (name, text)) in policies.iter().enumerate() {
        let uri = format!("file:///bench/{n}.tier");
        let doc = json!({ "uri": uri, "languageId": "tier", "version": 0, "text": text });
        client.notify("textDocument/didOpen", json!({ "textDocument": doc }));
        client.diagnostics(0);
        let line = text.lines().position(|l| l.trim_start().starts_with("when ")).unwrap() as u32;
        let column = text.lines().nth(line as usize).unwrap().find("when ").unwrap() as u32 + 6;
        let here = json!({ "textDocument": { "uri": uri }, "position": pos(line, column) });
        let (mut change, mut hover, mut complete) = (Vec::new(), Vec::new(), Vec::new());
        for round in 1..=30 {
            let edit = if round % 2 == 1 {
                json!({ "range": range(0, 0, 0, 0), "text": "#" })
            } else {
                json!({ "range": range(0, 0, 0, 1), "text": "" })
            };
            let changed = Instant::now();
            let params = json!({ "textDocument": { "uri": uri, "version": round }, "contentChanges": [edit] });
            client.notify("textDocument/didChange", params);
            // Hover at once: answered from the new text while the analysis runs.
            let started = Instant::now();
            client.request("textDocument/hover", here.clone());
            hover.push(started.elapsed());
            client.diagnostics(round);
            change.push(changed.elapsed());
            let started = Instant::now();
            client.request("textDocument/completion", here.clone());
            complete.push(started.elapsed());
        }
        let show = |mut xs: Vec<Duration>| {
            xs.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            format!("{:.1} / {:.1} ms", ms(xs[xs.len() / 2]), ms(xs[xs.len() - 1]))
        };
        println!("| {name} | {} | {} | {} | {} |", text.len(), show(change), show(hover), show(complete));
    }
    client.stop();
}

/// Every policy of the diagnostics corpora: the server reports what
/// `tier check --format json` reports, code for code, with the same message,
/// help and labels (as related locations), at the same place (columns in characters there, UTF-16 units here: the
/// same for these files, which have no characters beyond the BMP).
#[test]
fn diagnostics_match_tier_check_on_the_corpora() {
    let mut client = start();
    let mut files: Vec<_> = ["tests/check", "tests/analysis", "policies"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()))
        .filter(|p| p.extension().is_some_and(|e| e == "tier"))
        .collect();
    files.sort();
    assert!(files.len() > 50, "{files:?}");
    for (n, file) in files.iter().enumerate() {
        let text = std::fs::read_to_string(file).unwrap();
        let check = assert_cmd::Command::new(env!("CARGO_BIN_EXE_tier"))
            .args(["check", "--format", "json"])
            .arg(file)
            .output()
            .unwrap();
        let want: Vec<Value> = serde_json::from_slice(&check.stdout).unwrap();
        let uri = format!("file:///corpus/{n}.tier");
        let doc = json!({ "uri": uri, "languageId": "tier", "version": 1, "text": text });
        client.notify("textDocument/didOpen", json!({ "textDocument": doc }));
        let got = client.diagnostics(1);
        let want: Vec<_> = want.iter().map(check_view).collect();
        let got: Vec<_> = got.iter().map(server_view).collect();
        assert_eq!(got, want, "{}", file.display());
        client.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } }));
    }
    client.stop();
}

/// A diagnostic reduced to what both sides carry: code, message with help,
/// 0-based start and end, labels with their start.
type View = (Value, String, (u64, u64), (u64, u64), Vec<(String, (u64, u64))>);

/// A diagnostic of `tier check --format json` (1-based, columns in characters).
fn check_view(d: &Value) -> View {
    let help = d["help"].as_str().map(|h| format!("\nhelp: {h}")).unwrap_or_default();
    let at = |l: &Value, c: &Value| (l.as_u64().unwrap_or(1) - 1, c.as_u64().unwrap_or(1) - 1);
    let (start, end) = (at(&d["line"], &d["column"]), at(&d["end_line"], &d["end_column"]));
    let labels = d["labels"].as_array().unwrap().iter();
    let labels = labels.map(|l| (l["message"].as_str().unwrap_or("here").to_string(), at(&l["line"], &l["column"])));
    (d["code"].clone(), format!("{}{help}", d["message"].as_str().unwrap()), start, end, labels.collect())
}

/// A diagnostic the server published (0-based, columns in UTF-16 units).
fn server_view(d: &Value) -> View {
    let p = |x: &Value| (x["line"].as_u64().unwrap(), x["character"].as_u64().unwrap());
    let related = d["relatedInformation"].as_array().cloned().unwrap_or_default();
    let labels =
        related.iter().map(|r| (r["message"].as_str().unwrap().to_string(), p(&r["location"]["range"]["start"])));
    let (start, end) = (p(&d["range"]["start"]), p(&d["range"]["end"]));
    (d["code"].clone(), d["message"].as_str().unwrap().to_string(), start, end, labels.collect())
}

#[test]
fn fast_typing_is_analysed_once_and_requests_see_the_latest_text() {
    let mut client = start();
    client.open(URI, POLICY);
    // Type `let 小额 = 年度采购额 < 1万` at the top, one character per change, without waiting.
    let typed = "let 小额 = 年度采购额 < 1万\n";
    let mut column = 0;
    for (i, c) in typed.chars().enumerate() {
        let at = pos(0, column);
        let params = json!({ "textDocument": { "uri": URI, "version": i + 2 }, "contentChanges": [{ "range": { "start": at, "end": at }, "text": c.to_string() }] });
        client.notify("textDocument/didChange", params);
        column += c.len_utf16() as u32;
    }
    // A request right after the last change answers from the final text.
    let hover = client.request("textDocument/hover", at(0, 5));
    assert!(hover["contents"]["value"].as_str().unwrap().contains("let 小额 = 年度采购额 < 1万"), "{hover}");
    let last = typed.chars().count() as i64 + 1;
    let diags = client.diagnostics(last);
    assert_eq!(codes(&diags), ["tier::unused_let"]);
    client.stop();
}

/// 300 random incremental edits (Chinese text, braces, quotes, line breaks,
/// deletions anywhere) with hover, completion, symbols and formatting requests
/// in between: the server stays up, and its diagnostics for the final text are
/// those of `tier check` on the same text (so every edit was applied where the
/// client meant it).
#[test]
fn random_edits_keep_the_server_in_step_with_the_text() {
    let mut client = start();
    let mut text: Vec<u16> = POLICY.encode_utf16().collect();
    client.open(URI, POLICY);
    let pieces = ["贵宾", " ", "\n", "x", "}", "{", "when ", "1万", "\"", "# 注释", "and", "等级 == 金"];
    let mut seed: u64 = 17;
    let mut random = |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n.max(1)
    };
    let position = |text: &[u16], offset: usize| {
        let before = &text[..offset];
        let line = before.iter().filter(|&&u| u == u16::from(b'\n')).count();
        let column = before.iter().rev().take_while(|&&u| u != u16::from(b'\n')).count();
        pos(line as u32, column as u32)
    };
    for version in 2..302 {
        let start = random(text.len() + 1);
        let end = (start + random(6)).min(text.len());
        let insert: Vec<u16> =
            if random(3) == 0 { Vec::new() } else { pieces[random(pieces.len())].encode_utf16().collect() };
        let change = json!({ "range": { "start": position(&text, start), "end": position(&text, end) }, "text": String::from_utf16(&insert).unwrap() });
        text.splice(start..end, insert);
        let params = json!({ "textDocument": { "uri": URI, "version": version }, "contentChanges": [change] });
        client.notify("textDocument/didChange", params);
        let here = position(&text, random(text.len() + 1));
        let method = ["textDocument/hover", "textDocument/completion", "textDocument/definition"][random(3)];
        client.request(method, json!({ "textDocument": doc(), "position": here }));
        if version % 50 == 0 {
            client.request("textDocument/documentSymbol", json!({ "textDocument": doc() }));
            client.request(
                "textDocument/formatting",
                json!({ "textDocument": doc(), "options": { "tabSize": 2, "insertSpaces": true } }),
            );
        }
    }
    let got: Vec<View> = client.diagnostics(301).iter().map(server_view).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("edited.tier");
    std::fs::write(&file, String::from_utf16(&text).unwrap()).unwrap();
    let check = assert_cmd::Command::new(env!("CARGO_BIN_EXE_tier"))
        .args(["check", "--format", "json"])
        .arg(&file)
        .output()
        .unwrap();
    let want: Vec<Value> = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(got, want.iter().map(check_view).collect::<Vec<_>>(), "{}", String::from_utf16(&text).unwrap());
    assert!(client.stop().success());
}
