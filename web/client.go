package web

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/optiq/optiq/app"
)

// Client talks to an Optiq server for the CLI. It refuses to connect
// without either a pinned certificate fingerprint or a CA bundle.
type Client struct {
	base  string
	token app.Secret
	http  *http.Client
}

// ClientOptions configure a Client.
type ClientOptions struct {
	Token app.Secret
	// Fingerprint pins the server certificate ("SHA256:hex").
	Fingerprint string
	// CAFile trusts the certificates in this PEM bundle instead of a pin.
	CAFile string
	// Timeout bounds each request (default 5 minutes).
	Timeout time.Duration
}

// ErrNoTrust is returned when neither a pin nor a CA bundle is configured.
var ErrNoTrust = errors.New("no way to verify the server: pass --fingerprint SHA256:… (shown by `optiq serve`), --ca-file, or --trust-on-first-use")

// NewClient returns a client for the server at base (https://host:port).
func NewClient(base string, o ClientOptions) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("server URL must look like https://host:port, got %q", base)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS13}
	switch {
	case o.Fingerprint != "":
		pin, err := NormalizeFingerprint(o.Fingerprint)
		if err != nil {
			return nil, err
		}
		// A pinned self-signed certificate is verified by its fingerprint,
		// like an ssh host key, not by a CA chain.
		tc.InsecureSkipVerify = true
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || Fingerprint(cs.PeerCertificates[0].Raw) != pin {
				got := "none"
				if len(cs.PeerCertificates) > 0 {
					got = Fingerprint(cs.PeerCertificates[0].Raw)
				}
				return fmt.Errorf("server certificate %s does not match the pinned %s: if the server's certificate was replaced on purpose, log in again with the new fingerprint", got, pin)
			}
			return nil
		}
	case o.CAFile != "":
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificates", o.CAFile)
		}
		tc.RootCAs = pool
	default:
		return nil, ErrNoTrust
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Minute
	}
	tr := &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 8, Proxy: http.ProxyFromEnvironment}
	return &Client{base: strings.TrimRight(u.String(), "/"), token: o.Token, http: &http.Client{Transport: tr, Timeout: o.Timeout}}, nil
}

// ProbeFingerprint connects once without verification and returns the
// server certificate's pin, for trust on first use.
func ProbeFingerprint(ctx context.Context, base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("invalid server URL %q", base)
	}
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}}
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", errors.New("server sent no certificate")
	}
	return Fingerprint(certs[0].Raw), nil
}

// APIError is an error answer from the server.
type APIError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *APIError) Error() string {
	if e.RequestID != "" {
		return fmt.Sprintf("%s (%s, request id %s)", e.Message, e.Code, e.RequestID)
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Code)
}

// Unwrap lets callers use app.ErrorCode on API errors.
func (e *APIError) Unwrap() error { return &app.Error{Code: e.Code, Message: e.Message} }

// rawBody is a request body sent as is, with its media type.
type rawBody struct {
	contentType string
	data        []byte
}

// rawResponse receives a response body as is (up to maxBody bytes), with
// the response's headers.
type rawResponse struct {
	accept string // the Accept header to send
	header http.Header
	body   []byte
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	contentType := "application/json"
	switch in := in.(type) {
	case nil:
	case rawBody:
		body, contentType = bytes.NewReader(in.data), in.contentType
	default:
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	}
	if raw, ok := out.(*rawResponse); ok && raw.accept != "" {
		req.Header.Set("Accept", raw.accept)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		var p Problem
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, &p) != nil || p.Code == "" {
			return &APIError{Status: resp.StatusCode, Code: fiberCode(resp.StatusCode), Message: strings.TrimSpace(string(b)), RequestID: resp.Header.Get(requestIDHdr)}
		}
		return &APIError{Status: resp.StatusCode, Code: p.Code, Message: p.Detail, RequestID: p.RequestID}
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*rawResponse); ok {
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		if err != nil {
			return fmt.Errorf("reading the answer from %s: %w", c.base, err)
		}
		if len(b) > maxBody {
			return fmt.Errorf("unexpected answer from server: more than %d MiB", maxBody>>20)
		}
		raw.header, raw.body = resp.Header, b
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("unexpected answer from server: %w", err)
	}
	return nil
}

func wsPath(ws string, rest ...string) string {
	p := "/api/v1/workspaces/" + url.PathEscape(ws)
	for _, r := range rest {
		p += "/" + url.PathEscape(r)
	}
	return p
}

// Login signs in with a password and returns a bearer token.
func (c *Client) Login(ctx context.Context, email, password string) (LoginResponse, error) {
	var out LoginResponse
	err := c.do(ctx, "POST", "/api/v1/auth/login", LoginRequest{Email: email, Password: password}, &out)
	return out, err
}

