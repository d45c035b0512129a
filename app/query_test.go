package app_test

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/optiq/optiq/app"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		in   string
		want []app.Term
		err  string
	}{
		{in: "HandleRequest", want: []app.Term{{Value: "HandleRequest"}}},
		{in: "  handle   request ", want: []app.Term{{Value: "handle"}, {Value: "request"}}},
		{in: "sym:Reader lang:Go", want: []app.Term{{Field: "sym", Value: "Reader"}, {Field: "lang", Value: "go"}}},
		{in: "file:_test.go path:net/http", want: []app.Term{{Field: "path", Value: "_test.go"}, {Field: "path", Value: "net/http"}}},
		{in: `"New" kind:function`, want: []app.Term{{Value: "New", Exact: true}, {Field: "kind", Value: "function"}}},
		{in: `sym:"Read All"`, want: []app.Term{{Field: "sym", Value: "Read All", Exact: true}}},
		{in: "Reader -path:_test.go -lang:c", want: []app.Term{{Value: "Reader"}, {Field: "path", Value: "_test.go", Negate: true}, {Field: "lang", Value: "c", Negate: true}}},
		{in: "repo:api Client", want: []app.Term{{Field: "repo", Value: "api"}, {Value: "Client"}}},
		{in: "std::vector", want: []app.Term{{Value: "std::vector"}}},
		{in: "a - b", want: []app.Term{{Value: "a"}, {Value: "-"}, {Value: "b"}}},
		{in: "", err: "empty query"},
		{in: "   ", err: "empty query"},
		{in: "lang:", err: "lang: needs a value"},
		{in: "lang: go", err: "lang: needs a value"},
		{in: `"unterminated`, err: "unterminated quote"},
		{in: `""`, err: "empty quoted value"},
		{in: "-path:vendor", err: "only exclusions"},
		{in: "\xff", err: "not valid UTF-8"},
		{in: strings.Repeat("a", app.MaxQueryLen+1), err: "longer than"},
	}
	for _, tt := range tests {
		q, err := app.ParseQuery(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || app.ErrorCode(err) != app.EINVALID {
				t.Errorf("ParseQuery(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseQuery(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(q.Terms, tt.want) {
			t.Errorf("ParseQuery(%q) = %+v, want %+v", tt.in, q.Terms, tt.want)
		}
	}
}

func TestQueryAccessors(t *testing.T) {
	q, err := app.ParseQuery("Foo sym:Bar -sym:Baz repo:a -repo:b")
	if err != nil {
		t.Fatal(err)
	}
	if got := q.Text(); len(got) != 2 || got[0].Value != "Foo" || got[1].Value != "Bar" {
		t.Errorf("Text() = %+v", got)
	}
	in, ex := q.Filters(app.FieldRepo)
	if !reflect.DeepEqual(in, []string{"a"}) || !reflect.DeepEqual(ex, []string{"b"}) {
		t.Errorf("Filters(repo) = %v, %v", in, ex)
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"Foo", `sym:"a b" -path:x lang:go`, "-", `"`, "repo:", "a:b:c", "-\"x\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := app.ParseQuery(s)
		if err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				t.Fatalf("error with code %q: %v", app.ErrorCode(err), err)
			}
			return
		}
		if len(q.Terms) == 0 || !utf8.ValidString(s) {
			t.Fatalf("accepted %q with %d terms", s, len(q.Terms))
		}
		for _, term := range q.Terms {
			if term.Value == "" {
				t.Fatalf("empty term value in %q", s)
			}
		}
	})
}

