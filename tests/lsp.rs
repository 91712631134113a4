//! `tier lsp` driven as an editor drives it: the binary over stdio, JSON-RPC
//! framed with `Content-Length`, on a policy with Chinese names so that every
//! column is checked in UTF-16 code units (and in UTF-8 when negotiated).

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)] // tests may fail loudly

#[path = "lsp/client.rs"]
mod client;

use client::{pos, Client};
use serde_json::{json, Value};

const URI: &str = "file:///tmp/cjk.tier";

/// Lines 9 and 10 are the ones most tests point into.
const POLICY: &str = r#"schema {
  id: text key
  年度采购额: money from "purchase"
  等级: enum(金, 银)
}

let 大额 = 年度采购额 >= 100万

tier 贵宾 "VIP客户" {
  when 大额 and 等级 == 金
  strategy { visits: 1/month }
}

tier 普通 {
  otherwise
  strategy extends 贵宾 { visits: 1/year }
}

test "big gold" {
  given { 年度采购额: 100万, 等级: 金 }
  expect 贵宾
}
"#;

fn start() -> Client {
    Client::start(json!({})).0
}

fn doc() -> Value {
    json!({ "uri": URI })
}

fn at(line: u32, character: u32) -> Value {
    json!({ "textDocument": doc(), "position": pos(line, character) })
}

fn range(sl: u32, sc: u32, el: u32, ec: u32) -> Value {
    json!({ "start": pos(sl, sc), "end": pos(el, ec) })
}

fn change(client: &mut Client, version: i64, changes: Value) -> Vec<Value> {
    let params = json!({ "textDocument": { "uri": URI, "version": version }, "contentChanges": changes });
    client.notify("textDocument/didChange", params);
    client.diagnostics(version)
}

fn codes(diags: &[Value]) -> Vec<&str> {
    diags.iter().map(|d| d["code"].as_str().unwrap()).collect()
}

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
    assert_eq!(codes(&diags), ["tier::unused_let", "tier::unknown_name"]);
    let unknown = &diags[1];
    assert_eq!(unknown["range"], range(9, 7, 9, 9));
    assert_eq!(unknown["severity"], 1);
    assert_eq!(unknown["source"], "tier");
    assert_eq!(unknown["message"], "unknown name `大額`\nhelp: did you mean `大额`?");
    assert_eq!(unknown["relatedInformation"][0]["message"], "not a field or let");
    assert_eq!(diags[0]["severity"], 2, "warning");

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
    assert_eq!(diags[1]["range"], range(9, 7, 9, 13), "bytes: 大額 is 6");
    // 等级 on line 10 starts at byte 18 (at UTF-16 column 14).
    let hover = client.request("textDocument/hover", at(9, 19));
    assert!(hover["contents"]["value"].as_str().unwrap().contains("field `等级`"), "{hover}");
    client.stop();
}

#[test]
fn hover_fields_tiers_lets_functions_and_numbers() {
    let mut client = start();
    client.open(URI, POLICY);
    let hover = |client: &mut Client, line, character| {
        let h = client.request("textDocument/hover", at(line, character));
        h["contents"]["value"].as_str().unwrap_or("").to_string()
    };
    let field = hover(&mut client, 6, 11); // 年度采购额 in the let
    assert!(field.contains("field `年度采购额`: type **money**"), "{field}");
    assert!(field.contains("from column `purchase`"), "{field}");
    let enum_field = hover(&mut client, 9, 15); // 等级, after Chinese text
    assert!(enum_field.contains("type **enum(金, 银)**"), "{enum_field}");
    let let_hover = hover(&mut client, 9, 8); // 大额
    assert!(let_hover.contains("let 大额 = 年度采购额 >= 100万"), "{let_hover}");
    assert!(let_hover.contains("let of type bool"), "{let_hover}");
    let tier = hover(&mut client, 15, 20); // 贵宾 after `extends`
    assert!(tier.contains("tier 贵宾 \"VIP客户\""), "{tier}");
    assert!(tier.contains("- `when 大额 and 等级 == 金`"), "{tier}");
    assert!(tier.contains("- visits: 1/month"), "{tier}");
    let otherwise = hover(&mut client, 13, 6); // 普通: resolved strategy through extends
    assert!(otherwise.contains("**strategy** (extends `贵宾`)\n- visits: 1/year"), "{otherwise}");
    let number = hover(&mut client, 6, 20); // 100万
    assert!(number.contains("`100万` = **1,000,000**"), "{number}");
    let rate = hover(&mut client, 10, 24); // 1/month in a strategy
    assert!(rate.contains("= **12** per year"), "{rate}");
    client.stop();
}