// Logout revokes the client's token.
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, "POST", "/api/v1/auth/logout", nil, nil)
}

// Me describes the caller.
func (c *Client) Me(ctx context.Context) (MeResponse, error) {
	var out MeResponse
	err := c.do(ctx, "GET", "/api/v1/me", nil, &out)
	return out, err
}

// Repos lists a workspace's repos.
func (c *Client) Repos(ctx context.Context, ws string) ([]app.Repo, error) {
	var out struct {
		Repos []app.Repo `json:"repos"`
	}
	err := c.do(ctx, "GET", wsPath(ws, "repos"), nil, &out)
	return out.Repos, err
}

// Repo gets one repo by name or id.
func (c *Client) Repo(ctx context.Context, ws, repo string) (app.Repo, error) {
	var out app.Repo
	err := c.do(ctx, "GET", wsPath(ws, "repos", repo), nil, &out)
	return out, err
}

// CreateRepo registers a repo.
func (c *Client) CreateRepo(ctx context.Context, ws string, req CreateRepoRequest) (app.Repo, error) {
	var out app.Repo
	err := c.do(ctx, "POST", wsPath(ws, "repos"), req, &out)
	return out, err
}

// DeleteRepo deletes a repo and everything indexed in it.
func (c *Client) DeleteRepo(ctx context.Context, ws, repo string) error {
	return c.do(ctx, "DELETE", wsPath(ws, "repos", repo), nil, nil)
}

// BeginIndex starts an index session.
func (c *Client) BeginIndex(ctx context.Context, ws, repo string, files []app.FileFingerprint, opts app.IndexOptions) (app.IndexPlan, error) {
	var out app.IndexPlan
	err := c.do(ctx, "POST", wsPath(ws, "repos", repo, "index-sessions"), BeginIndexRequest{Files: files, IndexOptions: opts}, &out)
	return out, err
}

// PutModel uploads the sealed embedding model an index session announced.
func (c *Client) PutModel(ctx context.Context, ws, repo, session string, blob []byte) error {
	return c.do(ctx, "PUT", wsPath(ws, "repos", repo, "index-sessions", session, "model"), rawBody{"application/octet-stream", blob}, nil)
}

// Model downloads a repo's sealed embedding model.
func (c *Client) Model(ctx context.Context, ws, repo string) (ModelResponse, error) {
	raw := rawResponse{accept: "application/octet-stream"}
	err := c.do(ctx, "GET", wsPath(ws, "repos", repo, "model"), nil, &raw)
	out := ModelResponse{ID: raw.header.Get(ModelIDHeader), Model: raw.body}
	if err == nil && strings.HasPrefix(raw.header.Get("Content-Type"), "application/json") {
		// A server that only has the JSON form.
		out = ModelResponse{}
		if err = json.Unmarshal(raw.body, &out); err != nil {
			err = fmt.Errorf("unexpected answer from server: %w", err)
		}
	}
	if err == nil && out.ID == "" {
		err = errors.New("unexpected answer from server: a model without its id")
	}
	return out, err
}

// Upload sends one batch of files to an index session.
func (c *Client) Upload(ctx context.Context, ws, repo, session string, files []app.FileUpload) error {
	return c.do(ctx, "POST", wsPath(ws, "repos", repo, "index-sessions", session, "files"), rawBody{UploadContentType, MarshalUpload(files)}, nil)
}

// Commit commits an index session.
func (c *Client) Commit(ctx context.Context, ws, repo, session string) (app.IndexCommit, error) {
	var out app.IndexCommit
	err := c.do(ctx, "POST", wsPath(ws, "repos", repo, "index-sessions", session, "commit"), nil, &out)
	return out, err
}

// File fetches a file's sealed content.
func (c *Client) File(ctx context.Context, ws, repo, path string) (app.FileRecord, error) {
	var out app.FileRecord
	err := c.do(ctx, "GET", wsPath(ws, "repos", repo, "file")+"?path="+url.QueryEscape(path), nil, &out)
	return out, err
}

// Files fetches the sealed content of several files, MaxFilesPerRequest
// and a few MiB per request: it asks again for what an answer left out.
// Files not found are listed as missing.
func (c *Client) Files(ctx context.Context, ws string, refs []FileRef) (FilesResponse, error) {
	all := FilesResponse{Files: []app.FileRecord{}}
	for len(refs) > 0 {
		n := min(len(refs), MaxFilesPerRequest)
		var out FilesResponse
		if err := c.do(ctx, "POST", wsPath(ws, "files"), FilesRequest{Files: refs[:n]}, &out); err != nil {
			return all, err
		}
		if len(out.Files) == 0 && len(out.Omitted) > 0 {
			return all, fmt.Errorf("unexpected answer from server: no file sent, %d left out", len(out.Omitted))
		}
		all.Files = append(all.Files, out.Files...)
		all.Missing = append(all.Missing, out.Missing...)
		refs = append(out.Omitted, refs[n:]...)
	}
	return all, nil
}

