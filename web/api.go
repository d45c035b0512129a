package web

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/optiq/optiq/app"
)

// route is one API endpoint with what it requires: a credential scope and,
// for workspace routes, a workspace permission. The table is the single
// source of truth for authorisation at the edge.
type route struct {
	method string
	path   string
	public bool           // no credential needed
	scope  string         // API key scope needed ("" = any authenticated)
	perm   app.Permission // workspace permission ("" = not a workspace route)
	body   int            // body size limit
	h      func(c *fiber.Ctx, r *call) error
}

// call is what a handler gets: the principal and, for workspace routes, a
// tenant handle that the authorisation check produced.
type call struct {
	p      app.Principal
	tenant app.Tenant
}

func (s *Server) table() []route {
	const ws = "/api/v1/workspaces/:ws"
	return []route{
		{method: "GET", path: "/healthz", public: true, h: s.healthz},
		{method: "GET", path: "/readyz", public: true, h: s.readyz},
		{method: "POST", path: "/api/v1/auth/login", public: true, h: s.login},
		{method: "POST", path: "/api/v1/auth/logout", h: s.logout},
		{method: "GET", path: "/api/v1/me", h: s.me},
		{method: "GET", path: ws + "/repos", scope: app.ScopeSearchRead, perm: app.PermRead, h: s.listRepos},
		{method: "POST", path: ws + "/repos", scope: app.ScopeReposWrite, perm: app.PermIndex, h: s.createRepo},
		{method: "GET", path: ws + "/repos/:repo", scope: app.ScopeSearchRead, perm: app.PermRead, h: s.getRepo},
		{method: "DELETE", path: ws + "/repos/:repo", scope: app.ScopeReposWrite, perm: app.PermManage, h: s.deleteRepo},
		{method: "POST", path: ws + "/repos/:repo/index-sessions", scope: app.ScopeIndexWrite, perm: app.PermIndex, body: 32 << 20, h: s.beginIndex},
		{method: "POST", path: ws + "/repos/:repo/index-sessions/:session/files", scope: app.ScopeIndexWrite, perm: app.PermIndex, body: maxBody, h: s.uploadFiles},
		{method: "POST", path: ws + "/repos/:repo/index-sessions/:session/commit", scope: app.ScopeIndexWrite, perm: app.PermIndex, h: s.commitIndex},
		{method: "GET", path: ws + "/repos/:repo/file", scope: app.ScopeSearchRead, perm: app.PermRead, h: s.getFile},
		{method: "GET", path: ws + "/search", scope: app.ScopeSearchRead, perm: app.PermRead, h: s.search},
	}
}

func (s *Server) routes() {
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

// serve authenticates, authorises and runs one route.
func (s *Server) serve(c *fiber.Ctx, rt route) error {
	if len(c.Body()) > rt.body {
		return app.Errorf(app.ETOOLARGE, "request body over %d bytes", rt.body)
	}
	var r call
	if !rt.public {
		p, err := s.authenticate(c)
		if err != nil {
			return err
		}
		if rt.scope != "" && !p.Allows(rt.scope) {
			return app.Errorf(app.EFORBIDDEN, "this credential lacks the %q scope", rt.scope)
		}
		r.p = p
		c.SetUserContext(app.WithPrincipal(c.UserContext(), p))
	}
	if rt.perm != "" {
		t, err := s.cfg.Tenants.Open(c.UserContext(), r.p, c.Params("ws"), rt.perm)
		if err != nil {
			return err
		}
		defer t.Close()
		r.tenant = t
	}
	return rt.h(c, &r)
}

func (s *Server) authenticate(c *fiber.Ctx) (app.Principal, error) {
	h := c.Get(fiber.HeaderAuthorization)
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return app.Principal{}, app.Errorf(app.EUNAUTHENTICATED, "sign in first: run `optiq login URL`, or send an API key as 'Authorization: Bearer optiq_…'")
	}
	return s.cfg.Accounts.ResolveToken(c.UserContext(), strings.TrimSpace(tok))
}

