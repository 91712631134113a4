//! `tier lsp`'s features over JSON-RPC, as an editor asks for them: hover,
//! completion, definition, references, rename, quick fixes, document symbols and
//! code lenses (the protocol, diagnostics and sync are in `tests/lsp.rs`).

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)] // tests may fail loudly

#[path = "lsp/client.rs"]
#[allow(dead_code)] // each test file uses some of the helpers
mod client;

use client::*;
use serde_json::{json, Value};

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
    let value = hover(&mut client, 9, 20); // 金 after `等级 ==`
    assert_eq!(value, "`金`: a value of the enum field `等级` (金, 银)");
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
    assert_eq!(complete(&mut client, 8, 27, "  hit "), ["first", "unique"]);
    assert_eq!(complete(&mut client, 9, 28, "  x: money prefer "), ["higher", "lower"]);
    assert_eq!(complete(&mut client, 10, 29, "  metric F = rank(x, ties: "), ["first", "average", "min", "max"]);
    let given = complete(&mut client, 11, 30, "  given { ");
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

#[test]
fn renaming_an_optional_field_keeps_its_column_after_the_question_mark() {
    let mut client = start();
    let text = "schema {\n  id: text key\n  joined: date?\n}\n\ntier Old {\n  when joined < 2020-01-01\n}\n\ntier New {\n  otherwise\n}\n";
    client.open(URI, text);
    let edit = client
        .request("textDocument/rename", json!({ "textDocument": doc(), "position": pos(6, 8), "newName": "入会" }));
    let edits = edit["changes"][URI].as_array().unwrap().clone();
    assert_eq!(edits.len(), 3);
    assert_eq!(edits[2], json!({ "range": range(2, 15, 2, 15), "newText": " from \"joined\"" }));
    let changes: Vec<Value> =
        edits.iter().rev().map(|e| json!({ "range": e["range"], "text": e["newText"] })).collect();
    assert_eq!(change(&mut client, 2, json!(changes)), Vec::<Value>::new());
    let symbols = client.request("textDocument/documentSymbol", json!({ "textDocument": doc() }));
    assert_eq!(symbols[1]["name"], "入会");
    client.stop();
}
