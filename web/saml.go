package web

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	"github.com/gofiber/fiber/v2"

	"github.com/optiq/optiq/app"
)

// Enterprise SSO with SAML 2.0. Admins configure identity providers over
// JSON endpoints (used by the CLI and the web UI); browsers sign in through
// /sso/{id}/login (SP-initiated) or the IdP's own portal (IdP-initiated),
// and the IdP posts a signed assertion to /sso/{id}/acs. crewjam/saml
// checks signatures, audience, recipient, destination and time windows;
// this file adds what it leaves out: assertions must carry their own
// signature, exactly one assertion per response (signature wrapping),
// every InResponseTo must answer a request this server sent (once), and
// each assertion id is accepted only once (replay).

const (
	ssoRequestTTL = 10 * time.Minute
	samlMaxBody   = 1 << 20
)

func (s *Server) sso() (app.SSOStore, error) {
	st, ok := s.cfg.Accounts.(app.SSOStore)
	if !ok {
		return nil, app.Errorf(app.ENOTFOUND, "SSO is not available on this server")
	}
	return st, nil
}

func (s *Server) domainChecker() *app.DomainChecker {
	if s.cfg.DomainChecker != nil {
		return s.cfg.DomainChecker
	}
	return app.NewDomainChecker()
}

// ---- Domains ----

func (s *Server) ssoDomains(c *fiber.Ctx, _ *call) error {
	st, err := s.sso()
	if err != nil {
		return err
	}
	ds, err := st.SSODomains(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"domains": ds})
}

// SSODomainRequest claims a domain.
type SSODomainRequest struct {
	Domain string `json:"domain"`
}

