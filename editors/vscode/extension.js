// tierlang for VS Code: starts `tier lsp` for .tier files; highlighting comes
// from syntaxes/tier.tmLanguage.json.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("tier").get("server.path") || "tier";
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "tier",
    "tierlang",
    { run: server, debug: server },
    { documentSelector: [{ language: "tier" }] }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
