package app

import (
	"net/mail"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Limits on what clients may send.
const (
	MaxPathLen     = 4096
	MaxNameLen     = 64
	MaxSymbolName  = 1024
	MinPasswordLen = 12
	MaxPasswordLen = 1024
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ValidateName checks a repo or workspace name.
func ValidateName(what, name string) error {
	if name == "" || len(name) > MaxNameLen || !nameRE.MatchString(name) {
		return Errorf(EINVALID, "invalid %s name %q: use 1-%d letters, digits, '.', '_' or '-', starting with a letter or digit", what, name, MaxNameLen)
	}
	return nil
}

// ValidatePath checks a repository-relative file path: forward slashes,
// clean, relative, valid UTF-8, no NUL and no "..".
func ValidatePath(p string) error {
	switch {
	case p == "":
		return Errorf(EINVALID, "empty file path")
	case len(p) > MaxPathLen:
		return Errorf(EINVALID, "file path longer than %d bytes", MaxPathLen)
	case !utf8.ValidString(p):
		return Errorf(EINVALID, "file path is not valid UTF-8")
	case strings.ContainsAny(p, "\x00\\"):
		return Errorf(EINVALID, "file path %q contains a NUL or backslash", p)
	case strings.HasPrefix(p, "/"):
		return Errorf(EINVALID, "file path %q is absolute; paths are relative to the repo root", p)
	case path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../"):
		return Errorf(EINVALID, "file path %q is not clean (no '.', '..' or doubled slashes)", p)
	}
	return nil
}

// NormalizeEmail validates an address and returns its canonical form for
// lookups (trimmed, lower-case).
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", Errorf(EINVALID, "invalid e-mail address %q", s)
	}
	return s, nil
}

// ValidatePassword enforces the password policy.
func ValidatePassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen {
		return Errorf(EINVALID, "password too short: use at least %d characters", MinPasswordLen)
	}
	if len(pw) > MaxPasswordLen {
		return Errorf(EINVALID, "password longer than %d bytes", MaxPasswordLen)
	}
	return nil
}
