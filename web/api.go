package web

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/optiq/optiq/app"
)

// route is one API endpoint. What it requires (credential, scope,
// workspace permission, instance role, recent sign-in) comes from the one
// permission matrix, app.Endpoints, under the route's endpoint name.
type route struct {
	method   string
	path     string
	endpoint string     // key into app.Endpoints
	access   app.Access // filled in from app.Endpoints
	body     int        // body size limit
	form     bool       // HTML form: the CSRF token comes in a form field
	h        func(c *fiber.Ctx, r *call) error
}

// call is what a handler gets: the principal and, for workspace routes, a
// tenant handle that the authorisation check produced.
type call struct {
	p      app.Principal
	tenant app.Tenant
}

func (s *Server) table() []route {
	const ws = "/api/v1/workspaces/:ws"
	rs := []route{
		{method: "GET", path: "/healthz", endpoint: app.EpHealth, h: s.healthz},
		{method: "GET", path: "/readyz", endpoint: app.EpReady, h: s.readyz},
		{method: "GET", path: "/metrics", endpoint: app.EpMetrics, h: s.metrics},
		{method: "POST", path: "/api/v1/auth/login", endpoint: app.EpLogin, h: s.ssoPasswordGuard(s.login)},
		{method: "POST", path: "/api/v1/auth/login/mfa", endpoint: app.EpLoginMFA, h: s.loginMFA},
		{method: "POST", path: "/api/v1/auth/login/sms", endpoint: app.EpLoginSMS, h: s.loginSMS},
		{method: "POST", path: "/api/v1/auth/logout", endpoint: app.EpLogout, h: s.logout},
		{method: "POST", path: "/api/v1/auth/logout-all", endpoint: app.EpLogoutAll, h: s.logoutAll},
		{method: "POST", path: "/api/v1/auth/reauth", endpoint: app.EpReauth, h: s.reauth},
		{method: "GET", path: "/api/v1/auth/csrf", endpoint: app.EpCSRF, h: s.csrf},
		{method: "GET", path: "/api/v1/me", endpoint: app.EpMe, h: s.me},
		{method: "DELETE", path: "/api/v1/me", endpoint: app.EpDeleteMe, h: s.deleteMe},
		{method: "GET", path: "/api/v1/me/mfa", endpoint: app.EpMFAStatus, h: s.mfaStatus},
		{method: "POST", path: "/api/v1/me/mfa/totp", endpoint: app.EpTOTPEnrol, h: s.totpEnrol},
		{method: "POST", path: "/api/v1/me/mfa/totp/confirm", endpoint: app.EpTOTPConfirm, h: s.totpConfirm},
		{method: "POST", path: "/api/v1/me/mfa/sms", endpoint: app.EpSMSEnrol, h: s.smsEnrol},
		{method: "POST", path: "/api/v1/me/mfa/sms/confirm", endpoint: app.EpSMSConfirm, h: s.smsConfirm},
		{method: "DELETE", path: "/api/v1/me/mfa", endpoint: app.EpMFADisable, h: s.mfaDisable},
		{method: "POST", path: "/api/v1/me/mfa/backup-codes", endpoint: app.EpBackupCodes, h: s.backupCodes},
		{method: "GET", path: "/api/v1/apikeys", endpoint: app.EpAPIKeyList, h: s.listAPIKeys},
		{method: "POST", path: "/api/v1/apikeys", endpoint: app.EpAPIKeyCreate, h: s.createAPIKey},
		{method: "DELETE", path: "/api/v1/apikeys/:id", endpoint: app.EpAPIKeyRevoke, h: s.revokeAPIKey},
		{method: "GET", path: "/api/v1/workspaces", endpoint: app.EpWorkspaceList, h: s.listWorkspaces},
		{method: "POST", path: "/api/v1/workspaces", endpoint: app.EpWorkspaceNew, h: s.createWorkspace},
		{method: "GET", path: ws + "/members", endpoint: app.EpMemberList, h: s.listMembers},
		{method: "POST", path: ws + "/members", endpoint: app.EpMemberAdd, h: s.addMember},
		{method: "PATCH", path: ws + "/members/:user", endpoint: app.EpMemberRole, h: s.setMemberRole},
		{method: "DELETE", path: ws + "/members/:user", endpoint: app.EpMemberRemove, h: s.removeMember},
		{method: "GET", path: "/api/v1/users", endpoint: app.EpUserList, h: s.listUsers},
		{method: "PATCH", path: "/api/v1/users/:id", endpoint: app.EpUserRole, h: s.setUserRole},
		{method: "DELETE", path: "/api/v1/users/:id", endpoint: app.EpUserDelete, h: s.deleteUser},
		{method: "GET", path: "/api/v1/settings", endpoint: app.EpSettingsGet, h: s.getSettings},
		{method: "PUT", path: "/api/v1/settings", endpoint: app.EpSettingsPut, h: s.putSettings},
		{method: "GET", path: "/api/v1/audit", endpoint: app.EpAuditList, h: s.auditLog},
		{method: "GET", path: ws + "/repos", endpoint: app.EpRepoList, h: s.listRepos},
		{method: "POST", path: ws + "/repos", endpoint: app.EpRepoCreate, h: s.createRepo},
		{method: "GET", path: ws + "/repos/:repo", endpoint: app.EpRepoGet, h: s.getRepo},
		{method: "DELETE", path: ws + "/repos/:repo", endpoint: app.EpRepoDelete, h: s.deleteRepo},
		{method: "POST", path: ws + "/repos/:repo/index-sessions", endpoint: app.EpIndexBegin, body: 32 << 20, h: s.beginIndex},
		{method: "POST", path: ws + "/repos/:repo/index-sessions/:session/files", endpoint: app.EpIndexUpload, body: maxBody, h: s.uploadFiles},
		{method: "PUT", path: ws + "/repos/:repo/index-sessions/:session/model", endpoint: app.EpIndexModel, body: maxBody, h: s.putModel},
		{method: "POST", path: ws + "/repos/:repo/index-sessions/:session/commit", endpoint: app.EpIndexCommit, h: s.commitIndex},
		{method: "GET", path: ws + "/repos/:repo/model", endpoint: app.EpModelGet, h: s.getModel},
		{method: "GET", path: ws + "/repos/:repo/file", endpoint: app.EpFileGet, h: s.getFile},
		{method: "POST", path: ws + "/files", endpoint: app.EpFileBatch, body: maxFilesBody, h: s.getFiles},
		{method: "GET", path: ws + "/search", endpoint: app.EpSearch, h: s.search},
		{method: "POST", path: ws + "/search", endpoint: app.EpSearch, body: maxSearchBody, h: s.searchPost},
		{method: "GET", path: "/signin", endpoint: app.EpSignInPage, h: s.ssoSignInPage},
		{method: "POST", path: "/signin", endpoint: app.EpSignIn, form: true, h: s.ssoPasswordGuard(s.signIn)},
		{method: "GET", path: "/oauth/authorize", endpoint: app.EpOAuthAuthorize, h: s.oauthAuthorize},
		{method: "POST", path: "/oauth/authorize", endpoint: app.EpOAuthConsent, form: true, h: s.oauthConsent},
		{method: "POST", path: "/oauth/token", endpoint: app.EpOAuthToken, h: s.oauthToken},
		// Enterprise SSO (web/saml.go).
		{method: "GET", path: "/api/v1/sso/domains", endpoint: app.EpSSODomainList, h: s.ssoDomains},
		{method: "POST", path: "/api/v1/sso/domains", endpoint: app.EpSSODomainClaim, h: s.ssoClaimDomain},
		{method: "POST", path: "/api/v1/sso/domains/:domain/verify", endpoint: app.EpSSODomainVerify, h: s.ssoVerifyDomain},
		{method: "DELETE", path: "/api/v1/sso/domains/:domain", endpoint: app.EpSSODomainDelete, h: s.ssoDeleteDomain},
		{method: "GET", path: "/api/v1/sso/presets", endpoint: app.EpSSOPresets, h: s.ssoPresets},
		{method: "GET", path: "/api/v1/sso/connections", endpoint: app.EpSSOConnectionList, h: s.ssoConnections},
		{method: "POST", path: "/api/v1/sso/connections", endpoint: app.EpSSOConnectionNew, body: samlMaxBody, h: s.ssoCreateConnection},
		{method: "GET", path: "/api/v1/sso/connections/:id", endpoint: app.EpSSOConnectionGet, h: s.ssoConnection},
		{method: "PUT", path: "/api/v1/sso/connections/:id", endpoint: app.EpSSOConnectionPut, body: samlMaxBody, h: s.ssoUpdateConnection},
		{method: "DELETE", path: "/api/v1/sso/connections/:id", endpoint: app.EpSSOConnectionDel, h: s.ssoDeleteConnection},
		{method: "GET", path: "/sso/login", endpoint: app.EpSSOLogin, h: s.ssoDiscover},
		{method: "GET", path: "/sso/:id/metadata", endpoint: app.EpSSOMetadata, h: s.ssoMetadata},
		{method: "GET", path: "/sso/:id/login", endpoint: app.EpSSOLogin, h: s.ssoLogin},
		{method: "POST", path: "/sso/:id/acs", endpoint: app.EpSSOACS, form: true, body: samlMaxBody, h: s.ssoACS},
		// The bundled web UI (web/ui.go).
		{method: "GET", path: "/", endpoint: app.EpUIAsset, h: s.uiIndex},
		{method: "GET", path: "/ui/*", endpoint: app.EpUIAsset, h: s.uiAsset},
		{method: "GET", path: "/api/v1/ui/config", endpoint: app.EpUIConfig, h: s.uiConfig},
		{method: "POST", path: "/api/v1/users", endpoint: app.EpUserCreate, h: s.createUser},
		{method: "PUT", path: "/api/v1/users/:id/disabled", endpoint: app.EpUserDisable, h: s.setUserDisabled},
		{method: "POST", path: "/api/v1/jobs/:name/run", endpoint: app.EpJobRun, h: s.runJob},
		{method: "POST", path: "/api/v1/me/password", endpoint: app.EpPasswordChange, h: s.changePassword},
		{method: "GET", path: "/api/v1/me/sessions", endpoint: app.EpSignInList, h: s.listSignIns},
		{method: "DELETE", path: "/api/v1/me/sessions/:id", endpoint: app.EpSignInRevoke, h: s.revokeSignIn},
	}
	for i := range rs {
		rs[i].access = app.EndpointAccess(rs[i].endpoint)
	}
	return rs
}

