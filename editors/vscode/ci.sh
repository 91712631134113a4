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
npx vsce package --skip-license -o "${TMPDIR:-/tmp}/tierlang.vsix"
