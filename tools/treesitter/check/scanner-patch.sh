#!/usr/bin/env bash
# Checks patches/LANG-scanner.patch: compiles the upstream and the patched
# scanner of LANG's grammar natively next to each other (both after
# patches/LANG-scanner.sed, where there is one, as build.sh does) and runs
# check/LANG_scanner_diff.c, which drives both through the same random calls
# and fails on any difference. Needs node_modules (build.sh or npm ci), cc and objcopy.
# Usage: check/scanner-patch.sh LANG [texts]
set -euo pipefail
cd "$(dirname "$0")/.."
lang=${1:?usage: check/scanner-patch.sh LANG [texts]}
src=node_modules/tree-sitter-$lang/src
[ -f "$src/scanner.c" ] || { echo "no $src/scanner.c: run npm ci --ignore-scripts in tools/treesitter" >&2; exit 1; }
[ -f "patches/$lang-scanner.patch" ] || { echo "no patches/$lang-scanner.patch" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -f "patches/$lang-scanner.sed" ]; then
  sed -f "patches/$lang-scanner.sed" "$src/scanner.c" >"$work/upstream.c"
else
  cp "$src/scanner.c" "$work/upstream.c"
fi
patch -s --fuzz=0 -o "$work/patched.c" "$work/upstream.c" "patches/$lang-scanner.patch"
rename() { # rename PREFIX: the scanner's entry points as PREFIX_create and so on
  for f in create destroy scan serialize deserialize; do
    printf -- '-Dtree_sitter_%s_external_scanner_%s=%s_%s ' "$lang" "$f" "$1" "$f"
  done
}
# Without the shift check: Swift's scanner shifts an int by up to 32 (1 <<
# suppressor, upstream, unpatched), alike in both copies.
cc=(${CC:-cc} -std=gnu11 -O1 -g -fsanitize=address,undefined -fno-sanitize=shift -fno-sanitize-recover=all -I"$src" -Icheck)
for side in up:upstream pa:patched; do
  # shellcheck disable=SC2046
  "${cc[@]}" $(rename "${side%%:*}") -c "$work/${side#*:}.c" -o "$work/${side%%:*}.o"
  # Only the renamed entry points stay global: both copies define the
  # scanner's other globals (Swift's operator tables) under the same names.
  objcopy -w --keep-global-symbol="${side%%:*}_*" "$work/${side%%:*}.o"
done
"${cc[@]}" "check/${lang}_scanner_diff.c" "$work/up.o" "$work/pa.o" -o "$work/diff"
"$work/diff" "${2:-20000}"
