// Differential check of patches/python-scanner.patch (see scanner_diff.h
// and scanner-patch.sh). The patched scanner keeps its read-ahead memory
// across the calls on one text, as in a parse.
#define LANG_NAME "python"
#define VALID_COUNT 12
#include "scanner_diff.h"

// Text made mostly of what the read ahead deals in: newlines, indentation,
// comments, backslashes, string quotes and a little code.
static uint32_t random_text(int32_t *buf, uint32_t cap) {
  static const char pieces[] = "\n\n\n    \t\r\f###\\\"'`x(:";
  uint32_t n = rnd(cap);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t r = rnd(100);
    buf[i] = r < 40 ? (uint8_t)pieces[rnd(sizeof pieces - 1)] : r < 60 ? ' ' : r < 72 ? '#' : r < 86 ? '\n' : r < 98 ? 'a' : 0;
  }
  return n;
}

// A random serialized state: interpolated-string flag, delimiters, indents.
static unsigned random_state(char *buf) {
  unsigned n = 0;
  if (rnd(5) == 0) return 0;
  buf[n++] = (char)rnd(2);
  unsigned delimiters = rnd(3) == 0 ? 1 + rnd(2) : 0;
  buf[n++] = (char)delimiters;
  for (unsigned i = 0; i < delimiters; i++) buf[n++] = (char)((1 << rnd(3)) | rnd(8) << 3);
  uint16_t indent = 0;
  for (unsigned i = rnd(4); i > 0; i--) {
    indent += 1 + rnd(6);
    buf[n++] = (char)(indent & 0xff);
    buf[n++] = (char)(indent >> 8);
  }
  return n;
}
