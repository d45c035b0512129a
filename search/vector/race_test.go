//go:build race

package vector_test

// The race detector slows the linear algebra and scans twentyfold; tests
// then use smaller models and corpora so the suite stays quick.
const raceEnabled = true
