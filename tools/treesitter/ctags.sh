#!/usr/bin/env bash
# Regenerates the universal-ctags reference tags of the quality evaluation
# set (extract/treesitter/testdata/eval/<language>/<file>.ctags), one JSON
# object per tag. Needs Debian's universal-ctags (5.9.0 when captured).
# Swift and Scala have no ctags parser in that version: their references
# (*.expected) are written by hand and not touched here.
set -euo pipefail
cd "$(dirname "$0")/../../extract/treesitter/testdata/eval"
declare -A ctagsLang=(
  [python]=Python [javascript]=JavaScript [typescript]=TypeScript [tsx]=TypeScript [java]=Java
  [c]=C [cpp]=C++ [csharp]=C# [rust]=Rust [ruby]=Ruby [php]=PHP [kotlin]=Kotlin [bash]=Sh [lua]=Lua
)
for lang in "${!ctagsLang[@]}"; do
  [ -d "$lang" ] || continue
  for f in "$lang"/*; do
    case $f in *.ctags|*.expected) continue ;; esac
    (cd "$lang" && ctags --language-force="${ctagsLang[$lang]}" --output-format=json \
      --fields=NnKsZ -o - "$(basename "$f")") \
      | sed 's/"path": "[^"]*", //' >"$f.ctags"
  done
done
