// The tree-sitter runtime (lib.c, the whole library as one translation
// unit) with additions that need its internals:
//
//  - optiq_advance and optiq_mark_end, faster lexer callbacks. Grammars
//    call lexer->advance once per character, through a function pointer;
//    the runtime's advance is four calls deep (advance, do_advance,
//    get_lookahead, decode), and in WebAssembly every call and every
//    access to the lexer's state costs more than natively (a shadow-stack
//    frame, a bounds check per load and store). These handle the common
//    case inline with exactly the state changes the runtime makes, and
//    leave everything else to the runtime's own functions. The common case
//    of advance is in fastlex.h, which the grammars' generated lexers also
//    take inline, without the call (lex.h).
//  - optiq_get_column, the lexer's get_column without going back over the
//    line when the line is ASCII (see below).
//  - optiq_flatten, which writes the tree as the host's records in one
//    pass over the subtrees instead of a TSTreeCursor walk with a dozen
//    calls per node.
//  - optiq_comment_runs, one token per run of characters inside a block
//    comment for grammars that make a token of each character (Scala).
#include "lib.c"

#include "fastlex.h"

// fastlex.h reads and writes the runtime's Lexer through its own copy of
// the struct's first fields; each one it uses must sit where Lexer has it,
// with the same size.
#define OPTIQ_SAME(field)                                                 \
  _Static_assert(                                                         \
    offsetof(Lexer, field) == offsetof(OptiqLexer, field) &&              \
      sizeof(((Lexer *)0)->field) == sizeof(((OptiqLexer *)0)->field),    \
    "fastlex.h: Lexer." #field                                            \
  )
OPTIQ_SAME(data);
OPTIQ_SAME(data.lookahead);
OPTIQ_SAME(current_position.bytes);
OPTIQ_SAME(current_position.extent.row);
OPTIQ_SAME(current_position.extent.column);
OPTIQ_SAME(token_start_position);
OPTIQ_SAME(included_ranges);
OPTIQ_SAME(chunk);
OPTIQ_SAME(input.encoding);
OPTIQ_SAME(logger.log);
OPTIQ_SAME(included_range_count);
OPTIQ_SAME(current_included_range_index);
OPTIQ_SAME(chunk_start);
OPTIQ_SAME(chunk_size);
OPTIQ_SAME(lookahead_size);
OPTIQ_SAME(column_data.value);
OPTIQ_SAME(column_data.valid);
#undef OPTIQ_SAME
_Static_assert(sizeof(Length) == sizeof(OptiqLength), "fastlex.h: Length");
_Static_assert(sizeof(TSRange) == sizeof(OptiqRange), "fastlex.h: TSRange");
_Static_assert(offsetof(TSRange, start_byte) == offsetof(OptiqRange, start_byte), "fastlex.h: TSRange.start_byte");
_Static_assert(offsetof(TSRange, end_byte) == offsetof(OptiqRange, end_byte), "fastlex.h: TSRange.end_byte");
_Static_assert(TSInputEncodingUTF8 == 0, "fastlex.h: TSInputEncodingUTF8");

// optiq_advance is the lexer's advance: optiq_fast_advance where it
// applies, ts_lexer__advance everywhere else. The grammars' generated
// lexers take the fast path inline when advance is this function (lex.h);
// external scanners call it through the pointer.
void optiq_advance(TSLexer *_self, bool skip) {
  if (!optiq_fast_advance(_self, skip)) ts_lexer__advance(_self, skip);
}

// optiq_mark_end is ts_lexer__mark_end for the first included range (the
// only one here), where the token simply ends at the current position.
static void optiq_mark_end(TSLexer *_self) {
  Lexer *self = (Lexer *)_self;
  if (self->current_included_range_index == 0) {
    self->token_end_position = self->current_position;
    return;
  }
  ts_lexer__mark_end(_self);
}

