package treesitter_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/extract/treesitter"
)

var (
	sharedOnce   sync.Once
	sharedParser *treesitter.Parser
	sharedErr    error
)

// parser is shared by the tests of this package: compiling every grammar
// once per test would dominate the run time.
func parser(t testing.TB) *treesitter.Parser {
	sharedOnce.Do(func() {
		sharedParser, sharedErr = treesitter.New(context.Background(), treesitter.Options{CacheDir: cacheDir(t)})
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedParser
}

// sym renders a symbol as "kind name container line-end".
func sym(s app.Symbol) string {
	return fmt.Sprintf("%s %s %s %d-%d", s.Kind, s.Name, s.Container, s.Line, s.EndLine)
}

func TestLanguages(t *testing.T) {
	cases := []struct {
		lang, src string
		want      []string // "kind name container line-end"; container "-" for none
	}{
		{"python", `import os

# The answer.
ANSWER = 42

class Foo(Base):
    """Foo does things."""
    size: int = 3

    @property
    def bar(self):
        local = 1
        return local

def top(a, b=2) -> int:
    def inner():
        pass
`, []string{"variable ANSWER - 4-4", "class Foo - 6-13", "field size Foo 8-8", "method bar Foo 11-13", "function top - 15-17", "function inner top 16-17"}},
		{"javascript", `// Greets.
export function hello(name) { return name; }
const X = 1, f = () => 2;
class Foo extends Bar {
  static z = 1;
  method(a) { const local = 1; }
}
Foo.prototype.old = function () {};
`, []string{"function hello - 2-2", "constant X - 3-3", "function f - 3-3", "class Foo - 4-7", "field z Foo 5-5", "method method Foo 6-6", "method old Foo 8-8"}},
		{"typescript", `namespace N {
  export interface Shape { area(): number; name: string }
  export type Id = string;
  export enum Color { Red, Green = 2 }
  export abstract class Base {
    constructor(private readonly id: Id) {}
    abstract draw(): void;
    f(x: number): number;
    f(x: string): string;
    f(x: any) { return x; }
  }
}
`, []string{"package N - 1-12", "interface Shape N 2-2", "method area N.Shape 2-2", "field name N.Shape 2-2", "type Id N 3-3",
			"enum Color N 4-4", "constant Red N.Color 4-4", "constant Green N.Color 4-4", "class Base N 5-11", "method constructor N.Base 6-6",
			"field id N.Base 6-6", "method draw N.Base 7-7", "method f N.Base 8-8"}},
		{"tsx", `export function App(props: Props) {
  return <div className="x">{props.name}</div>;
}
const View = () => <span/>;
`, []string{"function App - 1-3", "function View - 4-4"}},
		{"java", `package a.b;
/** Doc. */
public class A<T> implements I {
  private static final int MAX = 3, MIN = 0;
  enum E { ONE, TWO }
  interface Inner { void run(); }
  public A() {}
  @Override
  public void m(int x) { int local = 1; }
}
`, []string{"package a.b - 1-1", "class A - 3-10", "constant MAX A 4-4", "constant MIN A 4-4", "enum E A 5-5", "constant ONE A.E 5-5",
			"constant TWO A.E 5-5", "interface Inner A 6-6", "method run A.Inner 6-6", "method A A 7-7", "method m A 8-9"}},
		{"c", `#define MAX 10
#define SQ(x) ((x) * (x))
typedef struct point { int x, y; } Point;
enum color { RED, GREEN };
static int counter = 0;
extern int other;
int proto(void);
/* Adds. */
int add(int a, int b) {
  int local = a;
  return local + b;
}
`, []string{"macro MAX - 1-1", "macro SQ - 2-2", "type Point - 3-3", "struct point - 3-3", "field x point 3-3", "field y point 3-3",
			"enum color - 4-4", "constant RED color 4-4", "constant GREEN color 4-4", "variable counter - 5-5", "function add - 9-12"}},
		{"cpp", `namespace ns {
template <typename T>
class Box : public Base {
 public:
  Box() = default;
  ~Box();
  T get() const { return v; }
 private:
  T v;
};
using Int = int;
}
ns::Box<int>::~Box() {}
void ns::free_fn() {}
`, []string{"package ns - 1-12", "class Box ns 3-10", "method Box ns::Box 5-5", "method get ns::Box 7-7", "field v ns::Box 9-9",
			"type Int ns 11-11", "method ~Box ns::Box 13-13", "method free_fn ns 14-14"}},
		{"csharp", `namespace App.Core {
  /// <summary>Doc.</summary>
  public class Service : IService {
    private const int Max = 3;
    private readonly string name;
    public string Name { get; set; }
    public Service(string n) { name = n; }
    public void Run() { int local = 1; }
  }
  public interface IService { void Run(); }
  public enum Mode { On, Off }
  public struct Point { public int X; }
}
`, []string{"package App.Core - 1-13", "class Service App.Core 3-9", "constant Max App.Core.Service 4-4", "field name App.Core.Service 5-5",
			"field Name App.Core.Service 6-6", "method Service App.Core.Service 7-7", "method Run App.Core.Service 8-8",
			"interface IService App.Core 10-10", "method Run App.Core.IService 10-10", "enum Mode App.Core 11-11",
			"constant On App.Core.Mode 11-11", "constant Off App.Core.Mode 11-11", "struct Point App.Core 12-12", "field X App.Core.Point 12-12"}},
		{"rust", `/// A point.
pub struct Point { pub x: i32, y: i32 }
pub enum Shape { Circle(f64), Square }
pub trait Area { fn area(&self) -> f64; }
impl Area for Point {
    fn area(&self) -> f64 { const LOCAL: i32 = 1; 0.0 }
}
pub const MAX: u32 = 3;
mod inner { pub fn helper() {} }
macro_rules! square { ($x:expr) => { $x * $x }; }
type Alias = Point;
`, []string{"struct Point - 2-2", "field x Point 2-2", "field y Point 2-2", "enum Shape - 3-3", "constant Circle Shape 3-3",
			"constant Square Shape 3-3", "interface Area - 4-4", "method area Area 4-4", "method area Point 6-6", "constant MAX - 8-8",
			"package inner - 9-9", "function helper inner 9-9", "macro square - 10-10", "type Alias - 11-11"}},
		{"ruby", `module Shapes
  PI = 3.14
  class Circle < Base
    attr_reader :radius, :name
    def initialize(r)
      @radius = r
    end
    def self.unit
      new(1)
    end
  end
end
`, []string{"package Shapes - 1-12", "constant PI Shapes 2-2", "class Circle Shapes 3-11", "field radius Shapes::Circle 4-4",
			"field name Shapes::Circle 4-4", "method initialize Shapes::Circle 5-7", "method unit Shapes::Circle 8-10"}},
		{"php", `<?php
namespace App\Models;
define('VERSION', '1.0');
interface HasName { public function name(): string; }
class User implements HasName {
    const TABLE = 'users';
    private $email;
    public function name(): string { return $this->email; }
}
function helper($x) { return $x; }
`, []string{"package App\\Models - 2-2", "constant VERSION - 3-3", "interface HasName - 4-4", "method name HasName 4-4",
			"class User - 5-9", "constant TABLE User 6-6", "field email User 7-7", "method name User 8-8", "function helper - 10-10"}},
		{"kotlin", `package com.example

interface Shape { fun area(): Double }
data class Point(val x: Int, var y: Int) : Shape {
    override fun area(): Double { val local = 1; return 0.0 }
    companion object { const val ORIGIN = 0 }
}
enum class Color { RED, GREEN }
object Registry { val items = mutableListOf<Int>() }
fun top(a: Int): Int = a
typealias Name = String
`, []string{"package com.example - 1-1", "interface Shape - 3-3", "method area Shape 3-3", "class Point - 4-7", "field x Point 4-4",
			"field y Point 4-4", "method area Point 5-5", "class Companion Point 6-6", "constant ORIGIN Point.Companion 6-6",
			"enum Color - 8-8", "constant RED Color 8-8", "constant GREEN Color 8-8", "class Registry - 9-9", "field items Registry 9-9",
			"function top - 10-10", "type Name - 11-11"}},
		{"swift", `protocol Drawable { func draw(); var size: Int { get } }
struct Point: Drawable {
    var x: Int
    init(x: Int) { self.x = x }
    func draw() { let local = 1 }
    var size: Int { let tmp = 2; return tmp }
}
enum Dir { case up, down }
extension Point { func moved() -> Point { self } }
class View {}
typealias P = Point
`, []string{"interface Drawable - 1-1", "method draw Drawable 1-1", "field size Drawable 1-1", "struct Point - 2-7", "field x Point 3-3",
			"method init Point 4-4", "method draw Point 5-5", "field size Point 6-6", "enum Dir - 8-8", "constant up Dir 8-8",
			"constant down Dir 8-8", "method moved Point 9-9", "class View - 10-10", "type P - 11-11"}},
		{"scala", `package com.example

trait Shape { def area: Double }
case class Circle(r: Double) extends Shape {
  def area: Double = { val local = 1; 3.14 * r * r }
}
object Main {
  val Version = "1"
  def main(args: Array[String]): Unit = println(Version)
  type Id = String
}
class Node(val key: String, @volatile private var next: Node, size: Int)
`, []string{"package com.example - 1-1", "interface Shape - 3-3", "method area Shape 3-3",
			"class Circle - 4-6", "method area Circle 5-5", "class Main - 7-11",
			"constant Version Main 8-8", "method main Main 9-9", "type Id Main 10-10",
			"class Node - 12-12", "field key Node 12-12", "field next Node 12-12"}},
		{"bash", `#!/bin/bash
# Greets.
greet() {
  local name="$1"
  echo "hi $name"
}
function cleanup {
  rm -rf "$tmp"
}
`, []string{"function greet - 3-6", "function cleanup - 7-9"}},
		{"lua", `local M = {}
-- Adds.
function M.add(a, b) return a + b end
function M:method() end
local function helper() end
M.mul = function(a, b) return a * b end
local t = { f = function() end }
return M
`, []string{"function add M 3-3", "method method M 4-4", "function helper - 5-5", "function mul M 6-6", "function f - 7-7"}},
	}
	p := parser(t)
	for _, c := range cases {
		t.Run(c.lang, func(t *testing.T) {
			syms, err := p.Symbols(context.Background(), c.lang, "x", []byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range syms {
				if s.Language != c.lang || s.Path != "x" {
					t.Errorf("%s: language %q path %q", s.Name, s.Language, s.Path)
				}
				got = append(got, strings.Replace(sym(s), "  ", " - ", 1))
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestSignatureAndDoc(t *testing.T) {
	p := parser(t)
	cases := []struct{ lang, src, name, sig, doc string }{
		{"python", "def f(a,\n      b):\n    \"\"\"Sums a\n    and b.\"\"\"\n    return a + b\n", "f", "def f(a, b)", "Sums a\nand b."},
		{"java", "class A {\n  /**\n   * Runs it.\n   */\n  public void run(int x) throws E {\n  }\n}\n", "run", "public void run(int x) throws E", "Runs it."},
		{"rust", "/// Adds one.\n/// Really.\npub fn inc(x: i32) -> i32 { x + 1 }\n", "inc", "pub fn inc(x: i32) -> i32", "Adds one.\nReally."},
		{"javascript", "x();\n// Not a doc: a blank line follows.\n\nfunction g() {}\n", "g", "function g()", ""},
		{"ruby", "# Says hi.\ndef hi(name)\n  puts name\nend\n", "hi", "def hi(name)", "Says hi."},
		{"lua", "--- Adds.\n-- @param a\nfunction add(a, b) return a + b end\n", "add", "function add(a, b)", "Adds.\n@param a"},
	}
	for _, c := range cases {
		if c.src == "" {
			continue
		}
		syms, err := p.Symbols(context.Background(), c.lang, "x", []byte(c.src))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range syms {
			if s.Name == c.name {
				found = true
				if s.Signature != c.sig || s.Doc != c.doc {
					t.Errorf("%s %s: signature %q doc %q, want %q %q", c.lang, c.name, s.Signature, s.Doc, c.sig, c.doc)
				}
			}
		}
		if !found {
			t.Errorf("%s: %s not found in %v", c.lang, c.name, syms)
		}
	}
}

func TestSupportsAndLanguages(t *testing.T) {
	p := parser(t)
	langs := treesitter.Languages()
	if len(langs) != 16 {
		t.Errorf("Languages() = %v", langs)
	}
	for _, l := range langs {
		if !p.Supports(l) {
			t.Errorf("Supports(%q) = false", l)
		}
	}
	for _, l := range []string{"go", "", "cobol"} {
		if p.Supports(l) {
			t.Errorf("Supports(%q) = true", l)
		}
	}
	if _, err := p.Symbols(context.Background(), "cobol", "a.cob", nil); err == nil || !strings.Contains(err.Error(), "a.cob") {
		t.Errorf("unsupported language: %v", err)
	}
}

// TestTimeout: a parse that takes longer than Options.Timeout is stopped
// and reported with the file's name; the parser keeps working afterwards.
func TestTimeout(t *testing.T) {
	ctx := context.Background()
	p, err := treesitter.New(ctx, treesitter.Options{CacheDir: cacheDir(t), Timeout: 50 * time.Millisecond, Instances: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	big := []byte(strings.Repeat("def f(a, b):\n    return [x for x in range(a) if x % b]\n", 40000))
	_, err = p.Symbols(ctx, "python", "big.py", big)
	if err == nil || !strings.Contains(err.Error(), "big.py") || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("want a timeout naming big.py, got %v", err)
	}
	syms, err := p.Symbols(ctx, "python", "small.py", []byte("def g(): pass\n"))
	if err != nil || len(syms) != 1 {
		t.Fatalf("after a timeout: %v %v", syms, err)
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := parser(t).Symbols(ctx, "python", "a.py", []byte("def f(): pass\n")); err == nil {
		t.Fatal("want an error for a cancelled context")
	}
	if _, err := parser(t).Symbols(context.Background(), "python", "a.py", []byte("def f(): pass\n")); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrent(t *testing.T) {
	p := parser(t)
	src := []byte("class A:\n    def f(self): pass\n")
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			syms, err := p.Symbols(context.Background(), "python", "a.py", src)
			if err == nil && len(syms) != 2 {
				err = fmt.Errorf("got %v", syms)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestEndLineBeforeNextDefinition: a block of indentation-sensitive syntax
// ends on its last line, not on the line where the next definition starts.
func TestEndLineBeforeNextDefinition(t *testing.T) {
	src := "object Cache:\n  def get(k: String): Int =\n    val h = k.hashCode\n    h % 7\n\n  def put(k: String): Unit =\n    println(k)\n"
	syms, err := parser(t).Symbols(context.Background(), "scala", "x.scala", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range syms {
		got[s.Name] = fmt.Sprintf("%d-%d", s.Line, s.EndLine)
	}
	for name, want := range map[string]string{"Cache": "1-7", "get": "2-4", "put": "6-7"} {
		if got[name] != want {
			t.Errorf("%s: lines %s, want %s (all: %v)", name, got[name], want, got)
		}
	}
}

// oneInstance is a parser with one instance per grammar, so that each
// parse of a language follows the last on the same instance.
func oneInstance(t *testing.T) *treesitter.Parser {
	p, err := treesitter.New(context.Background(), treesitter.Options{CacheDir: cacheDir(t), Instances: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

// TestIndependentOfEarlierFiles: an instance's tree of a file does not
// depend on what it parsed before (instances are reused; a scanner that
// kept state between files, or read memory it never set, would show here).
func TestIndependentOfEarlierFiles(t *testing.T) {
	ctx := context.Background()
	p := oneInstance(t)
	tree := func(lang string, src []byte) []byte {
		t.Helper()
		recs, err := p.Records(ctx, lang, src, true)
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		return recs
	}
	check := func(lang string, src []byte, befores ...[]byte) {
		t.Helper()
		tree(lang, []byte("\n"))
		want := tree(lang, src)
		for _, before := range befores {
			tree(lang, before)
			if got := tree(lang, src); !bytes.Equal(got, want) {
				t.Errorf("%s: %.40q parses differently after %.40q (%s)", lang, src, before, firstDiff(got, want))
			}
		}
	}
	for _, src := range []string{"#\"a\"#\nfunc h() {}\n", "x = ##\"y\"##\nfunc g() {}\n"} {
		check("swift", []byte(src), []byte("let s = ##\"abc"), []byte("let s = #\"abc \\#(x"))
	}
	// Every language: each file of the evaluation set after each file of
	// its language cut short.
	for _, lang := range treesitter.Languages() {
		files := treesitter.EvalCorpus(t, lang)
		var cuts [][]byte
		for _, f := range files {
			cuts = append(cuts, f[:len(f)/2], f[:len(f)*5/6])
		}
		for _, src := range files {
			check(lang, src, cuts...)
		}
	}
}

// TestSwiftRawStrings: raw strings are raw_string_literal nodes, not
// errors. The Swift scanner kept its state in an allocation of zero bytes,
// so what it read there was whatever the memory held: zeros in a new
// instance, what earlier parses left in a used one (hence the parses first).
func TestSwiftRawStrings(t *testing.T) {
	ctx := context.Background()
	p := oneInstance(t)
	for _, src := range append(treesitter.EvalCorpus(t, "swift"), []byte("let s = ##\"abc")) {
		if _, err := p.Symbols(ctx, "swift", "before.swift", src); err != nil {
			t.Fatal(err)
		}
	}
	src := "let r = #\"a\\d\"#\nlet s = ##\"b \\##(r) \"# c\"##\nfunc f() {}\n"
	types, err := p.NodeTypes(ctx, "swift", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, typ := range types {
		count[typ]++
	}
	if count["ERROR"] != 0 || count["raw_string_literal"] != 2 {
		t.Errorf("%q: %d errors and %d raw strings, want none and 2: %v", src, count["ERROR"], count["raw_string_literal"], types)
	}
}

// TestPythonCommentBlocks: a block of comment lines takes time in
// proportion to its length. Python's scanner read ahead over the rest of
// the block at every line of it, so 16,000 lines took longer than the
// default timeout and the file was left out; inside a class the block is
// where a DEDENT may come, the case that needs the read ahead.
func TestPythonCommentBlocks(t *testing.T) {
	var b strings.Builder
	b.WriteString("class A:\n    def f(self):\n        pass\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "    # comment line %d, commented-out code and some words\n", i)
	}
	b.WriteString("    def g(self):\n        pass\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "# module comment %d\n\n", i)
	}
	b.WriteString("def h():\n    pass\n")
	syms, err := parser(t).Symbols(context.Background(), "python", "comments.py", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range syms {
		got = append(got, sym(s))
	}
	want := []string{"class A  1-20005", "method f A 2-3", "method g A 20004-20005", "function h  60006-60007"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("got %q, want %q", got, want)
	}
}
