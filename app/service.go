package app

import (
	"context"
	"time"
)

// Accounts is the control plane: users, credentials and workspace
// membership, kept in control.db.
type Accounts interface {
	// CreateUser creates a user and their personal workspace.
	CreateUser(ctx context.Context, email, password, role string) (User, Workspace, error)
	// Authenticate checks a password login and returns the user.
	Authenticate(ctx context.Context, email, password string) (User, error)
	// IssueToken creates a bearer credential for userID. The secret is
	// returned once; only its hash is kept.
	IssueToken(ctx context.Context, userID string, opts TokenOptions) (string, error)
	// ResolveToken authenticates a bearer credential.
	ResolveToken(ctx context.Context, token string) (Principal, error)
	// RevokeToken revokes the credential that authenticated p.
	RevokeToken(ctx context.Context, p Principal) error
	// Workspaces lists the workspaces userID is a member of, with their role.
	Workspaces(ctx context.Context, userID string) ([]Workspace, error)
	// WorkspaceRole returns userID's role in ws, or ENOTFOUND.
	WorkspaceRole(ctx context.Context, userID, ws string) (Workspace, error)

	// User returns a user by id.
	User(ctx context.Context, id string) (User, error)
	// Login is the first step of a sign-in: password check with lockout,
	// then either done or an MFA challenge. The client address in ctx
	// (WithClient) is used for per-address lockout and audit.
	Login(ctx context.Context, email, password string) (LoginResult, error)
	// LoginMFA completes a challenged sign-in with a second factor.
	LoginMFA(ctx context.Context, challenge, method, code string) (User, error)
	// SendLoginSMS sends an SMS code for a challenged sign-in.
	SendLoginSMS(ctx context.Context, challenge string) error
	// Reauthenticate checks the password (and second factor if enrolled)
	// of a signed-in user, for operations that need a recent sign-in.
	Reauthenticate(ctx context.Context, p Principal, password, method, code string) error
	// TouchAuth records a fresh sign-in on the bearer credential of p.
	TouchAuth(ctx context.Context, p Principal) error
	// LogoutEverywhere ends every session and CLI token of userID.
	LogoutEverywhere(ctx context.Context, userID string) error
	// DeleteUser deletes an account and its personal workspace files.
	DeleteUser(ctx context.Context, userID string) error
	// Users lists every account (admins).
	Users(ctx context.Context) ([]User, error)
	// SetUserRole changes an instance role.
	SetUserRole(ctx context.Context, userID, role string) error
	Settings(ctx context.Context) (Settings, error)
	SetSettings(ctx context.Context, s Settings) error

	// Browser sessions (scs store; tokens are hashed before storage).
	FindSession(ctx context.Context, token string) ([]byte, bool, error)
	CommitSession(ctx context.Context, token string, data []byte, expiry time.Time) error
	DeleteSession(ctx context.Context, token string) error
	// SessionGen is the user's session generation: sessions carrying an
	// older one were ended by LogoutEverywhere.
	SessionGen(ctx context.Context, userID string) (int64, error)

	MFAStatus(ctx context.Context, userID string) (MFAStatus, error)
	EnrolTOTP(ctx context.Context, userID string) (TOTPEnrolment, error)
	// ConfirmTOTP activates a pending TOTP enrolment; the first time MFA
	// is enabled it returns fresh backup codes.
	ConfirmTOTP(ctx context.Context, userID, code string) ([]string, error)
	EnrolSMS(ctx context.Context, userID, phone string) error
	ConfirmSMS(ctx context.Context, userID, code string) ([]string, error)
	DisableMFA(ctx context.Context, userID string) error
	RegenerateBackupCodes(ctx context.Context, userID string) ([]string, error)

	CreateAPIKey(ctx context.Context, p Principal, name string, scopes []string, workspace string, ttl time.Duration) (APIKey, string, error)
	APIKeys(ctx context.Context, userID string) ([]APIKey, error)
	RevokeAPIKey(ctx context.Context, userID, id string) error

	CreateWorkspace(ctx context.Context, userID, name string) (Workspace, error)
	Members(ctx context.Context, ws string) ([]Member, error)
	// AddMember, SetMemberRole and RemoveMember act as actorRole (the
	// caller's role in ws) and keep at least one owner.
	AddMember(ctx context.Context, ws, actorRole, email, role string) (Member, error)
	SetMemberRole(ctx context.Context, ws, actorRole, userID, role string) error
	RemoveMember(ctx context.Context, ws, actorRole, userID string) error

	// Audit appends to the audit log; actor, client and request id come
	// from ctx when not set.
	Audit(ctx context.Context, e AuditEntry) error
	AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error)

	// AuthorizeOAuth stores an approved authorization request and returns
	// the single-use code.
	AuthorizeOAuth(ctx context.Context, c OAuthCode) (string, error)
	// ExchangeOAuthCode redeems a code with its PKCE verifier.
	ExchangeOAuthCode(ctx context.Context, code, verifier, clientID, redirectURI string) (OAuthTokens, error)
	// RefreshOAuth rotates a refresh token; reuse of a rotated one revokes
	// its whole family.
	RefreshOAuth(ctx context.Context, refresh string) (OAuthTokens, error)
}

