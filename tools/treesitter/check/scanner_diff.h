// The common part of the scanner patch checks (scanner-patch.sh): the
// upstream and the patched scanner of one grammar, compiled natively side by
// side with their entry points renamed up_* and pa_*, are driven through the
// same random calls on random text and must agree on every result: return
// value, token symbol, token start and end, and serialized state. Each
// scanner keeps its memory across the calls on one text, as in a parse.
//
// The including file defines LANG_NAME, VALID_COUNT (the grammar's external
// tokens), and then random_text and random_state below.
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree_sitter/parser.h"

void *up_create(void);
void up_destroy(void *);
bool up_scan(void *, TSLexer *, const bool *);
unsigned up_serialize(void *, char *);
void up_deserialize(void *, const char *, unsigned);
void *pa_create(void);
void pa_destroy(void *);
bool pa_scan(void *, TSLexer *, const bool *);
unsigned pa_serialize(void *, char *);
void pa_deserialize(void *, const char *, unsigned);

// random_text fills buf with up to cap characters and returns how many.
static uint32_t random_text(int32_t *buf, uint32_t cap);
// random_state writes a serialized scanner state to buf (up to 256 bytes)
// and returns its length.
static unsigned random_state(char *buf);

// A lexer over a string of characters, where a character is one byte as
// far as optiq_lexer_byte is concerned.
typedef struct {
  TSLexer lexer;
  const int32_t *text;
  uint32_t len, pos, start, end;
  bool marked;
} Text;

static void text_advance(TSLexer *l, bool skip) {
  Text *t = (Text *)l;
  if (t->pos < t->len) t->pos++;
  t->lexer.lookahead = t->pos < t->len ? t->text[t->pos] : 0;
  if (skip) t->start = t->pos;
}
static void text_mark_end(TSLexer *l) {
  Text *t = (Text *)l;
  t->end = t->pos;
  t->marked = true;
}
static bool text_eof(const TSLexer *l) { return ((const Text *)l)->pos >= ((const Text *)l)->len; }
static uint32_t text_column(TSLexer *l) {
  (void)l;
  fprintf(stderr, "the %s scanner asked for the column\n", LANG_NAME);
  exit(2);
}
uint32_t optiq_lexer_byte(const TSLexer *l) { return ((const Text *)l)->pos; }

static void text_at(Text *t, const int32_t *text, uint32_t len, uint32_t pos) {
  *t = (Text){.text = text, .len = len, .pos = pos, .start = pos};
  t->lexer.advance = text_advance;
  t->lexer.mark_end = text_mark_end;
  t->lexer.eof = text_eof;
  t->lexer.get_column = text_column;
  t->lexer.lookahead = pos < len ? text[pos] : 0;
}

static uint64_t seed = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n) {
  seed ^= seed << 13;
  seed ^= seed >> 7;
  seed ^= seed << 17;
  return n ? (uint32_t)(seed % n) : 0;
}

int main(int argc, char **argv) {
  long texts = argc > 1 ? atol(argv[1]) : 20000;
  long calls = 0, found = 0, differ = 0;
  static int32_t text[1024];
  for (long i = 0; i < texts; i++) {
    uint32_t len = random_text(text, sizeof text / sizeof text[0]);
    void *up = up_create(), *pa = pa_create();
    uint32_t pos = 0;
    for (uint32_t c = 1 + rnd(200); c > 0; c--, calls++) {
      // Mostly forward, as a parse goes; sometimes back, as GLR versions do.
      pos = rnd(4) == 0 ? rnd(len + 1) : pos + rnd(20);
      if (pos > len) pos = rnd(len + 1);
      bool valid[VALID_COUNT];
      bool all = rnd(3) == 0;
      for (int k = 0; k < VALID_COUNT; k++) valid[k] = all || rnd(2);
      char state[256];
      unsigned state_len = random_state(state);
      up_deserialize(up, state, state_len);
      pa_deserialize(pa, state, state_len);
      Text a, b;
      text_at(&a, text, len, pos);
      text_at(&b, text, len, pos);
      bool ra = up_scan(up, &a.lexer, valid), rb = pa_scan(pa, &b.lexer, valid);
      found += ra;
      uint32_t ea = a.marked ? a.end : a.pos, eb = b.marked ? b.end : b.pos;
      uint32_t sa = a.start < ea ? a.start : ea, sb = b.start < eb ? b.start : eb;
      char outa[TREE_SITTER_SERIALIZATION_BUFFER_SIZE], outb[TREE_SITTER_SERIALIZATION_BUFFER_SIZE];
      unsigned la = up_serialize(up, outa), lb = pa_serialize(pa, outb);
      if (ra != rb || (ra && (a.lexer.result_symbol != b.lexer.result_symbol || ea != eb || sa != sb)) ||
          la != lb || memcmp(outa, outb, la) != 0) {
        if (differ++ < 3) fprintf(stderr, "text %ld, character %u: upstream %d/%d [%u,%u), patched %d/%d [%u,%u)\n", i, pos,
                                  ra, a.lexer.result_symbol, sa, ea, rb, b.lexer.result_symbol, sb, eb);
      }
    }
    up_destroy(up);
    pa_destroy(pa);
  }
  printf("%s scanner patch: %ld calls on %ld texts, %ld found a token, %ld differ\n", LANG_NAME, calls, texts, found,
         differ);
  return differ != 0 || found == 0;
}
