package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	"github.com/crewjam/saml/logger"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/seal"
	"github.com/optiq/optiq/store"
	"github.com/optiq/optiq/web"
)

// testIdP is a real SAML identity provider (crewjam/saml) on loopback. It
// signs in whoever `user` says, and knows service providers only from the
// SP metadata it was given, as an IdP admin would configure it.
type testIdP struct {
	idp  *saml.IdentityProvider
	srv  *httptest.Server
	mu   sync.Mutex
	user *saml.Session
	sps  map[string]*saml.EntityDescriptor
}

func (p *testIdP) GetSession(w http.ResponseWriter, r *http.Request, req *saml.IdpAuthnRequest) *saml.Session {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := *p.user
	s.ID = fmt.Sprintf("sess-%d", time.Now().UnixNano())
	s.CreateTime, s.ExpireTime = saml.TimeNow(), saml.TimeNow().Add(time.Hour)
	return &s
}

func (p *testIdP) GetServiceProvider(r *http.Request, id string) (*saml.EntityDescriptor, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ed, ok := p.sps[id]; ok {
		return ed, nil
	}
	return nil, os.ErrNotExist
}

func selfSigned(t *testing.T, cn string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return key, cert
}

// newIdP starts an IdP. entityURL, if set, makes it claim another IdP's
// identity (same entity id and URLs, its own key).
func newIdP(t *testing.T, entityURL string) *testIdP {
	p := &testIdP{sps: map[string]*saml.EntityDescriptor{}}
	key, cert := selfSigned(t, "test idp")
	mux := http.NewServeMux()
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	base := p.srv.URL
	if entityURL != "" {
		base = entityURL
	}
	meta, _ := url.Parse(base + "/metadata")
	sso, _ := url.Parse(p.srv.URL + "/sso")
	p.idp = &saml.IdentityProvider{Key: key, Certificate: cert, Logger: logger.DefaultLogger, MetadataURL: *meta, SSOURL: *sso,
		SessionProvider: p, ServiceProviderProvider: p, SignatureMethod: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"}
	mux.HandleFunc("/sso", p.idp.ServeSSO)
	return p
}

func (p *testIdP) metadataXML(t *testing.T) string {
	b, err := xml.MarshalIndent(p.idp.Metadata(), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (p *testIdP) signIn(nameID string, attrs map[string][]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := &saml.Session{NameID: nameID, NameIDFormat: string(saml.EmailAddressNameIDFormat)}
	for name, vals := range attrs {
		a := saml.Attribute{Name: name, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"}
		for _, v := range vals {
			a.Values = append(a.Values, saml.AttributeValue{Type: "xs:string", Value: v})
		}
		s.CustomAttributes = append(s.CustomAttributes, a)
	}
	p.user = s
}

var formValue = regexp.MustCompile(`name="(SAMLResponse|RelayState)" value="([^"]*)"`)

// idpInitiated has the IdP send an unsolicited response for spID; it
// returns the decoded response XML and the form's RelayState.
func (p *testIdP) idpInitiated(t *testing.T, spID, relay string) []byte {
	t.Helper()
	w := httptest.NewRecorder()
	p.idp.ServeIDPInitiated(w, httptest.NewRequest("GET", "/", nil), spID, relay)
	return decodeForm(t, w.Body.String())
}

func decodeForm(t *testing.T, page string) []byte {
	t.Helper()
	for _, m := range formValue.FindAllStringSubmatch(page, -1) {
		if m[1] == "SAMLResponse" {
			raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[2]))
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}
	}
	t.Fatalf("no SAMLResponse in IdP page: %s", page)
	return nil
}

type fakeDNS map[string][]string

func (f fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := f[name]; ok {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// ssoEnv is an Optiq server on loopback with its store, an admin signed in
// with a bearer token, and a team workspace.
type ssoEnv struct {
	t      *testing.T
	url    string
	st     *store.Store
	dns    fakeDNS
	files  map[string]string // domain → verification file body
	admin  string            // bearer token
	ws     string            // team workspace id
	client *http.Client
}

func newSSOEnv(t *testing.T) *ssoEnv {
	dir := t.TempDir()
	mk, err := seal.CreateMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "data"), store.Options{Sealer: mk.Sealer(), EmailPepper: mk.Pepper("email")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &ssoEnv{t: t, st: st, dns: fakeDNS{}, files: map[string]string{},
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	// The domain's web server, on loopback.
	fileSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := e.files[r.Host]
		if !ok || r.URL.Path != app.DomainFilePath {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, body)
	}))
	t.Cleanup(fileSrv.Close)
	checker := &app.DomainChecker{Resolver: e.dns, HTTP: fileSrv.Client(), FileURL: func(domain string) string {
		// Loopback only: the Host header names the domain.
		return fileSrv.URL + app.DomainFilePath + "?host=" + domain
	}}
	checker.HTTP.Transport = hostRewriter{fileSrv.Client().Transport}
	srv := web.New(web.Config{Accounts: st, Tenants: st, DomainChecker: checker, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	e.url = "http://" + ln.Addr().String()
	e.admin = e.passwordLogin("root@ops.example", app.RoleAdmin)
	var ws app.Workspace
	e.api(e.admin, "POST", "/api/v1/workspaces", map[string]string{"name": "platform"}, 201, &ws)
	e.ws = ws.ID
	return e
}

// hostRewriter sends the verification request to the loopback server with
// the domain as the Host header, as if DNS pointed the domain there.
type hostRewriter struct{ rt http.RoundTripper }

func (h hostRewriter) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Host = r.URL.Query().Get("host")
	return h.rt.RoundTrip(r)
}

func (e *ssoEnv) passwordLogin(email, role string) string {
	e.t.Helper()
	pw := "a long enough passphrase for " + email
	if _, _, err := e.st.CreateUser(context.Background(), email, pw, role); err != nil {
		e.t.Fatal(err)
	}
	var out web.LoginResponse
	e.api("", "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": pw}, 200, &out)
	return out.Token
}

// api sends a JSON request and checks the status.
func (e *ssoEnv) api(token, method, path string, body any, want int, out any) []byte {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return b
}

// verifyDomain claims and verifies domain by DNS as the admin with token.
func (e *ssoEnv) verifyDomain(token, domain string) {
	e.t.Helper()
	var d app.SSODomain
	e.api(token, "POST", "/api/v1/sso/domains", map[string]string{"domain": domain}, 201, &d)
	e.dns[d.TXTName] = []string{"v=spf1 -all", d.TXTValue}
	e.api(token, "POST", "/api/v1/sso/domains/"+domain+"/verify", map[string]string{"method": "dns"}, 200, &d)
	if !d.Verified() {
		e.t.Fatalf("domain not verified: %+v", d)
	}
}

// connect configures a connection for idp and gives the IdP the SP
// metadata downloaded from Optiq.
func (e *ssoEnv) connect(idp *testIdP, req web.SSOConnectionRequest) web.SSOConnectionResponse {
	e.t.Helper()
	req.IdPMetadata = idp.metadataXML(e.t)
	var conn web.SSOConnectionResponse
	e.api(e.admin, "POST", "/api/v1/sso/connections", req, 201, &conn)
	resp, err := http.Get(e.url + "/sso/" + conn.ID + "/metadata")
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(b, &ed); err != nil {
		e.t.Fatalf("SP metadata: %v: %s", err, b)
	}
	if ed.EntityID != conn.SPEntityID || len(ed.SPSSODescriptors) != 1 || ed.SPSSODescriptors[0].AssertionConsumerServices[0].Location != conn.ACSURL {
		e.t.Fatalf("SP metadata does not match the connection: %s", b)
	}
	idp.mu.Lock()
	idp.sps[ed.EntityID] = &ed
	idp.mu.Unlock()
	return conn
}

type acsResult struct {
	status   int
	location string
	cookie   string
	body     string
}

// postACS posts a response to the ACS as the IdP's auto-submitted form.
func (e *ssoEnv) postACS(acs string, responseXML []byte, relay string) acsResult {
	e.t.Helper()
	form := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(responseXML)}, "RelayState": {relay}}
	req, _ := http.NewRequest("POST", acs, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := acsResult{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b)}
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-optiq_session" && c.Value != "" {
			r.cookie = c.Value
		}
	}
	return r
}

