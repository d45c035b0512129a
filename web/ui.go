package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/optiq/optiq/app"
)

// The bundled web UI: static HTML, CSS and ES modules embedded in the
// binary (no CDN, works air-gapped). It is a single page that talks to the
// same JSON API as the CLI and decrypts code only in the browser
// (web/ui/crypto.js mirrors package seal's blob format with WebCrypto).
//
//go:embed ui
var uiFiles embed.FS

// uiAsset is one embedded file with what the response needs.
type uiAsset struct {
	body        []byte
	gzipped     []byte // nil when compression does not pay
	contentType string
	etag        string
}

// uiAssets loads the embedded files once.
var uiAssets = sync.OnceValue(func() map[string]uiAsset {
	out := map[string]uiAsset{}
	fs.WalkDir(uiFiles, "ui", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := uiFiles.ReadFile(p)
		if err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(p))
		switch path.Ext(p) {
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".html":
			ct = fiber.MIMETextHTMLCharsetUTF8
		case ".svg":
			ct = "image/svg+xml"
		}
		if ct == "" {
			ct = fiber.MIMEOctetStream
		}
		h := sha256.Sum256(b)
		out[strings.TrimPrefix(p, "ui/")] = uiAsset{body: b, gzipped: gzipped(b), contentType: ct, etag: `"` + hex.EncodeToString(h[:12]) + `"`}
		return nil
	})
	return out
})

// gzipped compresses an asset once, at first use; small or incompressible
// files (images) are sent as they are.
func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	if buf.Len() > len(b)*9/10 {
		return nil
	}
	return buf.Bytes()
}

// sendUIAsset sends an asset, gzip-compressed when the browser accepts it.
// The compressed form has its own ETag, as HTTP wants of another encoding.
func sendUIAsset(c *fiber.Ctx, a uiAsset, etag bool) error {
	c.Set(fiber.HeaderContentType, a.contentType)
	c.Vary(fiber.HeaderAcceptEncoding)
	body, tag := a.body, a.etag
	if a.gzipped != nil && acceptsGzip(c.Get(fiber.HeaderAcceptEncoding)) {
		body, tag = a.gzipped, strings.TrimSuffix(a.etag, `"`)+`-gz"`
		c.Set(fiber.HeaderContentEncoding, "gzip")
	}
	if etag {
		c.Set(fiber.HeaderETag, tag)
		if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && match == tag {
			c.Response().Header.Del(fiber.HeaderContentEncoding)
			return c.SendStatus(fiber.StatusNotModified)
		}
	}
	return c.Send(body)
}

func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			return strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0"
		}
	}
	return false
}

// uiIndex serves the single page of the UI. Routing inside the UI uses the
// URL fragment, so every view is this one document.
func (s *Server) uiIndex(c *fiber.Ctx, _ *call) error {
	a, ok := uiAssets()["index.html"]
	if !ok {
		return app.Errorf(app.EINTERNAL, "the web UI is missing from this build")
	}
	return sendUIAsset(c, a, false)
}

// uiAsset serves one embedded file under /ui/. Assets are revalidated by
// ETag instead of cached blindly, so an upgraded server never mixes old and
// new modules.
func (s *Server) uiAsset(c *fiber.Ctx, _ *call) error {
	name := c.Params("*")
	a, ok := uiAssets()[name]
	if !ok || name == "index.html" {
		return app.Errorf(app.ENOTFOUND, "no such UI file: %s", name)
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return sendUIAsset(c, a, true)
}

// UIConfig is what the UI needs to know before anyone signs in.
type UIConfig struct {
	// SSO is set when an enabled SSO connection exists: the sign-in page
	// then offers "Sign in with SSO".
	SSO bool `json:"sso"`
}

func (s *Server) uiConfig(c *fiber.Ctx, _ *call) error {
	var out UIConfig
	if st, err := s.sso(); err == nil {
		cs, err := st.SSOConnections(c.UserContext())
		if err != nil {
			return err
		}
		for _, x := range cs {
			out.SSO = out.SSO || x.Enabled
		}
	}
	return c.JSON(out)
}

// CreateUserRequest creates an account from the admin pages.
type CreateUserRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Role     string `json:"role,omitempty"` // member (default) or admin
}

