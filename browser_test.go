package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/pquerna/otp/totp"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/seal"
)

// Browser tests drive Debian's Chromium (headless) against the real server
// on loopback. One browser serves the whole test binary; every test gets a
// fresh browser context (its own cookies and IndexedDB) and tab.

var shared struct {
	once   sync.Once
	ctx    context.Context // the browser
	cancel func()
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cancel != nil {
		shared.cancel()
	}
	os.Exit(code)
}

// chromiumPath finds a browser with .ci/find-chromium.
func chromiumPath() (string, error) {
	out, err := exec.Command("bash", filepath.Join(".ci", "find-chromium")).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("%s", strings.TrimSpace(string(ee.Stderr)))
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// newTab returns a tab in a fresh browser context, skipping the test when
// no browser can be had.
func newTab(t testing.TB) context.Context {
	t.Helper()
	shared.once.Do(func() {
		path, err := chromiumPath()
		if err != nil {
			shared.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.Flag("ignore-certificate-errors", true), // the server's self-signed certificate
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.WindowSize(1280, 900),
		)
		if os.Geteuid() == 0 {
			opts = append(opts, chromedp.NoSandbox)
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(alloc)
		if err := chromedp.Do(ctx); err != nil {
			cancel()
			cancelAlloc()
			shared.err = fmt.Errorf("start %s: %w", path, err)
			return
		}
		shared.ctx, shared.cancel = ctx, func() { cancel(); cancelAlloc() }
	})
	if shared.err != nil {
		t.Skipf("browser tests need Chromium: %v", shared.err)
	}
	tab, cancel := chromedp.NewContext(shared.ctx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(tab); err != nil {
		cancel()
		t.Fatalf("open a browser tab: %v", err)
	}
	t.Cleanup(cancel)
	// Record CSP violations and uncaught errors of every page, for
	// checkPage. Scripts added this way run outside the page's CSP.
	do(t, tab, "watch for CSP violations", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
			window.__problems = [];
			document.addEventListener("securitypolicyviolation", e => window.__problems.push("CSP " + e.violatedDirective + " " + e.blockedURI));
			window.addEventListener("error", e => window.__problems.push("error " + e.message));
			window.addEventListener("unhandledrejection", e => window.__problems.push("unhandled " + (e.reason && e.reason.message || e.reason)));`})
		return err
	}))
	return tab
}

// checkPage fails the test on a CSP violation or an uncaught error in the
// page so far, and on a form control without a label.
func checkPage(t testing.TB, tab context.Context, name string) {
	t.Helper()
	if p := eval[[]string](t, tab, `window.__problems || ["the page was not watched"]`); len(p) != 0 {
		t.Errorf("%s: %q", name, p)
	}
	unlabelled := eval[[]string](t, tab, `[...document.querySelectorAll("input, select, textarea")]
		.filter(e => e.type !== "hidden" && !(e.labels && e.labels.length) && !e.getAttribute("aria-label"))
		.map(e => e.outerHTML.slice(0, 80))`)
	if len(unlabelled) != 0 {
		t.Errorf("%s: form controls without a label: %q", name, unlabelled)
	}
}

// do runs steps with a deadline, failing the test with what was going on.
func do(t testing.TB, tab context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v\npage: %s", what, err, pageText(tab))
	}
}

func eval[T any](t testing.TB, tab context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// pageText is the visible text of the page, for failure messages.
func pageText(tab context.Context) string {
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	return s
}

// waitFor polls a JavaScript condition until it is true.
func waitFor(t testing.TB, tab context.Context, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(tab, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+cond+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (%s), last error %v\npage: %s", what, cond, err, pageText(tab))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// artifactDir is where screenshots go: $OPTIQ_ARTIFACTS/<test> or a
// temporary directory.
func artifactDir(t testing.TB) string {
	t.Helper()
	if root := os.Getenv("OPTIQ_ARTIFACTS"); root != "" {
		dir := filepath.Join(root, regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(t.Name(), "_"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

func screenshot(t testing.TB, tab context.Context, dir, name string) {
	t.Helper()
	checkPage(t, tab, name)
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// fill replaces the value of an input the way a user would (focus, select
// all, type).
func fill(t testing.TB, tab context.Context, sel, value string) {
	t.Helper()
	do(t, tab, "fill "+sel,
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector(`+jsString(sel)+`).value = ""`),
		chromedp.SendKeys(chromedp.CSS(sel), value),
	)
}

// signInBrowser signs in on the UI's page with a password and, when totp
// is set, the code it gives.
func signInBrowser(t testing.TB, tab context.Context, ts *testServer, email, password string, code func() string) {
	t.Helper()
	do(t, tab, "open the sign-in page", chromedp.Navigate(ts.url+"/#/signin"))
	fill(t, tab, `main input[name=email]`, email)
	fill(t, tab, `main input[name=password]`, password)
	do(t, tab, "submit the password", chromedp.Click(chromedp.CSS(`main button[type=submit]`)))
	if code != nil {
		waitFor(t, tab, "the code step", `document.getElementById("mfa-title")`)
		fill(t, tab, `main input[name=code]`, code())
		do(t, tab, "submit the code", chromedp.Click(chromedp.CSS(`main button[type=submit]`)))
	}
	waitFor(t, tab, "the search page", `document.getElementById("q") && !document.getElementById("who").hidden`)
}

// network records every response the tab receives, with its body.
type networkLog struct {
	mu       sync.Mutex
	urls     map[network.RequestID]string
	types    map[network.RequestID]network.ResourceType
	sizes    map[network.RequestID]float64 // bytes on the wire, headers included
	finished []network.RequestID
}

func recordNetwork(t testing.TB, tab context.Context) *networkLog {
	t.Helper()
	l := &networkLog{urls: map[network.RequestID]string{}, types: map[network.RequestID]network.ResourceType{}, sizes: map[network.RequestID]float64{}}
	if err := chromedp.Listen(tab, func(ev any) {
		l.mu.Lock()
		defer l.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventResponseReceived:
			l.urls[e.RequestID] = e.Response.URL
			l.types[e.RequestID] = e.Type
		case *network.EventLoadingFinished:
			l.finished = append(l.finished, e.RequestID)
			l.sizes[e.RequestID] = e.EncodedDataLength
		}
	}); err != nil {
		t.Fatal(err)
	}
	do(t, tab, "enable network events", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
		return err
	}))
	return l
}

// reset forgets what was recorded so far.
func (l *networkLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.urls)
	clear(l.types)
	clear(l.sizes)
	l.finished = nil
}

// transferred sums the bytes on the wire by resource type (Document,
// Script, Stylesheet, Fetch, ...), and lists the URLs.
func (l *networkLog) transferred() (map[string]float64, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	by := map[string]float64{}
	var urls []string
	for _, id := range l.finished {
		by[string(l.types[id])] += l.sizes[id]
		urls = append(urls, fmt.Sprintf("%s %s %.0f", l.types[id], l.urls[id], l.sizes[id]))
	}
	return by, urls
}

