package extract_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/optiq/optiq/extract"
	"github.com/optiq/optiq/extract/treesitter"
)

func TestDetectLanguageTable(t *testing.T) {
	for _, c := range []struct {
		path, content, want string
	}{
		{"main.go", "", "go"},
		{"a/b/c.py", "", "python"},
		{"stub.pyi", "", "python"},
		{"x.mjs", "", "javascript"},
		{"x.jsx", "", "javascript"},
		{"x.ts", "", "typescript"},
		{"x.mts", "", "typescript"},
		{"x.tsx", "", "tsx"},
		{"X.java", "", "java"},
		{"x.c", "", "c"},
		{"x.h", "", "c"},
		{"x.cc", "", "cpp"},
		{"x.hpp", "", "cpp"},
		{"x.cs", "", "csharp"},
		{"lib.rs", "", "rust"},
		{"x.rb", "", "ruby"},
		{"Gemfile", "", "ruby"},
		{"x.php", "", "php"},
		{"x.kt", "", "kotlin"},
		{"build.gradle.kts", "", "kotlin"},
		{"x.swift", "", "swift"},
		{"x.scala", "", "scala"},
		{"x.sh", "", "bash"},
		{"x.bash", "", "bash"},
		{"x.lua", "", "lua"},
		{"README.md", "", ""},
		{"Makefile", "", ""},
		{"noext", "", ""},
		{"bin/tool", "#!/usr/bin/env python3\nprint(1)\n", "python"},
		{"bin/tool", "#!/bin/bash\necho\n", "bash"},
		{"bin/tool", "#!/usr/bin/env ruby\n", "ruby"},
		{"bin/tool", "#! /usr/bin/lua5.4\n", "lua"},
		{"bin/tool", "#!/usr/bin/env -S node --no-warnings\n", "javascript"},
		{"bin/tool", "#!/usr/bin/perl\n", ""},
		{"bin/tool", "#!\n", ""},
		{"x.py", "#!/bin/sh\n", "python"}, // the extension wins
	} {
		if got := extract.DetectLanguage(c.path, []byte(c.content)); got != c.want {
			t.Errorf("DetectLanguage(%q, %q) = %q, want %q", c.path, c.content, got, c.want)
		}
	}
}

// Every language DetectLanguage names is extracted: Go by go/parser, the
// rest by tree-sitter.
func TestDetectedLanguagesAreSupported(t *testing.T) {
	supported := map[string]bool{"go": true}
	for _, l := range treesitter.Languages() {
		supported[l] = true
	}
	for _, p := range []string{"a.py", "a.js", "a.ts", "a.tsx", "a.java", "a.c", "a.cpp", "a.cs", "a.rs", "a.rb", "a.php", "a.kt", "a.swift", "a.scala", "a.sh", "a.lua"} {
		if l := extract.DetectLanguage(p, nil); !supported[l] {
			t.Errorf("%s: %q has no extractor", p, l)
		}
	}
}

func TestIsBinaryTable(t *testing.T) {
	latin1 := bytes.Repeat([]byte{'a', 0xe9, 'b', 0xfc}, 100) // ISO-8859-1 text, invalid UTF-8
	for _, c := range []struct {
		name    string
		content []byte
		want    bool
	}{
		{"empty", nil, false},
		{"text", []byte("hello\nworld\n"), false},
		{"utf8", []byte(strings.Repeat("héllo wörld ☃\n", 100)), false},
		{"nul", []byte("abc\x00def"), true},
		{"nul after 8KiB", append(bytes.Repeat([]byte("a"), 9000), 0), false},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), true},
		{"mostly invalid utf8", bytes.Repeat([]byte{0xff, 0xfe, 0x80}, 100), true},
		{"latin1 text", latin1, true},
		{"a few bad bytes", append([]byte(strings.Repeat("text ", 200)), 0xff, 0xfe), false},
		{"utf8 cut at the 8KiB boundary", append(bytes.Repeat([]byte("a"), 8191), "é"...), false},
	} {
		if got := extract.IsBinary(c.content); got != c.want {
			t.Errorf("IsBinary(%s) = %v, want %v", c.name, got, c.want)
		}
	}
}
