package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/optiq/optiq/web"
)

func TestUIServesEmbeddedAssets(t *testing.T) {
	app := web.New(web.Config{}).App()
	for _, c := range []struct {
		path, ctype string
		status      int
		contains    string
	}{
		{"/", "text/html; charset=utf-8", 200, `<script type="module" src="/ui/app.js">`},
		{"/ui/app.js", "text/javascript; charset=utf-8", 200, `import * as seal from "./crypto.js"`},
		{"/ui/crypto.js", "text/javascript; charset=utf-8", 200, `DecompressionStream("deflate-raw")`},
		{"/ui/style.css", "text/css; charset=utf-8", 200, ":root"},
		{"/ui/vendor/highlight/core.min.js", "text/javascript; charset=utf-8", 200, "Highlight.js"},
		{"/ui/vendor/highlight/languages/go.min.js", "text/javascript; charset=utf-8", 200, "export default"},
		{"/ui/index.html", "application/problem+json", 404, "no such UI file"},
		{"/ui/nothing.js", "application/problem+json", 404, "no such UI file"},
		{"/api/v1/ui/config", "application/json", 200, `"sso":false`},
		{"/ui/../ui.go", "application/problem+json", 404, ""},
		{"/ui/%2e%2e/ui.go", "application/problem+json", 404, ""},
		{"/ui/", "application/problem+json", 404, ""},
	} {
		res, err := app.Test(httptest.NewRequest("GET", c.path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != c.status || res.Header.Get("Content-Type") != c.ctype || !strings.Contains(string(body), c.contains) {
			t.Errorf("GET %s: %d %s, body %.120q", c.path, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("GET %s: CSP %q", c.path, csp)
		}
	}
}

// The CSP forbids inline scripts and styles; the UI must not need them.
// Views are built with the DOM API, never from HTML strings.
func TestUIHasNoInlineScriptsOrStyles(t *testing.T) {
	root := filepath.Join("ui")
	inlineScript := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)
	scriptNoSrc := regexp.MustCompile(`<script(?:\s(?:[^>](?:[^s>]|s[^r>]|sr[^c>])*)?)?>`)
	checked := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "vendor") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := string(b)
		checked++
		switch filepath.Ext(p) {
		case ".html":
			for _, bad := range []string{"<style", " style=", " onclick=", " onload=", " onsubmit=", "javascript:"} {
				if strings.Contains(s, bad) {
					t.Errorf("%s contains %q", p, bad)
				}
			}
			if inlineScript.MatchString(s) {
				t.Errorf("%s has an inline script", p)
			}
			for _, m := range scriptNoSrc.FindAllString(s, -1) {
				if !strings.Contains(m, "src=") {
					t.Errorf("%s: script without src: %s", p, m)
				}
			}
		case ".js":
			for _, bad := range []string{".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", ".style."} {
				if strings.Contains(s, bad) {
					t.Errorf("%s uses %s", p, bad)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 4 {
		t.Fatalf("checked only %d files", checked)
	}
}

func TestUIAssetsGzipAndETag(t *testing.T) {
	app := web.New(web.Config{}).App()
	get := func(path string, hdr map[string]string) (*http.Response, []byte) {
		req := httptest.NewRequest("GET", path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	plainRes, plain := get("/ui/app.js", nil)
	if plainRes.Header.Get("Content-Encoding") != "" || !strings.Contains(string(plain), "import * as seal") {
		t.Fatalf("without Accept-Encoding: %v %.60q", plainRes.Header, plain)
	}
	for _, ae := range []string{"gzip, deflate, br", "br;q=1.0, gzip;q=0.8"} {
		res, body := get("/ui/app.js", map[string]string{"Accept-Encoding": ae})
		if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") || len(body) >= len(plain)/2 {
			t.Fatalf("Accept-Encoding %q: %v, %d bytes of %d", ae, res.Header, len(body), len(plain))
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		unzipped, _ := io.ReadAll(zr)
		if !bytes.Equal(unzipped, plain) {
			t.Fatal("the gzip body is not the file")
		}
		if res.Header.Get("ETag") == plainRes.Header.Get("ETag") || res.Header.Get("ETag") == "" {
			t.Fatalf("ETags: gzip %q, identity %q", res.Header.Get("ETag"), plainRes.Header.Get("ETag"))
		}
		if again, _ := get("/ui/app.js", map[string]string{"Accept-Encoding": ae, "If-None-Match": res.Header.Get("ETag")}); again.StatusCode != 304 {
			t.Fatalf("revalidation: %d", again.StatusCode)
		}
	}
	if res, _ := get("/ui/app.js", map[string]string{"Accept-Encoding": "gzip;q=0"}); res.Header.Get("Content-Encoding") != "" {
		t.Fatal("gzip sent to a client that refuses it")
	}
	if res, body := get("/", map[string]string{"Accept-Encoding": "gzip"}); res.Header.Get("Content-Encoding") != "gzip" || len(body) == 0 {
		t.Fatalf("index: %v", res.Header)
	}
}
