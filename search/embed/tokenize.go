package embed

import "github.com/optiq/optiq/app"

// The tokenizer and stemmer live in app, which hybrid search (store) uses
// too, so that the server and the models split and stem words alike.

// Tokenize is app.Tokenize: the tokens the models work on.
func Tokenize(text string) []string { return app.Tokenize(text) }

// Stem is app.Stem: the stem a version 2 model looks a token up by.
func Stem(tok string) string { return app.Stem(tok) }

func tokenize(text string, buf []byte, emit func(tok []byte)) []byte {
	return app.EachToken(text, buf, emit)
}

func stem(tok []byte) []byte { return app.StemBytes(tok) }

func appendLower(dst []byte, s string) []byte { return app.AppendLower(dst, s) }
