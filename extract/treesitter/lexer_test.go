package treesitter_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/optiq/optiq/extract/treesitter"
)

// variants returns src and copies of it that take the lexer off its fast
// paths: CRLF line ends, a byte order mark, non-ASCII letters at the start
// of and inside lines, invalid UTF-8, a NUL, tabs for indentation, and cuts.
func variants(src []byte) map[string][]byte {
	lines := strings.SplitAfter(string(src), "\n")
	edit := func(f func(i int, line string) string) []byte {
		var b strings.Builder
		for i, l := range lines {
			b.WriteString(f(i, l))
		}
		return []byte(b.String())
	}
	indentOf := func(l string) int { return len(l) - len(strings.TrimLeft(l, " \t")) }
	return map[string][]byte{
		"as is": src,
		"crlf":  bytes.ReplaceAll(src, []byte("\n"), []byte("\r\n")),
		"bom":   append([]byte("\ufeff"), src...),
		"non-ascii": edit(func(i int, l string) string {
			switch n := indentOf(l); i % 3 {
			case 0:
				return "é" + l
			case 1:
				return l[:n] + "ß" + l[n:]
			}
			return l
		}),
		"invalid utf-8": edit(func(i int, l string) string {
			if i%4 == 0 {
				n := indentOf(l)
				return l[:n] + "\xff" + l[n:]
			}
			return l
		}),
		"nul": append(append(bytes.Clone(src[:len(src)/2]), 0), src[len(src)/2:]...),
		"tabs": edit(func(i int, l string) string {
			n := indentOf(l)
			return strings.Repeat("\t", n/4) + l[n/4*4:]
		}),
		"cut a third":   src[:len(src)/3],
		"cut in a line": src[:len(src)*2/3],
	}
}

// runtime.c replaces three of the lexer's callbacks (advance, mark_end,
// get_column) with faster ones, and for Scala lexes comments in runs;
// with either set, every grammar must build exactly the same tree, node for
// node, from real files and from copies that take the fast paths' other
// branches.
func TestFastLexerMatchesRuntime(t *testing.T) {
	p := parser(t)
	ctx := context.Background()
	for _, lang := range treesitter.Languages() {
		t.Run(lang, func(t *testing.T) {
			for i, src := range treesitter.EvalCorpus(t, lang) {
				for name, v := range variants(src) {
					diff, err := recordsDiff(ctx, p, lang, v)
					if err != nil {
						t.Fatalf("file %d, %s: %v", i, name, err)
					}
					if diff != "" {
						t.Errorf("file %d, %s: the fast lexer's tree differs from the runtime's (%s)", i, name, diff)
					}
				}
			}
		})
	}
}

// recordsDiff parses src with runtime.c's fast paths and with the
// runtime's own, and describes where the two trees' records first differ,
// or returns "" when they are the same.
func recordsDiff(ctx context.Context, p *treesitter.Parser, lang string, src []byte) (string, error) {
	fast, err := p.Records(ctx, lang, src, true)
	if err != nil {
		return "", err
	}
	runtime, err := p.Records(ctx, lang, src, false)
	if err != nil {
		return "", err
	}
	if bytes.Equal(fast, runtime) {
		return "", nil
	}
	return firstDiff(fast, runtime), nil
}

func firstDiff(a, b []byte) string {
	const record = 28
	for i := 0; i < min(len(a), len(b)); i++ {
		if a[i] != b[i] {
			return fmt.Sprintf("record %d of %d and %d", i/record, len(a)/record, len(b)/record)
		}
	}
	return fmt.Sprintf("%d and %d records", len(a)/record, len(b)/record)
}

// TestColumnsMatchRuntime: runtime.c's get_column gives the runtime's answer
// at every character of the first file of each language's evaluation set
// and of its altered copies, and answers for most characters itself (so
// that the comparison covers its own path, not only the runtime's).
func TestColumnsMatchRuntime(t *testing.T) {
	p := parser(t)
	ctx := context.Background()
	chars, fast := 0, 0
	for _, lang := range treesitter.Languages() {
		src := treesitter.EvalCorpus(t, lang)[0]
		for name, v := range variants(src) {
			diff, n, err := p.Columns(ctx, "python", v)
			if err != nil {
				t.Fatalf("%s, %s: %v", lang, name, err)
			}
			if diff >= 0 {
				t.Errorf("%s file, %s: the column differs from the runtime's at byte %d", lang, name, diff)
			}
			if name == "as is" {
				chars += utf8.RuneCount(v)
				fast += n
			}
		}
	}
	if fast < chars/2 {
		t.Errorf("the faster path answered for %d of %d characters", fast, chars)
	}
}

