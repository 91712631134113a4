// Tokenizes every policy in ../../policies with the TextMate grammar (through
// vscode-textmate and the Oniguruma engine VS Code itself uses) and compares
// the tokens with test/snapshots/NAME.tier.snap; checks a few scopes by hand.
// Regenerate the snapshots after a deliberate grammar change:
//   UPDATE_SNAPSHOTS=1 npm test
"use strict";

const fs = require("fs");
const path = require("path");
const assert = require("assert");
const textmate = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const root = path.join(__dirname, "..", "..", "..");
const policies = path.join(root, "policies");
const snapshots = path.join(__dirname, "snapshots");
const update = process.env.UPDATE_SNAPSHOTS === "1";

async function grammar() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () => {
      const file = path.join(__dirname, "..", "syntaxes", "tier.tmLanguage.json");
      return textmate.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
    },
  });
  return registry.loadGrammar("source.tier");
}

/** Every token of a text: [line, text, scopes without source.tier]. */
function tokenize(g, text) {
  const out = [];
  let stack = textmate.INITIAL;
  text.split("\n").forEach((line, n) => {
    const r = g.tokenizeLine(line, stack);
    for (const t of r.tokens) {
      const piece = line.substring(t.startIndex, t.endIndex);
      const scopes = t.scopes.filter((s) => s !== "source.tier");
      if (piece.trim() !== "") out.push([n + 1, piece, scopes]);
    }
    stack = r.ruleStack;
  });
  return out;
}

function render(tokens) {
  return tokens.map(([n, text, scopes]) => `${n}: ${JSON.stringify(text)} ${scopes.join(" ") || "-"}`).join("\n") + "\n";
}

function scopeOf(tokens, line, text) {
  const t = tokens.find(([n, piece]) => n === line && piece === text);
  if (!t) return `(no such token; line ${line} is ${render(tokens.filter(([n]) => n === line))})`;
  return t[2].join(" ");
}

async function main() {
  const g = await grammar();
  let failures = 0;
  const files = fs.readdirSync(policies).filter((f) => f.endsWith(".tier")).sort();
  assert.ok(files.length > 0, "no policies found");
  for (const file of files) {
    const tokens = tokenize(g, fs.readFileSync(path.join(policies, file), "utf8"));
    const invalid = tokens.filter(([, , s]) => s.some((x) => x.startsWith("invalid")));
    assert.deepStrictEqual(invalid, [], `${file}: invalid tokens`);
    const snap = path.join(snapshots, `${file}.snap`);
    const got = render(tokens);
    if (update) {
      fs.writeFileSync(snap, got);
    } else if (!fs.existsSync(snap) || fs.readFileSync(snap, "utf8") !== got) {
      failures += 1;
      console.error(`FAIL ${file}: tokens differ from ${path.relative(root, snap)} (UPDATE_SNAPSHOTS=1 npm test after a deliberate change)`);
    } else {
      console.log(`ok   ${file}`);
    }
  }

  // Scopes a reader relies on, by hand.
  const text = [
    "# 贵宾 policy", // 1
    "schema {", // 2
    '  年度采购额: money from "年度采购额"', // 3
    "  last: date?", // 4
    "}", // 5
    "tier 贵宾 \"VIP客户\" {", // 6
    "  when 年度采购额 > 100万 and orders >= 3/quarter and joined < 2024-06-30", // 7
    "  strategy extends Important { visits: 1/month, rate: 20% }", // 8
    "}", // 9
    "test \"t\" {", // 10
    "  expect value.VIP", // 11
    "  expect strategy.visits == 1/month", // 12
    "}", // 13
    "when value is VIP and lifecycle is AtRisk override {", // 14
    "let x = days_since(last) + ¥5_000", // 15
  ].join("\n");
  const t = tokenize(g, text);
  const checks = [
    [1, " 贵宾 policy", "comment.line.number-sign.tier"],
    [2, "schema", "keyword.declaration.tier"],
    [3, "年度采购额", "variable.other.field.tier"],
    [3, "money", "storage.type.tier"],
    [3, "年度采购额", "variable.other.field.tier"],
    [4, "date", "storage.type.tier"],
    [6, "tier", "keyword.declaration.tier.tier"],
    [6, "贵宾", "entity.name.type.tier.tier"],
    [7, "when", "keyword.control.tier"],
    [7, "100万", "constant.numeric.tier"],
    [7, "quarter", "support.constant.period.tier"],
    [7, "2024-06-30", "constant.numeric.date.tier"],
    [7, ">=", "keyword.operator.tier"],
    [8, "Important", "entity.name.type.tier.tier"],
    [8, "20%", "constant.numeric.tier"],
    [11, "value", "entity.name.namespace.dimension.tier"],
    [11, "VIP", "entity.name.type.tier.tier"],
    [12, "strategy", "keyword.declaration.tier"],
    [14, "AtRisk", "entity.name.type.tier.tier"],
    [14, "override", "keyword.other.tier"],
    [15, "days_since", "support.function.tier"],
    [15, "¥5_000", "constant.numeric.tier"],
  ];
  for (const [line, piece, scope] of checks) {
    const got = scopeOf(t, line, piece);
    if (!got.includes(scope)) {
      failures += 1;
      console.error(`FAIL line ${line} ${JSON.stringify(piece)}: ${got}, expected ${scope}`);
    }
  }
  const str = t.filter(([n, , s]) => n === 6 && s.join(" ").includes("string.quoted.double.tier")).map(([, p]) => p).join("");
  assert.strictEqual(str, '"VIP客户"');
  if (failures > 0) {
    console.error(`${failures} grammar check(s) failed`);
    process.exit(1);
  }
  console.log(`grammar: ${files.length} policies match their snapshots, ${checks.length} scopes checked`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