// me reads /api/v1/me with a browser session cookie.
func (e *ssoEnv) me(cookie string) web.MeResponse {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.url+"/api/v1/me", nil)
	req.Header.Set("Cookie", "__Host-optiq_session="+cookie)
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		e.t.Fatalf("me with SSO cookie: %d %s", resp.StatusCode, b)
	}
	var m web.MeResponse
	json.Unmarshal(b, &m)
	return m
}

func roleIn(m web.MeResponse, ws string) string {
	for _, w := range m.Workspaces {
		if w.ID == ws {
			return w.Role
		}
	}
	return ""
}

func (e *ssoEnv) lastAudit(action string) app.AuditEntry {
	e.t.Helper()
	es, err := e.st.AuditLog(context.Background(), app.AuditFilter{Action: action, Limit: 1})
	if err != nil || len(es) == 0 {
		e.t.Fatalf("no %s in the audit log (%v)", action, err)
	}
	return es[0]
}

func oktaUser(email, name string, groups ...string) map[string][]string {
	return map[string][]string{"email": {email}, "displayName": {name}, "groups": groups}
}

// TestSAMLOktaSPInitiatedJITGroupsAndSync runs the whole SP-initiated flow
// through the IdP's own SSO endpoint: JIT provisioning, group → role
// mapping, sync on the next sign-in, and password sign-in refused for the
// domain.
func TestSAMLOktaSPInitiatedJITGroupsAndSync(t *testing.T) {
	e := newSSOEnv(t)
	idp := newIdP(t, "")
	e.verifyDomain(e.admin, "corp.example")
	conn := e.connect(idp, web.SSOConnectionRequest{Name: "Okta", Domains: []string{"corp.example"}, Preset: app.PresetOkta,
		GroupRoles: []app.GroupRole{
			{Group: "eng", Workspace: e.ws, Role: app.WSUser},
			{Group: "eng-leads", Workspace: e.ws, Role: app.WSAdmin},
			{Group: "optiq-admins", InstanceRole: app.RoleAdmin},
		}})

	login := func(next string) acsResult {
		t.Helper()
		// Optiq → IdP (HTTP-Redirect binding with a remembered request id).
		resp, err := e.client.Get(e.url + "/sso/login?email=alice@corp.example&next=" + url.QueryEscape(next))
		if err != nil || resp.StatusCode != 303 {
			t.Fatalf("discover: %v %v", err, resp.Status)
		}
		resp, err = e.client.Get(e.url + resp.Header.Get("Location"))
		if err != nil || resp.StatusCode != 303 {
			t.Fatalf("sso login: %v %v", err, resp.Status)
		}
		to := resp.Header.Get("Location")
		if !strings.HasPrefix(to, idp.srv.URL+"/sso?SAMLRequest=") {
			t.Fatalf("not sent to the IdP: %s", to)
		}
		// IdP → browser → Optiq ACS (HTTP-POST binding).
		resp, err = http.Get(to)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("IdP refused the AuthnRequest: %d %s", resp.StatusCode, page)
		}
		return e.postACS(conn.ACSURL, decodeForm(t, string(page)), "")
	}

	idp.signIn("alice@corp.example", oktaUser("alice@corp.example", "Alice Liddell", "eng", "everyone"))
	r := login("/api/v1/workspaces")
	if r.status != 303 || r.location != "/api/v1/workspaces" || r.cookie == "" {
		t.Fatalf("SSO sign-in: %+v", r)
	}
	me := e.me(r.cookie)
	if me.Email != "alice@corp.example" || me.Role != app.RoleMember || me.Credential != app.CredCookie || roleIn(me, e.ws) != app.WSUser {
		t.Fatalf("JIT-provisioned user: %+v", me)
	}
	if a := e.lastAudit(app.AuditSSOProvision); a.Target != me.UserID || a.Detail["connection"] != conn.ID {
		t.Fatalf("provisioning audit: %+v", a)
	}
	if a := e.lastAudit(app.AuditSSOLogin); a.Actor != me.UserID {
		t.Fatalf("login audit: %+v", a)
	}
	if name, _ := e.st.SSODisplayName(context.Background(), me.UserID); name != "Alice Liddell" {
		t.Fatalf("display name %q", name)
	}

	// Sync on login: new groups and name at the IdP change roles here.
	idp.signIn("alice@corp.example", oktaUser("alice@corp.example", "Alice Pleasance Liddell", "eng", "eng-leads", "optiq-admins"))
	me2 := e.me(login("/").cookie)
	if me2.UserID != me.UserID || me2.Role != app.RoleAdmin || roleIn(me2, e.ws) != app.WSAdmin {
		t.Fatalf("after sync: %+v", me2)
	}
	if name, _ := e.st.SSODisplayName(context.Background(), me.UserID); name != "Alice Pleasance Liddell" {
		t.Fatalf("display name not synced: %q", name)
	}
	if a := e.lastAudit(app.AuditMemberRole); a.Workspace != e.ws || a.Detail["to"] != app.WSAdmin || a.Detail["source"] != "sso" {
		t.Fatalf("role change audit: %+v", a)
	}
	// Leaving every mapped group removes the membership and the admin role.
	idp.signIn("alice@corp.example", oktaUser("alice@corp.example", "Alice", "everyone"))
	me3 := e.me(login("/").cookie)
	if me3.Role != app.RoleMember || roleIn(me3, e.ws) != "" {
		t.Fatalf("after leaving groups: %+v", me3)
	}

	// Password sign-in is refused for the SSO domain; the form sends the
	// browser to the IdP; the sign-in page offers SSO.
	pw := "a long enough passphrase for bob"
	if _, _, err := e.st.CreateUser(context.Background(), "bob@corp.example", pw, app.RoleMember); err != nil {
		t.Fatal(err)
	}
	b := e.api("", "POST", "/api/v1/auth/login", map[string]string{"email": "bob@corp.example", "password": pw}, 403, nil)
	if !strings.Contains(string(b), "single sign-on") {
		t.Fatalf("refusal does not say why: %s", b)
	}
	resp, err := e.client.Get(e.url + "/signin?next=/oauth/authorize")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `href="/sso/login?next=%2Foauth%2Fauthorize"`) || !strings.Contains(string(page), "Sign in with SSO") {
		t.Fatalf("sign-in page without SSO: %s", page)
	}
	// Another domain still signs in with a password.
	e.passwordLogin("carol@ops.example", app.RoleMember)
}