func TestValidatePath(t *testing.T) {
	for _, ok := range []string{"a.go", "dir/sub/file_test.go", "ünïcode/файл.py", ".github/workflows/ci.yml"} {
		if err := app.ValidatePath(ok); err != nil {
			t.Errorf("ValidatePath(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "/abs", "../up", "a/../b", "a//b", "./a", "a/", ".", "..", "a\\b", "a\x00b", "\xff", strings.Repeat("a", app.MaxPathLen+1)} {
		if err := app.ValidatePath(bad); err == nil || app.ErrorCode(err) != app.EINVALID {
			t.Errorf("ValidatePath(%q) accepted", bad)
		}
	}
}

func TestValidateNameAndEmail(t *testing.T) {
	for _, bad := range []string{"", "a b", "-x", ".x", strings.Repeat("a", 65), "a/b", "ü"} {
		if app.ValidateName("repo", bad) == nil {
			t.Errorf("ValidateName(%q) accepted", bad)
		}
	}
	if app.ValidateName("repo", "my-repo_1.2") != nil {
		t.Error("valid name refused")
	}
	if e, err := app.NormalizeEmail("  Ada@Example.COM "); err != nil || e != "ada@example.com" {
		t.Errorf("NormalizeEmail: %q %v", e, err)
	}
	for _, bad := range []string{"", "ada", "Ada <ada@example.com>", "a@b@c"} {
		if _, err := app.NormalizeEmail(bad); err == nil {
			t.Errorf("NormalizeEmail(%q) accepted", bad)
		}
	}
	if app.ValidatePassword("short") == nil || app.ValidatePassword("twelve chars") != nil {
		t.Error("password policy")
	}
}

func TestMatchTier(t *testing.T) {
	tests := []struct {
		q, name string
		want    int
	}{
		{"HandleRequest", "HandleRequest", app.TierExactCase},
		{"handlerequest", "HandleRequest", app.TierExact},
		{"HandleReq", "HandleRequest", app.TierPrefix},
		{"hndlReq", "HandleRequest", app.TierHump},
		{"handle request", "HandleRequest", app.TierHump},
		{"getUsr", "GetUserName", app.TierHump},
		{"cfgLdr", "ConfigLoader", app.TierHump},
		{"ReqHandle", "HandleRequest", app.TierFuzzy}, // parts out of order
		{"request", "HandleRequest", app.TierPart},
		{"andleReq", "HandleRequest", app.TierPart},
		{"HandleRequst", "HandleRequest", app.TierHump}, // "requst" abbreviates "request"
		{"HandleRequest", "HandleRequst", app.TierFuzzy},
	}
	for _, tt := range tests {
		if got := app.MatchTier(tt.q, tt.name); got != tt.want {
			t.Errorf("MatchTier(%q, %q) = %s, want %s", tt.q, tt.name, app.TierNames[got], app.TierNames[tt.want])
		}
	}
	for abbr, word := range map[string]string{"hndl": "handle", "cfg": "config", "req": "request"} {
		if !app.Abbreviates(abbr, word) {
			t.Errorf("%s should abbreviate %s", abbr, word)
		}
	}
	for abbr, word := range map[string]string{"xndl": "handle", "handle": "handle", "h": "handle", "hz": "handle"} {
		if app.Abbreviates(abbr, word) {
			t.Errorf("%s should not abbreviate %s", abbr, word)
		}
	}
}

func TestPathClass(t *testing.T) {
	for p, want := range map[string]int{
		"net/http/server.go": app.PathSource, "net/http/server_test.go": app.PathTest, "vendor/x/y.go": app.PathVendored,
		"a/node_modules/b.js": app.PathVendored, "api/v1/api.pb.go": app.PathVendored, "tests/test_x.py": app.PathTest,
		"src/app.spec.ts": app.PathTest, "pkg/testdata/x.go": app.PathTest, "lib/zz_generated.deepcopy.go": app.PathVendored,
	} {
		if got := app.PathClass(p); got != want {
			t.Errorf("PathClass(%q) = %d, want %d", p, got, want)
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, tt := range []struct {
		p, end string
		ok     bool
	}{
		{"abc", "abd", true},
		{"ab\xff", "ac", true},
		{"a\xff\xff", "b", true},
		{"\xff\xff", "", false},
		{"", "", false},
		{"é", "\xc3\xaa", true},
	} {
		end, ok := app.PrefixEnd(tt.p)
		if end != tt.end || ok != tt.ok {
			t.Errorf("PrefixEnd(%q) = %q, %v; want %q, %v", tt.p, end, ok, tt.end, tt.ok)
			continue
		}
		// Every string with the prefix sorts before the end.
		if ok && !(tt.p < end && tt.p+"\xff\xff\xff" < end) {
			t.Errorf("PrefixEnd(%q) = %q does not bound its range", tt.p, end)
		}
	}
}