// SearchOptions narrow a search.
type SearchOptions struct {
	Repo  string
	Limit int
	Mode  string
	// Vectors are the query's embeddings by repo id (semantic and hybrid
	// search); with them the search is sent as POST.
	Vectors map[string][]float32
}

// Search runs a query.
func (c *Client) Search(ctx context.Context, ws, query string, o SearchOptions) ([]app.SearchResult, error) {
	if len(o.Vectors) > 0 {
		var out SearchResponse
		err := c.do(ctx, "POST", wsPath(ws, "search"), SearchRequest{Query: query, Repo: o.Repo, Limit: o.Limit, Mode: o.Mode, Vectors: o.Vectors}, &out)
		return out.Results, err
	}
	v := url.Values{"q": {query}}
	if o.Repo != "" {
		v.Set("repo", o.Repo)
	}
	if o.Limit > 0 {
		v.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Mode != "" {
		v.Set("mode", o.Mode)
	}
	var out SearchResponse
	err := c.do(ctx, "GET", wsPath(ws, "search")+"?"+v.Encode(), nil, &out)
	return out.Results, err
}

// LoginMFA completes a sign-in that asked for a second factor.
func (c *Client) LoginMFA(ctx context.Context, challenge, method, code string) (LoginResponse, error) {
	var out LoginResponse
	err := c.do(ctx, "POST", "/api/v1/auth/login/mfa", MFALoginRequest{Challenge: challenge, Method: method, Code: code}, &out)
	return out, err
}

// SendLoginSMS asks the server to text a code for a challenged sign-in.
func (c *Client) SendLoginSMS(ctx context.Context, challenge string) error {
	return c.do(ctx, "POST", "/api/v1/auth/login/sms", map[string]string{"challenge": challenge}, nil)
}

// LogoutEverywhere ends every session of the caller.
func (c *Client) LogoutEverywhere(ctx context.Context) error {
	return c.do(ctx, "POST", "/api/v1/auth/logout-all", nil, nil)
}

// Reauth confirms the caller's identity for sensitive operations.
func (c *Client) Reauth(ctx context.Context, password, method, code string) error {
	return c.do(ctx, "POST", "/api/v1/auth/reauth", ReauthRequest{Password: password, Method: method, Code: code}, nil)
}

// DeleteMe deletes the caller's account.
func (c *Client) DeleteMe(ctx context.Context) error {
	return c.do(ctx, "DELETE", "/api/v1/me", nil, nil)
}

// MFAStatus reports the caller's second factors.
func (c *Client) MFAStatus(ctx context.Context) (app.MFAStatus, error) {
	var out app.MFAStatus
	err := c.do(ctx, "GET", "/api/v1/me/mfa", nil, &out)
	return out, err
}

// EnrolTOTP starts an authenticator app enrolment.
func (c *Client) EnrolTOTP(ctx context.Context) (app.TOTPEnrolment, error) {
	var out app.TOTPEnrolment
	err := c.do(ctx, "POST", "/api/v1/me/mfa/totp", nil, &out)
	return out, err
}

// ConfirmTOTP activates the enrolment; backup codes come with the first factor.
func (c *Client) ConfirmTOTP(ctx context.Context, code string) ([]string, error) {
	var out BackupCodesResponse
	err := c.do(ctx, "POST", "/api/v1/me/mfa/totp/confirm", CodeRequest{Code: code}, &out)
	return out.BackupCodes, err
}

// EnrolSMS registers a phone and sends it a code.
func (c *Client) EnrolSMS(ctx context.Context, phone string) error {
	return c.do(ctx, "POST", "/api/v1/me/mfa/sms", map[string]string{"phone": phone}, nil)
}

// ConfirmSMS activates the phone with the code it received.
func (c *Client) ConfirmSMS(ctx context.Context, code string) ([]string, error) {
	var out BackupCodesResponse
	err := c.do(ctx, "POST", "/api/v1/me/mfa/sms/confirm", CodeRequest{Code: code}, &out)
	return out.BackupCodes, err
}

// DisableMFA removes every second factor (needs a recent sign-in).
func (c *Client) DisableMFA(ctx context.Context) error {
	return c.do(ctx, "DELETE", "/api/v1/me/mfa", nil, nil)
}

// RegenerateBackupCodes replaces the backup codes (needs a recent sign-in).
func (c *Client) RegenerateBackupCodes(ctx context.Context) ([]string, error) {
	var out BackupCodesResponse
	err := c.do(ctx, "POST", "/api/v1/me/mfa/backup-codes", nil, &out)
	return out.BackupCodes, err
}

// CreateAPIKey creates a scoped API key; the secret is in the answer once.
func (c *Client) CreateAPIKey(ctx context.Context, req CreateAPIKeyRequest) (CreateAPIKeyResponse, error) {
	var out CreateAPIKeyResponse
	err := c.do(ctx, "POST", "/api/v1/apikeys", req, &out)
	return out, err
}

// APIKeys lists the caller's API keys.
func (c *Client) APIKeys(ctx context.Context) ([]app.APIKey, error) {
	var out struct {
		Keys []app.APIKey `json:"api_keys"`
	}
	err := c.do(ctx, "GET", "/api/v1/apikeys", nil, &out)
	return out.Keys, err
}

// RevokeAPIKey revokes one of the caller's API keys.
func (c *Client) RevokeAPIKey(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", "/api/v1/apikeys/"+url.PathEscape(id), nil, nil)
}

// Workspaces lists the caller's workspaces.
func (c *Client) Workspaces(ctx context.Context) ([]app.Workspace, error) {
	var out struct {
		Workspaces []app.Workspace `json:"workspaces"`
	}
	err := c.do(ctx, "GET", "/api/v1/workspaces", nil, &out)
	return out.Workspaces, err
}

// CreateWorkspace creates a team workspace owned by the caller.
func (c *Client) CreateWorkspace(ctx context.Context, name string) (app.Workspace, error) {
	var out app.Workspace
	err := c.do(ctx, "POST", "/api/v1/workspaces", map[string]string{"name": name}, &out)
	return out, err
}

// Members lists a workspace's members.
func (c *Client) Members(ctx context.Context, ws string) ([]app.Member, error) {
	var out struct {
		Members []app.Member `json:"members"`
	}
	err := c.do(ctx, "GET", wsPath(ws, "members"), nil, &out)
	return out.Members, err
}

// AddMember adds an existing user to a workspace.
func (c *Client) AddMember(ctx context.Context, ws, email, role string) (app.Member, error) {
	var out app.Member
	err := c.do(ctx, "POST", wsPath(ws, "members"), MemberRequest{Email: email, Role: role}, &out)
	return out, err
}

// SetMemberRole changes a member's role.
func (c *Client) SetMemberRole(ctx context.Context, ws, userID, role string) error {
	return c.do(ctx, "PATCH", wsPath(ws, "members", userID), MemberRequest{Role: role}, nil)
}

// RemoveMember removes a member.
func (c *Client) RemoveMember(ctx context.Context, ws, userID string) error {
	return c.do(ctx, "DELETE", wsPath(ws, "members", userID), nil, nil)
}

// Users lists every account (admins).
func (c *Client) Users(ctx context.Context) ([]app.User, error) {
	var out struct {
		Users []app.User `json:"users"`
	}
	err := c.do(ctx, "GET", "/api/v1/users", nil, &out)
	return out.Users, err
}

// SetUserRole changes an instance role (admins).
func (c *Client) SetUserRole(ctx context.Context, userID, role string) error {
	return c.do(ctx, "PATCH", "/api/v1/users/"+url.PathEscape(userID), map[string]string{"role": role}, nil)
}

// DeleteUser deletes an account (admins).
func (c *Client) DeleteUser(ctx context.Context, userID string) error {
	return c.do(ctx, "DELETE", "/api/v1/users/"+url.PathEscape(userID), nil, nil)
}

// SetSettings changes instance settings (admins).
func (c *Client) SetSettings(ctx context.Context, s app.Settings) error {
	return c.do(ctx, "PUT", "/api/v1/settings", s, nil)
}

// AuditLog queries the audit log (admins).
func (c *Client) AuditLog(ctx context.Context, f app.AuditFilter) ([]app.AuditEntry, error) {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("actor", f.Actor)
	set("action", f.Action)
	set("target", f.Target)
	if !f.Since.IsZero() {
		v.Set("since", f.Since.UTC().Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		v.Set("until", f.Until.UTC().Format(time.RFC3339))
	}
	if f.Limit > 0 {
		v.Set("limit", strconv.Itoa(f.Limit))
	}
	var out struct {
		Entries []app.AuditEntry `json:"entries"`
	}
	err := c.do(ctx, "GET", "/api/v1/audit?"+v.Encode(), nil, &out)
	return out.Entries, err
}

// OAuthToken calls the token endpoint (authorization_code or
// refresh_token grant).
func (c *Client) OAuthToken(ctx context.Context, params map[string]string) (app.OAuthTokens, error) {
	var out app.OAuthTokens
	err := c.do(ctx, "POST", "/oauth/token", params, &out)
	return out, err
}

// Base is the server URL.
func (c *Client) Base() string { return c.base }
