package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/web"
)

func TestAPIKeysFromTheCLI(t *testing.T) {
	ts := startServer(t)
	ada := newUser(t, ts, "ada@example.com", app.RoleMember)
	ada.ok("", "repo", "create", "demo")
	var k web.CreateAPIKeyResponse
	if err := json.Unmarshal([]byte(ada.ok("", "apikey", "create", "--name", "ci", "--scope", "search:read", "--expires", "24h", "--json")), &k); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.Key, "optiq_"+k.ID+"_") || k.ExpiresAt.IsZero() {
		t.Fatalf("key: %+v", k.APIKey)
	}
	if r := ada.run("", "apikey", "create", "--name", "x", "--scope", "bogus"); r.code == 0 {
		t.Error("unknown scope accepted")
	}
	// Use the key as a CI job would.
	t.Setenv("OPTIQ_TOKEN", k.Key)
	ada.ok("", "search", "anything", "--json")
	if r := ada.run("", "repo", "create", "other"); r.code != exitAuth || !strings.Contains(r.stderr, "repos:write") {
		t.Errorf("a search:read key created a repo: %+v", r)
	}
	if r := ada.run("", "apikey", "list"); r.code != exitAuth {
		t.Errorf("an API key managed API keys: %+v", r)
	}
	os.Unsetenv("OPTIQ_TOKEN")

	var list struct {
		Keys []app.APIKey `json:"api_keys"`
	}
	json.Unmarshal([]byte(ada.ok("", "apikey", "list", "--json")), &list)
	if len(list.Keys) != 1 || list.Keys[0].ID != k.ID || list.Keys[0].LastUsedAt.IsZero() || len(list.Keys[0].Scopes) != 1 {
		t.Fatalf("list: %+v", list)
	}
	ada.ok("", "apikey", "revoke", k.ID)
	t.Setenv("OPTIQ_TOKEN", k.Key)
	if r := ada.run("", "search", "anything"); r.code != exitAuth {
		t.Errorf("revoked key still works: %+v", r)
	}
	os.Unsetenv("OPTIQ_TOKEN")

	// Workspace-restricted key sees only its workspace.
	ada.ok("", "workspace", "create", "team")
	var rk web.CreateAPIKeyResponse
	json.Unmarshal([]byte(ada.ok("", "apikey", "create", "--name", "team-ci", "--scope", "search:read,index:write", "--workspace", "team", "--json")), &rk)
	t.Setenv("OPTIQ_TOKEN", rk.Key)
	if r := ada.run("", "repo", "list"); r.code != exitNotFound {
		t.Errorf("a key restricted to team read the personal workspace: %+v", r)
	}
	ada.ok("", "repo", "list", "--workspace", "team")
	os.Unsetenv("OPTIQ_TOKEN")

	// Secrets are stored hashed: the secret part is nowhere in control.db.
	assertNotInFiles(t, filepath.Join(ts.data, "control.db*"), keySecret(t, k))
}

// keySecret is the secret part of an API key, optiq_<id>_<secret>. The
// secret is base64url and may itself hold '_'.
func keySecret(t *testing.T, k web.CreateAPIKeyResponse) string {
	t.Helper()
	secret, ok := strings.CutPrefix(k.Key, "optiq_"+k.ID+"_")
	if !ok || len(secret) < 32 {
		t.Fatalf("API key %q: want optiq_%s_ and a secret of 32 or more characters", k.Key, k.ID)
	}
	return secret
}

func assertNotInFiles(t *testing.T, glob string, secrets ...string) {
	t.Helper()
	files, _ := filepath.Glob(glob)
	if len(files) == 0 {
		t.Fatalf("no files match %s", glob)
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, s := range secrets {
			if s != "" && holdsSecret(b, s) {
				t.Errorf("%s holds a secret (%.6s…)", filepath.Base(f), s)
			}
		}
	}
}