// RouteInfo describes one route for tests and documentation.
type RouteInfo struct {
	Method, Path, Endpoint string
	Access                 app.Access
}

// Routes lists every route with what it requires.
func (s *Server) Routes() []RouteInfo {
	var out []RouteInfo
	for _, rt := range s.table() {
		out = append(out, RouteInfo{Method: rt.method, Path: rt.path, Endpoint: rt.endpoint, Access: rt.access})
	}
	return out
}

func (s *Server) routes() {
	s.id = newIdentity(s.cfg.Accounts)
	for _, rt := range s.table() {
		rt := rt
		if rt.body == 0 {
			rt.body = maxSmallBody
		}
		s.app.Add(rt.method, rt.path, func(c *fiber.Ctx) error { return s.serve(c, rt) })
	}
	s.app.Use(func(c *fiber.Ctx) error {
		return app.Errorf(app.ENOTFOUND, "no such endpoint: %s %s", c.Method(), c.Path())
	})
}

func unsafeMethod(m string) bool {
	return m != fiber.MethodGet && m != fiber.MethodHead && m != fiber.MethodOptions
}

// serve authenticates, authorises and runs one route.
func (s *Server) serve(c *fiber.Ctx, rt route) error {
	if len(c.Body()) > rt.body {
		return app.Errorf(app.ETOOLARGE, "request body over %d bytes", rt.body)
	}
	c.SetUserContext(app.WithClient(c.UserContext(), clientIP(c)))
	var r call
	p, viaCookie, err := s.authenticate(c)
	if err != nil && !rt.access.Public {
		return err
	}
	if viaCookie && unsafeMethod(c.Method()) && !rt.form {
		if err := s.checkCSRF(c, c.Get(csrfHeader)); err != nil {
			return err
		}
	}
	if err := app.Authorize(p, rt.access, time.Now()); err != nil {
		return err
	}
	if p.UserID != "" {
		r.p = p
		c.SetUserContext(app.WithPrincipal(c.UserContext(), p))
	}
	if rt.access.Perm != "" {
		t, err := s.cfg.Tenants.Open(c.UserContext(), r.p, c.Params("ws"), rt.access.Perm)
		if err != nil {
			return err
		}
		defer t.Close()
		r.tenant = t
	}
	if err := rt.h(c, &r); err != nil {
		return err
	}
	return s.saveSession(c)
}