// TestSAMLEntraIDPresetAndIdPInitiated: Entra-shaped claim URIs, an
// IdP-initiated sign-in, and the replay cache.
func TestSAMLEntraIDPresetAndIdPInitiated(t *testing.T) {
	e := newSSOEnv(t)
	idp := newIdP(t, "")
	// Verified with a file on the domain's web server this time.
	var d app.SSODomain
	e.api(e.admin, "POST", "/api/v1/sso/domains", map[string]string{"domain": "fabrikam.example"}, 201, &d)
	e.api(e.admin, "POST", "/api/v1/sso/domains/fabrikam.example/verify", map[string]string{"method": "http"}, 400, nil)
	e.files["fabrikam.example"] = d.FileBody
	e.api(e.admin, "POST", "/api/v1/sso/domains/fabrikam.example/verify", map[string]string{"method": "http"}, 200, &d)
	groupID := "7f1c2e4a-93b1-4c55-a0f2-1d2e3f4a5b6c" // Entra sends group object ids
	conn := e.connect(idp, web.SSOConnectionRequest{Name: "Entra ID", Domains: []string{"fabrikam.example"}, Preset: app.PresetEntraID,
		GroupRoles: []app.GroupRole{{Group: groupID, Workspace: e.ws, Role: app.WSViewer}}})

	idp.signIn("x2Yz-opaque-pairwise-id", map[string][]string{
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": {"Dana.Scully@Fabrikam.example"},
		"http://schemas.microsoft.com/identity/claims/displayname":           {"Dana Scully"},
		"http://schemas.microsoft.com/ws/2008/06/identity/claims/groups":     {groupID, "00000000-0000-0000-0000-000000000001"},
	})
	resp := idp.idpInitiated(t, conn.SPEntityID, "/api/v1/me")
	r := e.postACS(conn.ACSURL, resp, "/api/v1/me")
	if r.status != 303 || r.location != "/api/v1/me" || r.cookie == "" {
		t.Fatalf("IdP-initiated sign-in: %+v", r)
	}
	me := e.me(r.cookie)
	if me.Email != "dana.scully@fabrikam.example" || roleIn(me, e.ws) != app.WSViewer {
		t.Fatalf("Entra-mapped user: %+v", me)
	}
	if name, _ := e.st.SSODisplayName(context.Background(), me.UserID); name != "Dana Scully" {
		t.Fatalf("display name %q", name)
	}
	// The same response again: replay.
	r = e.postACS(conn.ACSURL, resp, "")
	if r.status != 401 || !strings.Contains(r.body, "already used") {
		t.Fatalf("replayed response accepted: %+v", r)
	}
	if a := e.lastAudit(app.AuditSSOLoginFailed); a.Detail["reason"] != "replay" {
		t.Fatalf("replay audit: %+v", a)
	}
	// IdP-initiated sign-in can be turned off.
	off := false
	var upd web.SSOConnectionResponse
	e.api(e.admin, "PUT", "/api/v1/sso/connections/"+conn.ID, web.SSOConnectionRequest{Name: "Entra ID", Domains: []string{"fabrikam.example"},
		Preset: app.PresetEntraID, AllowIdPInitiated: &off}, 200, &upd)
	r = e.postACS(conn.ACSURL, idp.idpInitiated(t, conn.SPEntityID, ""), "")
	if r.status != 401 || !strings.Contains(r.body, "turned off") {
		t.Fatalf("IdP-initiated accepted while off: %+v", r)
	}
}

