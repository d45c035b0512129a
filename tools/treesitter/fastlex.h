// The common case of the lexer's advance, shared by runtime.c
// (optiq_advance) and the grammars' generated lexers (lex.h), which take it
// inline instead of calling advance through the lexer's function pointer:
// that call, once per character, is an indirect call in WebAssembly.
#ifndef OPTIQ_FASTLEX_H
#define OPTIQ_FASTLEX_H
#include <stdbool.h>
#include <stdint.h>

// OptiqLexer is the start of the runtime's Lexer (lib/src/lexer.h) as the
// fast path needs it: a grammar's parser.c cannot include the runtime's
// headers. runtime.c checks the offset of every field used here.
typedef struct {
  uint32_t bytes;
  struct {
    uint32_t row, column;
  } extent;
} OptiqLength;

typedef struct {
  uint32_t start_row, start_column, end_row, end_column;
  uint32_t start_byte, end_byte;
} OptiqRange;

typedef struct {
  // The runtime's TSLexer: lookahead, result_symbol and six callbacks
  // (advance to log). A grammar's parser.h may declare fewer (Kotlin's,
  // ABI 14, has no log), so the grammar's TSLexer cannot stand in here.
  struct {
    int32_t lookahead;
    uint16_t result_symbol;
    void (*callbacks[6])(void);
  } data;
  OptiqLength current_position;
  OptiqLength token_start_position;
  OptiqLength token_end_position;
  const OptiqRange *included_ranges;
  const char *chunk;
  struct {
    void *payload;
    void *read;
    int encoding; // TSInputEncodingUTF8 is 0
    void *decode;
  } input;
  struct {
    void *payload;
    void *log;
  } logger;
  uint32_t included_range_count;
  uint32_t current_included_range_index;
  uint32_t chunk_start;
  uint32_t chunk_size;
  uint32_t lookahead_size;
  bool did_get_column;
  struct {
    uint32_t value;
    bool valid;
  } column_data;
} OptiqLexer;

// optiq_fast_advance advances over an ASCII lookahead followed by another
// ASCII character in the same chunk and included range, UTF-8, no logger,
// with exactly the state changes ts_lexer__advance makes there, and
// returns true. Anywhere else it changes nothing and returns false. The
// lookahead is read and written through TSLexer, the type the generated
// lexer reads it through, so that the compiler's type-based alias
// analysis cannot take the two for different objects.
static inline bool optiq_fast_advance(TSLexer *lexer, bool skip) {
  OptiqLexer *self = (OptiqLexer *)lexer;
  if (
    !self->chunk ||
    self->logger.log ||
    self->lookahead_size != 1 ||
    (uint32_t)lexer->lookahead >= 0x80 ||
    self->input.encoding != 0 ||
    self->current_included_range_index >= self->included_range_count
  ) return false;
  const OptiqRange *range = &self->included_ranges[self->current_included_range_index];
  uint32_t next = self->current_position.bytes + 1;
  uint32_t offset = next - self->chunk_start;
  if (next >= range->end_byte || range->start_byte == range->end_byte || offset >= self->chunk_size) {
    return false;
  }
  uint8_t c = ((const uint8_t *)self->chunk)[offset];
  if (c >= 0x80) return false;
  if (lexer->lookahead == '\n') {
    self->current_position.extent.row++;
    self->current_position.extent.column = 0;
    self->column_data.valid = true;
    self->column_data.value = 0;
  } else {
    if (self->column_data.valid) self->column_data.value++;
    self->current_position.extent.column++;
  }
  self->current_position.bytes = next;
  if (skip) self->token_start_position = self->current_position;
  lexer->lookahead = c;
  return true;
}
#endif
