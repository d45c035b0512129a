#!/usr/bin/env bash
# Rebuilds extract/treesitter/wasm/*.wasm.gz from the pinned npm packages in
# package-lock.json with Debian's clang, lld and wasi-libc. The output is
# byte-for-byte reproducible: no debug info, no paths, gzip without names or
# times. See README.md.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
out=${OUT:-$here/../../extract/treesitter/wasm}

# binaryen's wasm-opt optimizes each linked module; the link step itself
# gets no -O flag, so clang does not run wasm-opt on its own (it would,
# without the features below, and fail).
for tool in clang wasm-ld wasm-opt gzip npm patch; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32 binaryen npm patch" >&2; exit 1; }
done

[ -d node_modules ] && [ "${SKIP_NPM:-}" = 1 ] || npm ci --ignore-scripts --no-audit --no-fund

rt=node_modules/tree-sitter/vendor/tree-sitter/lib
build=$here/build
rm -rf "$build" && mkdir -p "$build" "$out"

# -mbulk-memory: memcpy and memset become single instructions (memory.copy,
# memory.fill) that wazero runs natively, instead of wasi-libc's loops.
cflags=(--target=wasm32-wasi -O3 -mbulk-memory -DNDEBUG -ffile-prefix-map="$here"/=)
wasmopt=(-O3 --enable-bulk-memory)

# language  grammar source folder  C function
langs=(
  "python     node_modules/tree-sitter-python/src                   tree_sitter_python"
  "javascript node_modules/tree-sitter-javascript/src               tree_sitter_javascript"
  "typescript node_modules/tree-sitter-typescript/typescript/src    tree_sitter_typescript"
  "tsx        node_modules/tree-sitter-typescript/tsx/src           tree_sitter_tsx"
  "java       node_modules/tree-sitter-java/src                     tree_sitter_java"
  "c          node_modules/tree-sitter-c/src                        tree_sitter_c"
  "cpp        node_modules/tree-sitter-cpp/src                      tree_sitter_cpp"
  "csharp     node_modules/tree-sitter-c-sharp/src                  tree_sitter_c_sharp"
  "rust       node_modules/tree-sitter-rust/src                     tree_sitter_rust"
  "ruby       node_modules/tree-sitter-ruby/src                     tree_sitter_ruby"
  "php        node_modules/tree-sitter-php/php/src                  tree_sitter_php"
  "kotlin     node_modules/tree-sitter-kotlin/src                   tree_sitter_kotlin"
  "swift      node_modules/tree-sitter-swift/src                    tree_sitter_swift"
  "scala      node_modules/tree-sitter-scala/src                    tree_sitter_scala"
  "bash       node_modules/tree-sitter-bash/src                     tree_sitter_bash"
  "lua        node_modules/@tree-sitter-grammars/tree-sitter-lua/src tree_sitter_lua"
)

# The runtime's sources with patches/runtime-*.patch applied (README.md,
# Patches); patch fails if one does not apply.
cp -r "$rt/src" "$build/rtsrc"
for p in patches/runtime-*.patch; do
  patch -s --fuzz=0 -d "$build/rtsrc" -p1 <"$p"
done

# The runtime (lib.c) with glue's faster lexer path: see runtime.c. A higher
# inline threshold than -O3's lets clang inline the runtime's small helpers
# into the parse loop (README.md, Flags).
clang "${cflags[@]}" -mllvm -inline-threshold=2000 -I$rt/include -I"$build/rtsrc" -c runtime.c -o "$build/runtime.o"

# lex.h replaces the generated lexers' START_LEXER; it must be the macro it
# was written for (tree-sitter's parser.h, ABI 14 and 15).
start_lexer='#defineSTART_LEXER()boolresult=false;boolskip=false;UNUSEDbooleof=false;int32_tlookahead;gotostart;next_state:lexer->advance(lexer,skip);start:skip=false;lookahead=lexer->lookahead;'