// TestSAMLRefusals tampers with real signed responses and misconfigures
// the IdP; each is refused with a clear reason, audited.
func TestSAMLRefusals(t *testing.T) {
	e := newSSOEnv(t)
	idp := newIdP(t, "")
	e.verifyDomain(e.admin, "corp.example")
	conn := e.connect(idp, web.SSOConnectionRequest{Name: "Okta", Domains: []string{"corp.example"}, Preset: app.PresetOkta})
	// The IdP encrypts assertions to the SP's certificate when the SP
	// metadata offers one (as in the other tests); here it sends them in
	// the clear so that they can be tampered with.
	sp := idp.sps[conn.SPEntityID]
	var keys []saml.KeyDescriptor
	for _, k := range sp.SPSSODescriptors[0].KeyDescriptors {
		if k.Use != "encryption" {
			keys = append(keys, k)
		}
	}
	sp.SPSSODescriptors[0].KeyDescriptors = keys
	idp.signIn("eve@corp.example", oktaUser("eve@corp.example", "Eve", "eng"))
	fresh := func() *etree.Document {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(idp.idpInitiated(t, conn.SPEntityID, "")); err != nil {
			t.Fatal(err)
		}
		return doc
	}
	bytesOf := func(doc *etree.Document) []byte { b, _ := doc.WriteToBytes(); return b }
	assertionOf := func(doc *etree.Document) *etree.Element { return doc.Root().SelectElement("Assertion") }
	refused := func(name string, xmlDoc []byte, reason, says string) {
		t.Helper()
		r := e.postACS(conn.ACSURL, xmlDoc, "")
		if r.status != 401 || r.cookie != "" || !strings.Contains(r.body, says) {
			t.Fatalf("%s: not refused as expected (want %q): %d %s", name, says, r.status, r.body)
		}
		if a := e.lastAudit(app.AuditSSOLoginFailed); a.Detail["reason"] != reason || a.Target != conn.ID {
			t.Fatalf("%s: audit %+v, want reason %s", name, a, reason)
		}
	}

	// Unsigned: both signatures removed.
	doc := fresh()
	doc.Root().RemoveChild(doc.Root().SelectElement("Signature"))
	assertionOf(doc).RemoveChild(assertionOf(doc).SelectElement("Signature"))
	refused("unsigned", bytesOf(doc), "unsigned", "not signed")
	// Only the response signed: the assertion must carry its own.
	doc = fresh()
	assertionOf(doc).RemoveChild(assertionOf(doc).SelectElement("Signature"))
	refused("response-only signature", bytesOf(doc), "unsigned", "not signed")

	// Content changed after signing (another user's address).
	doc = fresh()
	for _, el := range assertionOf(doc).FindElements(".//AttributeValue") {
		if el.Text() == "eve@corp.example" {
			el.SetText("ceo@corp.example")
		}
	}
	assertionOf(doc).FindElement(".//NameID").SetText("ceo@corp.example")
	doc.Root().RemoveChild(doc.Root().SelectElement("Signature"))
	refused("tampered", bytesOf(doc), "signature", "signature does not verify")

	// Signature wrapping: a forged, unsigned assertion next to the genuine
	// signed one, and the genuine one hidden inside the forgery.
	doc = fresh()
	orig := assertionOf(doc)
	forged := orig.Copy()
	forged.RemoveChild(forged.SelectElement("Signature"))
	forged.CreateAttr("ID", "forged-1")
	forged.FindElement(".//NameID").SetText("ceo@corp.example")
	doc.Root().InsertChildAt(orig.Index(), forged)
	refused("wrapping (sibling)", bytesOf(doc), "wrapping", "signature wrapping")
	doc = fresh()
	orig = assertionOf(doc)
	forged = orig.Copy()
	forged.RemoveChild(forged.SelectElement("Signature"))
	forged.FindElement(".//NameID").SetText("ceo@corp.example")
	doc.Root().RemoveChild(orig)
	forged.CreateElement("saml:Advice").AddChild(orig)
	doc.Root().AddChild(forged)
	refused("wrapping (nested)", bytesOf(doc), "wrapping", "signature wrapping")

	// Expired: the IdP's clock (and so its response) is an hour old.
	realNow := saml.TimeNow
	saml.TimeNow = func() time.Time { return realNow().Add(-time.Hour) }
	old := idp.idpInitiated(t, conn.SPEntityID, "")
	// And a clock far ahead: not yet valid.
	saml.TimeNow = func() time.Time { return realNow().Add(30 * time.Minute) }
	ahead := idp.idpInitiated(t, conn.SPEntityID, "")
	saml.TimeNow = realNow
	refused("expired", old, "time_window", "clocks")
	refused("clock skew", ahead, "time_window", "clocks")

	// Wrong audience: the IdP was given another SP's entity id.
	idp.mu.Lock()
	other := *idp.sps[conn.SPEntityID]
	other.EntityID = "https://other-app.example/saml"
	idp.sps[other.EntityID] = &other
	idp.mu.Unlock()
	refused("audience", idp.idpInitiated(t, other.EntityID, ""), "audience", conn.SPEntityID)

	// Wrong certificate: an IdP with the same entity id but another key.
	impostor := newIdP(t, idp.srv.URL)
	impostor.sps[conn.SPEntityID] = idp.sps[conn.SPEntityID]
	impostor.signIn("eve@corp.example", oktaUser("eve@corp.example", "Eve", "eng"))
	refused("wrong certificate", impostor.idpInitiated(t, conn.SPEntityID, ""), "signature", "certificate configured")

	// An answer to a request never made.
	doc = fresh()
	doc.Root().CreateAttr("InResponseTo", "id-never-sent")
	refused("unsolicited", bytesOf(doc), "unsolicited", "did not make")

	// A user outside the connection's domains.
	idp.signIn("mallory@elsewhere.example", oktaUser("mallory@elsewhere.example", "M"))
	refused("foreign domain", idp.idpInitiated(t, conn.SPEntityID, ""), app.EFORBIDDEN, "not one this connection serves")

	// After all that, a genuine response still works.
	idp.signIn("eve@corp.example", oktaUser("eve@corp.example", "Eve", "eng"))
	if r := e.postACS(conn.ACSURL, idp.idpInitiated(t, conn.SPEntityID, ""), ""); r.status != 303 || r.cookie == "" {
		t.Fatalf("genuine response refused: %+v", r)
	}
}

