// Shared by glue.c and runtime.c.
#include <stdint.h>

#include "tree_sitter/api.h"

// One named node of the syntax tree, as the Go host reads it: seven
// little-endian 32-bit words.
typedef struct {
  uint32_t symbol_field; // symbol id (low 16 bits) | field id << 16
  uint32_t parent;       // index of the nearest named ancestor, or ~0
  uint32_t start_byte;
  uint32_t end_byte;
  uint32_t start_row;
  uint32_t end_row;
  uint32_t start_col;
} record;

// optiq_use_fast_lexer makes the parser's lexer take runtime.c's faster
// advance, mark_end and get_column (fast), or the runtime's own (!fast).
void optiq_use_fast_lexer(TSParser *parser, bool fast);

// optiq_comment_runs returns language, or a copy of it that lexes the
// characters of a block comment, where the grammar has a token (named
// token) for each, in runs that end before whitespace and the next '*', '/'
// or NUL; see runtime.c. optiq_use_fast_lexer(parser, false) turns the runs
// off.
const TSLanguage *optiq_comment_runs(const TSLanguage *language, const char *token);

// optiq_comment_runs_allow allows runs in the input about to be parsed, or
// not (a second parse of a tree with an error; see runtime.c), and forgets
// the last scan.
void optiq_comment_runs_allow(bool allowed);

// optiq_comment_runs_unsure reports whether the tree just parsed, with an
// error or not, may differ from the grammar's own, which it does not
// without comment runs: runs were made with several versions, and a
// comment token (before or after them) had none because the versions were
// not in step; or
// the tree has an error and a comment body failed to lex (NUL, end of
// input) after runs were made. See runtime.c.
bool optiq_comment_runs_unsure(bool has_error);

// optiq_comment_run_counts is the number of runs lexed in the input just
// parsed (low 32 bits) and how many of them while the parser had several
// versions (high 32 bits).
uint64_t optiq_comment_run_counts(void);

// optiq_check_columns compares runtime.c's get_column with the runtime's at
// every character of input (n bytes); see runtime.c.
int32_t optiq_check_columns(TSInput input, uint32_t n, uint32_t *fast);

// optiq_grow makes *p (*cap elements of size bytes) hold at least need
// elements, doubling from 1024 with realloc; 0 when out of memory.
int optiq_grow(void **p, uint32_t *cap, uint32_t need, uint32_t size);

// optiq_flatten writes the named nodes of tree in pre-order (ERROR
// included) to *records, growing it (*cap records) with realloc, and
// returns their number, or -2 when out of memory.
int32_t optiq_flatten(const TSTree *tree, record **records, uint32_t *cap);
