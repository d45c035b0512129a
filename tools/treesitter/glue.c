// Glue between the tree-sitter runtime and the Go host (extract/treesitter).
//
// The host writes a source file into the buffer returned by optiq_buffer,
// calls optiq_parse, and reads back the syntax tree as a flat pre-order list
// of named nodes (ERROR included). Each record is seven little-endian
// 32-bit words; see record in glue.h. Walking the tree here and handing it over
// in one block keeps the number of host calls per file at three.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"

const TSLanguage *OPTIQ_LANGUAGE(void);

#define EXPORT(name) __attribute__((export_name(#name)))

static TSParser *parser;
static char *input;
static uint32_t input_cap, input_len;

// The host says when a parse must stop (timeout, cancelled request);
// tree-sitter asks through the progress callback every hundred or so
// operations. Asking costs far less than having the WebAssembly runtime
// check for interruption at every call and loop.
__attribute__((import_module("optiq"), import_name("should_stop"))) uint32_t optiq_should_stop(void);

static bool progress(TSParseState *state) {
  (void)state;
  return optiq_should_stop() != 0;
}

static const char *read_input(void *payload, uint32_t byte, TSPoint point, uint32_t *bytes_read) {
  (void)payload;
  (void)point;
  if (byte >= input_len) {
    *bytes_read = 0;
    return "";
  }
  *bytes_read = input_len - byte;
  return input + byte;
}
static record *records;
static uint32_t records_cap;

EXPORT(optiq_init) int32_t optiq_init(void) {
  parser = ts_parser_new();
  if (!parser) return -1;
  optiq_use_fast_lexer(parser, true);
  const TSLanguage *language = OPTIQ_LANGUAGE();
#ifdef OPTIQ_COMMENT_TOKEN
  language = optiq_comment_runs(language, OPTIQ_COMMENT_TOKEN);
  if (language == OPTIQ_LANGUAGE()) return -3;
#endif
  if (!ts_parser_set_language(parser, language)) return -2;
  return 0;
}

// optiq_fast_lexer switches between runtime.c's lexer callbacks (on, the
// default) and the runtime's own, so that tests can compare the two.
EXPORT(optiq_fast_lexer) void optiq_fast_lexer(uint32_t on) { optiq_use_fast_lexer(parser, on != 0); }

// optiq_columns compares runtime.c's get_column with the runtime's at every
// character of the first n bytes of the buffer. The low 32 bits hold the
// byte offset of the first difference, or -1; the high 32 bits the number
// of characters the faster path answered for.
EXPORT(optiq_columns) uint64_t optiq_columns(uint32_t n) {
  input_len = n;
  TSInput in = {.payload = 0, .read = read_input, .encoding = TSInputEncodingUTF8, .decode = 0};
  uint32_t fast;
  int32_t at = optiq_check_columns(in, n, &fast);
  return (uint64_t)fast << 32 | (uint32_t)at;
}

// optiq_comment_runs_made is the number of comment runs lexed in the last
// parse (low 32 bits) and how many of them while the parser had several
// versions (high 32 bits), so that tests can tell which runs were made.
EXPORT(optiq_comment_runs_made) uint64_t optiq_comment_runs_made(void) { return optiq_comment_run_counts(); }

EXPORT(optiq_abi) uint32_t optiq_abi(void) { return ts_language_abi_version(OPTIQ_LANGUAGE()); }

EXPORT(optiq_symbol_count) uint32_t optiq_symbol_count(void) {
  return ts_language_symbol_count(OPTIQ_LANGUAGE());
}

EXPORT(optiq_symbol_name) const char *optiq_symbol_name(uint32_t id) {
  return ts_language_symbol_name(OPTIQ_LANGUAGE(), (TSSymbol)id);
}

EXPORT(optiq_field_count) uint32_t optiq_field_count(void) {
  return ts_language_field_count(OPTIQ_LANGUAGE());
}

EXPORT(optiq_field_name) const char *optiq_field_name(uint32_t id) {
  return ts_language_field_name_for_id(OPTIQ_LANGUAGE(), (TSFieldId)id);
}

// optiq_buffer returns a buffer of at least n bytes for the source text.
EXPORT(optiq_buffer) char *optiq_buffer(uint32_t n) {
  if (!optiq_grow((void **)&input, &input_cap, n + 1, 1)) return 0;
  return input;
}

EXPORT(optiq_records) record *optiq_records(void) { return records; }

// optiq_parse parses the first n bytes of the buffer and returns the number
// of records, or a negative number when parsing failed (-1: cancelled).
EXPORT(optiq_parse) int32_t optiq_parse(uint32_t n) {
  ts_parser_reset(parser);
  input_len = n;
  optiq_comment_runs_allow(true);
  TSInput in = {.payload = 0, .read = read_input, .encoding = TSInputEncodingUTF8, .decode = 0};
  TSParseOptions opts = {.payload = 0, .progress_callback = progress};
  TSTree *tree = ts_parser_parse_with_options(parser, NULL, in, opts);
  if (!tree) return -1;
  if (optiq_comment_runs_unsure(ts_node_has_error(ts_tree_root_node(tree)))) {
    // A tree that runs may have changed is parsed without them (runtime.c).
    ts_tree_delete(tree);
    ts_parser_reset(parser);
    optiq_comment_runs_allow(false);
    tree = ts_parser_parse_with_options(parser, NULL, in, opts);
    if (!tree) return -1;
  }
  int32_t count = optiq_flatten(tree, &records, &records_cap);
  ts_tree_delete(tree);
  return count;
}
