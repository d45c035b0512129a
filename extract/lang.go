package extract

import (
	"bytes"
	"path"
	"strings"
	"unicode/utf8"
)

var extLanguages = map[string]string{
	".go": "go",
	".py": "python", ".pyi": "python", ".pyw": "python",
	".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
	".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
	".java": "java",
	".c":    "c", ".h": "c",
	".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".c++": "cpp", ".hh": "cpp", ".hpp": "cpp", ".hxx": "cpp", ".h++": "cpp", ".ipp": "cpp",
	".cs": "csharp",
	".rs": "rust",
	".rb": "ruby", ".rake": "ruby", ".gemspec": "ruby",
	".php": "php",
	".kt":  "kotlin", ".kts": "kotlin",
	".swift": "swift",
	".scala": "scala", ".sc": "scala",
	".sh": "bash", ".bash": "bash", ".zsh": "bash",
	".lua": "lua",
}

var nameLanguages = map[string]string{
	"rakefile": "ruby", "gemfile": "ruby", ".bashrc": "bash", ".bash_profile": "bash", ".profile": "bash",
}

var interpreters = map[string]string{
	"python": "python", "python2": "python", "python3": "python",
	"node": "javascript", "nodejs": "javascript", "deno": "typescript", "ts-node": "typescript",
	"sh": "bash", "bash": "bash", "dash": "bash", "zsh": "bash", "ksh": "bash",
	"ruby": "ruby", "php": "php", "lua": "lua", "luajit": "lua", "scala": "scala", "kotlin": "kotlin",
}

// DetectLanguage names the language of a file from its extension, its name
// or, for scripts, its shebang line. It returns "" for anything else.
func DetectLanguage(p string, content []byte) string {
	base := path.Base(p)
	if l, ok := nameLanguages[strings.ToLower(base)]; ok {
		return l
	}
	if l, ok := extLanguages[strings.ToLower(path.Ext(base))]; ok {
		return l
	}
	return shebangLanguage(content)
}

func shebangLanguage(content []byte) string {
	if !bytes.HasPrefix(content, []byte("#!")) {
		return ""
	}
	line := content[2:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	fields := strings.Fields(string(line))
	if len(fields) == 0 {
		return ""
	}
	prog := path.Base(fields[0])
	if prog == "env" {
		prog = ""
		for _, f := range fields[1:] {
			if !strings.HasPrefix(f, "-") && !strings.Contains(f, "=") {
				prog = f
				break
			}
		}
	}
	// python3.11 → python3 → python
	for prog != "" {
		if l, ok := interpreters[prog]; ok {
			return l
		}
		trimmed := strings.TrimRight(prog, "0123456789.")
		if trimmed == prog {
			break
		}
		prog = trimmed
	}
	return ""
}

// IsBinary reports whether content looks like a binary file: a NUL byte in
// the first 8 KiB, or mostly invalid UTF-8 there.
func IsBinary(content []byte) bool {
	head := content[:min(len(content), 8192)]
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	bad := 0
	for len(head) > 0 {
		r, n := utf8.DecodeRune(head)
		if r == utf8.RuneError && n == 1 && len(head) >= utf8.UTFMax {
			bad++
		}
		head = head[n:]
	}
	return bad > 8 && bad*20 > min(len(content), 8192)
}
