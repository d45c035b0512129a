package web_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/web"
)

// TestCLILoginThroughSSO follows the OAuth authorization-code + PKCE flow
// that `optiq login URL` starts, with the user signing in at the IdP: the
// authorize endpoint sends the browser to the sign-in page, SSO brings it
// back to the authorize request with a session, the consent form issues a
// code, and the code with its verifier gives the CLI a working token.
func TestCLILoginThroughSSO(t *testing.T) {
	e := newSSOEnv(t)
	idp := newIdP(t, "")
	e.verifyDomain(e.admin, "corp.example")
	conn := e.connect(idp, web.SSOConnectionRequest{Name: "Okta", Domains: []string{"corp.example"}, Preset: app.PresetOkta})
	idp.signIn("dana@corp.example", oktaUser("dana@corp.example", "Dana", "everyone"))

	raw := make([]byte, 32)
	rand.Read(raw)
	verifier := base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(verifier))
	redirect := "http://127.0.0.1:9/callback"
	authorize := "/oauth/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {web.CLIClientID}, "redirect_uri": {redirect}, "state": {"st8"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}.Encode()

	get := func(path, cookie string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", e.url+path, nil)
		if cookie != "" {
			req.Header.Set("Cookie", "__Host-optiq_session="+cookie)
		}
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}

	// No session: the authorize request goes to the sign-in page, which
	// offers SSO and carries the request along.
	resp, _ := get(authorize, "")
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/signin?next=") {
		t.Fatalf("authorize without a session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page := get(resp.Header.Get("Location"), "")
	link := regexp.MustCompile(`href="(/sso/login\?next=[^"]+)"`).FindStringSubmatch(page)
	if link == nil {
		t.Fatalf("sign-in page offers no SSO: %s", page)
	}

	// SSO: Optiq → IdP → ACS, back at the authorize request with a session.
	resp, _ = get(html.UnescapeString(link[1])+"&email=dana@corp.example", "")
	if resp.StatusCode != 303 {
		t.Fatalf("SSO discovery: %d", resp.StatusCode)
	}
	resp, _ = get(resp.Header.Get("Location"), "")
	to := resp.Header.Get("Location")
	if !strings.HasPrefix(to, idp.srv.URL+"/sso?SAMLRequest=") {
		t.Fatalf("not sent to the IdP: %d %s", resp.StatusCode, to)
	}
	idpResp, err := http.Get(to)
	if err != nil {
		t.Fatal(err)
	}
	idpPage, _ := io.ReadAll(idpResp.Body)
	idpResp.Body.Close()
	r := e.postACS(conn.ACSURL, decodeForm(t, string(idpPage)), "")
	if r.status != 303 || r.location != authorize || r.cookie == "" {
		t.Fatalf("after SSO: %d %q (want %q)", r.status, r.location, authorize)
	}

	// Consent, then the loopback redirect with the code.
	resp, consent := get(authorize, r.cookie)
	if resp.StatusCode != 200 || !strings.Contains(consent, "dana@corp.example") {
		t.Fatalf("consent page: %d %s", resp.StatusCode, consent)
	}
	form := url.Values{"decision": {"allow"}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(consent, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	req, _ := http.NewRequest("POST", e.url+"/oauth/authorize", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "__Host-optiq_session="+r.cookie)
	req.Header.Set("Origin", e.url)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 303 || err != nil || !strings.HasPrefix(cb.String(), redirect) || cb.Query().Get("state") != "st8" || cb.Query().Get("code") == "" {
		t.Fatalf("consent: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The CLI's token exchange; the token acts as the SSO user.
	var tok app.OAuthTokens
	e.api("", "POST", "/oauth/token", map[string]string{"grant_type": "authorization_code", "code": cb.Query().Get("code"),
		"code_verifier": verifier, "client_id": web.CLIClientID, "redirect_uri": redirect}, 200, &tok)
	var me web.MeResponse
	e.api(tok.AccessToken, "GET", "/api/v1/me", nil, 200, &me)
	if me.Email != "dana@corp.example" {
		t.Fatalf("token acts as %+v", me)
	}
}
