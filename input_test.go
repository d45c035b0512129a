package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/web"
)

// rawAPI sends hand-made requests, as a hostile or buggy client would.
type rawAPI struct {
	t     *testing.T
	base  string
	token string
	http  *http.Client
}

func (a rawAPI) do(method, path string, body []byte) (int, web.Problem) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.base+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var p web.Problem
	if resp.StatusCode >= 400 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			a.t.Errorf("%s %s: error content type %q", method, path, ct)
		}
		if err := json.Unmarshal(b, &p); err != nil || p.Code == "" || p.RequestID == "" || p.Detail == "" {
			a.t.Errorf("%s %s: problem body %s", method, path, b)
		}
	}
	return resp.StatusCode, p
}

func TestBadInputIsRefusedAndStoresNothing(t *testing.T) {
	ts := startServer(t)
	ada := newUser(t, ts, "ada@example.com", "admin")
	ada.ok("", "repo", "create", "demo")
	src := t.TempDir()
	writeCorpus(t, src, 1, 3)
	ada.ok("", "index", src, "--repo", "demo")
	cl, cfg := clientFor(t, ada)
	api := rawAPI{t: t, base: ts.url, token: cfg.Token, http: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}}
	ws := "/api/v1/workspaces/" + cfg.Workspace
	ctx := context.Background()
	before, err := cl.Repo(ctx, cfg.Workspace, "demo")
	if err != nil {
		t.Fatal(err)
	}

	plan, err := cl.BeginIndex(ctx, cfg.Workspace, "demo", []app.FileFingerprint{{Path: "new.go", Fingerprint: strings.Repeat("a", 64)}}, app.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	files := ws + "/repos/demo/index-sessions/" + plan.SessionID + "/files"
	upload := func(f app.FileUpload) []byte {
		b, _ := json.Marshal(web.UploadRequest{Files: []app.FileUpload{f}})
		return b
	}
	good := app.FileUpload{Path: "new.go", Fingerprint: strings.Repeat("a", 64), Language: "go", Size: 3, Content: []byte("sealed-bytes")}
	with := func(mod func(*app.FileUpload)) []byte {
		f := good
		mod(&f)
		return upload(f)
	}
	manifest := func(p string) []byte {
		b, _ := json.Marshal(web.BeginIndexRequest{Files: []app.FileFingerprint{{Path: p, Fingerprint: strings.Repeat("b", 64)}}})
		return b
	}

	cases := []struct {
		name, method, path string
		body               []byte
		status             int
		code               string
	}{
		{"empty query", "GET", ws + "/search?q=", nil, 400, app.EINVALID},
		{"blank query", "GET", ws + "/search?q=%20%20", nil, 400, app.EINVALID},
		{"invalid UTF-8 query", "GET", ws + "/search?q=%ff%fe", nil, 400, app.EINVALID},
		{"unterminated quote", "GET", ws + "/search?q=%22abc", nil, 400, app.EINVALID},
		{"bad limit", "GET", ws + "/search?q=x&limit=100000", nil, 400, app.EINVALID},
		{"unknown repo filter", "GET", ws + "/search?q=" + url.QueryEscape("repo:nosuch x"), nil, 404, app.ENOTFOUND},
		{"unknown repo", "GET", ws + "/repos/nosuch", nil, 404, app.ENOTFOUND},
		{"unknown workspace", "GET", "/api/v1/workspaces/w_aaaaaaaaaaaaaaaa/repos", nil, 404, app.ENOTFOUND},
		{"unknown endpoint", "GET", "/api/v1/nope", nil, 404, app.ENOTFOUND},
		{"bad repo name", "POST", ws + "/repos", []byte(`{"name":"bad name","key_check":"AAAAAAAAAAAAAAAAAAAAAA=="}`), 400, app.EINVALID},
		{"duplicate repo", "POST", ws + "/repos", []byte(`{"name":"demo","key_check":"AAAAAAAAAAAAAAAAAAAAAA=="}`), 409, app.ECONFLICT},
		{"unknown JSON field", "POST", ws + "/repos", []byte(`{"name":"x","key_check":"AAAAAAAAAAAAAAAAAAAAAA==","key":"AA=="}`), 400, app.EINVALID},
		{"invalid UTF-8 body", "POST", ws + "/repos", []byte("{\"name\":\"\xff\"}"), 400, app.EINVALID},
		{"dot-dot path", "POST", ws + "/repos/demo/index-sessions", manifest("../etc/passwd"), 400, app.EINVALID},
		{"absolute path", "POST", ws + "/repos/demo/index-sessions", manifest("/etc/passwd"), 400, app.EINVALID},
		{"unclean path", "POST", ws + "/repos/demo/index-sessions", manifest("a//b.go"), 400, app.EINVALID},
		{"NUL in path", "POST", ws + "/repos/demo/index-sessions", manifest("a\x00b.go"), 400, app.EINVALID},
		{"file not in plan", "POST", files, with(func(f *app.FileUpload) { f.Path = "other.go" }), 400, app.EINVALID},
		{"bad fingerprint", "POST", files, with(func(f *app.FileUpload) { f.Fingerprint = "xyz" }), 400, app.EINVALID},
		{"missing content", "POST", files, with(func(f *app.FileUpload) { f.Content = nil }), 400, app.EINVALID},
		{"oversized blob", "POST", files, with(func(f *app.FileUpload) { f.Content = make([]byte, 17<<20) }), 413, app.ETOOLARGE},
		{"bad symbol lines", "POST", files, with(func(f *app.FileUpload) {
			f.Symbols = []app.EncryptedSymbol{{Name: "X", Kind: "function", Line: 5, EndLine: 2}}
		}), 400, app.EINVALID},
		{"invalid UTF-8 symbol", "POST", files, bytes.Replace(with(func(f *app.FileUpload) {
			f.Symbols = []app.EncryptedSymbol{{Name: "XMARK", Kind: "function", Line: 1, EndLine: 1}}
		}), []byte("XMARK"), []byte("X\xff"), 1), 400, app.EINVALID},
		{"oversized login body", "POST", "/api/v1/auth/login", make([]byte, 100<<10), 413, app.ETOOLARGE},
		{"commit incomplete session", "POST", ws + "/repos/demo/index-sessions/" + plan.SessionID + "/commit", nil, 400, app.EINVALID},
		{"commit unknown session", "POST", ws + "/repos/demo/index-sessions/x_nosuch/commit", nil, 404, app.ENOTFOUND},
		{"no credential", "GET", ws + "/repos", nil, 401, app.EUNAUTHENTICATED},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := api
			a.t = t
			if c.code == app.EUNAUTHENTICATED {
				a.token = ""
			}
			status, p := a.do(c.method, c.path, c.body)
			if status != c.status || p.Code != c.code {
				t.Errorf("got %d %q (%s), want %d %q", status, p.Code, p.Detail, c.status, c.code)
			}
		})
	}

	// Malformed binary framing is refused like malformed JSON, and a
	// well-framed batch is validated like a JSON one.
	for name, body := range map[string][]byte{
		"junk framing":            []byte("OPTQ\x01\xff\xff"),
		"framed dot-dot path":     web.MarshalUpload([]app.FileUpload{{Path: "../x", Fingerprint: strings.Repeat("a", 64), Language: "go", Content: []byte("x")}}),
		"framed file not in plan": web.MarshalUpload([]app.FileUpload{{Path: "other.go", Fingerprint: strings.Repeat("a", 64), Language: "go", Content: []byte("x")}}),
	} {
		req, _ := http.NewRequest("POST", ts.url+files, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+cfg.Token)
		req.Header.Set("Content-Type", web.UploadContentType)
		resp, err := api.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("%s: status %d", name, resp.StatusCode)
		}
	}

	// A body over the global limit is refused from its Content-Length,
	// before the server reads it: send the headers only and read the answer.
	t.Run("oversized body", func(t *testing.T) {
		u, _ := url.Parse(ts.url)
		conn, err := tls.Dial("tcp", u.Host, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			files, u.Host, cfg.Token, 65<<20)
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p web.Problem
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 413 || json.Unmarshal(body, &p) != nil || p.Code != app.ETOOLARGE || p.RequestID == "" {
			t.Errorf("got %d %s", resp.StatusCode, body)
		}
	})

	after, err := cl.Repo(ctx, cfg.Workspace, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if after.Files != before.Files || after.Symbols != before.Symbols || after.Generation != before.Generation {
		t.Fatalf("bad input changed the repo: before %+v after %+v", before, after)
	}
	repos, _ := cl.Repos(ctx, cfg.Workspace)
	if len(repos) != 1 {
		t.Fatalf("bad input created repos: %+v", repos)
	}
	if r := ada.run("", "search", " "); r.code != exitUsage {
		t.Errorf("CLI empty query: exit %d", r.code)
	}
	_ = fmt.Sprint()
}

func TestHoldsSecret(t *testing.T) {
	for _, c := range []struct {
		hay, secret string
		want        bool
	}{
		{`{"code":"890047"}`, "890047", true},
		{"code 890047", "890047", true},
		{`"t":"2026-11-23T09:14:01.1890047Z"`, "890047", false},
		{"0.000890047s", "890047", false},
		{"x 890047 y 1890047", "890047", true},
		{"token optiq_ab_cd", "optiq_ab_cd", true},
		{"nothing", "optiq_ab_cd", false},
	} {
		if got := holdsSecret([]byte(c.hay), c.secret); got != c.want {
			t.Errorf("holdsSecret(%q, %q) = %v", c.hay, c.secret, got)
		}
	}
}