// authenticate resolves the request's credential: a bearer token (CLI, API
// keys) or the browser session cookie. A request with neither is
// anonymous (the zero Principal).
func (s *Server) authenticate(c *fiber.Ctx) (p app.Principal, viaCookie bool, err error) {
	if err := s.loadSession(c); err != nil {
		return p, false, err
	}
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(tok) == "" {
			return p, false, app.Errorf(app.EUNAUTHENTICATED, "send credentials as 'Authorization: Bearer optiq_…'")
		}
		p, err = s.cfg.Accounts.ResolveToken(c.UserContext(), strings.TrimSpace(tok))
		return p, false, err
	}
	if c.Cookies(sessionCookie) == "" {
		return p, false, nil
	}
	p, err = s.sessionPrincipal(c)
	return p, p.UserID != "", err
}

// decode parses a JSON body strictly.
func decode(c *fiber.Ctx, v any) error {
	if !utf8.Valid(c.Body()) {
		return app.Errorf(app.EINVALID, "request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return app.Errorf(app.EINVALID, "invalid JSON body: %v", err)
	}
	return nil
}

func (s *Server) healthz(c *fiber.Ctx, _ *call) error {
	return c.JSON(fiber.Map{"status": "ok", "version": s.cfg.Version})
}

func (s *Server) readyz(c *fiber.Ctx, r *call) error {
	if s.cfg.Readiness != nil {
		return s.readiness(c, r)
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(c.UserContext()); err != nil {
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "error": err.Error()})
		}
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

func (s *Server) listRepos(c *fiber.Ctx, r *call) error {
	repos, err := r.tenant.Repos(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"repos": repos})
}