// optiq_ascii_column is the column in characters where the line up to the
// current position is ASCII and held in the current chunk (and the input
// UTF-8): there it is the column in bytes, which the lexer tracks anyway.
// It returns false, and leaves the answer to the runtime, anywhere else.
static bool optiq_ascii_column(Lexer *self, uint32_t *column) {
  if (
    self->column_data.valid ||
    !self->chunk ||
    self->input.encoding != TSInputEncodingUTF8 ||
    self->included_range_count != 1 ||
    self->current_included_range_index != 0
  ) return false;
  const TSRange *range = &self->included_ranges[0];
  uint32_t col = self->current_position.extent.column;
  uint32_t end = self->current_position.bytes;
  uint32_t start = end - col;
  if (
    col > end ||
    start < range->start_byte ||
    end >= range->end_byte ||
    start < self->chunk_start ||
    end - self->chunk_start >= self->chunk_size
  ) return false;
  const uint8_t *line = (const uint8_t *)self->chunk + (start - self->chunk_start);
  for (uint32_t i = 0; i < col; i++) {
    if (line[i] >= 0x80) return false;
  }
  *column = col;
  return true;
}

// optiq_get_column is ts_lexer__get_column without, where
// optiq_ascii_column knows the answer, going back to the start of the line
// and advancing over it again one character at a time. The runtime does
// that whenever it has not counted the line's characters itself, which is
// after every move to a token's start; scanners that ask for the column at
// each token (Scala's indentation rules) paid for it on every token.
static uint32_t optiq_get_column(TSLexer *_self) {
  Lexer *self = (Lexer *)_self;
  uint32_t column;
  if (optiq_ascii_column(self, &column)) {
    self->did_get_column = true;
    ts_lexer__set_column_data(self, column);
    return column;
  }
  return ts_lexer__get_column(_self);
}

// optiq_check_columns asks optiq_get_column and the runtime's
// ts_lexer__get_column for the column at every character of input (n
// bytes), each with the column uncounted, and compares the answers and the
// lexer's position and lookahead after each. It returns the byte offset of
// the first difference, or -1, and sets *fast to the number of characters
// optiq_ascii_column answered for. For tests (glue.c, optiq_columns).
int32_t optiq_check_columns(TSInput input, uint32_t n, uint32_t *fast) {
  Lexer lexer;
  ts_lexer_init(&lexer);
  ts_lexer_set_input(&lexer, input);
  ts_lexer_reset(&lexer, length_zero());
  ts_lexer_start(&lexer);
  int32_t result = -1;
  *fast = 0;
  while (!ts_lexer__eof(&lexer.data) && lexer.current_position.bytes < n) {
    uint32_t ascii;
    ts_lexer__invalidate_column_data(&lexer);
    if (optiq_ascii_column(&lexer, &ascii)) (*fast)++;
    uint32_t a = optiq_get_column(&lexer.data);
    Length pa = lexer.current_position;
    int32_t la = lexer.data.lookahead;
    ts_lexer__invalidate_column_data(&lexer);
    uint32_t b = ts_lexer__get_column(&lexer.data);
    if (a != b || pa.bytes != lexer.current_position.bytes || la != lexer.data.lookahead) {
      result = (int32_t)pa.bytes;
      break;
    }
    ts_lexer__advance(&lexer.data, false);
  }
  ts_lexer_delete(&lexer);
  return result;
}

// optiq_lexer_byte is the lexer's byte offset, which the TSLexer interface
// does not give scanners; patches/python-scanner.patch needs it.
uint32_t optiq_lexer_byte(const TSLexer *lexer) { return ((const Lexer *)lexer)->current_position.bytes; }

