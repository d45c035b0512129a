package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Enterprise SSO with SAML 2.0: the domain types and rules. The SAML
// protocol itself lives in web; storage in store.

// SSO audit actions.
const (
	AuditSSOLogin        = "sso.login"
	AuditSSOLoginFailed  = "sso.login_failed"
	AuditSSOProvision    = "sso.provision"
	AuditSSOSync         = "sso.sync"
	AuditSSOConnection   = "sso.connection"
	AuditSSODomainClaim  = "sso.domain_claim"
	AuditSSODomainVerify = "sso.domain_verify"
	AuditSSODomainDelete = "sso.domain_delete"
)

// SSO endpoints, in the one permission matrix.
const (
	EpSSODomainList     = "sso.domains.list"
	EpSSODomainClaim    = "sso.domains.claim"
	EpSSODomainVerify   = "sso.domains.verify"
	EpSSODomainDelete   = "sso.domains.delete"
	EpSSOConnectionList = "sso.connections.list"
	EpSSOConnectionGet  = "sso.connections.get"
	EpSSOConnectionNew  = "sso.connections.create"
	EpSSOConnectionPut  = "sso.connections.update"
	EpSSOConnectionDel  = "sso.connections.delete"
	EpSSOPresets        = "sso.presets"
	EpSSOMetadata       = "sso.metadata"
	EpSSOLogin          = "sso.login"
	EpSSOACS            = "sso.acs"
)

func init() {
	admin := Access{Admin: true, Interactive: true}
	change := Access{Admin: true, Interactive: true, Reauth: true}
	for ep, a := range map[string]Access{
		EpSSODomainList:     admin,
		EpSSODomainClaim:    admin,
		EpSSODomainVerify:   admin,
		EpSSODomainDelete:   change,
		EpSSOConnectionList: admin,
		EpSSOConnectionGet:  admin,
		EpSSOConnectionNew:  change,
		EpSSOConnectionPut:  change,
		EpSSOConnectionDel:  change,
		EpSSOPresets:        admin,
		EpSSOMetadata:       {Public: true}, // given to the IdP
		EpSSOLogin:          {Public: true}, // starts a sign-in
		EpSSOACS:            {Public: true}, // the signed assertion is the credential
	} {
		Endpoints[ep] = a
	}
}

// AttributeMapping names the assertion attributes that carry each user
// property. Each list is tried in order; the first attribute present wins.
// An empty Email list (or no such attribute) falls back to the NameID.
type AttributeMapping struct {
	Email  []string `json:"email"`
	Name   []string `json:"name"`
	Groups []string `json:"groups"`
}

// Attribute presets.
const (
	PresetOkta    = "okta"
	PresetEntraID = "entra-id"
	PresetGeneric = "generic"
)

// AttributePresets are the attribute names that common IdPs send by default.
var AttributePresets = map[string]AttributeMapping{
	PresetOkta: {
		Email:  []string{"email", "Email", "user.email"},
		Name:   []string{"displayName", "name", "firstName"},
		Groups: []string{"groups", "Groups"},
	},
	PresetEntraID: {
		Email: []string{
			"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
			"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
		},
		Name: []string{
			"http://schemas.microsoft.com/identity/claims/displayname",
			"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
		},
		Groups: []string{
			"http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
			"http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
		},
	},
	PresetGeneric: {
		Email:  []string{"email", "mail", "urn:oid:0.9.2342.19200300.100.1.3", "emailAddress"},
		Name:   []string{"displayName", "name", "cn", "urn:oid:2.16.840.1.113730.3.1.241", "urn:oid:2.5.4.3"},
		Groups: []string{"groups", "memberOf", "eduPersonAffiliation", "urn:oid:1.3.6.1.4.1.5923.1.5.1.1"},
	},
}

// Preset returns the mapping of a named preset.
func Preset(name string) (AttributeMapping, error) {
	m, ok := AttributePresets[name]
	if !ok {
		return m, Errorf(EINVALID, "unknown attribute preset %q: use okta, entra-id or generic", name)
	}
	return m, nil
}

// GroupRole maps one IdP group to a workspace role, an instance role, or
// both.
type GroupRole struct {
	Group        string `json:"group"`
	Workspace    string `json:"workspace,omitempty"`     // workspace id
	Role         string `json:"role,omitempty"`          // owner, admin, user or viewer
	InstanceRole string `json:"instance_role,omitempty"` // admin or member
}