// TestSSODomainRules: only the admin who verified a domain configures SSO
// for it; unverified domains cannot be used; non-admins cannot touch SSO.
func TestSSODomainRules(t *testing.T) {
	e := newSSOEnv(t)
	idp := newIdP(t, "")
	other := e.passwordLogin("second@ops.example", app.RoleAdmin)
	member := e.passwordLogin("dev@ops.example", app.RoleMember)
	e.api(member, "GET", "/api/v1/sso/connections", nil, 403, nil)
	e.api(member, "POST", "/api/v1/sso/domains", map[string]string{"domain": "corp.example"}, 403, nil)

	req := web.SSOConnectionRequest{Name: "Okta", Domains: []string{"corp.example"}, Preset: app.PresetOkta, IdPMetadata: idp.metadataXML(t)}
	e.api(e.admin, "POST", "/api/v1/sso/connections", req, 403, nil) // never claimed
	var d app.SSODomain
	e.api(e.admin, "POST", "/api/v1/sso/domains", map[string]string{"domain": "corp.example"}, 201, &d)
	e.dns[d.TXTName] = []string{"optiq-domain-verification=wrong"}
	b := e.api(e.admin, "POST", "/api/v1/sso/domains/corp.example/verify", map[string]string{"method": "dns"}, 400, nil)
	if !strings.Contains(string(b), d.TXTValue) {
		t.Fatalf("failed verification does not say what to publish: %s", b)
	}
	e.api(e.admin, "POST", "/api/v1/sso/connections", req, 403, nil) // not verified
	e.dns[d.TXTName] = []string{d.TXTValue}
	e.api(e.admin, "POST", "/api/v1/sso/domains/corp.example/verify", map[string]string{"method": "dns"}, 200, nil)
	b = e.api(other, "POST", "/api/v1/sso/connections", req, 403, nil) // verified by someone else
	if !strings.Contains(string(b), "verified by another admin") {
		t.Fatalf("wrong refusal: %s", b)
	}
	bad := req
	bad.IdPMetadata = "<html>not metadata</html>"
	e.api(e.admin, "POST", "/api/v1/sso/connections", bad, 400, nil)
	var conn web.SSOConnectionResponse
	e.api(e.admin, "POST", "/api/v1/sso/connections", req, 201, &conn)
	if !strings.Contains(conn.SPCertificatePEM, "BEGIN CERTIFICATE") || conn.ACSURL != e.url+"/sso/"+conn.ID+"/acs" {
		t.Fatalf("connection: %+v", conn)
	}
	e.api(e.admin, "DELETE", "/api/v1/sso/domains/corp.example", nil, 409, nil) // in use
	if a := e.lastAudit(app.AuditSSOConnection); a.Target != conn.ID || a.Detail["op"] != "create" {
		t.Fatalf("audit: %+v", a)
	}
	// The SP key is sealed: it is nowhere in control.db in the clear.
	_, kp, err := e.st.SSOConnection(context.Background(), conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := os.ReadFile(filepath.Join(e.st.Dir(), "control.db"))
	wal, _ := os.ReadFile(filepath.Join(e.st.Dir(), "control.db-wal"))
	if bytes.Contains(append(db, wal...), kp.Key[len(kp.Key)-64:]) {
		t.Fatal("SP private key stored in the clear")
	}
}
