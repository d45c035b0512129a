package vector

import "github.com/optiq/optiq/app"

// Indexes makes vector indexes for the store (app.VectorIndexes).
type Indexes struct {
	// Shortlist overrides DefaultShortlist when positive.
	Shortlist int
}

// New implements app.VectorIndexes.
func (f Indexes) New(dims int) app.VectorIndex { return f.wrap(New(dims)) }

// Load implements app.VectorIndexes.
func (f Indexes) Load(path string) (app.VectorIndex, error) {
	ix, err := Load(path)
	if err != nil {
		return nil, err
	}
	return f.wrap(ix), nil
}

func (f Indexes) wrap(ix *Index) appIndex {
	if f.Shortlist > 0 {
		ix.SetShortlist(f.Shortlist)
	}
	return appIndex{ix}
}

// appIndex adapts Index to app.VectorIndex.
type appIndex struct{ *Index }

func (a appIndex) Search(part string, q []float32, k int) []app.VectorHit {
	hits := a.Index.Search(part, q, k)
	out := make([]app.VectorHit, len(hits))
	for i, h := range hits {
		out[i] = app.VectorHit{ID: h.ID, Score: h.Score}
	}
	return out
}
