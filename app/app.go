// Package app is Optiq's domain: the types every other package speaks in, the
// error codes, the permission rules and the service interfaces that the
// adapters (store, search, web, extract, seal, backup) implement or use.
//
// It imports nothing beyond the standard library, so the rules written here
// can be read and tested without a database, a network or a parser.
package app
