package treesitter

// EvalCorpus gives the external tests the benchmarks' corpus.
var EvalCorpus = evalCorpus