func (s *Server) createUser(c *fiber.Ctx, r *call) error {
	var req CreateUserRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Role == "" {
		req.Role = app.RoleMember
	}
	u, _, err := s.cfg.Accounts.CreateUser(c.UserContext(), req.Email, req.Password, req.Role)
	if err != nil {
		return err
	}
	if err := s.cfg.Accounts.Audit(c.UserContext(), app.AuditEntry{Action: app.AuditUserCreate, Target: u.ID, Detail: map[string]string{"role": u.Role}}); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(u)
}

// userDisabler is implemented by stores that can disable accounts.
type userDisabler interface {
	SetUserDisabled(ctx context.Context, userID string, disabled bool) error
}

func (s *Server) setUserDisabled(c *fiber.Ctx, r *call) error {
	var req struct {
		Disabled *bool `json:"disabled"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Disabled == nil {
		return app.Errorf(app.EINVALID, `send {"disabled": true} or {"disabled": false}`)
	}
	if *req.Disabled && c.Params("id") == r.p.UserID {
		return app.Errorf(app.EINVALID, "you cannot disable your own account: ask another admin")
	}
	d, ok := s.cfg.Accounts.(userDisabler)
	if !ok {
		return app.Errorf(app.ENOTFOUND, "this server cannot disable accounts")
	}
	if err := d.SetUserDisabled(c.UserContext(), c.Params("id"), *req.Disabled); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// PasswordChangeRequest changes the caller's own password.
type PasswordChangeRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// passwordChanger is implemented by stores that keep passwords.
type passwordChanger interface {
	ChangePassword(ctx context.Context, userID, current, next string) (int64, error)
}

// changePassword ends the account's other sign-ins; a browser that made
// the change stays signed in (with a fresh session token).
func (s *Server) changePassword(c *fiber.Ctx, r *call) error {
	var req PasswordChangeRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.CurrentPassword == "" {
		return app.Errorf(app.EINVALID, "current password is required")
	}
	pc, ok := s.cfg.Accounts.(passwordChanger)
	if !ok {
		return app.Errorf(app.ENOTFOUND, "this server cannot change passwords")
	}
	gen, err := pc.ChangePassword(c.UserContext(), r.p.UserID, req.CurrentPassword, req.NewPassword)
	if err != nil {
		return err
	}
	if r.p.Kind == app.CredCookie {
		ctx := c.UserContext()
		if err := s.id.sm.RenewToken(ctx); err != nil {
			return err
		}
		s.id.sm.Put(ctx, skGen, gen)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// signIns is implemented by stores that list CLI sign-ins.
type signIns interface {
	SignIns(ctx context.Context, userID string) ([]app.SignIn, error)
	RevokeSignIn(ctx context.Context, userID, id string) error
}

func (s *Server) signInStore() (signIns, error) {
	st, ok := s.cfg.Accounts.(signIns)
	if !ok {
		return nil, app.Errorf(app.ENOTFOUND, "this server cannot list sessions")
	}
	return st, nil
}

// listSignIns lists the caller's CLI sign-ins, and the caller's own
// credential first when it is a browser session.
func (s *Server) listSignIns(c *fiber.Ctx, r *call) error {
	st, err := s.signInStore()
	if err != nil {
		return err
	}
	list, err := st.SignIns(c.UserContext(), r.p.UserID)
	if err != nil {
		return err
	}
	for i := range list {
		list[i].Current = list[i].ID == r.p.KeyID
	}
	if r.p.Kind == app.CredCookie {
		list = append([]app.SignIn{{ID: r.p.KeyID, Kind: app.CredCookie, Name: "this browser", Current: true}}, list...)
	}
	return c.JSON(fiber.Map{"sessions": list})
}

func (s *Server) revokeSignIn(c *fiber.Ctx, r *call) error {
	st, err := s.signInStore()
	if err != nil {
		return err
	}
	if c.Params("id") == r.p.KeyID {
		return app.Errorf(app.EINVALID, "this is the session you are using: sign out instead")
	}
	if err := st.RevokeSignIn(c.UserContext(), r.p.UserID, c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