// SSOConnection is one identity provider and how its users map to Optiq.
type SSOConnection struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Domains []string `json:"domains"`
	// IdPMetadata is the IdP's SAML metadata XML, pasted or uploaded: the
	// server never fetches it (air-gapped sites).
	IdPMetadata string `json:"idp_metadata,omitempty"`
	IdPEntityID string `json:"idp_entity_id,omitempty"`
	// BaseURL is the address users reach Optiq at; the SP entity id and
	// ACS URL derive from it.
	BaseURL string           `json:"base_url"`
	Mapping AttributeMapping `json:"mapping"`
	Groups  []GroupRole      `json:"group_roles,omitempty"`
	// Options.
	Enabled           bool `json:"enabled"`
	AllowIdPInitiated bool `json:"allow_idp_initiated"`
	// AllowPassword keeps password sign-in open to users of the
	// connection's domains (off: they must sign in with SSO).
	AllowPassword bool `json:"allow_password"`
	// JIT creates accounts on first sign-in; off, only existing accounts
	// can sign in.
	JIT bool `json:"jit"`
	// SyncOnLogin updates the display name, group memberships and roles
	// at every sign-in (new accounts always get them).
	SyncOnLogin bool `json:"sync_on_login"`

	SPCertificatePEM string    `json:"sp_certificate,omitempty"`
	CreatedBy        string    `json:"created_by,omitempty"`
	CreatedAt        time.Time `json:"created_at,omitzero"`
	UpdatedAt        time.Time `json:"updated_at,omitzero"`
}

// SPEntityID is the service provider's entity id (its metadata URL).
func (c SSOConnection) SPEntityID() string { return c.BaseURL + "/sso/" + c.ID + "/metadata" }

// ACSURL is where the IdP posts assertions.
func (c SSOConnection) ACSURL() string { return c.BaseURL + "/sso/" + c.ID + "/acs" }

// LoginURL starts an SP-initiated sign-in.
func (c SSOConnection) LoginURL() string { return c.BaseURL + "/sso/" + c.ID + "/login" }

// Validate checks a connection's rules (not its metadata, which web parses).
func (c *SSOConnection) Validate() error {
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" || len(c.Name) > 100 {
		return Errorf(EINVALID, "a connection needs a name (up to 100 characters)")
	}
	if len(c.Domains) == 0 {
		return Errorf(EINVALID, "a connection needs at least one verified domain")
	}
	for i, d := range c.Domains {
		n, err := NormalizeDomain(d)
		if err != nil {
			return err
		}
		c.Domains[i] = n
	}
	slices.Sort(c.Domains)
	c.Domains = slices.Compact(c.Domains)
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if !strings.HasPrefix(c.BaseURL, "https://") && !strings.HasPrefix(c.BaseURL, "http://") {
		return Errorf(EINVALID, "base_url must be the https:// address users reach Optiq at")
	}
	if len(c.Mapping.Email)+len(c.Mapping.Name)+len(c.Mapping.Groups) == 0 {
		c.Mapping = AttributePresets[PresetGeneric]
	}
	for _, g := range c.Groups {
		if err := g.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks one group mapping.
func (g GroupRole) Validate() error {
	if strings.TrimSpace(g.Group) == "" {
		return Errorf(EINVALID, "a group mapping needs a group name")
	}
	if g.Workspace == "" && g.InstanceRole == "" {
		return Errorf(EINVALID, "group %q maps to nothing: give a workspace and role, or an instance role", g.Group)
	}
	if (g.Workspace == "") != (g.Role == "") {
		return Errorf(EINVALID, "group %q: a workspace mapping needs both workspace and role", g.Group)
	}
	if g.Role != "" && !ValidWorkspaceRole(g.Role) {
		return Errorf(EINVALID, "group %q: invalid workspace role %q: use owner, admin, user or viewer", g.Group, g.Role)
	}
	if g.InstanceRole != "" && g.InstanceRole != RoleAdmin && g.InstanceRole != RoleMember {
		return Errorf(EINVALID, "group %q: invalid instance role %q: use admin or member", g.Group, g.InstanceRole)
	}
	return nil
}

// roleRank orders workspace roles, strongest first.
var roleRank = map[string]int{WSOwner: 4, WSAdmin: 3, WSUser: 2, WSViewer: 1}

// RoleGrant is what a user's groups grant them.
type RoleGrant struct {
	// Workspaces maps every workspace the connection manages to the
	// strongest role the user's groups grant there, or "" for none.
	Workspaces map[string]string
	// InstanceRole is admin or member when the connection maps instance
	// roles, "" when it does not.
	InstanceRole string
}

// ResolveRoles applies the group mappings to a user's groups.
func ResolveRoles(mappings []GroupRole, groups []string) RoleGrant {
	g := RoleGrant{Workspaces: map[string]string{}}
	for _, m := range mappings {
		if m.Workspace != "" {
			if _, ok := g.Workspaces[m.Workspace]; !ok {
				g.Workspaces[m.Workspace] = ""
			}
		}
		if m.InstanceRole != "" && g.InstanceRole == "" {
			g.InstanceRole = RoleMember
		}
	}
	for _, m := range mappings {
		if !slices.Contains(groups, m.Group) {
			continue
		}
		if m.Workspace != "" && roleRank[m.Role] > roleRank[g.Workspaces[m.Workspace]] {
			g.Workspaces[m.Workspace] = m.Role
		}
		if m.InstanceRole == RoleAdmin {
			g.InstanceRole = RoleAdmin
		}
	}
	return g
}

// SSOIdentity is a user as an assertion describes them, after mapping.
type SSOIdentity struct {
	Subject string   // NameID
	Email   string   // normalised
	Name    string   // display name
	Groups  []string // group names or ids
}

// MapAttributes turns assertion attributes into an identity.
func MapAttributes(m AttributeMapping, nameID string, attrs map[string][]string) (SSOIdentity, error) {
	first := func(names []string) []string {
		for _, n := range names {
			if v := attrs[n]; len(v) > 0 {
				return v
			}
		}
		return nil
	}
	id := SSOIdentity{Subject: strings.TrimSpace(nameID)}
	email := ""
	if v := first(m.Email); len(v) > 0 {
		email = v[0]
	} else if strings.Contains(id.Subject, "@") {
		email = id.Subject
	}
	norm, err := NormalizeEmail(email)
	if err != nil {
		return id, Errorf(EUNAUTHENTICATED, "the identity provider sent no usable e-mail address: map the e-mail attribute (tried %s and the NameID)", strings.Join(m.Email, ", "))
	}
	id.Email = norm
	if v := first(m.Name); len(v) > 0 {
		id.Name = strings.TrimSpace(v[0])
		if len(id.Name) > 200 {
			id.Name = id.Name[:200]
		}
	}
	for _, g := range first(m.Groups) {
		if g = strings.TrimSpace(g); g != "" && !slices.Contains(id.Groups, g) {
			id.Groups = append(id.Groups, g)
		}
	}
	if id.Subject == "" {
		id.Subject = id.Email
	}
	return id, nil
}

var domainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)

