package app

import (
	"slices"
	"strconv"
	"strings"
)

// Reranking by the words of the code, on the client.
//
// The server holds symbol bodies sealed, so its hybrid score sees only a
// symbol's name, container, path, kind and vector. A client with the repo
// key can do better for the few results a person looks at: it opens the
// files of the server's best RerankDepth results, scores the query's words
// in each candidate's text (name, container, signature, doc and the start
// of its body) with BM25, and adds that to the server's score. Nothing
// about the bodies reaches the server; it only serves the sealed files of
// results it chose itself.

// RerankDepth is how many of the server's hybrid results a client reranks.
const RerankDepth = 100

// BodyWeight weighs the body-word score against the server's score, each
// scaled so that the best candidate has 1.
const BodyWeight = 1.0

// BM25 parameters: the usual ones.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// BodyCandidate is one result of a hybrid search as the reranking sees it.
type BodyCandidate struct {
	Name  string
	Kind  string
	Score float64 // the server's score
	Text  string  // decrypted text; "" when nothing of it could be opened
}

// Reranked is a candidate's place after reranking.
type Reranked struct {
	Index int      // into the candidates given
	Score float64  // fused score
	Body  float64  // BM25 of the query's words in the text, before scaling by kind
	Words []string // the query's words found in the text
}

// RerankByBody orders candidates by their server score plus the BM25 of
// the words of terms (the query's text terms, compared as stems) in their
// texts, scaled by kind as the server scales its scores. rarity says how
// rare a word is in the repo (the inverse document frequency of BM25; the
// client's embedding model knows it). Candidates whose name the terms
// match exactly stay ahead of the rest, as on the server: the same case
// first, then any case.
func RerankByBody(terms []Term, cands []BodyCandidate, rarity func(word string) float64) []Reranked {
	// The query's words as stems, each with its first form and rarity.
	type qword struct {
		stem, word string
		idf        float64
	}
	var words []qword
	for _, term := range terms {
		for _, t := range Tokenize(term.Value) {
			s := Stem(t)
			if !slices.ContainsFunc(words, func(w qword) bool { return w.stem == s }) {
				words = append(words, qword{s, t, max(rarity(t), 0)})
			}
		}
	}
	out := make([]Reranked, len(cands))
	tfs := make([][]float64, len(cands))
	lens := make([]float64, len(cands))
	var sumLen, texts float64
	var buf []byte
	for i, c := range cands {
		tf := make([]float64, len(words))
		buf = EachToken(c.Text, buf, func(tok []byte) {
			lens[i]++
			s := string(StemBytes(tok))
			for k, w := range words {
				if w.stem == s {
					tf[k]++
					break
				}
			}
		})
		tfs[i] = tf
		if c.Text != "" {
			sumLen += lens[i]
			texts++
		}
	}
	avgLen := max(sumLen/max(texts, 1), 1)
	scaled := make([]float64, len(cands))
	var maxBody float64
	for i, c := range cands {
		o := Reranked{Index: i}
		for k, w := range words {
			tf := tfs[i][k]
			if tf == 0 {
				continue
			}
			o.Body += w.idf * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*lens[i]/avgLen))
			o.Words = append(o.Words, w.word)
		}
		scaled[i] = o.Body * kindPriors[min(KindRank(c.Kind), len(kindPriors)-1)]
		maxBody = max(maxBody, scaled[i])
		out[i] = o
	}
	// Each score scaled so that the best candidate has 1. Server scores
	// can be negative (path class shades them): when none is positive,
	// the body score alone orders them, ties in the server's order.
	maxServer := 0.0
	for _, c := range cands {
		maxServer = max(maxServer, c.Score)
	}
	for i, c := range cands {
		if maxServer > 0 {
			out[i].Score = max(c.Score, 0) / maxServer
		}
		if maxBody > 0 {
			out[i].Score += BodyWeight * scaled[i] / maxBody
		}
	}
	// As on the server: names the terms match exactly first, the same case
	// before any case.
	tiers := make([]int, len(cands))
	for i, c := range cands {
		t := TierExactCase
		for _, term := range terms {
			t = max(t, MatchTier(term.Value, c.Name))
		}
		tiers[i] = min(t, TierExact+1)
	}
	slices.SortStableFunc(out, func(a, b Reranked) int {
		if ta, tb := tiers[a.Index], tiers[b.Index]; ta != tb {
			return ta - tb
		}
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	return out
}

// Explain says what the reranking added to a result.
func (r Reranked) Explain() string {
	if len(r.Words) == 0 {
		return "reordered here: no query word in its decrypted code"
	}
	return "reordered here: query words in its decrypted code (" + strings.Join(r.Words, ", ") + ") BM25 " +
		strconv.FormatFloat(r.Body, 'f', 2, 64) + " (weight " + strconv.FormatFloat(BodyWeight, 'f', 2, 64) + "); fused score " +
		strconv.FormatFloat(r.Score, 'f', 3, 64) + " of 2"
}