// Comment runs. tree-sitter-scala makes a block comment a rule, not a
// token: "/*", then one token per character (token(/./), or "//"), then
// "*/", so that comments nest. Every character of a comment thus costs a
// parser step, a leaf subtree and a stack push; a file of comments parsed
// at 0.7 MB/s where other grammars take 25 to 75, and half the bytes of
// real Scala sources (the standard library's) are comments.
//
// optiq_comment_runs gives such a grammar a lex function that runs the
// grammar's own and then, when it returned the one-character token in the
// lex state that lexes comment bodies, extends the token over the
// characters that follow, up to the last one that is not whitespace before
// the next '*', '/' or NUL. In that lex state each of those characters
// would have ended a token of the same symbol: the lexer skips '\n' and
// puts other whitespace into the token of the character after it (" /*"
// is one token, hence the stop before whitespace). The parser sees one
// token where it saw many, in the same rule, and the comment node spans the
// same bytes; '*' and '/' (which may end the comment, start a nested one or
// make a "//" token) and NUL (which is no token) are lexed by the grammar
// as before. The parse states that lex comment bodies must all use one lex
// state, which error recovery does not use, and call no external scanner;
// otherwise the language is returned unchanged. A run reaches no further
// than the current chunk and never to the end of the input: an unclosed
// comment keeps its last characters as single tokens.
//
// Error recovery does depend on the number of tokens: versions of the
// parse are compared and pruned by how far each has moved, and recovery
// looks back over a fixed number of stack entries. Runs made during
// recovery changed the tree of broken code (a word of a comment after a
// syntax error came out as an identifier). So runs are made only while
// the parser has one version, or while every version is in step in a
// comment (below). When a comment body then fails to lex (a NUL, or the
// end of the input inside a comment), where recovery would look back over
// the comment's tokens, glue.c parses a tree with an error again without
// runs (optiq_comment_runs_unsure, optiq_comment_runs_allow). Otherwise a
// run cannot reach recovery: once a comment is closed it is one subtree on
// the stack, with the same visible nodes (the characters' tokens are
// hidden) with runs or without.
//
// Several versions (ambiguities being tried, or recoveries of different
// cost that cannot merge; one early error in a file can leave two for
// pages of doc comments) are in step when each is active, in a state that
// lexes comment bodies, and between the start of the token being lexed
// (or up to 64 blanks before it) and the end of the run. Until each has
// passed the run's end, each would then push hidden one-character tokens
// and reduce them into hidden repeats: no version's error cost, count of
// visible nodes or dynamic precedence changes, none can fork or fail. So the
// comparisons, merges and prunes tree-sitter would make between those
// tokens repeat one another, and the run skips steps that decide nothing
// new. Whether a run is made then depends on where the other versions
// are, so versions could hold one comment in different tokens: should a
// comment token be lexed without a run because versions are not in step
// (or a version has failed or finished), in a parse where runs were made
// with several versions, before or after, glue.c parses again without
// runs. That is more often than needed: in no input tried did such a tree
// differ.

// Each scan for the next stop is remembered until the lexer passes it, so
// the characters before one stop are scanned once, not once per token.
static struct {
  bool (*lex_fn)(TSLexer *, TSStateId);
  TSSymbol symbol;
  TSStateId lex_state;
  bool on;        // optiq_use_fast_lexer
  bool allowed;   // optiq_comment_runs_allow
  uint32_t made;  // runs made in this parse
  uint32_t multi; // of which while the parser had several versions
  bool refused;   // a comment token had no run: versions not in step
  bool failed;    // a comment body had no token (NUL, end of input)
  // The last scan: no stop in [scan_from, scan_stop); a run that starts
  // there ends at scan_end (nowhere if scan_end is not past its start).
  bool scanned;
  uint32_t scan_from, scan_stop, scan_end;
  TSLanguage language;
} runs;

static bool is_space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// in_step reports whether each of the parser's versions is active, in a
// state that lexes comment bodies, and between from, the start of the
// token being lexed (or blanks before it), and to, where the run ends:
// then no version takes a token other than a comment body's before it
// passes to.
static bool in_step(const Stack *stack, uint32_t versions, const Lexer *lexer, uint32_t from, uint32_t to) {
  const uint8_t *chunk = (const uint8_t *)lexer->chunk - lexer->chunk_start;
  for (StackVersion v = 0; v < versions; v++) {
    TSStateId state = ts_stack_state(stack, v);
    uint32_t at = ts_stack_position(stack, v).bytes;
    if (
      !ts_stack_is_active(stack, v) ||
      state == ERROR_STATE ||
      !ts_language_has_actions(&runs.language, state, runs.symbol) ||
      at > to ||
      at + 64 < from ||
      at < lexer->chunk_start
    ) return false;
    for (; at < from; at++) {
      if (!is_space(chunk[at])) return false;
    }
  }
  return true;
}