// CreateRepoRequest registers a repo. The key itself never reaches the
// server: only its check value.
type CreateRepoRequest struct {
	Name         string `json:"name"`
	KeyCheck     []byte `json:"key_check"`
	NoEmbeddings bool   `json:"no_embeddings,omitempty"`
}

func (s *Server) createRepo(c *fiber.Ctx, r *call) error {
	var req CreateRepoRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	repo, err := r.tenant.CreateRepo(c.UserContext(), req.Name, req.KeyCheck, req.NoEmbeddings)
	if err != nil {
		return err
	}
	s.log.InfoContext(c.UserContext(), "repo created", "request_id", requestID(c), "workspace", r.tenant.Workspace().ID, "repo", repo.ID)
	if err := s.cfg.Accounts.Audit(c.UserContext(), app.AuditEntry{Action: app.AuditRepoCreate, Target: repo.ID, Workspace: r.tenant.Workspace().ID,
		Detail: map[string]string{"name": repo.Name}}); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(repo)
}

func (s *Server) repo(c *fiber.Ctx, r *call) (app.Repo, error) {
	return r.tenant.Repo(c.UserContext(), c.Params("repo"))
}

func (s *Server) getRepo(c *fiber.Ctx, r *call) error {
	repo, err := s.repo(c, r)
	if err != nil {
		return err
	}
	return c.JSON(repo)
}