type capturedResponse struct {
	url  string
	body []byte
}

// bodies fetches the body of every finished response.
func (l *networkLog) bodies(t testing.TB, tab context.Context) []capturedResponse {
	t.Helper()
	l.mu.Lock()
	ids := append([]network.RequestID(nil), l.finished...)
	urls := make(map[network.RequestID]string, len(l.urls))
	for k, v := range l.urls {
		urls[k] = v
	}
	l.mu.Unlock()
	var out []capturedResponse
	for _, id := range ids {
		u := urls[id]
		do(t, tab, "read a response body", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			r, err := cdp.Call(ctx, tg, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
			if err != nil {
				// Bodies of redirects and 204s do not exist.
				out = append(out, capturedResponse{url: u})
				return nil
			}
			out = append(out, capturedResponse{url: u, body: r.Body})
			return nil
		}))
	}
	return out
}

// TestBrowserSearchAndFileView signs in with TOTP, imports the repo key,
// searches, opens a file and checks the decrypted text against the source,
// while recording every response the browser receives: the canary (in the
// corpus' code, comments and signatures) must never travel in plaintext.
func TestBrowserSearchAndFileView(t *testing.T) {
	ts := startServer(t)
	tab := newTab(t) // after the server: the tab closes (and drops its connections) first
	art := artifactDir(t)
	ada := newUser(t, ts, "ada@example.com", "admin")
	pw := "a long enough passphrase for ada@example.com"
	secret := enrolTOTP(t, ada)
	ada.ok("", "repo", "create", "demo")
	src := t.TempDir()
	writeCorpus(t, src, 3, 3)
	ada.ok("", "index", src, "--repo", "demo", "--json")
	exported := strings.TrimSpace(ada.ok("", "key", "export", "demo"))

	netlog := recordNetwork(t, tab)

	// Sign in with the code of the next TOTP step (the enrolment used the
	// current one, and a step is accepted once).
	signInBrowser(t, tab, ts, "ada@example.com", pw, func() string { return totpAt(t, secret, time.Now().Add(30*time.Second)) })
	screenshot(t, tab, art, "search-empty")

	// Search before the key is imported: results, and a message saying how
	// to get the key.
	do(t, tab, "go to search", chromedp.Navigate(ts.url+"/#/search"))
	fill(t, tab, "#q", "HandleRequest1_2")
	waitFor(t, tab, "results", `document.querySelector("#results li")`)
	waitFor(t, tab, "the missing key message", `!document.getElementById("key-banner").hidden`)
	if msg := eval[string](t, tab, `document.getElementById("key-banner").textContent`); !strings.Contains(msg, "No key for repo demo") || !strings.Contains(msg, "optiq key export demo") {
		t.Fatalf("missing-key message: %q", msg)
	}
	if n := eval[int](t, tab, `document.querySelectorAll("#results pre.sig").length`); n != 0 {
		t.Fatalf("%d signatures shown without a key", n)
	}
	screenshot(t, tab, art, "search-no-key")

	// A key of another length, and the right format with the wrong bytes.
	do(t, tab, "go to keys", chromedp.Navigate(ts.url+"/#/keys"))
	waitFor(t, tab, "the key list", `document.querySelector("#key-list tbody tr")`)
	repoID := strings.Split(exported, ":")[1]
	wrong := "optiq-key-v1:" + repoID + ":" + base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	for _, c := range []struct{ key, want string }{
		{"not a key", "not an exported Optiq key"},
		{wrong, "is not the key of repo demo"},
	} {
		fill(t, tab, "#key-text", c.key)
		do(t, tab, "import a bad key", chromedp.Click(chromedp.CSS(`#key-form button[type=submit]`)))
		waitFor(t, tab, "the key error", `document.getElementById("key-text-err").textContent.includes(`+jsString(c.want)+`)`)
	}
	fill(t, tab, "#key-text", exported)
	do(t, tab, "import the key", chromedp.Click(chromedp.CSS(`#key-form button[type=submit]`)))
	waitFor(t, tab, "the import note", `document.querySelector("#key-form .note").textContent.includes("Imported the key of demo")`)
	waitFor(t, tab, "the key listed", `document.querySelector("#key-list .ok")`)
	screenshot(t, tab, art, "keys")
	// The stored key is a non-extractable AES-GCM CryptoKey.
	if got := eval[string](t, tab, `(async () => {
		const m = await import("/ui/crypto.js");
		const k = await m.loadKey(`+jsString(repoID)+`);
		try { await crypto.subtle.exportKey("raw", k); return "exported"; } catch (e) {}
		return k.type + " " + k.algorithm.name + " " + k.extractable + " " + k.usages.join(",");
	})()`); got != "secret AES-GCM false decrypt" {
		t.Fatalf("stored key: %s", got)
	}

	// A wrong key in the store (say the repo was created again) is named
	// as such; then the right one goes back in.
	do(t, tab, "store a wrong key", chromedp.Evaluate[chromedp.Void](`import("/ui/crypto.js").then(async m => {
		const k = await m.deriveRepoKeys(new Uint8Array(32));
		await m.saveKey(`+jsString(repoID)+`, k.content);
	})`, chromedp.EvalAwaitPromise))
	do(t, tab, "go to search", chromedp.Navigate(ts.url+"/#/search?q=HandleRequest1_2"))
	waitFor(t, tab, "the wrong key message", `!document.getElementById("key-banner").hidden`)
	if msg := eval[string](t, tab, `document.getElementById("key-banner").textContent`); !strings.Contains(msg, "does not open its data") || !strings.Contains(msg, "optiq key export demo") {
		t.Fatalf("wrong-key message: %q", msg)
	}
	do(t, tab, "go to keys", chromedp.Navigate(ts.url+"/#/keys"))
	fill(t, tab, "#key-text", exported)
	do(t, tab, "import the key again", chromedp.Click(chromedp.CSS(`#key-form button[type=submit]`)))
	waitFor(t, tab, "the import note", `document.querySelector("#key-form .note").textContent.includes("Imported the key of demo")`)

	// Search: the signature and doc are decrypted in the page.
	do(t, tab, "go to search", chromedp.Navigate(ts.url+"/#/search"))
	fill(t, tab, "#q", "HandleRequest1_2")
	waitFor(t, tab, "a decrypted signature", `document.querySelector("#results li pre.sig")`)
	if !eval[bool](t, tab, `document.getElementById("key-banner").hidden`) {
		t.Error("the key message stays after the key was imported")
	}
	sig := eval[string](t, tab, `document.querySelector("#results li pre.sig").textContent`)
	if !strings.HasPrefix(sig, "func HandleRequest1_2(") || !strings.Contains(sig, strings.ToLower(canary)) {
		t.Fatalf("decrypted signature: %q", sig)
	}
	if doc := eval[string](t, tab, `document.querySelector("#results li .doc").textContent`); !strings.HasPrefix(doc, "HandleRequest1_2 handles a request.") {
		t.Fatalf("decrypted doc: %q", doc)
	}
	// The kind filter narrows the query.
	do(t, tab, "filter by kind", chromedp.SetValue(chromedp.CSS("#f-kind"), "struct"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("f-kind").dispatchEvent(new Event("change"))`))
	fill(t, tab, "#q", "Widget1")
	waitFor(t, tab, "struct results only", `[...document.querySelectorAll("#results .kind")].length > 0 && [...document.querySelectorAll("#results .kind")].every(e => e.textContent === "struct")`)
	screenshot(t, tab, art, "search-results")

	// File view, reached with the keyboard: Down from the search box to the
	// first result, Enter. The decrypted text equals the source.
	do(t, tab, "focus the search box", chromedp.Focus(chromedp.CSS("#q")))
	do(t, tab, "press Down", chromedp.KeyEvent(kb.ArrowDown))
	waitFor(t, tab, "the first result focused", `document.activeElement === document.querySelector("#results a.name")`)
	do(t, tab, "press Down and Up", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowUp))
	waitFor(t, tab, "the first result focused again", `document.activeElement === document.querySelector("#results a.name")`)
	do(t, tab, "press Enter", chromedp.KeyEvent(kb.Enter))
	waitFor(t, tab, "the file view", `document.getElementById("code") && document.getElementById("code").plaintext !== undefined`)
	path := eval[string](t, tab, `new URLSearchParams(location.hash.split("?")[1]).get("path")`)
	want, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(path)))
	if err != nil {
		t.Fatalf("the file view shows %q: %v", path, err)
	}
	if got := eval[string](t, tab, `document.getElementById("code").plaintext`); got != string(want) {
		t.Fatalf("decrypted %s differs from the source:\n%s\nwant:\n%s", path, got, want)
	}
	// What is on screen, line by line, is the source too.
	shown := eval[[]string](t, tab, `[...document.querySelectorAll("#code td.src")].map(td => td.textContent)`)
	if strings.Join(shown, "\n")+"\n" != string(want) {
		t.Fatalf("rendered lines differ from the source:\n%s", strings.Join(shown, "\n"))
	}
	if n := eval[int](t, tab, `document.querySelectorAll("#code .hljs-keyword").length`); n == 0 {
		t.Fatal("no syntax highlighting in the file view")
	}
	outline := eval[[]string](t, tab, `[...document.querySelectorAll(".outline li a")].map(a => a.textContent)`)
	if !strings.Contains(strings.Join(outline, " "), "HandleRequest") || !strings.Contains(strings.Join(outline, " "), "Render") {
		t.Fatalf("outline: %q", outline)
	}
	screenshot(t, tab, art, "file-view")
	// On a phone-sized screen the page does not scroll sideways (the code
	// scrolls in its own box).
	do(t, tab, "a phone-sized screen", chromedp.EmulateViewport(390, 844))
	if w := eval[[]int](t, tab, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
		t.Errorf("the file view is %d px wide on a %d px screen", w[0], w[1])
	}
	screenshot(t, tab, art, "file-view-phone")
	do(t, tab, "a desktop screen", chromedp.EmulateViewport(1280, 900))

	// The page did decrypt the canary, and no response carried it.
	if !strings.Contains(eval[string](t, tab, `document.getElementById("code").plaintext`), canary) {
		t.Fatal("the test file has no canary to look for")
	}
	seen := map[string]bool{}
	for _, r := range netlog.bodies(t, tab) {
		switch {
		case strings.Contains(r.url, "/search?"):
			seen["search"] = true
		case strings.Contains(r.url, "/file?"):
			seen["file"] = true
		case strings.HasSuffix(r.url, "/ui/app.js"):
			seen["app.js"] = true
		}
		if strings.Contains(r.url, canary) || strings.Contains(strings.ToLower(r.url), strings.ToLower(canary)) {
			t.Errorf("request URL carries the canary: %s", r.url)
		}
		for _, needle := range []string{canary, strings.ToLower(canary)} {
			if strings.Contains(string(r.body), needle) {
				t.Errorf("response of %s carries the canary in plaintext", r.url)
			}
		}
	}
	for _, w := range []string{"search", "file", "app.js"} {
		if !seen[w] {
			t.Errorf("no %s response recorded: the canary check saw too little", w)
		}
	}

	// The workspace page lists the repo with its index status and size.
	do(t, tab, "open workspaces", chromedp.Navigate(ts.url+"/#/workspaces"))
	waitFor(t, tab, "the repo list", `document.querySelector("#repos tbody tr")`)
	if row := eval[[]string](t, tab, `[...document.querySelectorAll("#repos tbody tr td")].map(td => td.textContent)`); len(row) != 5 || row[0] != "demo" || row[1] != "10" || row[2] == "0" || !strings.HasSuffix(row[3], "B") || row[4] == "not indexed yet" {
		t.Errorf("repo row: %q", row)
	}
	screenshot(t, tab, art, "workspaces")

	// Sign out: back to the sign-in page, and the API refuses the old session.
	do(t, tab, "sign out", chromedp.Click(chromedp.CSS("#logout")))
	waitFor(t, tab, "the sign-in page", `document.getElementById("signin-title")`)
	if st := eval[int](t, tab, `fetch("/api/v1/me").then(r => r.status)`); st != 401 {
		t.Fatalf("after sign-out /api/v1/me answered %d", st)
	}
	screenshot(t, tab, art, "signin")
}

// enrolTOTP turns on TOTP for c's account and returns the secret.
func enrolTOTP(t testing.TB, c cli) string {
	t.Helper()
	var e app.TOTPEnrolment
	if err := json.Unmarshal([]byte(c.ok("", "mfa", "enrol", "--json", "--qr", filepath.Join(t.TempDir(), "qr.png"))), &e); err != nil {
		t.Fatal(err)
	}
	c.ok("", "mfa", "confirm", totpAt(t, e.Secret, time.Now()))
	return e.Secret
}

func totpAt(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// TestBrowserDecryptionMatchesSeal checks web/ui/crypto.js against package
// seal, in Chromium: the same key derivation and check value, the same
// blobs opened to the same bytes (stored and compressed DEFLATE, empty,
// binary, Unicode paths, symbol fields), and every kind of mismatch (wrong
// key, repo, path or kind; tampered, truncated or unknown-version blobs)
// refused as a key error.
func TestBrowserDecryptionMatchesSeal(t *testing.T) {
	ts := startServer(t)
	tab := newTab(t)
	do(t, tab, "load the UI", chromedp.Navigate(ts.url+"/#/signin"))
	waitFor(t, tab, "the sign-in page", `document.getElementById("signin-title")`)

	k := seal.NewRepoKey()
	const repoID = "r_0123456789abcdef"
	rc := seal.NewRepo(repoID, k)
	big := make([]byte, 300<<10)
	for i := range big {
		big[i] = byte("func Handle() { return 42 }\n"[i%28])
	}
	bin := make([]byte, 4096)
	for i := range bin {
		bin[i] = byte(i * 7 % 251)
	}
	type blobCase struct {
		Path, Kind string
		Plain      []byte `json:"-"`
		Blob       []byte // base64 in JSON
	}
	var cases []blobCase
	for _, c := range []struct {
		path, kind string
		plain      []byte
	}{
		{"main.go", seal.KindContent, []byte{}},
		{"main.go", seal.KindContent, []byte("package main\n")},
		{"dir/ünïcode 世界.go", seal.KindContent, []byte("// héllo 世界 🙂\npackage x\n")},
		{"pkg/big.go", seal.KindContent, big},
		{"logo.bin", seal.KindContent, bin},
		{"pkg/a.go", seal.SymbolField(seal.KindSignature, "Handle", 12), []byte("func Handle(ctx context.Context) error")},
		{"pkg/a.go", seal.SymbolField(seal.KindDoc, "Handle", 12), []byte(strings.Repeat("Handle handles. ", 40))},
	} {
		cases = append(cases, blobCase{Path: c.path, Kind: c.kind, Plain: c.plain, Blob: rc.Seal(c.path, c.kind, c.plain)})
	}
	input, _ := json.Marshal(map[string]any{"exported": k.Export(repoID), "repo": repoID, "cases": cases})

	var out struct {
		RepoID string   `json:"repoId"`
		Check  string   `json:"check"`
		Plain  []string `json:"plain"`
		Errors []string `json:"errors"`
	}
	raw := eval[string](t, tab, `(async (input) => {
		const m = await import("/ui/crypto.js");
		const b64 = (u8) => { let s = ""; for (const x of u8) s += String.fromCharCode(x); return btoa(s); };
		const {repoId, raw} = m.parseExported(input.exported);
		const keys = await m.deriveRepoKeys(raw);
		const plain = [];
		for (const c of input.cases) plain.push(b64(await m.open(keys.content, input.repo, c.Path, c.Kind, c.Blob)));
		const c0 = input.cases[1], blob = m.base64Decode(c0.Blob);
		const flip = (i) => { const b = blob.slice(); b[i] ^= 1; return b; };
		const wrong = await m.deriveRepoKeys(new Uint8Array(32));
		const attempts = [
			() => m.open(wrong.content, input.repo, c0.Path, c0.Kind, blob),
			() => m.open(keys.content, "r_other", c0.Path, c0.Kind, blob),
			() => m.open(keys.content, input.repo, "other.go", c0.Kind, blob),
			() => m.open(keys.content, input.repo, c0.Path, "sig/1/x", blob),
			() => m.open(keys.content, input.repo, c0.Path, c0.Kind, flip(20)),
			() => m.open(keys.content, input.repo, c0.Path, c0.Kind, flip(5)),
			() => m.open(keys.content, input.repo, c0.Path, c0.Kind, flip(blob.length - 1)),
			() => m.open(keys.content, input.repo, c0.Path, c0.Kind, blob.slice(0, 20)),
			() => m.open(keys.content, input.repo, c0.Path, c0.Kind, Uint8Array.of(2, ...blob.slice(1))),
		];
		const errors = [];
		for (const a of attempts) {
			try { await a(); errors.push("opened"); } catch (e) { errors.push((e instanceof m.KeyError ? "KeyError: " : "other: ") + e.message); }
		}
		return JSON.stringify({repoId, check: b64(keys.check), plain, errors});
	})(`+string(input)+`)`)
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatal(err)
	}
	if out.RepoID != repoID {
		t.Errorf("parsed repo id %q", out.RepoID)
	}
	if want := base64.StdEncoding.EncodeToString(seal.KeyCheck(k)); out.Check != want {
		t.Errorf("key check: browser %s, seal %s", out.Check, want)
	}
	if len(out.Plain) != len(cases) {
		t.Fatalf("%d plaintexts for %d blobs", len(out.Plain), len(cases))
	}
	for i, c := range cases {
		got, _ := base64.StdEncoding.DecodeString(out.Plain[i])
		if !bytes.Equal(got, c.Plain) {
			t.Errorf("%s %s: the browser opened %d bytes, seal sealed %d", c.Path, c.Kind, len(got), len(c.Plain))
		}
		// And seal opens its own blob to the same bytes.
		if back, err := rc.Open(c.Path, c.Kind, c.Blob); err != nil || !bytes.Equal(back, c.Plain) {
			t.Errorf("seal.Open %s %s: %v", c.Path, c.Kind, err)
		}
	}
	if len(out.Errors) != 9 {
		t.Fatalf("mismatch results: %q", out.Errors)
	}
	for i, e := range out.Errors {
		if !strings.HasPrefix(e, "KeyError: ") || !strings.Contains(e, "wrong key or tampered data") {
			t.Errorf("mismatch %d: %s", i, e)
		}
	}

	// Exported keys that are not keys are refused with what to do.
	for _, bad := range []string{"", "optiq-key-v1:r_x", "optiq-key-v2:r_x:AAAA", "optiq-key-v1:r_x:!!!!", "optiq-key-v1:r_x:" + base64.RawURLEncoding.EncodeToString(make([]byte, 16))} {
		msg := eval[string](t, tab, `import("/ui/crypto.js").then(m => { try { m.parseExported(`+jsString(bad)+`); return "parsed"; } catch (e) { return (e instanceof m.KeyError ? "KeyError: " : "other: ") + e.message; } })`)
		if !strings.HasPrefix(msg, "KeyError: ") || !strings.Contains(msg, "optiq key export") {
			t.Errorf("parseExported(%q): %s", bad, msg)
		}
		if _, _, err := seal.ImportKey(bad); err == nil {
			t.Errorf("seal.ImportKey accepts %q", bad)
		}
	}
}

// TestBrowserAccountWorkspaceAndAudit drives the account, workspace and
// admin pages: TOTP enrolment with its QR code and backup codes shown once,
// an API key whose secret is shown once and works, a workspace with a
// member whose role changes, errors shown next to the field, and the audit
// entries of all that in the audit viewer.
func TestBrowserAccountWorkspaceAndAudit(t *testing.T) {
	ts := startServer(t)
	tab := newTab(t)
	art := artifactDir(t)
	newUser(t, ts, "ada@example.com", "admin")
	newUser(t, ts, "bob@example.com", "member")
	signInBrowser(t, tab, ts, "ada@example.com", "a long enough passphrase for ada@example.com", nil)

	// TOTP enrolment: QR code, secret, code, backup codes once.
	do(t, tab, "open the account page", chromedp.Navigate(ts.url+"/#/account"))
	waitFor(t, tab, "the MFA section", `document.getElementById("totp-start")`)
	do(t, tab, "start TOTP enrolment", chromedp.Click(chromedp.CSS("#totp-start")))
	waitFor(t, tab, "the QR code", `document.getElementById("totp-qr") && document.getElementById("totp-qr").complete && document.getElementById("totp-qr").naturalWidth > 0`)
	secret := eval[string](t, tab, `document.getElementById("totp-secret").textContent`)
	fill(t, tab, "#totp-code", "000000")
	do(t, tab, "confirm a wrong code", chromedp.Click(chromedp.CSS(`#mfa-out button[type=submit]`)))
	waitFor(t, tab, "the code error next to the field", `document.getElementById("totp-code-err").textContent !== ""`)
	fill(t, tab, "#totp-code", totpAt(t, secret, time.Now()))
	do(t, tab, "confirm the code", chromedp.Click(chromedp.CSS(`#mfa-out button[type=submit]`)))
	waitFor(t, tab, "ten backup codes", `document.querySelectorAll("#backup-codes li").length === 10`)
	backup := eval[[]string](t, tab, `[...document.querySelectorAll("#backup-codes li")].map(li => li.textContent)`)
	screenshot(t, tab, art, "account-mfa")

	// API key: a validation error next to the name, then a key whose
	// secret is shown once and works.
	do(t, tab, "reload the account page", chromedp.Navigate(ts.url+"/#/search"), chromedp.Navigate(ts.url+"/#/account"))
	waitFor(t, tab, "the API key form", `document.getElementById("apikey-form") && document.getElementById("backup-new")`)
	if n := eval[int](t, tab, `document.querySelectorAll("#backup-codes li").length`); n != 0 {
		t.Fatalf("backup codes shown again after a reload: %d", n)
	}
	do(t, tab, "create a key without a name", chromedp.Click(chromedp.CSS(`#apikey-form button[type=submit]`)))
	waitFor(t, tab, "the name error", `document.getElementById("key-name-err").textContent.includes("name")`)
	fill(t, tab, "#key-name", "ci")
	do(t, tab, "create a key", chromedp.Click(chromedp.CSS(`#apikey-form button[type=submit]`)))
	waitFor(t, tab, "the new key's secret", `document.getElementById("new-key")`)
	key := eval[string](t, tab, `document.getElementById("new-key").textContent`)
	if !strings.HasPrefix(key, "optiq_") {
		t.Fatalf("API key secret %q", key)
	}
	if status, _, body, _ := newHTTPCaller(t, ts, key, false).do("GET", "/api/v1/workspaces", "", nil, nil); status != 200 {
		t.Fatalf("the new key does not work: %d %s", status, body)
	}
	waitFor(t, tab, "the key listed", `[...document.querySelectorAll("#apikeys td")].some(td => td.textContent === "ci")`)
	screenshot(t, tab, art, "account-apikey")
	do(t, tab, "reload the account page", chromedp.Navigate(ts.url+"/#/search"), chromedp.Navigate(ts.url+"/#/account"))
	waitFor(t, tab, "the key list", `document.getElementById("apikeys")`)
	if strings.Contains(pageText(tab), key) {
		t.Fatal("the API key secret is shown again after a reload")
	}

	// Workspace: create, a field error, add a member, change the role.
	do(t, tab, "open workspaces", chromedp.Navigate(ts.url+"/#/workspaces"))
	fill(t, tab, "#ws-name", "personal")
	do(t, tab, "create a workspace with a reserved name", chromedp.Click(chromedp.CSS(`#ws-form button[type=submit]`)))
	waitFor(t, tab, "the name error", `document.getElementById("ws-name-err").textContent.includes("personal")`)
	fill(t, tab, "#ws-name", "team")
	do(t, tab, "create a workspace", chromedp.Click(chromedp.CSS(`#ws-form button[type=submit]`)))
	waitFor(t, tab, "the member form", `document.getElementById("member-form") && document.querySelector("#ws-detail h2").textContent.startsWith("team")`)
	fill(t, tab, "#member-email", "nobody@example.com")
	do(t, tab, "add an unknown user", chromedp.Click(chromedp.CSS(`#member-form button[type=submit]`)))
	waitFor(t, tab, "the email error", `document.getElementById("member-email-err").textContent !== "" || document.querySelector("#member-form .form-err").textContent !== ""`)
	fill(t, tab, "#member-email", "bob@example.com")
	do(t, tab, "add bob", chromedp.Click(chromedp.CSS(`#member-form button[type=submit]`)))
	waitFor(t, tab, "bob listed", `[...document.querySelectorAll("#members td")].some(td => td.textContent === "bob@example.com")`)
	do(t, tab, "make bob a viewer", chromedp.Evaluate[chromedp.Void](`(() => {
		const row = [...document.querySelectorAll("#members tr")].find(tr => tr.textContent.includes("bob@example.com"));
		const sel = row.querySelector("select");
		sel.value = "viewer";
		sel.dispatchEvent(new Event("change"));
	})()`))
	waitFor(t, tab, "the role saved", `[...document.querySelectorAll("#members select")].some(s => s.dataset.saved === "viewer")`)
	screenshot(t, tab, art, "workspace")
	ws := eval[string](t, tab, `new URLSearchParams(location.hash.split("?")[1]).get("id")`)
	members := eval[string](t, tab, `fetch("/api/v1/workspaces/`+ws+`/members").then(r => r.text())`)
	if !regexp.MustCompile(`"email":"bob@example.com","role":"viewer"`).MatchString(members) {
		t.Fatalf("bob's role on the server: %s", members)
	}

	// The audit viewer shows all of it, and filters by action.
	do(t, tab, "open the audit log", chromedp.Navigate(ts.url+"/#/admin/audit"))
	waitFor(t, tab, "audit entries", `document.querySelectorAll("#audit tbody tr").length > 0`)
	actions := strings.Join(eval[[]string](t, tab, `[...document.querySelectorAll("#audit tbody tr td:nth-child(4)")].map(td => td.textContent)`), " ")
	for _, want := range []string{app.AuditMFAEnrol, app.AuditAPIKeyCreate, app.AuditWorkspaceCreate, app.AuditMemberAdd, app.AuditMemberRole} {
		if !strings.Contains(actions, want) {
			t.Errorf("audit viewer lacks %s: %s", want, actions)
		}
	}
	screenshot(t, tab, art, "admin-audit")
	fill(t, tab, "#audit-action", app.AuditMemberRole)
	do(t, tab, "filter", chromedp.Click(chromedp.CSS(`#audit-form button[type=submit]`)))
	waitFor(t, tab, "only role changes", `(() => { const a = [...document.querySelectorAll("#audit tbody tr td:nth-child(4)")].map(td => td.textContent); return a.length > 0 && a.every(x => x === "member.role"); })()`)
	if detail := eval[string](t, tab, `document.querySelector("#audit tbody tr td:nth-child(8)").textContent`); !strings.Contains(detail, "viewer") {
		t.Errorf("role change entry detail: %q", detail)
	}
	// Export the filtered entries as CSV and JSON downloads.
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(tab, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, BrowserContextID: chromedp.FromContext(tab).BrowserContextID, DownloadPath: downloads}); err != nil {
		t.Fatal(err)
	}
	do(t, tab, "export CSV and JSON", chromedp.Click(chromedp.CSS("#export-csv")), chromedp.Click(chromedp.CSS("#export-json")))
	var csvFile, jsonFile []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && (csvFile == nil || jsonFile == nil); time.Sleep(50 * time.Millisecond) {
		csvFile, _ = os.ReadFile(filepath.Join(downloads, "optiq-audit.csv"))
		jsonFile, _ = os.ReadFile(filepath.Join(downloads, "optiq-audit.json"))
	}
	lines := strings.Split(strings.TrimSpace(string(csvFile)), "\r\n")
	if len(lines) < 2 || lines[0] != "seq,at,actor,action,target,workspace,remote,request_id,detail,hash" || !strings.Contains(lines[1], ",member.role,") {
		t.Errorf("CSV export: %q", csvFile)
	}
	var exported []app.AuditEntry
	if err := json.Unmarshal(jsonFile, &exported); err != nil || len(exported) != len(lines)-1 || exported[0].Action != app.AuditMemberRole || exported[0].Detail["to"] != "viewer" {
		t.Errorf("JSON export (%v): %s", err, jsonFile)
	}

	// Filter by an e-mail address and a day (the whole day, UTC).
	fill(t, tab, "#audit-action", "")
	fill(t, tab, "#audit-actor", "bob@example.com")
	do(t, tab, "set the until day", chromedp.SetValue(chromedp.CSS("#audit-until"), time.Now().UTC().Format("2006-01-02")))
	do(t, tab, "filter", chromedp.Click(chromedp.CSS(`#audit-form button[type=submit]`)))
	waitFor(t, tab, "only bob's entries", `(() => { const a = [...document.querySelectorAll("#audit tbody tr td:nth-child(3)")].map(td => td.textContent); return a.length > 0 && a.every(x => x === "bob@example.com"); })()`)
	fill(t, tab, "#audit-actor", "nobody@example.com")
	do(t, tab, "filter", chromedp.Click(chromedp.CSS(`#audit-form button[type=submit]`)))
	waitFor(t, tab, "the unknown address named next to the field", `document.getElementById("audit-actor-err").textContent.includes("nobody@example.com")`)

	// The other admin pages render.
	do(t, tab, "open users", chromedp.Navigate(ts.url+"/#/admin/users"))
	waitFor(t, tab, "the user list", `[...document.querySelectorAll("#users td")].some(td => td.textContent === "bob@example.com")`)
	screenshot(t, tab, art, "admin-users")
	do(t, tab, "open health", chromedp.Navigate(ts.url+"/#/admin/health"))
	waitFor(t, tab, "the readiness checks", `document.querySelectorAll("#checks tbody tr").length > 0`)
	do(t, tab, "back up now", chromedp.Click(chromedp.CSS("#backup-now")))
	waitFor(t, tab, "the backup's result", `document.getElementById("backup-result").textContent.startsWith("backup ")`)
	screenshot(t, tab, art, "admin-health")
	do(t, tab, "open settings", chromedp.Navigate(ts.url+"/#/admin/settings"))
	waitFor(t, tab, "the settings", `document.querySelector("#settings dl")`)
	screenshot(t, tab, art, "admin-settings")

	// Sign out, and back in with a backup code; the same code fails twice.
	for _, want := range []string{"signed in", "refused"} {
		do(t, tab, "sign out", chromedp.Click(chromedp.CSS("#logout")))
		waitFor(t, tab, "the sign-in page", `document.getElementById("signin-title")`)
		fill(t, tab, `main input[name=email]`, "ada@example.com")
		fill(t, tab, `main input[name=password]`, "a long enough passphrase for ada@example.com")
		do(t, tab, "submit the password", chromedp.Click(chromedp.CSS(`main button[type=submit]`)))
		waitFor(t, tab, "the code step", `document.getElementById("mfa-title")`)
		do(t, tab, "choose a backup code", chromedp.SetValue(chromedp.CSS(`main select[name=method]`), "backup"))
		fill(t, tab, `main input[name=code]`, backup[0])
		do(t, tab, "submit the backup code", chromedp.Click(chromedp.CSS(`main button[type=submit]`)))
		if want == "signed in" {
			waitFor(t, tab, "the search page", `document.getElementById("q") && !document.getElementById("who").hidden`)
			continue
		}
		waitFor(t, tab, "the reused code refused", `document.getElementById("mfa-title") && (document.querySelector("main input[name=code]").getAttribute("aria-invalid") === "true" || document.querySelector("main .form-err").textContent !== "")`)
		if !eval[bool](t, tab, `document.getElementById("who").hidden`) {
			t.Fatal("signed in with a used backup code")
		}
	}
}

// TestBrowserAdminUsers drives the admin user pages: create (with a field
// error first), disable behind a confirmation (the account can no longer
// sign in), enable, change the role, delete behind a confirmation, and
// the audit entries of each.
func TestBrowserAdminUsers(t *testing.T) {
	ts := startServer(t)
	tab := newTab(t)
	art := artifactDir(t)
	newUser(t, ts, "ada@example.com", "admin")
	signInBrowser(t, tab, ts, "ada@example.com", "a long enough passphrase for ada@example.com", nil)
	do(t, tab, "open users", chromedp.Navigate(ts.url+"/#/admin/users"))
	waitFor(t, tab, "the user form", `document.getElementById("user-form")`)

	fill(t, tab, "#user-email", "carol at example.com")
	fill(t, tab, "#user-password", "short")
	do(t, tab, "create with a bad address", chromedp.Click(chromedp.CSS(`#user-form button[type=submit]`)))
	waitFor(t, tab, "the e-mail error", `document.getElementById("user-email-err").textContent.includes("e-mail")`)
	fill(t, tab, "#user-email", "carol@example.com")
	do(t, tab, "create with a short password", chromedp.Click(chromedp.CSS(`#user-form button[type=submit]`)))
	waitFor(t, tab, "the password error", `document.getElementById("user-password-err").textContent.includes("password")`)
	carolPW := "carol's long enough passphrase"
	fill(t, tab, "#user-email", "carol@example.com")
	fill(t, tab, "#user-password", carolPW)
	do(t, tab, "create carol", chromedp.Click(chromedp.CSS(`#user-form button[type=submit]`)))
	row := `document.querySelector('#users tr[data-email="carol@example.com"]')`
	waitFor(t, tab, "carol listed", row)
	login := func() int {
		status, _, _, _ := newHTTPCaller(t, ts, "", false).do("POST", "/api/v1/auth/login", "application/json", []byte(`{"email":"carol@example.com","password":"`+carolPW+`"}`), nil)
		return status
	}
	if st := login(); st != 200 {
		t.Fatalf("carol cannot sign in after creation: %d", st)
	}

	// Disable: the confirmation first (cancel does nothing), then for real.
	do(t, tab, "disable carol", chromedp.Click(chromedp.CSS(`#users tr[data-email="carol@example.com"] button[data-email]`)))
	waitFor(t, tab, "the confirmation", `document.getElementById("confirm").open`)
	screenshot(t, tab, art, "admin-confirm")
	do(t, tab, "cancel", chromedp.Click(chromedp.CSS("#confirm-no")))
	waitFor(t, tab, "the dialog closed", `!document.getElementById("confirm").open`)
	if st := login(); st != 200 {
		t.Fatalf("cancelled disable took effect: %d", st)
	}
	do(t, tab, "disable carol", chromedp.Click(chromedp.CSS(`#users tr[data-email="carol@example.com"] button[data-email]`)))
	waitFor(t, tab, "the confirmation", `document.getElementById("confirm").open`)
	do(t, tab, "confirm", chromedp.Click(chromedp.CSS("#confirm-yes")))
	waitFor(t, tab, "carol disabled", row+` && `+row+`.querySelector(".status").textContent === "disabled"`)
	if st := login(); st != 401 {
		t.Fatalf("a disabled account signs in: %d", st)
	}
	do(t, tab, "enable carol", chromedp.Click(chromedp.CSS(`#users tr[data-email="carol@example.com"] button[data-email]`)))
	waitFor(t, tab, "carol enabled", row+` && `+row+`.querySelector(".status").textContent === "active"`)
	if st := login(); st != 200 {
		t.Fatalf("an enabled account cannot sign in: %d", st)
	}
	do(t, tab, "make carol admin", chromedp.Evaluate[chromedp.Void](`(() => { const s = `+row+`.querySelector("select"); s.value = "admin"; s.dispatchEvent(new Event("change")); })()`))
	waitFor(t, tab, "the role saved", row+`.querySelector("select").dataset.saved === "admin"`)
	screenshot(t, tab, art, "admin-users")

	do(t, tab, "delete carol", chromedp.Click(chromedp.CSS(`#users tr[data-email="carol@example.com"] button[aria-label^=Delete]`)))
	waitFor(t, tab, "the confirmation", `document.getElementById("confirm").open`)
	do(t, tab, "confirm", chromedp.Click(chromedp.CSS("#confirm-yes")))
	waitFor(t, tab, "carol gone", `document.getElementById("user-form") && !`+row)
	if st := login(); st != 401 {
		t.Fatalf("a deleted account signs in: %d", st)
	}

	do(t, tab, "open the audit log", chromedp.Navigate(ts.url+"/#/admin/audit"))
	waitFor(t, tab, "audit entries", `document.querySelectorAll("#audit tbody tr").length > 0`)
	actions := strings.Join(eval[[]string](t, tab, `[...document.querySelectorAll("#audit tbody tr td:nth-child(4)")].map(td => td.textContent)`), " ")
	for _, want := range []string{app.AuditUserCreate, app.AuditUserDisable, app.AuditUserEnable, app.AuditUserRole, app.AuditUserDelete} {
		if !strings.Contains(actions, want) {
			t.Errorf("audit viewer lacks %s: %s", want, actions)
		}
	}
}

// TestBrowserPasswordChange changes the password on the account page:
// errors next to the field they are about, then a change that keeps this
// browser signed in and ends the account's CLI session.
func TestBrowserPasswordChange(t *testing.T) {
	ts := startServer(t)
	tab := newTab(t)
	ada := newUser(t, ts, "ada@example.com", "admin")
	oldPW, newPW := "a long enough passphrase for ada@example.com", "a brand new passphrase, long"
	signInBrowser(t, tab, ts, "ada@example.com", oldPW, nil)
	do(t, tab, "open the account page", chromedp.Navigate(ts.url+"/#/account"))
	waitFor(t, tab, "the password form", `document.getElementById("pw-form")`)

	// Sessions: this browser and the CLI login; the CLI one is signed out.
	laptop := cli{t: t, cfg: t.TempDir()}
	laptop.ok(oldPW+"\n", "login", ts.url, "--email", "ada@example.com", "--password-stdin", "--fingerprint", ts.fingerprint)
	do(t, tab, "reload the account page", chromedp.Navigate(ts.url+"/#/search"), chromedp.Navigate(ts.url+"/#/account"))
	waitFor(t, tab, "three sessions", `document.querySelectorAll("#sessions tbody tr").length === 3`)
	if kinds := eval[[]string](t, tab, `[...document.querySelectorAll("#sessions tbody tr td:first-child")].map(td => td.textContent)`); strings.Join(kinds, ",") != "browser,CLI (password),CLI (password)" {
		t.Fatalf("sessions listed: %q", kinds)
	}
	screenshot(t, tab, artifactDir(t), "account-sessions")
	_, laptopCfg := clientFor(t, laptop)
	var laptopID string
	for _, id := range eval[[]string](t, tab, `[...document.querySelectorAll("#sessions tbody tr")].map(tr => tr.dataset.id)`) {
		if strings.HasPrefix(laptopCfg.Token, "optiq_"+id+"_") {
			laptopID = id
		}
	}
	if laptopID == "" {
		t.Fatal("the laptop's CLI session is not listed")
	}
	do(t, tab, "sign out the laptop's CLI session", chromedp.Click(chromedp.CSS(`#sessions tbody tr[data-id="`+laptopID+`"] button`)))
	waitFor(t, tab, "the confirmation", `document.getElementById("confirm").open`)
	do(t, tab, "confirm", chromedp.Click(chromedp.CSS("#confirm-yes")))
	waitFor(t, tab, "two sessions", `document.querySelectorAll("#sessions tbody tr").length === 2`)
	if r := laptop.run("", "repo", "list"); r.code == 0 {
		t.Fatalf("the signed-out CLI session still works: %s", r.stdout)
	}
	ada.ok("", "repo", "list")

	for _, c := range []struct{ current, next, again, field, want string }{
		{"wrong password here", newPW, newPW, "pw-current", "current password is wrong"},
		{oldPW, "short", "short", "pw-new", "new password too short"},
		{oldPW, newPW, newPW + "x", "pw-again", "differ"},
	} {
		fill(t, tab, "#pw-current", c.current)
		fill(t, tab, "#pw-new", c.next)
		fill(t, tab, "#pw-again", c.again)
		do(t, tab, "change the password", chromedp.Click(chromedp.CSS(`#pw-form button[type=submit]`)))
		waitFor(t, tab, c.want+" next to "+c.field, `document.getElementById("`+c.field+`-err").textContent.includes(`+jsString(c.want)+`)`)
	}
	fill(t, tab, "#pw-current", oldPW)
	fill(t, tab, "#pw-new", newPW)
	fill(t, tab, "#pw-again", newPW)
	do(t, tab, "change the password", chromedp.Click(chromedp.CSS(`#pw-form button[type=submit]`)))
	waitFor(t, tab, "the confirmation", `document.querySelector("#pw-form .note").textContent.includes("Password changed")`)
	if st := eval[int](t, tab, `fetch("/api/v1/me").then(r => r.status)`); st != 200 {
		t.Fatalf("this browser was signed out by its own password change: %d", st)
	}
	if r := ada.run("", "repo", "list"); r.code == 0 {
		t.Fatalf("the CLI session survived the password change: %s", r.stdout)
	}
	login := func(pw string) int {
		status, _, _, _ := newHTTPCaller(t, ts, "", false).do("POST", "/api/v1/auth/login", "application/json", []byte(`{"email":"ada@example.com","password":"`+pw+`"}`), nil)
		return status
	}
	if a, b := login(oldPW), login(newPW); a != 401 || b != 200 {
		t.Fatalf("sign-in with the old password: %d, with the new: %d", a, b)
	}
	audit := eval[string](t, tab, `fetch("/api/v1/audit?action=`+app.AuditPasswordChange+`").then(r => r.text())`)
	if !strings.Contains(audit, `"action":"`+app.AuditPasswordChange+`"`) {
		t.Fatalf("no audit entry for the change: %s", audit)
	}

	// A sensitive action whose sign-in is too old asks for the password in
	// a dialog and then goes through. The server's "sign in again" answer
	// is played to the page once (the real one needs a sign-in older than
	// app.ReauthWindow); the re-authentication itself is real.
	do(t, tab, "answer the next workspace creation with reauth_required", chromedp.Evaluate[chromedp.Void](`(() => {
		const real = window.fetch;
		let once = true;
		window.fetch = (url, opts) => {
			if (once && String(url).endsWith("/api/v1/workspaces") && opts && opts.method === "POST") {
				once = false;
				return Promise.resolve(new Response(JSON.stringify({code: "reauth_required", status: 403, detail: "confirm it is you"}),
					{status: 403, headers: {"Content-Type": "application/problem+json"}}));
			}
			return real(url, opts);
		};
		location.hash = "#/workspaces";
	})()`))
	waitFor(t, tab, "the workspace form", `document.getElementById("ws-form")`)
	fill(t, tab, "#ws-name", "ops")
	do(t, tab, "create a workspace", chromedp.Click(chromedp.CSS(`#ws-form button[type=submit]`)))
	waitFor(t, tab, "the re-authentication dialog", `document.getElementById("reauth").open`)
	fill(t, tab, "#reauth-password", oldPW)
	do(t, tab, "confirm with the old password", chromedp.Click(chromedp.CSS(`#reauth-form button[type=submit]`)))
	waitFor(t, tab, "the password error", `document.getElementById("reauth-password-err").textContent !== ""`)
	screenshot(t, tab, artifactDir(t), "reauth")
	fill(t, tab, "#reauth-password", newPW)
	do(t, tab, "confirm with the new password", chromedp.Click(chromedp.CSS(`#reauth-form button[type=submit]`)))
	waitFor(t, tab, "the workspace created", `!document.getElementById("reauth").open && document.querySelector("#ws-detail h2") && document.querySelector("#ws-detail h2").textContent.startsWith("ops")`)
	if audit := eval[string](t, tab, `fetch("/api/v1/audit?action=`+app.AuditReauth+`").then(r => r.text())`); !strings.Contains(audit, `"action":"`+app.AuditReauth+`"`) {
		t.Fatalf("no audit entry for the re-authentication: %s", audit)
	}
}

// TestBrowserRequiredMFAEnrolment: on an instance that requires MFA, an
// account without it is taken to enrolment after its password and can go
// nowhere else until it has enrolled.
func TestBrowserRequiredMFAEnrolment(t *testing.T) {
	ts := startServer(t)
	tab := newTab(t)
	root := newUser(t, ts, "root@example.com", app.RoleAdmin)
	cl, _ := clientFor(t, root)
	if err := cl.SetSettings(context.Background(), app.Settings{RequireMFA: true}); err != nil {
		t.Fatal(err)
	}
	newUser(t, ts, "ada@example.com", app.RoleMember)
	do(t, tab, "open the sign-in page", chromedp.Navigate(ts.url+"/#/signin"))
	fill(t, tab, `main input[name=email]`, "ada@example.com")
	fill(t, tab, `main input[name=password]`, "a long enough passphrase for ada@example.com")
	do(t, tab, "submit the password", chromedp.Click(chromedp.CSS(`main button[type=submit]`)))
	waitFor(t, tab, "the enrolment page", `location.hash === "#/account" && document.getElementById("totp-start")`)
	if banner := eval[string](t, tab, `document.querySelector("main .banner").textContent`); !strings.Contains(banner, "requires two-factor authentication") {
		t.Fatalf("banner: %q", banner)
	}
	if n := eval[int](t, tab, `document.querySelectorAll("#apikey-form, #pw-form, #sessions").length`); n != 0 {
		t.Fatalf("%d other account sections shown before enrolment", n)
	}
	screenshot(t, tab, artifactDir(t), "enrol-required")
	do(t, tab, "try the search page", chromedp.Navigate(ts.url+"/#/search"))
	waitFor(t, tab, "back on the enrolment page", `location.hash === "#/account" && document.getElementById("totp-start")`)

	do(t, tab, "start TOTP enrolment", chromedp.Click(chromedp.CSS("#totp-start")))
	waitFor(t, tab, "the secret", `document.getElementById("totp-secret")`)
	secret := eval[string](t, tab, `document.getElementById("totp-secret").textContent`)
	fill(t, tab, "#totp-code", totpAt(t, secret, time.Now()))
	do(t, tab, "confirm the code", chromedp.Click(chromedp.CSS(`#mfa-out button[type=submit]`)))
	waitFor(t, tab, "backup codes and the rest of the account page", `document.querySelectorAll("#backup-codes li").length === 10 && document.getElementById("apikey-form") && !document.querySelector("main .banner[role=alert]")`)
	do(t, tab, "open the search page", chromedp.Navigate(ts.url+"/#/search"))
	waitFor(t, tab, "the search page", `location.hash.startsWith("#/search") && document.getElementById("q")`)
}
