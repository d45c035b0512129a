package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/web"
)

// httpCaller sends raw requests to a test server with an optional bearer
// token or cookie jar, as any client could.
type httpCaller struct {
	t     testing.TB
	base  string
	token string
	http  *http.Client
}

func newHTTPCaller(t testing.TB, ts *testServer, token string, jar bool) *httpCaller {
	c := &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		// Redirects are inspected by the tests, not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	if jar {
		c.Jar, _ = cookiejar.New(nil)
	}
	return &httpCaller{t: t, base: ts.url, token: token, http: c}
}

// do sends a request and returns the status, the problem code (for errors)
// and the body.
func (h *httpCaller) do(method, path, contentType string, body []byte, hdr map[string]string) (int, string, []byte, http.Header) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.base+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if h.token != "" {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := h.http.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var p web.Problem
	if resp.StatusCode >= 400 {
		json.Unmarshal(b, &p)
	}
	return resp.StatusCode, p.Code, b, resp.Header
}

func (h *httpCaller) json(method, path string, in any, out any) (int, string) {
	h.t.Helper()
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	st, code, b, _ := h.do(method, path, "application/json", body, nil)
	if out != nil && st < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			h.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return st, code
}

// caller is one identity the matrix test acts as.
type caller struct {
	name   string
	token  string
	p      app.Principal // what the server should resolve the token to
	wsRole string        // role in the team workspace ("" = not a member)
}

// expected decides from the permission matrix alone what a call should
// get: "" for allowed, else the problem code.
func expected(c caller, a app.Access) string {
	if err := app.Authorize(c.p, a, time.Now()); err != nil {
		return app.ErrorCode(err)
	}
	if a.Perm != "" {
		if c.wsRole == "" {
			return app.ENOTFOUND
		}
		if !app.RoleAllows(c.wsRole, a.Perm) {
			return app.EFORBIDDEN
		}
	}
	return ""
}

// TestEveryRouteAgainstTheMatrix calls every route of the route table (new
// routes are covered as they are added) as an anonymous client, as each
// workspace role, as a member of another workspace, and with API keys with
// and without the route's scope, and checks each answer against the
// permission matrix in app.
func TestEveryRouteAgainstTheMatrix(t *testing.T) {
	ts := startServer(t)
	owner := newUser(t, ts, "owner@example.com", app.RoleAdmin)
	wsAdmin := newUser(t, ts, "wsadmin@example.com", app.RoleMember)
	user := newUser(t, ts, "user@example.com", app.RoleMember)
	viewer := newUser(t, ts, "viewer@example.com", app.RoleMember)
	other := newUser(t, ts, "other@example.com", app.RoleMember)

	var team app.Workspace
	if err := json.Unmarshal([]byte(owner.ok("", "workspace", "create", "team", "--json")), &team); err != nil {
		t.Fatal(err)
	}
	owner.ok("", "members", "add", "wsadmin@example.com", "--role", "admin", "--workspace", "team")
	owner.ok("", "members", "add", "user@example.com", "--role", "user", "--workspace", "team")
	owner.ok("", "members", "add", "viewer@example.com", "--role", "viewer", "--workspace", "team")
	owner.ok("", "repo", "create", "demo", "--workspace", "team")

	ocl, ocfg := clientFor(t, owner)
	ctx := context.Background()
	key := func(scopes ...string) caller {
		t.Helper()
		k, err := ocl.CreateAPIKey(ctx, web.CreateAPIKeyRequest{Name: "k", Scopes: scopes})
		if err != nil {
			t.Fatal(err)
		}
		return caller{name: "key " + strings.Join(scopes, ","), token: k.Key, wsRole: app.WSOwner,
			p: app.Principal{UserID: ocfg.UserID, Role: app.RoleAdmin, Kind: app.CredAPIKey, Scopes: scopes}}
	}
	keyWith, keyWithout := map[string]caller{}, map[string]caller{}
	for _, sc := range app.AllScopes {
		keyWith[sc] = key(sc)
		var rest []string
		for _, o := range app.AllScopes {
			if o != sc && o != app.ScopeAdmin {
				rest = append(rest, o)
			}
		}
		keyWithout[sc] = key(rest...)
	}
	person := func(name string, c cli, role, wsRole string) caller {
		_, cfg := clientFor(t, c)
		return caller{name: name, token: cfg.Token, wsRole: wsRole,
			p: app.Principal{UserID: cfg.UserID, Role: role, Kind: app.CredSession, AuthAt: time.Now()}}
	}
	people := []caller{
		{name: "anonymous"},
		person("other workspace", other, app.RoleMember, ""),
		person("viewer", viewer, app.RoleMember, app.WSViewer),
		person("user", user, app.RoleMember, app.WSUser),
		person("workspace admin", wsAdmin, app.RoleMember, app.WSAdmin),
		person("owner", owner, app.RoleAdmin, app.WSOwner),
	}

	routes := web.New(web.Config{}).Routes()
	// Calls that end the caller's credential or account run last.
	tail := []string{app.EpDeleteMe, app.EpLogoutAll, app.EpLogout}
	slices.SortStableFunc(routes, func(a, b web.RouteInfo) int {
		return slices.Index(tail, a.Endpoint) - slices.Index(tail, b.Endpoint)
	})
	params := strings.NewReplacer(":ws", team.ID, ":repo", "demo", ":session", "x_none", ":id", "none", ":user", "u_none")
	checked := 0
	for _, rt := range routes {
		path := params.Replace(rt.Path)
		if rt.Endpoint == app.EpSearch {
			path += "?q=x"
		}
		var body []byte
		if rt.Method != "GET" && rt.Method != "DELETE" {
			body = []byte("{}")
		}
		callers := slices.Clone(people)
		if rt.Access.Scope != "" {
			callers = append(callers, keyWith[rt.Access.Scope], keyWithout[rt.Access.Scope])
		} else {
			callers = append(callers, keyWith[app.ScopeSearchRead])
		}
		for _, c := range callers {
			want := expected(c, rt.Access)
			h := newHTTPCaller(t, ts, c.token, false)
			status, code, b, _ := h.do(rt.Method, path, "application/json", body, nil)
			checked++
			switch {
			case rt.Access.Public:
				if status == 401 {
					t.Errorf("%s %s (public) as %s: %d %s", rt.Method, rt.Path, c.name, status, b)
				}
			case want != "":
				if code != want {
					t.Errorf("%s %s as %s: got %d %q, the matrix says %q: %s", rt.Method, rt.Path, c.name, status, code, want, b)
				}
			case slices.Contains(tail, rt.Endpoint):
				// An earlier tail call may have ended this credential.
				if status == 403 {
					t.Errorf("%s %s as %s: got %d %s, the matrix allows it", rt.Method, rt.Path, c.name, status, b)
				}
			default:
				if status == 401 || status == 403 {
					t.Errorf("%s %s as %s: got %d %s, the matrix allows it", rt.Method, rt.Path, c.name, status, b)
				}
			}
		}
	}
	t.Logf("%d calls checked across %d routes", checked, len(routes))
	if checked < 300 {
		t.Fatalf("only %d calls checked", checked)
	}
}
