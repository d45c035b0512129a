package embed_test

import (
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/optiq/optiq/search/embed"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json")

// golden is a conformance fixture for other implementations of Tokenize
// and Model.Embed (the web UI embeds queries in the browser): a small
// model in the binary format, texts, their tokens and their vectors.
type golden struct {
	Model []byte       `json:"model"` // MarshalBinary, base64 in JSON
	Cases []goldenCase `json:"cases"`
}

type goldenCase struct {
	Text   string    `json:"text"`
	Tokens []string  `json:"tokens"`
	Vector []float32 `json:"vector"` // nil when no token is in the vocabulary
}

// TestGolden checks both model versions: golden.json holds a version 1
// model (tokens as Tokenize returns them), golden-stemmed.json a version 2
// model (stems), whose cases list the stems of the tokens.
func TestGolden(t *testing.T) {
	for _, stemmed := range []bool{false, true} {
		name := "golden.json"
		if stemmed {
			name = "golden-stemmed.json"
		}
		t.Run(name, func(t *testing.T) { testGolden(t, filepath.Join("testdata", name), stemmed) })
	}
}

// goldenTokens are the tokens a model of the given kind looks up.
func goldenTokens(text string, stemmed bool) []string {
	toks := embed.Tokenize(text)
	if stemmed {
		for i, tok := range toks {
			toks[i] = embed.Stem(tok)
		}
	}
	return toks
}

func testGolden(t *testing.T, path string, stemmed bool) {
	if *update {
		tr := embed.NewTrainer(embed.Options{Dims: 8, MinCount: 1, Seed: 5, Unstemmed: !stemmed})
		for range 3 {
			tr.Add("// OpenFile opens the named file for reading.\nfunc OpenFile(name string) (*File, error)")
			tr.Add("// ReadFile reads the whole file.\nfunc ReadFile(name string) ([]byte, error)")
			tr.Add("// SetCookie adds a Set-Cookie header to the response.\nfunc SetCookie(w ResponseWriter, cookie *Cookie)")
			tr.Add("// ParseCookie parses a Cookie header value.\nfunc ParseCookie(line string) ([]*Cookie, error)")
			tr.Add("// ListenAndServe listens on the TCP address and serves HTTP requests.")
		}
		m, err := tr.Train(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		g := golden{}
		g.Model, _ = m.MarshalBinary()
		for _, text := range []string{
			"open file", "ReadFile", "parseHTTPCookie", "set_cookie header", "ÜberCafé listenAndServe",
			"XMLHttpRequest2 utf8Decode 0xff 1024", "nothing known here", "",
		} {
			c := goldenCase{Text: text, Tokens: goldenTokens(text, stemmed)}
			if v, ok := m.Vector(text); ok {
				c.Vector = v
			}
			g.Cases = append(g.Cases, c)
		}
		b, _ := json.MarshalIndent(g, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	var m embed.Model
	if err := m.UnmarshalBinary(g.Model); err != nil {
		t.Fatal(err)
	}
	for _, c := range g.Cases {
		if got := goldenTokens(c.Text, stemmed); !slices.Equal(got, c.Tokens) && len(got)+len(c.Tokens) > 0 {
			t.Errorf("tokens of %q = %q, golden %q", c.Text, got, c.Tokens)
		}
		v, ok := m.Vector(c.Text)
		if ok != (c.Vector != nil) {
			t.Errorf("Vector(%q): ok = %v, golden %v", c.Text, ok, c.Vector)
			continue
		}
		for i := range c.Vector {
			if math.Abs(float64(v[i]-c.Vector[i])) > 1e-6 {
				t.Errorf("Vector(%q)[%d] = %v, golden %v", c.Text, i, v[i], c.Vector[i])
				break
			}
		}
	}
}
