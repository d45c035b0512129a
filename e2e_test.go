package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/optiq/optiq/seal"
	"github.com/optiq/optiq/web"
)

// syncBuffer is a bytes.Buffer safe for the server's concurrent log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// testServer is a real server on 127.0.0.1:0 with its data directory.
type testServer struct {
	url, fingerprint string
	data, masterKey  string
	log              *syncBuffer
	stop             func()
}

func startServer(t testing.TB) *testServer {
	t.Helper()
	dir := t.TempDir()
	ts := &testServer{data: filepath.Join(dir, "data"), masterKey: filepath.Join(dir, "master.key"), log: &syncBuffer{}}
	if _, err := seal.CreateMasterKey(ts.masterKey); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	cfg := serverConfig{DataDir: ts.data, Addr: "127.0.0.1:0", MasterKeyFile: ts.masterKey}
	go func() { done <- serve(ctx, cfg, ts.log, &syncBuffer{}, ready) }()
	select {
	case addr := <-ready:
		ts.url = "https://" + addr
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start in 30s")
	}
	pemBytes, err := os.ReadFile(filepath.Join(ts.data, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ts.fingerprint = web.Fingerprint(cert.Raw)
	ts.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server shutdown: %v", err)
		}
	}
	t.Cleanup(func() {
		if ctx.Err() == nil {
			ts.stop()
		}
	})
	return ts
}

// cli runs optiq commands as one user (one config directory).
type cli struct {
	t   testing.TB
	cfg string
}

type result struct {
	code           int
	stdout, stderr string
}