#[test]
fn hover_a_function_signature() {
    let mut client = start();
    let text = "schema {\n  id: text key\n  joined: date\n}\n\ntier Old {\n  when days_since(joined) > 365\n}\n\ntier New {\n  otherwise\n}\n";
    client.open(URI, text);
    let h = client.request("textDocument/hover", at(6, 9));
    assert!(h["contents"]["value"].as_str().unwrap().contains("days_since(date) → number of days"), "{h}");
    client.stop();
}

#[test]
fn definition_references_and_rename() {
    let mut client = start();
    client.open(URI, POLICY);
    // From `extends 贵宾` to the tier's name on line 9.
    let def = client.request("textDocument/definition", at(15, 20));
    assert_eq!(def["uri"], URI);
    assert_eq!(def["range"], range(8, 5, 8, 7));
    // The field 年度采购额: declaration, the let, the test's given.
    let refs = client.request(
        "textDocument/references",
        json!({ "textDocument": doc(), "position": pos(6, 11), "context": { "includeDeclaration": true } }),
    );
    let ranges: Vec<&Value> = refs.as_array().unwrap().iter().map(|l| &l["range"]).collect();
    assert_eq!(ranges, [&range(2, 2, 2, 7), &range(6, 9, 6, 14), &range(19, 10, 19, 15)]);
    // A tier: its name, `extends`, `expect`.
    let refs = client.request(
        "textDocument/references",
        json!({ "textDocument": doc(), "position": pos(20, 9), "context": { "includeDeclaration": false } }),
    );
    assert_eq!(refs.as_array().unwrap().len(), 2, "{refs}");

    let prepared = client.request("textDocument/prepareRename", at(9, 15));
    assert_eq!(prepared, range(9, 14, 9, 16));
    let edit = client
        .request("textDocument/rename", json!({ "textDocument": doc(), "position": pos(9, 15), "newName": "级别" }));
    let edits = edit["changes"][URI].as_array().unwrap().clone();
    assert_eq!(edits.len(), 4, "declaration, criterion, given, and the column it keeps reading: {edits:#?}");
    assert_eq!(edits[3]["newText"], " from \"等级\"");
    let changes: Vec<Value> =
        edits.iter().rev().map(|e| json!({ "range": e["range"], "text": e["newText"] })).collect();
    assert_eq!(change(&mut client, 2, json!(changes)), Vec::<Value>::new());

    // Renames that would break the policy are refused.
    let clash = client.request_raw(
        "textDocument/rename",
        json!({ "textDocument": doc(), "position": pos(6, 5), "newName": "年度采购额" }),
    );
    assert!(clash["error"]["message"].as_str().unwrap().contains("already defined"), "{clash}");
    let keyword = client
        .request_raw("textDocument/rename", json!({ "textDocument": doc(), "position": pos(6, 5), "newName": "when" }));
    assert!(keyword["error"].is_object(), "{keyword}");
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
fn did_you_mean_quick_fix() {
    let mut client = start();
    let diags = client.open(URI, &POLICY.replace("when 大额", "when 大額"));
    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": doc(), "range": range(9, 8, 9, 8), "context": { "diagnostics": diags } }),
    );
    let fix = &actions[0];
    assert_eq!(fix["title"], "replace with `大额`");
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["diagnostics"][0]["code"], "tier::unknown_name");
    let edit = &fix["edit"]["changes"][URI][0];
    assert_eq!(edit["range"], range(9, 7, 9, 9));
    let fixed = json!([{ "range": edit["range"], "text": edit["newText"] }]);
    assert_eq!(change(&mut client, 2, fixed), Vec::<Value>::new());
    client.stop();
}

fn labels(items: &Value) -> Vec<String> {
    items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
}