// TokenOptions describe a bearer credential.
type TokenOptions struct {
	Name      string
	Kind      string   // "session" for CLI logins, "apikey" for API keys
	Scopes    []string // nil: all of the user's rights
	Workspace string   // optional restriction
	TTL       time.Duration
	// AuthAt is when the user proved who they are (zero for API keys).
	AuthAt time.Time
	// Family links OAuth access tokens to their refresh token family.
	Family string
	// Enrolling restricts the credential to MFA enrolment.
	Enrolling bool
}

// TenantOpener hands out tenant handles, and only after the authorisation
// check: holding a Tenant is proof that the principal may act on it with the
// permission it was opened for.
type TenantOpener interface {
	Open(ctx context.Context, p Principal, workspace string, perm Permission) (Tenant, error)
}

// Tenant is one workspace's data (its own SQLite file) and derived index.
type Tenant interface {
	Workspace() Workspace
	// Close releases the handle.
	Close() error
	CreateRepo(ctx context.Context, name string, keyCheck []byte, noEmbeddings bool) (Repo, error)
	Repos(ctx context.Context) ([]Repo, error)
	// Repo finds a repo by name or id.
	Repo(ctx context.Context, ref string) (Repo, error)
	DeleteRepo(ctx context.Context, repoID string) error

	BeginIndex(ctx context.Context, repoID string, manifest []FileFingerprint, opts IndexOptions) (IndexPlan, error)
	// PutModel stores the sealed embedding model a session announced.
	PutModel(ctx context.Context, repoID, sessionID string, blob []byte) error
	// Model returns the repo's sealed embedding model and its id.
	Model(ctx context.Context, repoID string) (blob []byte, id string, err error)
	Upload(ctx context.Context, repoID, sessionID string, files []FileUpload) error
	CommitIndex(ctx context.Context, repoID, sessionID string) (IndexCommit, error)

	File(ctx context.Context, repoID, path string) (FileRecord, error)
	Search(ctx context.Context, q Query) ([]SearchResult, error)
}

// FileDoc is a file as the derived lexical index sees it.
type FileDoc struct {
	ID       string // "f<rowid>"
	RepoID   string
	Path     string
	Language string
}

// IndexChange is a batch of edits to the derived lexical index, stamped
// with the tenant's index version so that a stale index is detected and
// rebuilt. The index holds the vocabulary of symbol names (one entry per
// lower-case name) and the files; the tenant database maps names to
// symbols.
type IndexChange struct {
	Version     int64
	AddNames    []string // names (one spelling each) that became present
	DeleteNames []string // lower-case names no longer present
	AddFiles    []FileDoc
	DeleteFiles []string // file document ids
}

// NameHit is a candidate symbol name for a query.
type NameHit struct {
	Name  string // a spelling of the name as indexed
	Score float64
}

// IndexHit is a lexical match of a file.
type IndexHit struct {
	ID    string
	Score float64
}

// LexicalIndex is a tenant's derived symbol-name and path index.
type LexicalIndex interface {
	Apply(ctx context.Context, ch IndexChange) error
	// AddNames adds vocabulary entries ahead of the commit that makes them
	// live, while an index session uploads, so that the commit has less to
	// do. It leaves the version alone: a name without live symbols finds
	// nothing, and a rebuild drops it.
	AddNames(ctx context.Context, names []string) error
	// Version is the version of the last applied change (0 for empty).
	Version() (int64, error)
	// Reset empties the index before a rebuild.
	Reset(ctx context.Context) error
	// Names returns the names that match every text term, best first:
	// exact, prefix, camelCase parts, parts and bounded fuzzy matches.
	Names(ctx context.Context, terms []Term, limit int) ([]NameHit, error)
	// Files returns the files whose paths match every text term and the
	// query's path, language and repo filters.
	Files(ctx context.Context, q Query, limit int) ([]IndexHit, error)
	Close() error
}

// SearchResult is one answer. Signature, Doc and Snippet are sealed blobs
// that only the client can open.
type SearchResult struct {
	RepoID    string  `json:"repo_id"`
	Repo      string  `json:"repo"`
	Path      string  `json:"path"`
	Line      int     `json:"line"`
	EndLine   int     `json:"end_line"`
	Name      string  `json:"name"`
	Kind      string  `json:"kind"`
	Container string  `json:"container,omitempty"`
	Language  string  `json:"language"`
	Score     float64 `json:"score"`
	Why       string  `json:"why,omitempty"`
	Signature []byte  `json:"signature,omitempty"`
	Doc       []byte  `json:"doc,omitempty"`
}

// VectorHit is a vector search result: a symbol row id and its cosine
// similarity to the query.
type VectorHit struct {
	ID    int64
	Score float32
}

// VectorIndex is a workspace's derived index of symbol vectors of one
// length, partitioned by repo id (each repo has its own embedding model, so
// only vectors of one repo are comparable). Vectors are int8-quantised.
type VectorIndex interface {
	Dims() int
	AddBatch(repo string, ids []int64, vecs [][]int8) error
	Delete(repo string, ids ...int64)
	DeletePart(repo string)
	Parts() []string
	Search(repo string, q []float32, k int) []VectorHit
	// Generation is the tenant index version the index reflects.
	Generation() uint64
	SetGeneration(g uint64)
	// Save writes the index atomically.
	Save(path string) error
}

// VectorIndexes makes vector indexes: new, or loaded from a file written
// by Save (a missing file is fs.ErrNotExist; a damaged one another error).
type VectorIndexes interface {
	New(dims int) VectorIndex
	Load(path string) (VectorIndex, error)
}