// decode parses a JSON body strictly.
func decode(c *fiber.Ctx, v any) error {
	if !utf8.Valid(c.Body()) {
		return app.Errorf(app.EINVALID, "request body is not valid UTF-8")
	}
	dec := json.NewDecoder(strings.NewReader(string(c.Body())))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return app.Errorf(app.EINVALID, "invalid JSON body: %v", err)
	}
	return nil
}

func (s *Server) healthz(c *fiber.Ctx, _ *call) error {
	return c.JSON(fiber.Map{"status": "ok", "version": s.cfg.Version})
}

func (s *Server) readyz(c *fiber.Ctx, _ *call) error {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(c.UserContext()); err != nil {
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "error": err.Error()})
		}
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

// LoginRequest is the body of POST /api/v1/auth/login.
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// LoginResponse answers a login with a bearer token for the CLI.
type LoginResponse struct {
	Token      string          `json:"token"`
	User       app.User        `json:"user"`
	Workspaces []app.Workspace `json:"workspaces"`
}

func (s *Server) login(c *fiber.Ctx, _ *call) error {
	var req LoginRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	u, err := s.cfg.Accounts.Authenticate(c.UserContext(), req.Email, req.Password)
	if err != nil {
		s.log.WarnContext(c.UserContext(), "login failed", "request_id", requestID(c), "remote", c.IP())
		return err
	}
	tok, err := s.cfg.Accounts.IssueToken(c.UserContext(), u.ID, app.TokenOptions{Name: "cli login", Kind: "session", TTL: sessionTTL})
	if err != nil {
		return err
	}
	wss, err := s.cfg.Accounts.Workspaces(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	s.log.InfoContext(c.UserContext(), "login", "request_id", requestID(c), "user", u.ID)
	return c.JSON(LoginResponse{Token: tok, User: u, Workspaces: wss})
}

func (s *Server) logout(c *fiber.Ctx, r *call) error {
	if err := s.cfg.Accounts.RevokeToken(c.UserContext(), r.p); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// MeResponse describes the caller.
type MeResponse struct {
	UserID     string          `json:"user_id"`
	Role       string          `json:"role"`
	Scopes     []string        `json:"scopes,omitempty"`
	Workspaces []app.Workspace `json:"workspaces"`
}

func (s *Server) me(c *fiber.Ctx, r *call) error {
	wss, err := s.cfg.Accounts.Workspaces(c.UserContext(), r.p.UserID)
	if err != nil {
		return err
	}
	if r.p.Workspace != "" {
		kept := wss[:0]
		for _, w := range wss {
			if w.ID == r.p.Workspace {
				kept = append(kept, w)
			}
		}
		wss = kept
	}
	return c.JSON(MeResponse{UserID: r.p.UserID, Role: r.p.Role, Scopes: r.p.Scopes, Workspaces: wss})
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
	return c.SendStatus(fiber.StatusNoContent)
}

// BeginIndexRequest carries the manifest of an index session.
type BeginIndexRequest struct {
	Files []app.FileFingerprint `json:"files"`
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
	plan, err := r.tenant.BeginIndex(c.UserContext(), repo.ID, req.Files)
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
	if err := decode(c, &req); err != nil {
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

// SearchResponse is the answer to a search.
type SearchResponse struct {
	Results []app.SearchResult `json:"results"`
}

func (s *Server) search(c *fiber.Ctx, r *call) error {
	raw := c.Query("q")
	if repo := c.Query("repo"); repo != "" {
		raw = "repo:" + repo + " " + raw
	}
	q, err := app.ParseQuery(raw)
	if err != nil {
		return err
	}
	q.Limit = defaultLimit
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLimit {
			return app.Errorf(app.EINVALID, "limit must be a number from 1 to %d", maxLimit)
		}
		q.Limit = n
	}
	q.Mode = c.Query("mode")
	results, err := r.tenant.Search(c.UserContext(), q)
	if err != nil {
		return err
	}
	return c.JSON(SearchResponse{Results: results})
}
