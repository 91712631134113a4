#!/usr/bin/env bash
# The VS Code extension's checks, run by .ci/run: install the locked npm
# packages, tokenize every policy with the TextMate grammar against its snapshot
# (test/grammar.test.js), and package the extension with vsce. Fails when npm or
# node is missing: CI must run these, not skip them.
set -euo pipefail
cd "$(dirname "$0")"
command -v npm >/dev/null || { echo "error: npm is required for the VS Code extension's tests" >&2; exit 1; }
npm ci --no-audit --no-fund --loglevel=error
npm test
vsix="${TMPDIR:-/tmp}/tierlang.vsix"
npx vsce package --skip-license --allow-missing-repository -o "$vsix"
# The package must carry the client, the grammar and the runtime dependency.
python3 - "$vsix" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
for want in ["extension/extension.js", "extension/syntaxes/tier.tmLanguage.json",
             "extension/language-configuration.json",
             "extension/node_modules/vscode-languageclient/node.js"]:
    assert want in names, f"{want} missing from the .vsix"
assert not any(n.startswith("extension/test/") for n in names), "tests packaged"
print(f"{sys.argv[1]}: {len(names)} files, client, grammar and vscode-languageclient inside")
PY