func TestAuditLogFromTheCLI(t *testing.T) {
	ts := startServer(t)
	root := newUser(t, ts, "root@example.com", app.RoleAdmin)
	bob := newUser(t, ts, "bob@example.com", app.RoleMember)
	bob.ok("", "repo", "create", "demo")
	bob.ok("", "repo", "delete", "demo")
	if r := bob.run("wrong password\n", "login", ts.url, "--email", "root@example.com", "--password-stdin", "--fingerprint", ts.fingerprint); r.code != exitAuth {
		t.Fatalf("wrong password: %+v", r)
	}
	bob.ok("", "workspace", "create", "team")
	bob.ok("", "members", "add", "root@example.com", "--role", "viewer", "--workspace", "team")

	if r := bob.run("", "audit", "list"); r.code != exitAuth {
		t.Errorf("a member read the audit log: %+v", r)
	}
	var out struct {
		Entries []app.AuditEntry `json:"entries"`
	}
	if err := json.Unmarshal([]byte(root.ok("", "audit", "list", "--json")), &out); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range out.Entries {
		seen[e.Action] = true
	}
	for _, a := range []string{app.AuditLogin, app.AuditLoginFailed, app.AuditRepoCreate, app.AuditRepoDelete, app.AuditWorkspaceCreate, app.AuditMemberAdd} {
		if !seen[a] {
			t.Errorf("no %s entry in %v", a, seen)
		}
	}
	_, bcfg := clientFor(t, bob)
	json.Unmarshal([]byte(root.ok("", "audit", "list", "--json", "--actor", bcfg.UserID, "--action", "repo")), &out)
	if len(out.Entries) != 2 || out.Entries[0].Action != app.AuditRepoDelete || out.Entries[1].Action != app.AuditRepoCreate {
		t.Errorf("filtered: %+v", out.Entries)
	}
	json.Unmarshal([]byte(root.ok("", "audit", "list", "--json", "--until", "2000-01-01")), &out)
	if len(out.Entries) != 0 {
		t.Errorf("--until in the past: %d entries", len(out.Entries))
	}

	adm := cli{t: t, cfg: t.TempDir()}
	if r := adm.run("", "admin", "audit", "verify", "--data", ts.data, "--master-key", ts.masterKey); r.code != 0 || !strings.Contains(r.stdout, "intact") {
		t.Fatalf("verify on an intact log: %+v", r)
	}
	ts.stop()
	db, err := sql.Open("sqlite", filepath.Join(ts.data, "control.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER audit_log_no_update`, `UPDATE audit_log SET action = 'auth.logout' WHERE seq = 2`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	r := adm.run("", "admin", "audit", "verify", "--data", ts.data, "--master-key", ts.masterKey)
	if r.code == 0 || !strings.Contains(r.stdout, "row 2: content does not match") {
		t.Fatalf("verify on an edited log: %+v", r)
	}
}

// browser is a cookie-keeping HTTP client that does not run scripts, like
// a person's browser on the server's plain HTML pages.
type browser struct{ *httpCaller }

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

func formFields(body []byte) url.Values {
	v := url.Values{}
	for _, m := range hiddenRE.FindAllSubmatch(body, -1) {
		v.Set(string(m[1]), html.UnescapeString(string(m[2])))
	}
	return v
}

func (b browser) get(path string) (int, []byte, http.Header) {
	st, _, body, h := b.do("GET", path, "", nil, nil)
	return st, body, h
}

func (b browser) post(path string, form url.Values) (int, []byte, http.Header) {
	st, _, body, h := b.do("POST", path, "application/x-www-form-urlencoded", []byte(form.Encode()), map[string]string{"Origin": b.base, "Sec-Fetch-Site": "same-origin"})
	return st, body, h
}

// signIn signs the browser in through the HTML form.
func (b browser) signIn(t *testing.T, next, email, password string) {
	t.Helper()
	st, body, _ := b.get("/signin?next=" + url.QueryEscape(next))
	if st != 200 {
		t.Fatalf("sign-in page: %d", st)
	}
	f := formFields(body)
	f.Set("email", email)
	f.Set("password", password)
	st, body, h := b.post("/signin", f)
	if st != 303 || h.Get("Location") != next {
		t.Fatalf("sign-in: %d %s %s", st, h.Get("Location"), body)
	}
}

func TestCLILoginWithBrowserAndPKCE(t *testing.T) {
	ts := startServer(t)
	ada := newUser(t, ts, "ada@example.com", app.RoleMember)
	b := browser{newHTTPCaller(t, ts, "", true)}

	// The authorize endpoint refuses plain and missing PKCE before anything.
	base := url.Values{"response_type": {"code"}, "client_id": {web.CLIClientID}, "redirect_uri": {"http://127.0.0.1:9/callback"}, "state": {"s"}}
	for name, mod := range map[string]func(url.Values){
		"plain": func(v url.Values) {
			v.Set("code_challenge", strings.Repeat("a", 43))
			v.Set("code_challenge_method", "plain")
		},
		"missing":   func(v url.Values) {},
		"no method": func(v url.Values) { v.Set("code_challenge", strings.Repeat("a", 43)) },
		"not loopback": func(v url.Values) {
			v.Set("code_challenge", strings.Repeat("a", 43))
			v.Set("code_challenge_method", "S256")
			v.Set("redirect_uri", "http://evil.example/cb")
		},
	} {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		mod(v)
		if st, code, body, _ := b.do("GET", "/oauth/authorize?"+v.Encode(), "", nil, nil); st != 400 || code != app.EINVALID {
			t.Errorf("%s: %d %s", name, st, body)
		}
	}

	// The real flow: the CLI waits on a loopback port while "the user"
	// signs in and consents in the browser.
	ada.t.Setenv("OPTIQ_CONFIG_DIR", ada.cfg)
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var out bytes.Buffer
	go func() {
		done <- run(context.Background(), []string{"login", ts.url, "--no-browser", "--fingerprint", ts.fingerprint, "--timeout", "30s"}, strings.NewReader(""), &out, pw)
		pw.Close()
	}()
	var authURL string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), ts.url+"/oauth/authorize?") {
			authURL = strings.TrimPrefix(sc.Text(), ts.url)
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if authURL == "" {
		t.Fatal("the CLI printed no sign-in address")
	}
	st, _, h := b.get(authURL)
	if st != 303 || !strings.HasPrefix(h.Get("Location"), "/signin?next=") {
		t.Fatalf("authorize without a session: %d %s", st, h.Get("Location"))
	}
	b.signIn(t, authURL, "ada@example.com", "a long enough passphrase for ada@example.com")
	st, body, _ := b.get(authURL)
	if st != 200 || !bytes.Contains(body, []byte("Allow")) {
		t.Fatalf("consent page: %d %s", st, body)
	}
	form := formFields(body)
	form.Set("decision", "allow")
	// Without the CSRF token the consent is refused.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("csrf_token", "forged")
	if st, _, _ := b.post("/oauth/authorize", bad); st != 403 {
		t.Errorf("consent with a forged CSRF token: %d", st)
	}
	st, _, h = b.post("/oauth/authorize", form)
	loc := h.Get("Location")
	if st != 303 || !strings.HasPrefix(loc, "http://127.0.0.1:") || !strings.Contains(loc, "code=") {
		t.Fatalf("consent: %d %s", st, loc)
	}
	resp, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(out.String(), "signed in") {
			t.Fatalf("login exit %d: %s", code, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the CLI did not finish")
	}
	ada.ok("", "repo", "list")

	// The code from the redirect is single-use, even with the verifier.
	u, _ := url.Parse(loc)
	cl, _ := clientFor(t, ada)
	if _, err := cl.OAuthToken(context.Background(), map[string]string{"grant_type": "authorization_code", "code": u.Query().Get("code"),
		"code_verifier": strings.Repeat("x", 43), "client_id": web.CLIClientID, "redirect_uri": u.Scheme + "://" + u.Host + u.Path}); app.ErrorCode(err) != app.EUNAUTHENTICATED {
		t.Errorf("reused code: %v", err)
	}
}

func TestCookieSessionsAndCSRF(t *testing.T) {
	ts := startServer(t)
	newUser(t, ts, "ada@example.com", app.RoleMember)
	b := browser{newHTTPCaller(t, ts, "", true)}
	var lr web.LoginResponse
	st, code, body, h := b.do("POST", "/api/v1/auth/login", "application/json",
		[]byte(`{"email":"ada@example.com","password":"a long enough passphrase for ada@example.com","session":true}`), nil)
	if st != 200 {
		t.Fatalf("login: %d %s %s", st, code, body)
	}
	json.Unmarshal(body, &lr)
	if lr.Token != "" || lr.CSRFToken == "" {
		t.Fatalf("a cookie login returned %+v", lr)
	}
	cookie := h.Get("Set-Cookie")
	for _, want := range []string{"__Host-optiq_session=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(strings.ToLower(cookie), strings.ToLower(want)) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, "Domain=") {
		t.Errorf("__Host- cookie with a Domain: %q", cookie)
	}
	if st, _, body, _ := b.do("GET", "/api/v1/me", "", nil, nil); st != 200 || !bytes.Contains(body, []byte(`"credential":"cookie"`)) {
		t.Fatalf("me with the cookie: %d %s", st, body)
	}
	ws := lr.Workspaces[0].ID
	create := []byte(`{"name":"demo","key_check":"AAAAAAAAAAAAAAAAAAAAAA=="}`)
	if st, code, _, _ := b.do("POST", "/api/v1/workspaces/"+ws+"/repos", "application/json", create, nil); st != 403 || code != app.EFORBIDDEN {
		t.Errorf("cookie write without a CSRF token: %d %s", st, code)
	}
	if st, _, _, _ := b.do("POST", "/api/v1/workspaces/"+ws+"/repos", "application/json", create,
		map[string]string{"X-CSRF-Token": lr.CSRFToken, "Sec-Fetch-Site": "cross-site"}); st != 403 {
		t.Errorf("cross-site cookie write: %d", st)
	}
	if st, _, _, _ := b.do("POST", "/api/v1/workspaces/"+ws+"/repos", "application/json", create,
		map[string]string{"X-CSRF-Token": lr.CSRFToken, "Origin": "https://evil.example"}); st != 403 {
		t.Errorf("cross-origin cookie write: %d", st)
	}
	if st, _, body, _ := b.do("POST", "/api/v1/workspaces/"+ws+"/repos", "application/json", create,
		map[string]string{"X-CSRF-Token": lr.CSRFToken, "Sec-Fetch-Site": "same-origin"}); st != 201 {
		t.Errorf("cookie write with the CSRF token: %d %s", st, body)
	}

	// Reauth renews the session token (privilege change).
	old := cookieValue(b, ts)
	if st, _, body, _ := b.do("POST", "/api/v1/auth/reauth", "application/json", []byte(`{"password":"a long enough passphrase for ada@example.com"}`),
		map[string]string{"X-CSRF-Token": lr.CSRFToken}); st != 204 {
		t.Fatalf("reauth: %d %s", st, body)
	}
	if nw := cookieValue(b, ts); nw == old || nw == "" {
		t.Error("reauth did not renew the session token")
	}
	// The session token is stored hashed.
	assertNotInFiles(t, filepath.Join(ts.data, "control.db*"), cookieValue(b, ts))

	// Log out everywhere ends this browser session and CLI logins.
	ada := newUser(t, ts, "bob@example.com", app.RoleMember)
	_ = ada
	if st, _, body, _ := b.do("POST", "/api/v1/auth/logout-all", "application/json", nil, map[string]string{"X-CSRF-Token": lr.CSRFToken}); st != 204 {
		t.Fatalf("logout-all: %d %s", st, body)
	}
	if st, _, _, _ := b.do("GET", "/api/v1/me", "", nil, nil); st != 401 {
		t.Errorf("session survived logout everywhere: %d", st)
	}
}

func cookieValue(b browser, ts *testServer) string {
	u, _ := url.Parse(ts.url)
	for _, c := range b.http.Jar.Cookies(u) {
		if c.Name == "__Host-optiq_session" {
			return c.Value
		}
	}
	return ""
}

// TestMFASignInAndNoSecretsInLogs enrols TOTP from the CLI, signs in with
// codes and backup codes, uses every kind of secret, then checks that none
// reached the server log or the audit log.
func TestMFASignInAndNoSecretsInLogs(t *testing.T) {
	ts := startServer(t)
	root := newUser(t, ts, "root@example.com", app.RoleAdmin)
	ada := newUser(t, ts, "ada@example.com", app.RoleMember)
	pw := "a long enough passphrase for ada@example.com"
	var e app.TOTPEnrolment
	if err := json.Unmarshal([]byte(ada.ok("", "mfa", "enrol", "--json", "--qr", filepath.Join(t.TempDir(), "qr.png"))), &e); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	code0, _ := totp.GenerateCode(e.Secret, now)
	backup := strings.Fields(ada.ok("", "mfa", "confirm", code0))
	if len(backup) != 10 {
		t.Fatalf("backup codes: %q", backup)
	}
	if r := ada.run(pw+"\n", "login", ts.url, "--email", "ada@example.com", "--password-stdin", "--fingerprint", ts.fingerprint); r.code != exitUsage || !strings.Contains(r.stderr, "--code") {
		t.Fatalf("password alone on an MFA account: %+v", r)
	}
	if r := ada.run(pw+"\n", "login", ts.url, "--email", "ada@example.com", "--password-stdin", "--code", code0, "--fingerprint", ts.fingerprint); r.code != exitAuth {
		t.Fatalf("replayed code: %+v", r)
	}
	code1, _ := totp.GenerateCode(e.Secret, now.Add(30*time.Second))
	ada.ok(pw+"\n", "login", ts.url, "--email", "ada@example.com", "--password-stdin", "--code", code1, "--fingerprint", ts.fingerprint)
	ada.ok(pw+"\n", "login", ts.url, "--email", "ada@example.com", "--password-stdin", "--method", "backup", "--code", backup[3], "--fingerprint", ts.fingerprint)
	if r := ada.run(pw+"\n", "login", ts.url, "--email", "ada@example.com", "--password-stdin", "--method", "backup", "--code", backup[3], "--fingerprint", ts.fingerprint); r.code != exitAuth {
		t.Fatalf("backup code reused: %+v", r)
	}
	var st app.MFAStatus
	json.Unmarshal([]byte(ada.ok("", "mfa", "status", "--json")), &st)
	if !st.TOTP || st.BackupCodesLeft != 9 {
		t.Errorf("status: %+v", st)
	}
	var k web.CreateAPIKeyResponse
	json.Unmarshal([]byte(ada.ok("", "apikey", "create", "--name", "ci", "--scope", "search:read", "--json")), &k)
	_, cfg := clientFor(t, ada)
	newCodes := strings.Fields(ada.ok("", "mfa", "backup-codes"))
	ada.ok("", "mfa", "disable")

	// Browser session token, to look for in the logs.
	b := browser{newHTTPCaller(t, ts, "", true)}
	b.do("POST", "/api/v1/auth/login", "application/json", []byte(`{"email":"root@example.com","password":"a long enough passphrase for root@example.com","session":true}`), nil)
	session := cookieValue(b, ts)

	var audit struct {
		Entries []app.AuditEntry `json:"entries"`
	}
	auditJSON := root.ok("", "audit", "list", "--json", "--limit", "1000")
	json.Unmarshal([]byte(auditJSON), &audit)
	seen := map[string]bool{}
	for _, e := range audit.Entries {
		seen[e.Action] = true
	}
	for _, a := range []string{app.AuditMFAEnrol, app.AuditMFAFailed, app.AuditBackupCodeUsed, app.AuditBackupCodesNew, app.AuditMFADisable, app.AuditAPIKeyCreate} {
		if !seen[a] {
			t.Errorf("no %s in the audit log", a)
		}
	}
	secrets := append([]string{pw, e.Secret, k.Key, keySecret(t, k), cfg.Token, session, code1}, backup...)
	secrets = append(secrets, newCodes...)
	logs := ts.log.Bytes()
	if len(logs) == 0 {
		t.Fatal("no server log")
	}
	for _, s := range secrets {
		if s == "" {
			t.Fatal("empty secret")
		}
		if holdsSecret(logs, s) {
			t.Errorf("the server log holds a secret (%.6s…)", s)
		}
		if holdsSecret([]byte(auditJSON), s) {
			t.Errorf("the audit log holds a secret (%.6s…)", s)
		}
	}
	assertNotInFiles(t, filepath.Join(ts.data, "control.db*"), append([]string{pw, e.Secret, cfg.Token, session}, backup...)...)
}

func TestRequiredMFAAllowsOnlyEnrolment(t *testing.T) {
	ts := startServer(t)
	root := newUser(t, ts, "root@example.com", app.RoleAdmin)
	cl, _ := clientFor(t, root)
	if err := cl.SetSettings(context.Background(), app.Settings{RequireMFA: true}); err != nil {
		t.Fatal(err)
	}
	ada := newUser(t, ts, "ada@example.com", app.RoleMember)
	if r := ada.run("", "repo", "list"); r.code != exitAuth || !strings.Contains(r.stderr, "mfa enrol") {
		t.Fatalf("an account without MFA used the server: %+v", r)
	}
	var e app.TOTPEnrolment
	json.Unmarshal([]byte(ada.ok("", "mfa", "enrol", "--json")), &e)
	code, _ := totp.GenerateCode(e.Secret, time.Now())
	ada.ok("", "mfa", "confirm", code)
	ada.ok("", "repo", "list")
}

// holdsSecret reports whether b contains secret s. A secret made only of
// digits (a TOTP code, six digits) counts only as a whole number: the same
// six digits turn up by chance inside timestamps, durations and binary
// pages, which would make the check flaky without saying anything.
func holdsSecret(b []byte, s string) bool {
	if strings.Trim(s, "0123456789") != "" {
		return bytes.Contains(b, []byte(s))
	}
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(s))
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(s)
		if (start == 0 || !isDigit(b[start-1])) && (end == len(b) || !isDigit(b[end])) {
			return true
		}
		i = start + 1
	}
}