static bool optiq_lex_runs(TSLexer *_self, TSStateId state) {
  if (!runs.lex_fn(_self, state)) {
    if (state == runs.lex_state) runs.failed = true;
    return false;
  }
  Lexer *self = (Lexer *)_self;
  if (
    !runs.on ||
    !runs.allowed ||
    state != runs.lex_state ||
    self->data.result_symbol != runs.symbol ||
    self->token_end_position.bytes != self->current_position.bytes ||
    !self->chunk ||
    self->included_range_count != 1
  ) return true;
  uint32_t from = self->current_position.bytes;
  uint32_t end = self->chunk_start + self->chunk_size;
  if (self->included_ranges[0].end_byte < end) end = self->included_ranges[0].end_byte;
  if (from < self->chunk_start || from >= end) return true;
  if (!runs.scanned || from < runs.scan_from || from >= runs.scan_stop || runs.scan_stop > end) {
    const uint8_t *chunk = (const uint8_t *)self->chunk - self->chunk_start;
    uint32_t stop = from;
    while (stop < end && chunk[stop] != '*' && chunk[stop] != '/' && chunk[stop] != 0) stop++;
    uint32_t run_end = from;
    if (stop < end) {
      run_end = stop;
      while (run_end > from && is_space(chunk[run_end - 1])) run_end--;
    }
    runs.scanned = true;
    runs.scan_from = from;
    runs.scan_stop = stop;
    runs.scan_end = run_end;
  }
  if (runs.scan_end <= from) return true;
  // The lexer is the parser's first member.
  const Stack *stack = ((const TSParser *)_self)->stack;
  uint32_t versions = ts_stack_version_count(stack);
  if (versions > 1 && !in_step(stack, versions, self, self->token_start_position.bytes, runs.scan_end)) {
    runs.refused = true;
    return true;
  }
  while (self->current_position.bytes < runs.scan_end && !ts_lexer__eof(_self)) self->data.advance(_self, false);
  self->data.mark_end(_self);
  runs.made++;
  if (versions > 1) runs.multi++;
  return true;
}

const TSLanguage *optiq_comment_runs(const TSLanguage *language, const char *token) {
  TSSymbol symbol = 0;
  for (uint32_t i = 1; i < language->token_count; i++) {
    if (strcmp(language->symbol_names[i], token) == 0) symbol = (TSSymbol)i;
  }
  if (!symbol) return language;
  int32_t lex_state = -1;
  for (uint32_t s = 1; s < language->state_count; s++) {
    if (!ts_language_has_actions(language, (TSStateId)s, symbol)) continue;
    TSLexerMode mode = ts_language_lex_mode_for_state(language, (TSStateId)s);
    if (mode.external_lex_state != 0) return language;
    if (lex_state >= 0 && mode.lex_state != lex_state) return language;
    lex_state = mode.lex_state;
  }
  if (lex_state < 0 || lex_state == ts_language_lex_mode_for_state(language, ERROR_STATE).lex_state) return language;
  runs.lex_fn = language->lex_fn;
  runs.symbol = symbol;
  runs.lex_state = (TSStateId)lex_state;
  runs.on = true;
  // A grammar generated for ABI 14 has a shorter struct, without the
  // fields from name on, which the runtime reads only for ABI 15.
  memset(&runs.language, 0, sizeof runs.language);
  memcpy(&runs.language, language, language->abi_version >= 15 ? sizeof *language : offsetof(TSLanguage, name));
  runs.language.lex_fn = optiq_lex_runs;
  return &runs.language;
}

void optiq_comment_runs_allow(bool allowed) {
  runs.allowed = allowed;
  runs.scanned = false;
  runs.made = 0;
  runs.multi = 0;
  runs.refused = false;
  runs.failed = false;
}

bool optiq_comment_runs_unsure(bool has_error) {
  return (runs.multi > 0 && runs.refused) || (has_error && runs.made > 0 && runs.failed);
}

uint64_t optiq_comment_run_counts(void) { return (uint64_t)runs.multi << 32 | runs.made; }

void optiq_use_fast_lexer(TSParser *parser, bool fast) {
  runs.on = fast;
  parser->lexer.data.advance = fast ? optiq_advance : ts_lexer__advance;
  parser->lexer.data.mark_end = fast ? optiq_mark_end : ts_lexer__mark_end;
  parser->lexer.data.get_column = fast ? optiq_get_column : ts_lexer__get_column;
}

int optiq_grow(void **p, uint32_t *cap, uint32_t need, uint32_t size) {
  if (need <= *cap) return 1;
  uint32_t n = *cap ? *cap : 1024;
  while (n < need) n *= 2;
  void *q = realloc(*p, (size_t)n * size);
  if (!q) return 0;
  *p = q;
  *cap = n;
  return 1;
}

#include "glue.h"

// One node being walked by optiq_flatten: its children, the next one to
// visit and where it starts.
typedef struct {
  const Subtree *children;
  uint32_t count, next, structural;
  const TSSymbol *aliases;
  const TSFieldMapEntry *fields, *fields_end;
  Length position;     // start of the next child
  uint32_t parent;     // record index of the nearest named ancestor, or ~0
  TSFieldId inherited; // field of this node when it is hidden, else 0
} flat_frame;

