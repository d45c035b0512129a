// Package embed turns code and queries into vectors for semantic search,
// without downloading model weights.
//
// The default model is trained per repository on the client at index
// time. Identifiers are split into parts (camelCase, snake_case, digits),
// lower-cased, and stripped of stop words and very short tokens; comment
// and doc words are tokenised the same way. Token co-occurrence is counted
// in a window within each symbol's text, weighted by positive pointwise
// mutual information (PPMI), and factorised by a randomised truncated SVD
// into about 256-dimensional token vectors. A text's vector is the
// L2-normalised, SIF-weighted mean of its tokens' vectors. The model is a
// few megabytes (int8 tables); the client stores it on the server as an
// encrypted blob so that the CLI and the browser can embed queries the
// same way the index was built.
//
// Sites that have a model can side-load static embeddings in the
// word2vec/GloVe text format (LoadStatic); anything implementing Embedder
// can stand in.
//
// Embeddings can leak meaning: published embedding-inversion attacks
// recover much of a text from its vector, and a model's vocabulary and
// token vectors reveal which words a repository uses together. The server
// keeps embeddings in plaintext (the model itself only encrypted), so a
// repository whose code must not leak even that way should opt out of
// semantic search (optiq index --no-embeddings); it then gets symbol and
// path search only.
package embed