func (s *Server) deleteRepo(c *fiber.Ctx, r *call) error {
	repo, err := s.repo(c, r)
	if err != nil {
		return err
	}
	if err := r.tenant.DeleteRepo(c.UserContext(), repo.ID); err != nil {
		return err
	}
	s.log.InfoContext(c.UserContext(), "repo deleted", "request_id", requestID(c), "workspace", r.tenant.Workspace().ID, "repo", repo.ID)
	if err := s.cfg.Accounts.Audit(c.UserContext(), app.AuditEntry{Action: app.AuditRepoDelete, Target: repo.ID, Workspace: r.tenant.Workspace().ID,
		Detail: map[string]string{"name": repo.Name}}); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// BeginIndexRequest carries the manifest of an index session and what it
// does to the repo's embeddings.
type BeginIndexRequest struct {
	Files []app.FileFingerprint `json:"files"`
	app.IndexOptions
}

func (s *Server) beginIndex(c *fiber.Ctx, r *call) error {
	var req BeginIndexRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	repo, err := s.repo(c, r)
	if err != nil {
		return err
	}
	plan, err := r.tenant.BeginIndex(c.UserContext(), repo.ID, req.Files, req.IndexOptions)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(plan)
}

// UploadRequest is one batch of files.
type UploadRequest struct {
	Files []app.FileUpload `json:"files"`
}

func (s *Server) uploadFiles(c *fiber.Ctx, r *call) error {
	var req UploadRequest
	if string(c.Request().Header.ContentType()) == UploadContentType {
		files, err := UnmarshalUpload(c.Body())
		if err != nil {
			return err
		}
		req.Files = files
	} else if err := decode(c, &req); err != nil {
		return err
	}
	repo, err := s.repo(c, r)
	if err != nil {
		return err
	}
	if err := r.tenant.Upload(c.UserContext(), repo.ID, c.Params("session"), req.Files); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"staged": len(req.Files)})
}

// putModel stores the sealed embedding model of an index session; the body
// is the blob itself.
func (s *Server) putModel(c *fiber.Ctx, r *call) error {
	repo, err := s.repo(c, r)
	if err != nil {
		return err
	}
	if err := r.tenant.PutModel(c.UserContext(), repo.ID, c.Params("session"), c.Body()); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// ModelIDHeader names the id of the sealed model a model download carries
// (the body is the sealed blob itself).
const ModelIDHeader = "X-Optiq-Model-Id"

// ModelResponse is a repo's sealed embedding model (the JSON form, for
// clients that do not ask for the blob itself).
type ModelResponse struct {
	ID    string `json:"id"`
	Model []byte `json:"model"`
}

// getModel sends a repo's sealed model as the body, with its id in a
// header, to clients that accept application/octet-stream (no JSON or
// base64 copies of a blob of up to maxBody bytes); others get the JSON
// form earlier clients read.
func (s *Server) getModel(c *fiber.Ctx, r *call) error {
	repo, err := s.repo(c, r)
	if err != nil {
		return err
	}
	blob, id, err := r.tenant.Model(c.UserContext(), repo.ID)
	if err != nil {
		return err
	}
	c.Vary(fiber.HeaderAccept)
	if c.Accepts(fiber.MIMEApplicationJSON, fiber.MIMEOctetStream) != fiber.MIMEOctetStream {
		return c.JSON(ModelResponse{ID: id, Model: blob})
	}
	c.Set(ModelIDHeader, id)
	c.Set(fiber.HeaderContentType, fiber.MIMEOctetStream)
	return c.Send(blob)
}

func (s *Server) commitIndex(c *fiber.Ctx, r *call) error {
	repo, err := s.repo(c, r)
	if err != nil {
		return err
	}
	res, err := r.tenant.CommitIndex(c.UserContext(), repo.ID, c.Params("session"))
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (s *Server) getFile(c *fiber.Ctx, r *call) error {
	repo, err := s.repo(c, r)
	if err != nil {
		return err
	}
	f, err := r.tenant.File(c.UserContext(), repo.ID, c.Query("path"))
	if err != nil {
		return err
	}
	return c.JSON(f)
}

// FileRef names a file of a repo of the workspace.
type FileRef struct {
	RepoID string `json:"repo_id"`
	Path   string `json:"path"`
}

// FilesRequest asks for the sealed content of several files at once: a
// client reranking search results by the words of the code opens their
// files.
type FilesRequest struct {
	Files []FileRef `json:"files"`
}

// FilesResponse has the files found, each once. Missing lists those not
// found (removed since the search, or not in this workspace); Omitted those
// left out because the answer reached its size bound: ask for them again.
type FilesResponse struct {
	Files   []app.FileRecord `json:"files"`
	Missing []FileRef        `json:"missing,omitempty"`
	Omitted []FileRef        `json:"omitted,omitempty"`
}

// Bounds on one files request. An answer holds at least one file whatever
// its size (as GET .../file would), and no more once its sealed content
// would pass maxFilesBytes.
const (
	MaxFilesPerRequest = 200
	maxFilesBody       = 1 << 20
	maxFilesBytes      = 8 << 20
)

func (s *Server) getFiles(c *fiber.Ctx, r *call) error {
	var req FilesRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if len(req.Files) > MaxFilesPerRequest {
		return app.Errorf(app.EINVALID, "%d files asked for: at most %d per request", len(req.Files), MaxFilesPerRequest)
	}
	out := FilesResponse{Files: []app.FileRecord{}}
	seen := map[FileRef]bool{}
	size := 0
	for _, ref := range req.Files {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		if size >= maxFilesBytes {
			out.Omitted = append(out.Omitted, ref)
			continue
		}
		f, err := r.tenant.File(c.UserContext(), ref.RepoID, ref.Path)
		switch {
		case app.ErrorCode(err) == app.ENOTFOUND:
			out.Missing = append(out.Missing, ref)
		case err != nil:
			return err
		case len(out.Files) > 0 && size+len(f.Content) > maxFilesBytes:
			out.Omitted = append(out.Omitted, ref)
			size = maxFilesBytes // the rest wait for the next request too
		default:
			size += len(f.Content)
			out.Files = append(out.Files, f)
		}
	}
	return c.JSON(out)
}

// SearchResponse is the answer to a search.
type SearchResponse struct {
	Results []app.SearchResult `json:"results"`
}

// SearchRequest is a search sent as POST, which can carry the query's
// vectors (semantic and hybrid search: the client embeds the query with
// each repo's model, which only it can open).
type SearchRequest struct {
	Query   string               `json:"q"`
	Repo    string               `json:"repo,omitempty"`
	Limit   int                  `json:"limit,omitempty"`
	Mode    string               `json:"mode,omitempty"`
	Vectors map[string][]float32 `json:"vectors,omitempty"` // by repo id
}

// maxSearchBody bounds a POST search: a query vector per repo.
const maxSearchBody = 4 << 20

func (s *Server) search(c *fiber.Ctx, r *call) error {
	req := SearchRequest{Query: c.Query("q"), Repo: c.Query("repo"), Mode: c.Query("mode")}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return app.Errorf(app.EINVALID, "limit must be a number from 1 to %d", maxLimit)
		}
		req.Limit = n
	}
	return s.runSearch(c, r, req)
}

