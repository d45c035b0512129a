// Included (clang -include) before each grammar's parser.c, after the
// grammar's own tree_sitter/parser.h: the generated lexer's START_LEXER,
// redefined here, takes optiq_fast_advance inline when the lexer's advance
// is runtime.c's optiq_advance, and calls advance through the pointer
// otherwise (the runtime's own callbacks, which tests compare against).
// Everything else in the macro is the header's own.
#include "tree_sitter/parser.h"
#include "fastlex.h"

void optiq_advance(TSLexer *lexer, bool skip);

#undef START_LEXER
#define START_LEXER()                                                      \
  bool result = false;                                                     \
  bool skip = false;                                                       \
  UNUSED                                                                   \
  bool eof = false;                                                        \
  int32_t lookahead;                                                       \
  goto start;                                                              \
  next_state:                                                              \
  if (lexer->advance != optiq_advance || !optiq_fast_advance(lexer, skip)) \
    lexer->advance(lexer, skip);                                           \
  start:                                                                   \
  skip = false;                                                            \
  lookahead = lexer->lookahead;
