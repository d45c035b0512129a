package app

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func textTerms(t *testing.T, query string) []Term {
	t.Helper()
	q, err := ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	return q.Text()
}

func TestRerankByBody(t *testing.T) {
	rarity := func(word string) float64 {
		switch word {
		case "the", "value":
			return 1 // common
		default:
			return 8 // rare
		}
	}
	names := func(out []Reranked, cands []BodyCandidate) []string {
		var s []string
		for _, o := range out {
			s = append(s, cands[o.Index].Name)
		}
		return s
	}
	for _, tt := range []struct {
		name  string
		query string
		cands []BodyCandidate
		want  []string
	}{
		{
			name:  "rare body words lift a candidate the server ranked lower",
			query: "subtract the zirconium offset",
			cands: []BodyCandidate{
				{Name: "Parse", Kind: KindFunction, Score: 0.9, Text: "Parse\nreturn value"},
				{Name: "Calibrate", Kind: KindFunction, Score: 0.5, Text: "Calibrate\nreturn reading - zirconiumOffset"},
			},
			want: []string{"Calibrate", "Parse"},
		},
		{
			name:  "a rare word outweighs a common one",
			query: "zirconium value",
			cands: []BodyCandidate{
				{Name: "A", Kind: KindFunction, Score: 0.5, Text: "value value value"},
				{Name: "B", Kind: KindFunction, Score: 0.5, Text: "zirconium"},
			},
			want: []string{"B", "A"},
		},
		{
			name:  "kind scales the body score as on the server",
			query: "zirconium offset",
			cands: []BodyCandidate{
				{Name: "offsetField", Kind: KindField, Score: 0.5, Text: "zirconium offset"},
				{Name: "Offset", Kind: KindFunction, Score: 0.5, Text: "zirconium offset"},
			},
			want: []string{"Offset", "offsetField"},
		},
		{
			name:  "a name equal to the query stays first",
			query: "Calibrate",
			cands: []BodyCandidate{
				{Name: "calibrate", Kind: KindFunction, Score: 0.9, Text: "nothing here"},
				{Name: "Other", Kind: KindFunction, Score: 0.1, Text: "calibrate calibrate calibrate"},
			},
			want: []string{"calibrate", "Other"},
		},
		{
			name:  "the same case before any case",
			query: "TypeNode",
			cands: []BodyCandidate{
				{Name: "typeNode", Kind: KindFunction, Score: 0.9, Text: "type node type node"},
				{Name: "TypeNode", Kind: KindFunction, Score: 0.8, Text: "nothing"},
			},
			want: []string{"TypeNode", "typeNode"},
		},
		{
			name:  "a repeated term still names a symbol exactly, as on the server",
			query: "Calibrate calibrate",
			cands: []BodyCandidate{
				{Name: "Other", Kind: KindFunction, Score: 0.9, Text: "calibrate calibrate"},
				{Name: "Calibrate", Kind: KindFunction, Score: 0.1},
			},
			want: []string{"Calibrate", "Other"},
		},
		{
			name:  "negative server scores (path class) scale like the rest",
			query: "zirconium",
			cands: []BodyCandidate{
				{Name: "A", Kind: KindFunction, Score: -0.01, Text: "nothing"},
				{Name: "B", Kind: KindFunction, Score: -0.03, Text: "zirconium"},
			},
			want: []string{"B", "A"},
		},
		{
			name:  "without texts the server's order stands",
			query: "subtract the zirconium offset",
			cands: []BodyCandidate{
				{Name: "A", Kind: KindFunction, Score: 0.9},
				{Name: "B", Kind: KindFunction, Score: 0.8},
				{Name: "C", Kind: KindFunction, Score: 0.8},
			},
			want: []string{"A", "B", "C"},
		},
		{
			name:  "word forms meet as stems",
			query: "closing connections",
			cands: []BodyCandidate{
				{Name: "A", Kind: KindFunction, Score: 0.6, Text: "flush buffers"},
				{Name: "B", Kind: KindFunction, Score: 0.5, Text: "conn.Close() // closes the connection"},
			},
			want: []string{"B", "A"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := RerankByBody(textTerms(t, tt.query), tt.cands, rarity)
			if got := names(out, tt.cands); !slices.Equal(got, tt.want) {
				t.Fatalf("order %v, want %v (%+v)", got, tt.want, out)
			}
		})
	}

	out := RerankByBody(textTerms(t, "subtract the zirconium offsets"), []BodyCandidate{
		{Name: "Calibrate", Kind: KindFunction, Score: 0.8, Text: "reading - zirconiumOffset"},
		{Name: "Parse", Kind: KindFunction, Score: 1, Text: "strconv"},
		{Name: "Other", Kind: KindFunction, Score: 0.6},
	}, rarity)
	// Each score scaled so that the best has 1: Calibrate 0.8 + 1.
	if why := out[0].Explain(); !strings.Contains(why, "(zirconium, offsets)") || math.Abs(out[0].Score-1.8) > 1e-9 {
		t.Errorf("best: score %v, %q", out[0].Score, why)
	}
	if why := out[1].Explain(); !strings.Contains(why, "no query word") || out[1].Score != 1 {
		t.Errorf("second: score %v, %q", out[1].Score, why)
	}
}
