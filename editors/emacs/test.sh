#!/usr/bin/env bash
# Emacs with eglot and editors/emacs/tier.el, in batch mode, on the same broken
# copy of policies/hospitals.tier as editors/nvim/test.sh: tier::unknown_name on
# `orderz`'s line, at its display column (Emacs counts `万` as two columns).
# Checked with Emacs 28.2 and Debian's elpa-eglot 1.9; not part of .ci/run (it
# needs `apt-get install emacs-nox elpa-eglot`), run it by hand.
set -euo pipefail
export LC_ALL=C.UTF-8   # ${#prefix} counts characters
cd "$(dirname "$0")/../.."
command -v emacs >/dev/null || { echo "error: emacs is required (apt-get install emacs-nox elpa-eglot)" >&2; exit 1; }
cargo build --locked --quiet --bin tier
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/when annual_purchase > 100万$/when annual_purchase > 100万 and orderz > 3\/quarter/' policies/hospitals.tier > "$tmp/broken.tier"
line=$(grep -n 'orderz' "$tmp/broken.tier" | head -1 | cut -d: -f1)
text=$(sed -n "${line}p" "$tmp/broken.tier")
prefix=${text%%orderz*}
column=$(( ${#prefix} + $(printf '%s' "$prefix" | grep -o '[万亿]' | wc -l) ))   # display columns
elpa=()
for dir in /usr/share/emacs/site-lisp/elpa/*/; do elpa+=(-L "$dir"); done
TIER_BIN="$PWD/target/debug/tier" timeout 60 emacs --batch -Q "${elpa[@]}" -l editors/emacs/check.el "$tmp/broken.tier" \
  >"$tmp/out.txt" 2>"$tmp/err.txt" || true
cat "$tmp/out.txt"
grep -qF "diagnostic $line:$column tier [tier::unknown_name]: unknown name \`orderz\`" "$tmp/out.txt" \
  || { echo "error: expected tier::unknown_name at $line:$column" >&2; cat "$tmp/err.txt" >&2; exit 1; }
echo "$(emacs --version | head -1) with eglot: diagnostic at $line:$column, as expected"
