package web

import (
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
		out[strings.TrimPrefix(p, "ui/")] = uiAsset{body: b, contentType: ct, etag: `"` + hex.EncodeToString(h[:12]) + `"`}
		return nil
	})
	return out
})

// uiIndex serves the single page of the UI. Routing inside the UI uses the
// URL fragment, so every view is this one document.
func (s *Server) uiIndex(c *fiber.Ctx, _ *call) error {
	a, ok := uiAssets()["index.html"]
	if !ok {
		return app.Errorf(app.EINTERNAL, "the web UI is missing from this build")
	}
	c.Set(fiber.HeaderContentType, a.contentType)
	return c.Send(a.body)
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
	c.Set(fiber.HeaderETag, a.etag)
	if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && match == a.etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.contentType)
	return c.Send(a.body)
}

// UIConfig is what the UI needs to know before anyone signs in.
type UIConfig struct {
	// SSO is set when an enabled SSO connection exists: the sign-in page
	// then offers "Sign in with SSO".
	SSO     bool   `json:"sso"`
	Version string `json:"version,omitempty"`
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
