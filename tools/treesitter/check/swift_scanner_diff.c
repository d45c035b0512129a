// Differential check of patches/swift-scanner.patch (see scanner_diff.h and
// scanner-patch.sh): the quick exit from eat_operators and the ASCII answers
// of iswspace must change no result.
#include <uchar.h>
#define LANG_NAME "swift"
#define VALID_COUNT 33
#include "scanner_diff.h"

// Pieces of Swift around operators: the keywords and operators the scanner
// knows, custom operators, comments, newlines and semicolons, raw strings,
// names and brackets, and characters outside ASCII: a letter, spaces, a
// combining mark, operator symbols and an emoji.
static const char32_t *const pieces[] = {
  U"as", U"as?", U"as!", U"async", U"throws", U"rethrows", U"default", U"where", U"else", U"catch", U"try",
  U"try!", U"a", U"x1", U"_", U"t", U"e", U"w", U"d", U"c", U"r",
  U"->", U".", U"..", U"...", U"..<", U"&&", U"||", U"??", U"=", U"==", U"===", U"+", U"-", U"!", U"?",
  U"<", U">", U"*", U"/", U"%", U"^", U"~", U"|", U"&", U"+=", U"<>", U"+++", U".+", U"=>",
  U"//", U"/*", U"*/", U"/**/",
  U" ", U" ", U" ", U"\n", U"\n", U"\r\n", U"\t", U";", U"\v",
  U"#", U"##", U"\"", U"\"\"\"", U"#\"", U"\"#", U"\\", U"\\(", U"(", U")", U"{", U"}", U"[", U":", U",", U"@",
  U"\u00e9", U"\u00a0", U"\u2000", U"\u3000", U"\u0301", U"\u2190", U"\u00d7", U"\u2e00", U"\U0001F600", U"\uFE0F",
  U"\x85",
};

static uint32_t random_text(int32_t *buf, uint32_t cap) {
  uint32_t n = 0, want = rnd(cap / 3);
  while (n < want) {
    if (rnd(200) == 0) {
      buf[n++] = 0;
      continue;
    }
    const char32_t *p = pieces[rnd(sizeof pieces / sizeof pieces[0])];
    for (; *p && n < cap; p++) buf[n++] = (int32_t)*p;
  }
  return n;
}

// A random serialized state: the hash count of a raw string, big-endian.
static unsigned random_state(char *buf) {
  if (rnd(4) == 0) return 0;
  uint32_t hashes = rnd(4) == 0 ? rnd(3) : 0;
  buf[0] = (char)(hashes >> 24);
  buf[1] = (char)(hashes >> 16);
  buf[2] = (char)(hashes >> 8);
  buf[3] = (char)hashes;
  return 4;
}