#[test]
fn completion_by_context() {
    let mut client = start();
    client.open(URI, POLICY);
    let complete = |client: &mut Client, version: i64, line: u32, text: &str| {
        let end = pos(line, 0);
        change(client, version, json!([{ "range": { "start": end, "end": end }, "text": format!("{text}\n") }]));
        let character = text.encode_utf16().count() as u32;
        labels(&client.request("textDocument/completion", at(line, character)))
    };
    // Half-typed lines do not parse: names come from the last text that did.
    let tiers = complete(&mut client, 2, 21, "  expect ");
    assert!(
        tiers.contains(&"贵宾".into()) && tiers.contains(&"普通".into()) && tiers.contains(&"none".into()),
        "{tiers:?}"
    );
    let values = complete(&mut client, 3, 22, "  when 等级 == ");
    assert_eq!(values, ["金", "银"]);
    let values = complete(&mut client, 4, 23, "  when 等级 in [金, ");
    assert_eq!(values, ["金", "银"]);
    let periods = complete(&mut client, 5, 24, "  when x > 3/");
    assert_eq!(periods, ["day", "week", "month", "quarter", "half_year", "year"]);
    let units = complete(&mut client, 6, 25, "  when x > 100");
    assert!(units.contains(&"万".into()) && units.contains(&"M".into()), "{units:?}");
    let general = complete(&mut client, 7, 26, "  when ");
    for want in ["年度采购额", "等级", "大额", "days_since", "otherwise"] {
        assert!(general.contains(&want.to_string()), "{want} in {general:?}");
    }
    let given = complete(&mut client, 8, 27, "  given { ");
    assert_eq!(given, ["id", "年度采购额", "等级"]);
    client.stop();
}

#[test]
fn completion_of_tiers_after_extends_and_in_combinations() {
    let mut client = start();
    let text = std::fs::read_to_string("policies/loyalty_program.tier").unwrap();
    client.open(URI, &text);
    let line = text.lines().position(|l| l.starts_with("when value is VIP")).unwrap() as u32;
    let end = pos(line, 0);
    change(&mut client, 2, json!([{ "range": { "start": end, "end": end }, "text": "when lifecycle is \n" }]));
    let items = labels(&client.request("textDocument/completion", at(line, 18)));
    assert_eq!(items, ["Active", "AtRisk", "Lost"]);
    change(&mut client, 3, json!([{ "range": { "start": end, "end": pos(line, 18) }, "text": "  strategy extends " }]));
    let items = labels(&client.request("textDocument/completion", at(line, 19)));
    assert!(items.contains(&"SuperVIP".into()) && items.contains(&"Lost".into()), "{items:?}");
    client.stop();
}

