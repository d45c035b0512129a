# Fixes to the tree-sitter-swift scanner, applied by build.sh before
# swift-scanner.patch (see README.md, Patches), and by check/scanner-patch.sh
# to both copies it compares:
# - 64-bit masks were built with 1UL, which is 32 bits wide on wasm32;
s/1UL << /1ULL << /g
# - its state was allocated with calloc(0, ...), which gives it no bytes of
#   its own;
s/calloc(0, sizeof(struct ScannerState))/calloc(1, sizeof(struct ScannerState))/
# - a compiler directive (#if, #else, ...) followed by a NUL or the end of
#   the input stayed a candidate past the end of its name, and the next
#   pass read beyond the end of the name's string.
s/if (expected_char != lexer->lookahead) {/if (expected_char == '\\0' || expected_char != lexer->lookahead) {/