// TestCommentRunsMatchRuntime: Scala's block comments, lexed in runs by
// runtime.c (Comment runs there), give the same tree as the grammar's one
// token per character, for every prefix of comments that nest (after
// every kind of whitespace), end in stars, hold "//", sit inside
// expressions, hold non-ASCII and invalid UTF-8 or a NUL, follow broken
// code, never end, or are parsed by two versions at once (an ambiguity;
// two recoveries from an early error). The evaluation files (with
// comments) are compared in TestFastLexerMatchesRuntime; here the runs
// must also have been made, with several versions where there are.
func TestCommentRunsMatchRuntime(t *testing.T) {
	p := parser(t)
	ctx := context.Background()
	words := strings.Repeat("lorem ipsum * dolor / sit amet\n", 6)
	cases := map[string]string{
		"nested":                   "object A {\n  /* lorem /* ipsum */ dolor sit */ def f = 1\n}\n",
		"nested after spaces":      "object A {\n  /* lorem \t /* ipsum\n   /* dolor */ sit */ amet */ def f = 1\n}\n",
		"nested after \\f \\v \\r": "object A {\n  /* ab\f/* x */ cd\v/* y */ ef\r/* z */ gh\r /* w */ */ def f = 1\n}\n",
		"nested, unclosed":         "object A {\n  def f = 1\n}\n/* lorem ipsum /* dolor sit */ amet consectetur adipiscing elit sed do",
		"slashes":                  "object A {\n  /* a // b */ def f = 1\n  /*/ x */ val y = 2\n}\n",
		"stars":                    "object A {\n  /*** a ** b ***/ def f = 1\n  /**/ val y = 2\n}\n",
		"in an expression":         "object A {\n  val x = 1 /* c\n d */ + 2\n  val y = x\n}\n",
		"doc comments":             "/** A doc\n *  comment. */\nobject A {\n  /** f's doc */\n  def f = 1\n}\n",
		"non-ascii":                "object A {\n  /* é ß \xff 中文 */ def f = 1\n}\n",
		"crlf":                     "object A {\r\n  /* a\r\n * b\r\n */\r\n  def f = 1\r\n}\r\n",
		"unclosed":                 "object A {\n  def f = 1\n}\n/* " + words,
		"unclosed in a body":       "object A {\n  def f(a: Int) = { /* " + words,
		"nul":                      "object A {\n  /* " + words + "\x00" + words + "*/\n  def f = 1\n}\n",
		// Error recovery counts tokens: without the second parse these
		// come out differently (a word of the comment as an identifier).
		"after broken code": "val s = \"\" \"\" /* \"doc\" comment */ 1\nobject Z {\n  def g(a: Int): Int = a + 1\n}\n",
		"after a comma":     "val,/*\"\"ab*/",
		"closed, unclosed":  "/*a/**/=1/**/",
		"broken code after": "object A {\n  /* lorem ipsum dolor sit amet consectetur */ ) ( , \"\" \"\" def f = 1\n}\n",
		"in broken code":    "val x = ( /* lorem ipsum */ , /* dolor sit amet */ = ) /* consectetur adipiscing */ }\nobject B\n",
		// Two versions through the comment: a block or a template body
		// after "with B[T]" and a line break.
		"two versions, ambiguity": "abstract class W[T]\nextends A[T]\n    with B[T]\n{\n\n  override def x: W[T] = this\n\n  /** The tag of the element type */\n  def elemTag: ClassTag[T]\n}\n",
		// Two recoveries of different cost from the "⇒", which cannot
		// merge, up to the trait.
		"two versions, early error": "import a.C.{ Lorem => L, Ipsum ⇒ I }\n\n/** The trait that represents futures.\n *\n *  lorem ipsum dolor sit amet\n */\ntrait F\n",
		// Recovering versions outside the first comment (no runs there),
		// then two versions through the second (runs): parsed again.
		"versions not in step": "  final v/* lorem ipsum dolor */al MAGENTA    = \"\\u001b[35m\"\n  /** Foreground color for ANSI cyan */",
	}
	for name, src := range cases {
		for cut := len(src); cut > 0; cut-- {
			diff, err := recordsDiff(ctx, p, "scala", []byte(src[:cut]))
			if err != nil {
				t.Fatal(err)
			}
			if diff != "" {
				t.Errorf("%s, first %d bytes: the tree with comment runs differs (%s)", name, cut, diff)
			}
		}
	}
	for name, want := range map[string][2]int{
		"doc comments":              {3, 0},
		"nested":                    {3, 0},
		"two versions, ambiguity":   {2, 2},
		"two versions, early error": {2, 2},
	} {
		made, multi, err := p.CommentRuns(ctx, "scala", []byte(cases[name]))
		if err != nil || made < want[0] || multi < want[1] {
			t.Errorf("%s: %d runs, %d with several versions (%v), want at least %d and %d", name, made, multi, err, want[0], want[1])
		}
	}
	if made, _, err := p.CommentRuns(ctx, "scala", []byte(cases["versions not in step"])); err != nil || made != 0 {
		t.Errorf("versions not in step: the tree kept has %d runs (%v), want it parsed again without", made, err)
	}
}

// TestCommentRunsLinear: the characters before a stop are scanned once, not
// once per token. Scanning again at every token took 12 s for 144 KB of an
// unclosed comment, and 6 s for 128 KB of blank comment lines; these inputs
// would pass the 10 s parse limit.
func TestCommentRunsLinear(t *testing.T) {
	p := parser(t)
	for name, src := range map[string]string{
		"unclosed":    "object A\n/* " + strings.Repeat("lorem ipsum dolor\n", 16000),
		"blank lines": "object A {\n  /*" + strings.Repeat("   \n", 64000) + "  */\n  def f = 1\n}\n",
	} {
		if _, err := p.Symbols(context.Background(), "scala", name+".scala", []byte(src)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