# build_lang LANG SRC FN compiles one grammar module.
build_lang() {
  local lang=$1 src=$2 fn=$3
  echo "building $lang" >&2
  local objs=("$build/runtime.o")
  local macro
  macro=$(awk '/#define START_LEXER/ { p = 1 } p { print } p && !/\\$/ { exit }' "$src/tree_sitter/parser.h" | tr -d ' \\\n')
  [ "$macro" = "$start_lexer" ] || { echo "$lang: START_LEXER in parser.h is not the one lex.h replaces" >&2; exit 1; }
  # The generated lexer asks the lexer for the end of input at every
  # character, through a function pointer; only where the lookahead is 0
  # can it be the end (README.md, Patches). Each lexer must have the call.
  sed 's/^  eof = lexer->eof(lexer);$/  eof = lookahead == 0 \&\& lexer->eof(lexer);/' "$src/parser.c" >"$build/$lang.parser.c"
  grep -q -F 'eof = lookahead == 0 && lexer->eof(lexer);' "$build/$lang.parser.c" ||
    { echo "$lang: the lexer's end-of-input check did not change" >&2; exit 1; }
  clang "${cflags[@]}" -I$rt/include -I"$src" -include lex.h -c "$build/$lang.parser.c" -o "$build/$lang.parser.o"
  objs+=("$build/$lang.parser.o")
  if [ -f "$src/scanner.c" ]; then
    local scanner=$src/scanner.c
    if [ "$lang" = swift ]; then
      # Fixes to the Swift scanner (see the sed script).
      sed -f patches/swift-scanner.sed "$src/scanner.c" >"$build/swift-fixed.c"
      # Each fix must have applied (a new scanner version may change the code).
      for fixed in '1ULL << ' 'calloc(1, sizeof(struct ScannerState))' "expected_char == '\\0' ||"; do
        grep -q -F -e "$fixed" "$build/swift-fixed.c" ||
          { echo "swift scanner: patch '$fixed' did not apply" >&2; exit 1; }
      done
      scanner=$build/swift-fixed.c
    fi
    if [ -f "patches/$lang-scanner.patch" ]; then
      # A patched copy (see README.md, Patches); patch fails if it does not apply.
      patch -s --fuzz=0 -o "$build/$lang-scanner.c" "$scanner" "patches/$lang-scanner.patch"
      scanner=$build/$lang-scanner.c
    fi
    clang "${cflags[@]}" -I$rt/include -I"$src" -c "$scanner" -o "$build/$lang.scanner.o"
    objs+=("$build/$lang.scanner.o")
  fi
  local glue=(-DOPTIQ_LANGUAGE="$fn")
  # Scala's block comments have a token per character; runtime.c lexes
  # them in runs (see Comment runs there). optiq_init fails if it cannot.
  [ "$lang" = scala ] && glue+=(-DOPTIQ_COMMENT_TOKEN='"block_comment_token1"')
  clang "${cflags[@]}" -I$rt/include "${glue[@]}" -c glue.c -o "$build/$lang.glue.o"
  objs+=("$build/$lang.glue.o")
  clang --target=wasm32-wasi -mexec-model=reactor -Wl,--strip-all -Wl,-z,stack-size=1048576 \
    -o "$build/$lang.linked.wasm" "${objs[@]}"
  wasm-opt "${wasmopt[@]}" "$build/$lang.linked.wasm" -o "$build/$lang.wasm"
  gzip -9 -n -c "$build/$lang.wasm" >"$out/$lang.wasm.gz"
}

# Languages build in parallel, JOBS at a time (default: one per core).
jobs=${JOBS:-$(nproc)}
running=()
for entry in "${langs[@]}"; do
  read -r lang src fn <<<"$entry"
  [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $lang "* ]] && continue
  build_lang "$lang" "$src" "$fn" &
  running+=($!)
  if [ ${#running[@]} -ge "$jobs" ]; then
    wait "${running[0]}"
    running=("${running[@]:1}")
  fi
done
for pid in "${running[@]}"; do wait "$pid"; done

# Record what was built from what, so a rebuild can be checked.
(cd "$out" && sha256sum -- *.wasm.gz) >"$out/SHA256SUMS"