func (c cli) run(stdin string, args ...string) result {
	c.t.Helper()
	c.t.Setenv("OPTIQ_CONFIG_DIR", c.cfg)
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func (c cli) ok(stdin string, args ...string) string {
	c.t.Helper()
	r := c.run(stdin, args...)
	if r.code != 0 {
		c.t.Fatalf("optiq %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// newUser creates an account on ts and signs a CLI in as it.
func newUser(t testing.TB, ts *testServer, email, role string) cli {
	t.Helper()
	c := cli{t: t, cfg: t.TempDir()}
	pw := "a long enough passphrase for " + email
	c.ok(pw+"\n", "admin", "create-user", "--data", ts.data, "--master-key", ts.masterKey, "--email", email, "--role", role, "--password-stdin")
	c.ok(pw+"\n", "login", ts.url, "--email", email, "--password-stdin", "--fingerprint", ts.fingerprint)
	return c
}

// The canary marker: it must never appear in anything the server stores or
// logs. It is split here so this source file is not itself a match.
var canary = "OPTIQ" + "CANARY" + "7f3a9c"

// writeCorpus generates a Go module with the canary in bodies, comments,
// doc comments, string literals and signatures (parameter names), never in
// symbol names or paths.
func writeCorpus(t testing.TB, dir string, pkgs, filesPerPkg int) {
	t.Helper()
	for p := range pkgs {
		for f := range filesPerPkg {
			var b strings.Builder
			fmt.Fprintf(&b, "// Package pkg%d is generated. %s in a package comment.\npackage pkg%d\n\n", p, canary, p)
			fmt.Fprintf(&b, "import \"fmt\"\n\n")
			fmt.Fprintf(&b, "// Widget%d_%d holds state; doc mentions %s.\ntype Widget%d_%d struct {\n\tCount int // %s trailing\n}\n\n", p, f, canary, p, f, canary)
			fmt.Fprintf(&b, "// HandleRequest%d_%d handles a request. %s\nfunc HandleRequest%d_%d(%sArg int) string {\n\t// body comment %s\n\treturn fmt.Sprint(\"%s literal\", %sArg)\n}\n\n", p, f, canary, p, f, strings.ToLower(canary), canary, canary, strings.ToLower(canary))
			fmt.Fprintf(&b, "// Render draws the widget.\nfunc (w *Widget%d_%d) Render() string { return \"%s\" }\n\n", p, f, canary)
			fmt.Fprintf(&b, "const Limit%d_%d = \"%s\"\n", p, f, canary)
			path := filepath.Join(dir, fmt.Sprintf("pkg%d", p), fmt.Sprintf("file%d.go", f))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/corpus\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "logo.bin"), append([]byte{0, 1, 2, 3}, []byte(canary)...), 0o644)
}

type searchOut struct {
	Results []searchHit `json:"results"`
}

func searchCLI(t testing.TB, c cli, args ...string) []searchHit {
	t.Helper()
	var out searchOut
	if err := json.Unmarshal([]byte(c.ok("", append([]string{"search", "--json"}, args...)...)), &out); err != nil {
		t.Fatal(err)
	}
	return out.Results
}

func TestEndToEnd(t *testing.T) {
	ts := startServer(t)
	ada := newUser(t, ts, "ada@example.com", "admin")
	ada.ok("", "repo", "create", "demo")

	src := t.TempDir()
	writeCorpus(t, src, 4, 5)
	var sum indexSummary
	if err := json.Unmarshal([]byte(ada.ok("", "index", src, "--repo", "demo", "--json")), &sum); err != nil {
		t.Fatal(err)
	}
	// 20 Go files + go.mod indexed; the binary file skipped.
	if sum.Files != 21 || sum.Uploaded != 21 || sum.Skipped != 1 || sum.Symbols == 0 {
		t.Fatalf("first index summary: %+v", sum)
	}

	hits := searchCLI(t, ada, "HandleRequest2_3")
	if len(hits) == 0 {
		t.Fatal("no results for an exact function name")
	}
	top := hits[0]
	if top.Name != "HandleRequest2_3" || top.Kind != "function" || top.Path != "pkg2/file3.go" || top.Line != 12 || top.Repo != "demo" || top.Language != "go" {
		t.Fatalf("top hit: %+v", top)
	}
	if !strings.Contains(top.Signature, "func HandleRequest2_3(") || !strings.HasPrefix(top.Doc, "HandleRequest2_3 handles a request.") {
		t.Fatalf("decrypted signature/doc: %q / %q", top.Signature, top.Doc)
	}
	// Methods carry their receiver as container.
	if hits := searchCLI(t, ada, "sym:Render", "--limit", "50"); len(hits) != 20 || hits[0].Container == "" {
		t.Fatalf("sym:Render: %d hits, first %+v", len(hits), hits)
	}
	// Path search.
	if hits := searchCLI(t, ada, "path:pkg3/file1"); len(hits) != 1 || hits[0].Kind != "file" {
		t.Fatalf("path search: %+v", hits)
	}
	// Text output names repo, path:line, kind and name with the signature.
	if out := ada.ok("", "search", "Widget1_2"); !strings.Contains(out, "demo pkg1/file2.go:7 struct Widget1_2") || !strings.Contains(out, "type Widget1_2 struct") {
		t.Fatalf("text output:\n%s", out)
	}

	// show is byte-identical.
	want, _ := os.ReadFile(filepath.Join(src, "pkg1", "file4.go"))
	if got := ada.ok("", "show", "demo:pkg1/file4.go"); got != string(want) {
		t.Fatalf("show returned different bytes")
	}

	// Incremental: change one file, delete another.
	changed := filepath.Join(src, "pkg0", "file0.go")
	os.WriteFile(changed, []byte("package pkg0\n\n// Fresh is new.\nfunc FreshlyAdded() {}\n"), 0o644)
	os.Remove(filepath.Join(src, "pkg3", "file4.go"))
	if err := json.Unmarshal([]byte(ada.ok("", "index", src, "--repo", "demo", "--json")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Uploaded != 1 || sum.Removed != 1 || sum.Unchanged != 19 || sum.Files != 20 {
		t.Fatalf("incremental summary: %+v", sum)
	}
	if hits := searchCLI(t, ada, "FreshlyAdded"); len(hits) == 0 || hits[0].Name != "FreshlyAdded" {
		t.Fatalf("new symbol not found: %+v", hits)
	}
	for _, gone := range []string{"HandleRequest0_0", "HandleRequest3_4"} {
		for _, h := range searchCLI(t, ada, gone) {
			if h.Name == gone {
				t.Fatalf("%s still found after re-index: %+v", gone, h)
			}
		}
	}
	if r := ada.run("", "show", "demo:pkg3/file4.go"); r.code != exitNotFound {
		t.Fatalf("show of deleted file: exit %d, %s", r.code, r.stderr)
	}
	// A no-op re-index uploads nothing.
	ada.ok("", "index", src, "--repo", "demo", "--json")
	if err := json.Unmarshal([]byte(ada.ok("", "index", src, "--repo", "demo", "--json")), &sum); err != nil || sum.Uploaded != 0 || sum.Unchanged != 20 {
		t.Fatalf("no-op re-index: %+v %v", sum, err)
	}
	list := ada.ok("", "repo", "list", "--json")
	if !strings.Contains(list, `"name": "demo"`) || !strings.Contains(list, `"files": 20`) {
		t.Fatalf("repo list: %s", list)
	}

	// The server survives a restart with the same answers.
	ts.stop()
	ts2 := restart(t, ts)
	_ = ts2
	if hits := searchCLI(t, ada, "FreshlyAdded"); len(hits) == 0 {
		t.Fatal("index lost across restart")
	}

	// Removing the derived index makes the server rebuild it from data.db.
	ts2.stop()
	matches, _ := filepath.Glob(filepath.Join(ts.data, "tenants", "*", "index"))
	for _, m := range matches {
		os.RemoveAll(m)
	}
	restart(t, ts)
	if hits := searchCLI(t, ada, "HandleRequest2_3"); len(hits) == 0 || hits[0].Name != "HandleRequest2_3" {
		t.Fatalf("rebuilt index: %+v", hits)
	}

	assertNoCanary(t, ts, ada)
}

// restart starts a new server on the same data directory and points ts at
// it (same certificate, so the CLI's pin still holds).
func restart(t *testing.T, ts *testServer) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	cfg := serverConfig{DataDir: ts.data, Addr: "127.0.0.1:0", MasterKeyFile: ts.masterKey}
	go func() { done <- serve(ctx, cfg, ts.log, &syncBuffer{}, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("restart: %v", err)
	}
	ns := *ts
	ns.url = "https://" + addr
	ns.stop = func() { cancel(); <-done }
	t.Cleanup(func() {
		if ctx.Err() == nil {
			ns.stop()
		}
	})
	// Re-point the CLI's stored server URL.
	t.Setenv("OPTIQ_SERVER", ns.url)
	return &ns
}

// assertNoCanary walks every byte under the data directory (SQLite files,
// WAL, index segments) and the server log for the canary and the repo key.
func assertNoCanary(t *testing.T, ts *testServer, c cli) {
	t.Helper()
	keys, _ := filepath.Glob(filepath.Join(c.cfg, "keys", "*.key"))
	if len(keys) == 0 {
		t.Fatal("no repo key in the client key store")
	}
	needles := map[string][]byte{"canary": []byte(canary), "canary (lower case)": []byte(strings.ToLower(canary))}
	for _, kf := range keys {
		b, _ := os.ReadFile(kf)
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		needles["raw key"] = raw
		needles["base64 key"] = []byte(strings.TrimSpace(string(b)))
		needles["hex key"] = []byte(hex.EncodeToString(raw))
		needles["base64url key"] = []byte(base64.RawURLEncoding.EncodeToString(raw))
	}
	files := 0
	filepath.WalkDir(ts.data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files++
		for what, n := range needles {
			if bytes.Contains(b, n) {
				t.Errorf("%s found in %s", what, p)
			}
		}
		return nil
	})
	if files < 5 {
		t.Fatalf("walked only %d files under the data directory", files)
	}
	logs := ts.log.Bytes()
	if len(logs) == 0 {
		t.Fatal("server wrote no log")
	}
	for what, n := range needles {
		if bytes.Contains(logs, n) {
			t.Errorf("%s found in the server log", what)
		}
	}
}

func TestSecurityErrors(t *testing.T) {
	ts := startServer(t)
	ada := newUser(t, ts, "ada@example.com", "admin")
	bob := newUser(t, ts, "bob@example.com", "member")
	ada.ok("", "repo", "create", "secret")
	src := t.TempDir()
	writeCorpus(t, src, 1, 2)
	ada.ok("", "index", src, "--repo", "secret")

	// Another user cannot see ada's workspace, by id or by name.
	var me web.MeResponse
	cl, cfg := clientFor(t, ada)
	me, err := cl.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	adaWS := me.Workspaces[0].ID
	for _, args := range [][]string{
		{"search", "HandleRequest0_0", "--workspace", adaWS},
		{"repo", "list", "--workspace", adaWS},
		{"show", "secret:pkg0/file0.go", "--workspace", adaWS},
	} {
		if r := bob.run("", args...); r.code != exitNotFound || !strings.Contains(r.stderr, "not found") {
			t.Errorf("bob %v: exit %d, %s", args, r.code, r.stderr)
		}
	}
	// Bob's own workspace has no such repo.
	if r := bob.run("", "show", "secret:pkg0/file0.go"); r.code != exitNotFound {
		t.Errorf("bob show in own workspace: exit %d", r.code)
	}

	// A wrong key fails clearly, naming the repo.
	keys, _ := filepath.Glob(filepath.Join(ada.cfg, "keys", "*.key"))
	good, _ := os.ReadFile(keys[0])
	other := seal.NewRepoKey()
	os.WriteFile(keys[0], []byte(base64.StdEncoding.EncodeToString(other.Bytes())), 0o600)
	if r := ada.run("", "show", "secret:pkg0/file0.go"); r.code == 0 || !strings.Contains(r.stderr, `repo "secret" is wrong`) {
		t.Errorf("wrong key: exit %d, %s", r.code, r.stderr)
	}
	os.WriteFile(keys[0], good, 0o600)

	// A tampered blob is an authentication failure, not garbage.
	tamper(t, ts, "pkg0/file1.go")
	if r := ada.run("", "show", "secret:pkg0/file1.go"); r.code == 0 || !strings.Contains(r.stderr, "authentication failed") || strings.Contains(r.stdout, "package") {
		t.Errorf("tampered blob: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	ada.ok("", "show", "secret:pkg0/file0.go")
	_ = cfg
}

func clientFor(t testing.TB, c cli) (*web.Client, clientConfig) {
	t.Helper()
	t.Setenv("OPTIQ_CONFIG_DIR", c.cfg)
	cl, cfg, err := connect()
	if err != nil {
		t.Fatal(err)
	}
	return cl, cfg
}

// tamper flips one ciphertext byte of a stored file, as an attacker with
// write access to the data directory could.
func tamper(t *testing.T, ts *testServer, path string) {
	t.Helper()
	dbs, _ := filepath.Glob(filepath.Join(ts.data, "tenants", "*", "data.db"))
	n := int64(0)
	for _, f := range dbs {
		db, err := sql.Open("sqlite", "file:"+f+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		var blob []byte
		if err := db.QueryRow(`SELECT content FROM files WHERE path = ?`, path).Scan(&blob); err == nil {
			blob[len(blob)/2] ^= 1
			if _, err := db.Exec(`UPDATE files SET content = ? WHERE path = ?`, blob, path); err != nil {
				t.Fatal(err)
			}
			n++
		}
		db.Close()
	}
	if n != 1 {
		t.Fatalf("tampered %d rows", n)
	}
}