func (s *Server) searchPost(c *fiber.Ctx, r *call) error {
	var req SearchRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	return s.runSearch(c, r, req)
}

func (s *Server) runSearch(c *fiber.Ctx, r *call, req SearchRequest) error {
	raw := req.Query
	if req.Repo != "" {
		raw = "repo:" + req.Repo + " " + raw
	}
	q, err := app.ParseQuery(raw)
	if err != nil {
		return err
	}
	q.Limit = defaultLimit
	if req.Limit != 0 {
		if req.Limit < 1 || req.Limit > maxLimit {
			return app.Errorf(app.EINVALID, "limit must be a number from 1 to %d", maxLimit)
		}
		q.Limit = req.Limit
	}
	switch q.Mode = req.Mode; q.Mode {
	case app.ModeAuto, app.ModeSymbol, app.ModePath, app.ModeSemantic, app.ModeHybrid:
	default:
		return app.Errorf(app.EINVALID, "unknown search mode %q: use symbol, path, semantic or hybrid", q.Mode)
	}
	if len(req.Vectors) > 1000 {
		return app.Errorf(app.EINVALID, "query vectors for %d repos: at most 1000", len(req.Vectors))
	}
	for repo, v := range req.Vectors {
		if len(v) < 1 || len(v) > 4096 {
			return app.Errorf(app.EINVALID, "query vector for repo %q has %d dimensions", repo, len(v))
		}
	}
	q.Vectors = req.Vectors
	results, err := r.tenant.Search(c.UserContext(), q)
	if err != nil {
		return err
	}
	return c.JSON(SearchResponse{Results: results})
}