func (s *Server) ssoClaimDomain(c *fiber.Ctx, _ *call) error {
	st, err := s.sso()
	if err != nil {
		return err
	}
	var req SSODomainRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	d, err := st.ClaimSSODomain(c.UserContext(), req.Domain)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

// SSOVerifyRequest checks a domain claim: method dns or http.
type SSOVerifyRequest struct {
	Method string `json:"method"`
}

func (s *Server) ssoVerifyDomain(c *fiber.Ctx, _ *call) error {
	st, err := s.sso()
	if err != nil {
		return err
	}
	var req SSOVerifyRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	d, err := st.SSODomain(ctx, c.Params("domain"))
	if err != nil {
		return err
	}
	if err := s.domainChecker().Check(ctx, d, req.Method); err != nil {
		return err
	}
	d, err = st.MarkSSODomainVerified(ctx, d.Domain, req.Method)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) ssoDeleteDomain(c *fiber.Ctx, _ *call) error {
	st, err := s.sso()
	if err != nil {
		return err
	}
	if err := st.DeleteSSODomain(c.UserContext(), c.Params("domain")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// ---- Connections ----

// SSOConnectionRequest creates or replaces a connection. IdPMetadata is the
// IdP's metadata XML (pasted or uploaded); on update, empty keeps the
// current one. Preset fills Mapping's empty lists. Booleans left out take
// the defaults: enabled, JIT, sync on login and IdP-initiated sign-in on;
// password sign-in for the domains off.
type SSOConnectionRequest struct {
	Name              string               `json:"name"`
	Domains           []string             `json:"domains"`
	IdPMetadata       string               `json:"idp_metadata,omitempty"`
	BaseURL           string               `json:"base_url,omitempty"`
	Preset            string               `json:"preset,omitempty"`
	Mapping           app.AttributeMapping `json:"mapping,omitzero"`
	GroupRoles        []app.GroupRole      `json:"group_roles,omitempty"`
	Enabled           *bool                `json:"enabled,omitempty"`
	AllowIdPInitiated *bool                `json:"allow_idp_initiated,omitempty"`
	AllowPassword     *bool                `json:"allow_password,omitempty"`
	JIT               *bool                `json:"jit,omitempty"`
	SyncOnLogin       *bool                `json:"sync_on_login,omitempty"`
}

// SSOConnectionResponse is a connection with what to give the IdP.
type SSOConnectionResponse struct {
	app.SSOConnection
	SPEntityID    string `json:"sp_entity_id"`
	ACSURL        string `json:"acs_url"`
	SPMetadataURL string `json:"sp_metadata_url"`
	LoginURL      string `json:"login_url"`
}

func connectionResponse(c app.SSOConnection) SSOConnectionResponse {
	return SSOConnectionResponse{SSOConnection: c, SPEntityID: c.SPEntityID(), ACSURL: c.ACSURL(), SPMetadataURL: c.SPEntityID(), LoginURL: c.LoginURL()}
}

func orDefault(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// parseIdPMetadata reads pasted or uploaded IdP metadata: an
// EntityDescriptor (or the first IdP in an EntitiesDescriptor) with a
// signing certificate and a single sign-on service.
func parseIdPMetadata(raw string) (*saml.EntityDescriptor, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, app.Errorf(app.EINVALID, "idp_metadata is required: paste the IdP's SAML metadata XML (the server does not fetch it)")
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal([]byte(raw), &ed); err != nil || len(ed.IDPSSODescriptors) == 0 {
		var eds saml.EntitiesDescriptor
		if err2 := xml.Unmarshal([]byte(raw), &eds); err2 != nil {
			if err == nil {
				return nil, app.Errorf(app.EINVALID, "idp_metadata describes no identity provider (no IDPSSODescriptor): is it the IdP's metadata?")
			}
			return nil, app.Errorf(app.EINVALID, "idp_metadata is not SAML metadata XML: %v", err)
		}
		found := false
		for _, e := range eds.EntityDescriptors {
			if len(e.IDPSSODescriptors) > 0 {
				ed, found = e, true
				break
			}
		}
		if !found {
			return nil, app.Errorf(app.EINVALID, "idp_metadata describes no identity provider (no IDPSSODescriptor)")
		}
	}
	if ed.EntityID == "" {
		return nil, app.Errorf(app.EINVALID, "idp_metadata has no entityID")
	}
	hasCert, hasSSO := false, false
	for _, d := range ed.IDPSSODescriptors {
		for _, k := range d.KeyDescriptors {
			if (k.Use == "" || k.Use == "signing") && len(k.KeyInfo.X509Data.X509Certificates) > 0 {
				for _, xc := range k.KeyInfo.X509Data.X509Certificates {
					der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(xc.Data), ""))
					if err != nil {
						return nil, app.Errorf(app.EINVALID, "idp_metadata: a signing certificate is not valid base64")
					}
					if _, err := x509.ParseCertificate(der); err != nil {
						return nil, app.Errorf(app.EINVALID, "idp_metadata: a signing certificate does not parse: %v", err)
					}
					hasCert = true
				}
			}
		}
		for _, sso := range d.SingleSignOnServices {
			if sso.Binding == saml.HTTPRedirectBinding || sso.Binding == saml.HTTPPostBinding {
				hasSSO = true
			}
		}
	}
	if !hasCert {
		return nil, app.Errorf(app.EINVALID, "idp_metadata has no signing certificate: Optiq only accepts signed assertions")
	}
	if !hasSSO {
		return nil, app.Errorf(app.EINVALID, "idp_metadata has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding")
	}
	return &ed, nil
}

func (s *Server) applyConnectionRequest(c *fiber.Ctx, req SSOConnectionRequest, conn *app.SSOConnection) error {
	conn.Name, conn.Domains, conn.Groups = req.Name, req.Domains, req.GroupRoles
	if req.IdPMetadata != "" {
		conn.IdPMetadata = req.IdPMetadata
	}
	ed, err := parseIdPMetadata(conn.IdPMetadata)
	if err != nil {
		return err
	}
	conn.IdPEntityID = ed.EntityID
	if req.BaseURL != "" {
		conn.BaseURL = req.BaseURL
	}
	if conn.BaseURL == "" {
		conn.BaseURL = c.BaseURL()
	}
	conn.Mapping = req.Mapping
	if req.Preset != "" {
		p, err := app.Preset(req.Preset)
		if err != nil {
			return err
		}
		if len(conn.Mapping.Email) == 0 {
			conn.Mapping.Email = p.Email
		}
		if len(conn.Mapping.Name) == 0 {
			conn.Mapping.Name = p.Name
		}
		if len(conn.Mapping.Groups) == 0 {
			conn.Mapping.Groups = p.Groups
		}
	}
	conn.Enabled = orDefault(req.Enabled, true)
	conn.AllowIdPInitiated = orDefault(req.AllowIdPInitiated, true)
	conn.AllowPassword = orDefault(req.AllowPassword, false)
	conn.JIT = orDefault(req.JIT, true)
	conn.SyncOnLogin = orDefault(req.SyncOnLogin, true)
	return nil
}

func (s *Server) ssoConnections(c *fiber.Ctx, _ *call) error {
	st, err := s.sso()
	if err != nil {
		return err
	}
	cs, err := st.SSOConnections(c.UserContext())
	if err != nil {
		return err
	}
	out := []SSOConnectionResponse{}
	for _, x := range cs {
		out = append(out, connectionResponse(x))
	}
	return c.JSON(fiber.Map{"connections": out})
}

func (s *Server) ssoConnection(c *fiber.Ctx, _ *call) error {
	st, err := s.sso()
	if err != nil {
		return err
	}
	conn, _, err := st.SSOConnection(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(connectionResponse(conn))
}

func (s *Server) ssoCreateConnection(c *fiber.Ctx, _ *call) error {
	st, err := s.sso()
	if err != nil {
		return err
	}
	var req SSOConnectionRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	var conn app.SSOConnection
	if err := s.applyConnectionRequest(c, req, &conn); err != nil {
		return err
	}
	conn, err = st.CreateSSOConnection(c.UserContext(), conn)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(connectionResponse(conn))
}

func (s *Server) ssoUpdateConnection(c *fiber.Ctx, _ *call) error {
	st, err := s.sso()
	if err != nil {
		return err
	}
	var req SSOConnectionRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	conn, _, err := st.SSOConnection(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if err := s.applyConnectionRequest(c, req, &conn); err != nil {
		return err
	}
	conn, err = st.UpdateSSOConnection(c.UserContext(), conn)
	if err != nil {
		return err
	}
	return c.JSON(connectionResponse(conn))
}

func (s *Server) ssoDeleteConnection(c *fiber.Ctx, _ *call) error {
	st, err := s.sso()
	if err != nil {
		return err
	}
	if err := st.DeleteSSOConnection(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) ssoPresets(c *fiber.Ctx, _ *call) error {
	return c.JSON(fiber.Map{"presets": app.AttributePresets})
}

// ---- SAML protocol ----

// serviceProvider builds the crewjam/saml SP for a connection.
func serviceProvider(conn app.SSOConnection, kp app.SPKeyPair) (*saml.ServiceProvider, error) {
	key, err := x509.ParsePKCS8PrivateKey(kp.Key)
	if err != nil {
		return nil, fmt.Errorf("SP key of %s: %w", conn.ID, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("SP key of %s is not a signing key", conn.ID)
	}
	cert, err := x509.ParseCertificate(kp.Cert)
	if err != nil {
		return nil, fmt.Errorf("SP certificate of %s: %w", conn.ID, err)
	}
	ed, err := parseIdPMetadata(conn.IdPMetadata)
	if err != nil {
		return nil, err
	}
	meta, _ := url.Parse(conn.SPEntityID())
	acs, _ := url.Parse(conn.ACSURL())
	sp := &saml.ServiceProvider{
		EntityID:          conn.SPEntityID(),
		Key:               signer,
		Certificate:       cert,
		MetadataURL:       *meta,
		AcsURL:            *acs,
		IDPMetadata:       ed,
		AuthnNameIDFormat: saml.UnspecifiedNameIDFormat,
		// Request ids are checked here, against the requests this server
		// recorded (see acs), not by the library.
		AllowIDPInitiated: true,
		SignatureMethod:   "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
	}
	// An assertion without any audience restriction would be good for
	// every SP that trusts the IdP: require ours.
	sp.ValidateAudienceRestriction = func(a *saml.Assertion) error {
		if a.Conditions == nil {
			return errors.New("assertion has no Conditions")
		}
		for _, ar := range a.Conditions.AudienceRestrictions {
			if ar.Audience.Value == sp.EntityID {
				return nil
			}
		}
		return fmt.Errorf("audience is not %q", sp.EntityID)
	}
	return sp, nil
}

func (s *Server) ssoMetadata(c *fiber.Ctx, _ *call) error {
	st, err := s.sso()
	if err != nil {
		return err
	}
	conn, kp, err := st.SSOConnection(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	sp, err := serviceProvider(conn, kp)
	if err != nil {
		return err
	}
	b, err := xml.MarshalIndent(sp.Metadata(), "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/samlmetadata+xml")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="optiq-sp-metadata.xml"`)
	return c.Send(append([]byte(xml.Header), b...))
}

var ssoPageTmpl = template.Must(template.New("sso").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Optiq — {{.Title}}</title></head>
<body><main>
<h1>{{.Title}}</h1>
{{if .Error}}<p role="alert"><strong>{{.Error}}</strong></p>{{end}}
{{if .Form}}<form method="get" action="/sso/login">
<input type="hidden" name="next" value="{{.Next}}">
<p><label>Work e-mail <input type="email" name="email" autocomplete="username" required></label></p>
<p><button type="submit">Continue with SSO</button></p>
</form>{{end}}
<p><a href="/signin?next={{.Next}}">Sign in with a password</a></p>
</main></body></html>
`))

type ssoPage struct {
	Title, Error, Next string
	Form               bool
}

func (s *Server) renderSSO(c *fiber.Ctx, status int, p ssoPage) error {
	var b bytes.Buffer
	if err := ssoPageTmpl.Execute(&b, p); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(b.Bytes())
}

// ssoDiscover finds the connection for an e-mail address's domain.
func (s *Server) ssoDiscover(c *fiber.Ctx, _ *call) error {
	st, err := s.sso()
	if err != nil {
		return err
	}
	next := safeNext(c.Query("next"))
	email := strings.TrimSpace(c.Query("email"))
	if email == "" {
		return s.renderSSO(c, fiber.StatusOK, ssoPage{Title: "Sign in with SSO", Next: next, Form: true})
	}
	norm, err := app.NormalizeEmail(email)
	if err != nil {
		return s.renderSSO(c, fiber.StatusBadRequest, ssoPage{Title: "Sign in with SSO", Error: app.ErrorMessage(err), Next: next, Form: true})
	}
	conn, ok, err := st.SSOConnectionFor(c.UserContext(), norm)
	if err != nil {
		return err
	}
	if !ok {
		return s.renderSSO(c, fiber.StatusNotFound, ssoPage{Title: "Sign in with SSO", Error: "Single sign-on is not set up for " + app.EmailDomain(norm) + ".", Next: next, Form: true})
	}
	return c.Redirect("/sso/"+conn.ID+"/login?next="+url.QueryEscape(next), fiber.StatusSeeOther)
}

// ssoLogin starts an SP-initiated sign-in: an AuthnRequest whose id is
// remembered, sent to the IdP with the HTTP-Redirect binding.
func (s *Server) ssoLogin(c *fiber.Ctx, _ *call) error {
	st, err := s.sso()
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	conn, kp, err := st.SSOConnection(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	if !conn.Enabled {
		return s.renderSSO(c, fiber.StatusForbidden, ssoPage{Title: "Sign in with SSO", Error: "This single sign-on connection is disabled.", Next: "/"})
	}
	sp, err := serviceProvider(conn, kp)
	if err != nil {
		return err
	}
	binding := saml.HTTPRedirectBinding
	loc := sp.GetSSOBindingLocation(binding)
	if loc == "" {
		return app.Errorf(app.EINVALID, "the IdP metadata has no HTTP-Redirect single sign-on service")
	}
	req, err := sp.MakeAuthenticationRequest(loc, binding, saml.HTTPPostBinding)
	if err != nil {
		return err
	}
	if err := st.RememberSSORequest(ctx, conn.ID, req.ID, safeNext(c.Query("next")), ssoRequestTTL); err != nil {
		return err
	}
	to, err := req.Redirect("", sp)
	if err != nil {
		return err
	}
	return c.Redirect(to.String(), fiber.StatusSeeOther)
}

// ssoFailure is a refused response: a reason for the audit log (no
// values), and a message that tells the admin what to fix.
type ssoFailure struct {
	reason, message string
}

func (f ssoFailure) Error() string { return f.reason + ": " + f.message }

func refuse(reason, format string, args ...any) ssoFailure {
	return ssoFailure{reason, fmt.Sprintf(format, args...)}
}

// classify turns crewjam/saml's validation errors into clear messages.
func classify(err error, sp *saml.ServiceProvider, now time.Time) ssoFailure {
	var ire *saml.InvalidResponseError
	msg := err.Error()
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		msg = ire.PrivateErr.Error()
	}
	var bad saml.ErrBadStatus
	l := strings.ToLower(msg)
	switch {
	case errors.As(err, &bad) || errors.As(ire.PrivateErr, &bad):
		return refuse("idp_status", "the identity provider refused the sign-in (status %s)", bad.Status)
	case strings.Contains(l, "signature element not present"):
		return refuse("unsigned", "the assertion is not signed: configure the identity provider to sign assertions (Optiq refuses unsigned ones)")
	case strings.Contains(l, "expired") || strings.Contains(l, "not yet valid"):
		return refuse("time_window", "the assertion is outside its validity window (this server's time is %s UTC): if it was not an old response, check that the clocks of Optiq and the identity provider are in sync (NTP)", now.UTC().Format(time.RFC3339))
	case strings.Contains(l, "audience"):
		return refuse("audience", "the assertion is meant for another service provider: set the Audience URI / Identifier (Entity ID) at the identity provider to %s", sp.EntityID)
	case strings.Contains(l, "recipient") || strings.Contains(l, "destination"):
		return refuse("recipient", "the response was sent to another address: set the ACS (Reply) URL at the identity provider to %s", sp.AcsURL.String())
	case strings.Contains(l, "issuer"):
		return refuse("issuer", "the response comes from another identity provider than the one configured (%s)", sp.IDPMetadata.EntityID)
	case strings.Contains(l, "signature") || strings.Contains(l, "certificate") || strings.Contains(l, "digest"):
		return refuse("signature", "the signature does not verify with the identity provider certificate configured for this connection: if the IdP's certificate changed, paste its current metadata")
	case strings.Contains(l, "decrypt"):
		return refuse("decrypt", "the encrypted assertion cannot be decrypted: give the identity provider Optiq's current SP metadata")
	}
	return refuse("invalid", "the SAML response was refused")
}

// inspectResponse applies the structural checks before signature
// validation: a Response root, exactly one assertion in the whole
// document, directly under the root, and an assertion that carries its own
// signature (the response-level signature, if any, is removed so that the
// library must verify the assertion's). It returns the XML to validate and
// the response's InResponseTo.
func inspectResponse(raw []byte) ([]byte, string, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return nil, "", refuse("malformed", "the SAML response is not XML")
	}
	root := doc.Root()
	if root.Tag != "Response" || root.NamespaceURI() != "urn:oasis:names:tc:SAML:2.0:protocol" {
		return nil, "", refuse("malformed", "the posted message is not a SAML Response")
	}
	var count int
	var walk func(e *etree.Element, depth int) error
	walk = func(e *etree.Element, depth int) error {
		for _, ch := range e.ChildElements() {
			if (ch.Tag == "Assertion" || ch.Tag == "EncryptedAssertion") && ch.NamespaceURI() == "urn:oasis:names:tc:SAML:2.0:assertion" {
				count++
				if depth != 0 {
					return refuse("wrapping", "the response hides an assertion inside another element (signature wrapping refused)")
				}
			}
			if err := walk(ch, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return nil, "", err
	}
	if count != 1 {
		return nil, "", refuse("wrapping", "the response carries %d assertions; exactly one is accepted (signature wrapping refused)", count)
	}
	for _, ch := range root.ChildElements() {
		if ch.Tag == "Assertion" && ch.NamespaceURI() == "urn:oasis:names:tc:SAML:2.0:assertion" {
			if sig := ch.SelectElement("Signature"); sig == nil || sig.NamespaceURI() != "http://www.w3.org/2000/09/xmldsig#" {
				return nil, "", refuse("unsigned", "the assertion is not signed: configure the identity provider to sign assertions (Optiq refuses unsigned ones)")
			}
		}
		if ch.Tag == "Signature" && ch.NamespaceURI() == "http://www.w3.org/2000/09/xmldsig#" {
			root.RemoveChild(ch)
		}
	}
	irt := root.SelectAttrValue("InResponseTo", "")
	out, err := doc.WriteToBytes()
	if err != nil {
		return nil, "", err
	}
	return out, irt, nil
}

// attributes gathers assertion attributes by Name and by FriendlyName.
func attributes(a *saml.Assertion) map[string][]string {
	out := map[string][]string{}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			var vs []string
			for _, v := range at.Values {
				vs = append(vs, strings.TrimSpace(v.Value))
			}
			out[at.Name] = append(out[at.Name], vs...)
			if at.FriendlyName != "" && at.FriendlyName != at.Name {
				out[at.FriendlyName] = append(out[at.FriendlyName], vs...)
			}
		}
	}
	return out
}

// ssoACS is the assertion consumer service (HTTP-POST binding).
func (s *Server) ssoACS(c *fiber.Ctx, _ *call) error {
	st, err := s.sso()
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	conn, kp, err := st.SSOConnection(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	sp, err := serviceProvider(conn, kp)
	if err != nil {
		return err
	}
	next, err := s.consume(c, st, conn, sp)
	if err != nil {
		var f ssoFailure
		if !errors.As(err, &f) {
			if app.ErrorCode(err) == app.EINTERNAL {
				return err
			}
			f = refuse(app.ErrorCode(err), "%s", app.ErrorMessage(err))
		}
		if aerr := st.SSOSignInFailed(ctx, conn.ID, f.reason); aerr != nil {
			return aerr
		}
		s.log.WarnContext(ctx, "sso sign-in refused", "request_id", requestID(c), "connection", conn.ID, "reason", f.reason, "remote", clientIP(c))
		return s.renderSSO(c, fiber.StatusUnauthorized, ssoPage{Title: "Single sign-on failed", Error: f.message, Next: "/"})
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

// consume validates the posted response, signs the user in and returns
// where to go next.
func (s *Server) consume(c *fiber.Ctx, st app.SSOStore, conn app.SSOConnection, sp *saml.ServiceProvider) (string, error) {
	ctx := c.UserContext()
	if !conn.Enabled {
		return "", refuse("disabled", "this single sign-on connection is disabled")
	}
	enc := c.FormValue("SAMLResponse")
	if enc == "" || len(enc) > samlMaxBody {
		return "", refuse("malformed", "no SAMLResponse was posted")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(enc), ""))
	if err != nil {
		return "", refuse("malformed", "the SAMLResponse is not base64")
	}
	xmlDoc, irt, err := inspectResponse(raw)
	if err != nil {
		return "", err
	}
	next := ""
	var possible []string
	if irt != "" {
		n, ok, err := st.TakeSSORequest(ctx, conn.ID, irt)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", refuse("unsolicited", "this response answers a sign-in request that this server did not make, that expired, or that was already answered: sign in again from the start")
		}
		next, possible = n, []string{irt}
	} else if !conn.AllowIdPInitiated {
		return "", refuse("idp_initiated", "sign-in started at the identity provider is turned off for this connection: start at Optiq's sign-in page")
	}
	now := saml.TimeNow()
	a, err := sp.ParseXMLResponse(xmlDoc, possible, sp.AcsURL)
	if err != nil {
		return "", classify(err, sp, now)
	}
	if a.ID == "" || a.Subject == nil || a.Subject.NameID == nil {
		return "", refuse("invalid", "the assertion has no id or subject")
	}
	for _, sc := range a.Subject.SubjectConfirmations {
		if sc.SubjectConfirmationData != nil && sc.SubjectConfirmationData.InResponseTo != irt {
			return "", refuse("unsolicited", "the assertion answers another request than its response")
		}
	}
	until := now.Add(saml.MaxClockSkew + saml.MaxIssueDelay)
	if a.Conditions != nil && !a.Conditions.NotOnOrAfter.IsZero() {
		until = a.Conditions.NotOnOrAfter.Add(saml.MaxClockSkew)
	}
	if err := st.UseAssertion(ctx, conn.ID, a.ID, until); err != nil {
		if app.ErrorCode(err) == app.EUNAUTHENTICATED {
			return "", refuse("replay", "%s", app.ErrorMessage(err))
		}
		return "", err
	}
	id, err := app.MapAttributes(conn.Mapping, a.Subject.NameID.Value, attributes(a))
	if err != nil {
		return "", refuse("attributes", "%s", app.ErrorMessage(err))
	}
	u, err := st.SSOSignIn(ctx, conn, id)
	if err != nil {
		return "", err
	}
	if _, err := s.startSession(c, u, false); err != nil {
		return "", err
	}
	s.log.InfoContext(ctx, "sso login", "request_id", requestID(c), "user", u.ID, "connection", conn.ID)
	if next == "" {
		next = safeNext(c.FormValue("RelayState"))
	}
	return next, nil
}

// ---- Password sign-in and the sign-in page ----

// ssoPasswordGuard refuses password sign-in for addresses whose domain
// signs in with SSO (unless the connection allows passwords). The HTML
// form sends such users to their IdP instead.
func (s *Server) ssoPasswordGuard(h func(*fiber.Ctx, *call) error) func(*fiber.Ctx, *call) error {
	return func(c *fiber.Ctx, r *call) error {
		st, err := s.sso()
		if err != nil {
			return h(c, r)
		}
		form := !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON)
		var email string
		if form {
			email = c.FormValue("email")
		} else {
			var req struct {
				Email string `json:"email"`
			}
			// The handler decodes strictly; here only the address matters.
			_ = json.Unmarshal(c.Body(), &req)
			email = req.Email
		}
		norm, err := app.NormalizeEmail(email)
		if err != nil {
			return h(c, r)
		}
		conn, ok, err := st.SSOConnectionFor(c.UserContext(), norm)
		if err != nil {
			return err
		}
		if !ok || conn.AllowPassword {
			return h(c, r)
		}
		if form {
			return c.Redirect("/sso/"+conn.ID+"/login?next="+url.QueryEscape(safeNext(c.FormValue("next"))), fiber.StatusSeeOther)
		}
		return app.Errorf(app.EFORBIDDEN, "%s signs in with single sign-on, not a password: run `optiq login URL` without --email and choose Sign in with SSO in the browser", app.EmailDomain(norm))
	}
}

// ssoSignInPage is the sign-in page, with "Sign in with SSO" when any
// connection is enabled.
func (s *Server) ssoSignInPage(c *fiber.Ctx, r *call) error {
	if err := s.signInPage(c, r); err != nil {
		return err
	}
	st, err := s.sso()
	if err != nil {
		return nil
	}
	cs, err := st.SSOConnections(c.UserContext())
	if err != nil {
		return err
	}
	for _, x := range cs {
		if x.Enabled {
			link := `<p><a href="/sso/login?next=` + template.HTMLEscapeString(url.QueryEscape(safeNext(c.Query("next")))) + `">Sign in with SSO</a></p>`
			body := bytes.Replace(c.Response().Body(), []byte("</main>"), []byte(link+"\n</main>"), 1)
			c.Response().SetBody(body)
			break
		}
	}
	return nil
}

// ---- Client (optiq admin sso) ----

// SSODomains lists claimed domains.
func (c *Client) SSODomains(ctx context.Context) ([]app.SSODomain, error) {
	var out struct {
		Domains []app.SSODomain `json:"domains"`
	}
	err := c.do(ctx, "GET", "/api/v1/sso/domains", nil, &out)
	return out.Domains, err
}

// ClaimSSODomain claims a domain and returns how to prove control of it.
func (c *Client) ClaimSSODomain(ctx context.Context, domain string) (app.SSODomain, error) {
	var d app.SSODomain
	err := c.do(ctx, "POST", "/api/v1/sso/domains", SSODomainRequest{Domain: domain}, &d)
	return d, err
}

// VerifySSODomain checks a claimed domain (method dns or http).
func (c *Client) VerifySSODomain(ctx context.Context, domain, method string) (app.SSODomain, error) {
	var d app.SSODomain
	err := c.do(ctx, "POST", "/api/v1/sso/domains/"+url.PathEscape(domain)+"/verify", SSOVerifyRequest{Method: method}, &d)
	return d, err
}

// DeleteSSODomain removes a domain claim.
func (c *Client) DeleteSSODomain(ctx context.Context, domain string) error {
	return c.do(ctx, "DELETE", "/api/v1/sso/domains/"+url.PathEscape(domain), nil, nil)
}

// SSOConnections lists connections.
func (c *Client) SSOConnections(ctx context.Context) ([]SSOConnectionResponse, error) {
	var out struct {
		Connections []SSOConnectionResponse `json:"connections"`
	}
	err := c.do(ctx, "GET", "/api/v1/sso/connections", nil, &out)
	return out.Connections, err
}

// SSOConnection returns one connection.
func (c *Client) SSOConnection(ctx context.Context, id string) (SSOConnectionResponse, error) {
	var out SSOConnectionResponse
	err := c.do(ctx, "GET", "/api/v1/sso/connections/"+url.PathEscape(id), nil, &out)
	return out, err
}

// SaveSSOConnection creates (id "") or replaces a connection.
func (c *Client) SaveSSOConnection(ctx context.Context, id string, req SSOConnectionRequest) (SSOConnectionResponse, error) {
	var out SSOConnectionResponse
	if id == "" {
		err := c.do(ctx, "POST", "/api/v1/sso/connections", req, &out)
		return out, err
	}
	err := c.do(ctx, "PUT", "/api/v1/sso/connections/"+url.PathEscape(id), req, &out)
	return out, err
}

// DeleteSSOConnection deletes a connection.
func (c *Client) DeleteSSOConnection(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", "/api/v1/sso/connections/"+url.PathEscape(id), nil, nil)
}

// SSOMetadata downloads a connection's SP metadata XML.
func (c *Client) SSOMetadata(ctx context.Context, id string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/sso/"+url.PathEscape(id)+"/metadata", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, samlMaxBody))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &APIError{Status: resp.StatusCode, Code: fiberCode(resp.StatusCode), Message: "no SP metadata for connection " + id}
	}
	return b, nil
}