#[test]
fn document_symbols_code_lens_and_running_tests() {
    let mut client = start();
    let text = std::fs::read_to_string("policies/loyalty_program.tier").unwrap();
    client.open(URI, &text);
    let symbols = client.request("textDocument/documentSymbol", json!({ "textDocument": doc() }));
    let names: Vec<&str> = symbols.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(names.starts_with(&["id", "spend", "last_purchase", "days_since_last", "value", "lifecycle"]), "{names:?}");
    assert_eq!(
        names
            .iter()
            .filter(|n| n.starts_with("exactly") || n.starts_with("a lapsing") || n.starts_with("one yuan"))
            .count(),
        5
    );
    let value = &symbols[4];
    assert_eq!(value["kind"], 10, "enum");
    let tiers: Vec<&str> = value["children"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(tiers, ["SuperVIP", "VIP", "Important", "General"]);

    let lenses = client.request("textDocument/codeLens", json!({ "textDocument": doc() }));
    let lenses = lenses.as_array().unwrap();
    assert_eq!(lenses.len(), 6);
    assert_eq!(lenses[0]["command"]["title"], "▶ run 5 tests");
    let command = &lenses[0]["command"];
    assert_eq!(command["command"], "tier.runTests");
    let report = client
        .request("workspace/executeCommand", json!({ "command": "tier.runTests", "arguments": command["arguments"] }));
    assert_eq!(report["passed"], 5);
    assert_eq!(report["failed"], 0);
    let shown = client.notification("window/showMessage");
    assert_eq!(shown["message"], "5 passed, 0 failed");

    // A failing test is reported with its line.
    let line = text.lines().position(|l| l.contains("expect value.SuperVIP")).unwrap() as u32;
    change(&mut client, 2, json!([{ "range": range(line, 15, line, 23), "text": "VIP" }]));
    let one = json!({ "command": "tier.runTests", "arguments": [URI, "exactly 20万"] });
    let report = client.request("workspace/executeCommand", one);
    assert_eq!((report["passed"].as_u64(), report["failed"].as_u64()), (Some(0), Some(1)), "{report}");
    assert_eq!(report["failures"][0]["line"], line + 1);
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

/// Line and UTF-16 column of the first `word` on the first line containing `context`.
fn locate(text: &str, context: &str, word: &str) -> (u32, u32) {
    let (n, line) = text.lines().enumerate().find(|(_, l)| l.contains(context)).unwrap();
    let byte = line.find(context).unwrap() + line[line.find(context).unwrap()..].find(word).unwrap();
    (n as u32, line[..byte].encode_utf16().count() as u32)
}

#[test]
fn metrics_and_event_fields_navigate() {
    let mut client = start();
    let text = std::fs::read_to_string("policies/rfm.tier").unwrap();
    client.open(URI, &text);
    // `R` in a criterion goes to `metric R = ...`.
    let (line, col) = locate(&text, "when R == 5", "R");
    let def = client.request("textDocument/definition", at(line, col));
    let (dl, dc) = locate(&text, "metric R =", "R ");
    assert_eq!(def["range"]["start"], pos(dl, dc));
    let hover = client.request("textDocument/hover", at(line, col));
    assert!(
        hover["contents"]["value"].as_str().unwrap().contains("metric R = quantile_score(recency, 5, reversed: true)"),
        "{hover}"
    );
    // `monetary`: its metric, `population where`, then the tests' populations and givens.
    let (line, col) = locate(&text, "population where", "monetary");
    let refs = client.request(
        "textDocument/references",
        json!({ "textDocument": doc(), "position": pos(line, col), "context": { "includeDeclaration": true } }),
    );
    let lines: Vec<u64> =
        refs.as_array().unwrap().iter().map(|r| r["range"]["start"]["line"].as_u64().unwrap()).collect();
    assert_eq!(lines[..2], [locate(&text, "metric monetary", "m").0 as u64, line as u64]);
    assert!(lines.contains(&(locate(&text, "given { recency: 2,", "m").0 as u64)), "{lines:?}");
    // The event field `invoice`: declared in the events block, read by `where` and `count(distinct invoice)`.
    let (line, col) = locate(&text, "invoice: text", "invoice");
    let refs = client.request(
        "textDocument/references",
        json!({ "textDocument": doc(), "position": pos(line, col), "context": { "includeDeclaration": false } }),
    );
    assert_eq!(refs.as_array().unwrap().len(), 2, "{refs}");
    // Dimension-qualified tier references in tests and symbols.
    let symbols = client.request("textDocument/documentSymbol", json!({ "textDocument": doc() }));
    let names: Vec<&str> = symbols.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"segment") && names.contains(&"recency") && names.contains(&"amount"), "{names:?}");
    client.stop();
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

/// Renaming a tier reaches every place a tier is named: `extends`, `keep`,
/// combinations, budgets, `expect`; the policy still checks and its tests pass.
#[test]
fn renaming_a_tier_everywhere_keeps_the_policy_whole() {
    let mut client = start();
    let text = std::fs::read_to_string("policies/loyalty_program.tier").unwrap();
    client.open(URI, &text);
    let (line, col) = locate(&text, "tier SuperVIP", "SuperVIP");
    let edit = client.request(
        "textDocument/rename",
        json!({ "textDocument": doc(), "position": pos(line, col), "newName": "至尊" }),
    );
    let edits = edit["changes"][URI].as_array().unwrap().clone();
    // The tier, `keep`, two combinations, a budget of shares and one of weights, `expect value.SuperVIP`.
    assert_eq!(edits.len(), 7, "{edits:#?}");
    let mut sorted = edits.clone();
    sorted.sort_by_key(|e| (e["range"]["start"]["line"].as_u64(), e["range"]["start"]["character"].as_u64()));
    let changes: Vec<Value> =
        sorted.iter().rev().map(|e| json!({ "range": e["range"], "text": e["newText"] })).collect();
    assert_eq!(change(&mut client, 2, json!(changes)), Vec::<Value>::new());
    let report = client.request("workspace/executeCommand", json!({ "command": "tier.runTests", "arguments": [URI] }));
    assert_eq!((report["passed"].as_u64(), report["failed"].as_u64()), (Some(5), Some(0)), "{report}");
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