static flat_frame *flat_stack;
static uint32_t flat_stack_cap;

static void flat_record(record *r, TSSymbol symbol, TSFieldId field, uint32_t parent, Length position, Length size) {
  r->symbol_field = (uint32_t)symbol | (uint32_t)field << 16;
  r->parent = parent;
  r->start_byte = position.bytes;
  r->end_byte = position.bytes + size.bytes;
  r->start_row = position.extent.row;
  r->end_row = position.extent.row + size.extent.row;
  r->start_col = position.extent.column;
}

static flat_frame flat_frame_for(const TSLanguage *language, Subtree tree, Length position, uint32_t parent, TSFieldId inherited) {
  flat_frame f = {
    .children = ts_subtree_children(tree),
    .count = tree.ptr->child_count,
    .aliases = ts_language_alias_sequence(language, tree.ptr->production_id),
    .position = position,
    .parent = parent,
    .inherited = inherited,
  };
  ts_language_field_map(language, tree.ptr->production_id, &f.fields, &f.fields_end);
  return f;
}

// The same nodes, fields and positions as a TSTreeCursor walk that visits
// every visible node (ts_tree_cursor_goto_first_child, _next_sibling,
// _parent) and keeps the named ones, with ts_tree_cursor_current_field_id
// and ts_node_* for each; one pass with no calls per node.
int32_t optiq_flatten(const TSTree *tree, record **records, uint32_t *cap) {
  const TSLanguage *language = tree->language;
  Subtree root = tree->root;
  Length position = ts_subtree_padding(root);
  uint32_t n = 0;
  uint32_t parent = ~0u;
  if (ts_subtree_named(root)) {
    if (!optiq_grow((void **)records, cap, 1, sizeof(record))) return -2;
    flat_record(&(*records)[0], ts_language_public_symbol(language, ts_subtree_symbol(root)), 0, ~0u, position, ts_subtree_size(root));
    parent = 0;
    n = 1;
  }
  if (ts_subtree_child_count(root) == 0) return (int32_t)n;
  if (!optiq_grow((void **)&flat_stack, &flat_stack_cap, 1, sizeof(flat_frame))) return -2;
  flat_stack[0] = flat_frame_for(language, root, position, parent, 0);
  uint32_t depth = 1;
  while (depth > 0) {
    flat_frame *f = &flat_stack[depth - 1];
    if (f->next == f->count) {
      depth--;
      continue;
    }
    Subtree child = f->children[f->next];
    Length start = f->position;
    Length size = ts_subtree_size(child);
    f->position = length_add(f->position, size);
    f->next++;
    if (f->next < f->count) f->position = length_add(f->position, ts_subtree_padding(f->children[f->next]));

    bool extra = ts_subtree_extra(child);
    TSSymbol alias = 0;
    TSFieldId field = 0;
    if (!extra) {
      uint32_t index = f->structural++;
      if (f->aliases) alias = f->aliases[index];
      for (const TSFieldMapEntry *m = f->fields; m < f->fields_end; m++) {
        if (!m->inherited && m->child_index == index) {
          field = m->field_id;
          break;
        }
      }
      if (!field) field = f->inherited;
    }
    uint32_t child_parent = f->parent;
    TSFieldId inherited = 0;
    if (ts_subtree_visible(child) || alias) {
      bool named = alias ? ts_language_symbol_metadata(language, alias).named : ts_subtree_named(child);
      if (named) {
        if (!optiq_grow((void **)records, cap, n + 1, sizeof(record))) return -2;
        TSSymbol symbol = ts_language_public_symbol(language, alias ? alias : ts_subtree_symbol(child));
        flat_record(&(*records)[n], symbol, field, f->parent, start, size);
        child_parent = n++;
      }
    } else if (ts_subtree_visible_child_count(child) > 0) {
      inherited = field;
    } else {
      continue;
    }
    if (ts_subtree_child_count(child) == 0) continue;
    if (!optiq_grow((void **)&flat_stack, &flat_stack_cap, depth + 1, sizeof(flat_frame))) return -2;
    flat_stack[depth++] = flat_frame_for(language, child, start, child_parent, inherited);
  }
  return (int32_t)n;
}
