#!/usr/bin/env bash
# Checks patches/python-scanner.patch: compiles the upstream and the patched
# tree-sitter-python scanner natively next to each other and runs
# python_scanner_diff.c, which drives both through the same random calls and
# fails on any difference. Needs node_modules (build.sh or npm ci) and cc.
# Usage: check/python-scanner.sh [texts]
set -euo pipefail
cd "$(dirname "$0")/.."
src=node_modules/tree-sitter-python/src
[ -f "$src/scanner.c" ] || { echo "no $src/scanner.c: run npm ci --ignore-scripts in tools/treesitter" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
patch -s --fuzz=0 -o "$work/patched.c" "$src/scanner.c" patches/python-scanner.patch
rename() { # rename PREFIX: the scanner's entry points as PREFIX_create and so on
  for f in create destroy scan serialize deserialize; do
    printf -- '-Dtree_sitter_python_external_scanner_%s=%s_%s ' "$f" "$1" "$f"
  done
}
cc=${CC:-cc}
# shellcheck disable=SC2046
$cc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -I"$src" $(rename up) -c "$src/scanner.c" -o "$work/up.o"
# shellcheck disable=SC2046
$cc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -I"$src" $(rename pa) -c "$work/patched.c" -o "$work/pa.o"
$cc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -I"$src" check/python_scanner_diff.c "$work/up.o" "$work/pa.o" -o "$work/diff"
"$work/diff" "${1:-20000}"
