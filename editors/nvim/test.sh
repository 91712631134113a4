#!/usr/bin/env bash
# End to end in a real editor: Neovim, headless, attaches `tier lsp` to a broken
# copy of policies/hospitals.tier (`orderz` after `100万` on the VIP line) through
# editors/nvim/tier.lua, and must report tier::unknown_name at `orderz`'s line and
# byte column (Neovim counts bytes, the server UTF-16 units: `万` is 3 bytes, 1
# unit), then hover on `annual_purchase` must show its type and column, and
# deleting the criterion again (an incremental change sent by Neovim) must clear it.
# Fails when nvim is missing: .ci/run installs it (Debian's neovim).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v nvim >/dev/null || { echo "error: nvim is required (apt-get install neovim)" >&2; exit 1; }
cargo build --locked --quiet --bin tier
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/when annual_purchase > 100万$/when annual_purchase > 100万 and orderz > 3\/quarter/' policies/hospitals.tier > "$tmp/broken.tier"
line=$(grep -n 'orderz' "$tmp/broken.tier" | head -1 | cut -d: -f1)
[ -n "$line" ] || { echo "error: could not break policies/hospitals.tier (the VIP criterion changed?)" >&2; exit 1; }
text=$(sed -n "${line}p" "$tmp/broken.tier")
prefix=${text%%orderz*}
column=$(( $(printf '%s' "$prefix" | wc -c) + 1 ))           # 1-based, in bytes
hover_col=$(( $(printf '%s' "${text%%annual_purchase*}" | wc -c) + 2 ))
want="diagnostic $line:$column tier::unknown_name unknown name \`orderz\`"
OUT="$tmp/out.txt" FIX_FROM=" and orderz > 3/quarter" FIX_TO="" HOVER_LINE="$line" HOVER_COL="$hover_col" TIER_BIN="$PWD/target/debug/tier" \
  timeout 60 nvim --headless -n -i NONE -u editors/nvim/tier.lua -c "luafile editors/nvim/check.lua" "$tmp/broken.tier" \
  </dev/null >/dev/null 2>"$tmp/nvim.err" || true
cat "$tmp/out.txt" 2>/dev/null || { echo "error: nvim wrote nothing" >&2; cat "$tmp/nvim.err" >&2; exit 1; }
grep -qF "$want" "$tmp/out.txt" || { echo "error: expected '$want'" >&2; exit 1; }
grep -qF 'field `annual_purchase`: type **money**' "$tmp/out.txt" || { echo "error: no hover for annual_purchase" >&2; exit 1; }
grep -qx 'cleared after the fix' "$tmp/out.txt" || { echo "error: the diagnostic stayed after the fix" >&2; exit 1; }
echo "$(nvim --version | head -1): diagnostic at $line:$column, hover, cleared after the fix, as expected"