// NormalizeDomain lower-cases and checks a DNS domain name.
func NormalizeDomain(d string) (string, error) {
	d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	if len(d) > 253 || !domainRE.MatchString(d) {
		return "", Errorf(EINVALID, "%q is not a domain name such as example.com", d)
	}
	return d, nil
}

// EmailDomain returns the domain part of a normalised address.
func EmailDomain(email string) string {
	_, d, _ := strings.Cut(email, "@")
	return strings.ToLower(d)
}

// SSODomain is a domain claimed for SSO.
type SSODomain struct {
	Domain     string    `json:"domain"`
	Token      string    `json:"token"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	VerifiedBy string    `json:"verified_by,omitempty"`
	VerifiedAt time.Time `json:"verified_at,omitzero"`
	Method     string    `json:"method,omitempty"`
	Connection string    `json:"connection,omitempty"`
	// How to prove control, shown to the admin.
	TXTName  string `json:"txt_name"`
	TXTValue string `json:"txt_value"`
	FileURL  string `json:"file_url"`
	FileBody string `json:"file_body"`
}

// Verified reports whether the domain was verified.
func (d SSODomain) Verified() bool { return d.VerifiedBy != "" }

// Domain verification methods.
const (
	VerifyDNS  = "dns"
	VerifyHTTP = "http"
)

// DomainFilePath is where the verification file is served on the domain.
const DomainFilePath = "/.well-known/optiq-domain-verification.txt"

// FillInstructions sets how to prove control of d.
func (d *SSODomain) FillInstructions() {
	d.TXTName = "_optiq-verification." + d.Domain
	d.TXTValue = "optiq-domain-verification=" + d.Token
	d.FileURL = "https://" + d.Domain + DomainFilePath
	d.FileBody = d.TXTValue
}

// TXTResolver looks up DNS TXT records (net.Resolver in production).
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// DomainChecker proves control of a domain, on demand.
type DomainChecker struct {
	Resolver TXTResolver
	HTTP     *http.Client
	// FileURL overrides where the verification file is fetched from
	// (tests serve it on loopback); nil means https://DOMAIN/....
	FileURL func(domain string) string
}

// NewDomainChecker returns a checker using the system resolver and an
// HTTPS client with a short timeout that does not follow redirects to
// other hosts.
func NewDomainChecker() *DomainChecker {
	return &DomainChecker{
		Resolver: net.DefaultResolver,
		HTTP: &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > 3 || req.URL.Scheme != "https" || req.URL.Hostname() != via[0].URL.Hostname() {
				return http.ErrUseLastResponse
			}
			return nil
		}},
	}
}

// Check verifies d by method; it returns EINVALID with what was found
// when the proof is missing.
func (dc *DomainChecker) Check(ctx context.Context, d SSODomain, method string) error {
	d.FillInstructions()
	switch method {
	case VerifyDNS:
		recs, err := dc.Resolver.LookupTXT(ctx, d.TXTName)
		if err != nil {
			return Errorf(EINVALID, "DNS lookup of TXT %s failed: %v; add a TXT record with value %q", d.TXTName, err, d.TXTValue)
		}
		for _, r := range recs {
			if strings.TrimSpace(r) == d.TXTValue {
				return nil
			}
		}
		return Errorf(EINVALID, "TXT %s has no record %q (found %d other records); DNS changes can take a while to appear", d.TXTName, d.TXTValue, len(recs))
	case VerifyHTTP:
		u := d.FileURL
		if dc.FileURL != nil {
			u = dc.FileURL(d.Domain)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return Errorf(EINVALID, "bad verification URL %s", u)
		}
		resp, err := dc.HTTP.Do(req)
		if err != nil {
			return Errorf(EINVALID, "fetching %s failed: %v; serve a file there containing %q", u, err, d.FileBody)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if resp.StatusCode != http.StatusOK {
			return Errorf(EINVALID, "%s answered %s; serve a file there containing %q", u, resp.Status, d.FileBody)
		}
		if strings.TrimSpace(string(body)) != d.FileBody {
			return Errorf(EINVALID, "%s does not contain %q", u, d.FileBody)
		}
		return nil
	}
	return Errorf(EINVALID, "unknown verification method %q: use dns or http", method)
}

// SPKeyPair is the service provider's signing and encryption key (PKCS#8
// DER) and certificate (DER). The key is a secret: it prints masked.
type SPKeyPair struct {
	Key  []byte
	Cert []byte
}

func (SPKeyPair) String() string               { return "SPKeyPair(****)" }
func (k SPKeyPair) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// SSOStore keeps SSO state in control.db.
type SSOStore interface {
	ClaimSSODomain(ctx context.Context, domain string) (SSODomain, error)
	SSODomains(ctx context.Context) ([]SSODomain, error)
	SSODomain(ctx context.Context, domain string) (SSODomain, error)
	// MarkSSODomainVerified records that the caller proved control of domain.
	MarkSSODomainVerified(ctx context.Context, domain, method string) (SSODomain, error)
	DeleteSSODomain(ctx context.Context, domain string) error

	// CreateSSOConnection stores c with a new SP key pair; every domain
	// must have been verified by the caller.
	CreateSSOConnection(ctx context.Context, c SSOConnection) (SSOConnection, error)
	UpdateSSOConnection(ctx context.Context, c SSOConnection) (SSOConnection, error)
	SSOConnections(ctx context.Context) ([]SSOConnection, error)
	SSOConnection(ctx context.Context, id string) (SSOConnection, SPKeyPair, error)
	DeleteSSOConnection(ctx context.Context, id string) error
	// SSOConnectionFor returns the enabled connection for an e-mail
	// address's domain, if any.
	SSOConnectionFor(ctx context.Context, email string) (SSOConnection, bool, error)

	// RememberSSORequest records an AuthnRequest id sent to the IdP.
	RememberSSORequest(ctx context.Context, connID, requestID, next string, ttl time.Duration) error
	// TakeSSORequest consumes a request id; ok is false if unknown,
	// expired or already answered.
	TakeSSORequest(ctx context.Context, connID, requestID string) (next string, ok bool, err error)
	// UseAssertion records an assertion id; a second use is refused.
	UseAssertion(ctx context.Context, connID, assertionID string, until time.Time) error

	// SSOSignIn signs in (provisioning or syncing as configured) the user
	// an assertion described.
	SSOSignIn(ctx context.Context, c SSOConnection, id SSOIdentity) (User, error)
	// SSOSignInFailed audits a refused assertion.
	SSOSignInFailed(ctx context.Context, connID, reason string) error
}
