//! A minimal LSP client for the tests: starts `tier lsp`, frames JSON-RPC
//! messages with `Content-Length`, and reads the server's messages on a thread
//! so a silent server fails the test instead of hanging it; below it, the policy
//! and the helpers `tests/lsp.rs` and `tests/lsp_features.rs` share.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

pub struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Notifications read while waiting for a response.
    pub notifications: Vec<Value>,
}

impl Client {
    /// Starts the server and completes `initialize` with the given client
    /// capabilities; returns the client and the server's `InitializeResult`.
    pub fn start(capabilities: Value) -> (Client, Value) {
        // TIER_BIN: time a release build from the debug test (docs/editors.md).
        let bin = std::env::var("TIER_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_tier").to_string());
        let mut child = Command::new(bin)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tier lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let mut client = Client { child, stdin, incoming, next_id: 0, notifications: Vec::new() };
        let result =
            client.request("initialize", json!({ "processId": null, "rootUri": null, "capabilities": capabilities }));
        client.notify("initialized", json!({}));
        (client, result)
    }

    pub fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The whole response (`result` or `error`).
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self.next();
            if message["id"] == json!(id) && message.get("method").is_none() {
                return message;
            }
            self.notifications.push(message);
        }
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    pub fn next(&mut self) -> Value {
        self.incoming.recv_timeout(Duration::from_secs(20)).expect("the server answered within 20 s")
    }

    /// The next notification with this method (earlier ones read while waiting
    /// for responses first).
    pub fn notification(&mut self, method: &str) -> Value {
        if let Some(i) = self.notifications.iter().position(|n| n["method"] == method) {
            return self.notifications.remove(i)["params"].clone();
        }
        loop {
            let message = self.next();
            if message["method"] == method {
                return message["params"].clone();
            }
            self.notifications.push(message);
        }
    }

    /// The diagnostics published for `version` of a document.
    pub fn diagnostics(&mut self, version: i64) -> Vec<Value> {
        loop {
            let params = self.notification("textDocument/publishDiagnostics");
            if params["version"] == json!(version) {
                return params["diagnostics"].as_array().cloned().unwrap_or_default();
            }
        }
    }

    pub fn open(&mut self, uri: &str, text: &str) -> Vec<Value> {
        let doc = json!({ "uri": uri, "languageId": "tier", "version": 1, "text": text });
        self.notify("textDocument/didOpen", json!({ "textDocument": doc }));
        self.diagnostics(1)
    }

    /// Sends `shutdown` and `exit`; returns the server's exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let result = self.request_raw("shutdown", Value::Null);
        assert_eq!(result["result"], Value::Null, "{result}");
        self.notify("exit", Value::Null);
        for _ in 0..100 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("the server did not exit after `exit`");
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// A position object.
pub fn pos(line: u32, character: u32) -> Value {
    json!({ "line": line, "character": character })
}

// ------------------------------------------------------------ shared by the tests

pub const URI: &str = "file:///tmp/cjk.tier";

/// Lines 9 and 10 are the ones most tests point into.
pub const POLICY: &str = r#"schema {
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

pub fn start() -> Client {
    Client::start(json!({})).0
}

pub fn doc() -> Value {
    json!({ "uri": URI })
}

pub fn at(line: u32, character: u32) -> Value {
    json!({ "textDocument": doc(), "position": pos(line, character) })
}

pub fn range(sl: u32, sc: u32, el: u32, ec: u32) -> Value {
    json!({ "start": pos(sl, sc), "end": pos(el, ec) })
}

pub fn change(client: &mut Client, version: i64, changes: Value) -> Vec<Value> {
    let params = json!({ "textDocument": { "uri": URI, "version": version }, "contentChanges": changes });
    client.notify("textDocument/didChange", params);
    client.diagnostics(version)
}

pub fn codes(diags: &[Value]) -> Vec<&str> {
    diags.iter().map(|d| d["code"].as_str().unwrap()).collect()
}

pub fn labels(items: &Value) -> Vec<String> {
    items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
}

/// Line and UTF-16 column of the first `word` on the first line containing `context`.
pub fn locate(text: &str, context: &str, word: &str) -> (u32, u32) {
    let (n, line) = text.lines().enumerate().find(|(_, l)| l.contains(context)).unwrap();
    let byte = line.find(context).unwrap() + line[line.find(context).unwrap()..].find(word).unwrap();
    (n as u32, line[..byte].encode_utf16().count() as u32)
}
