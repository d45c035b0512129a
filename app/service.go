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
}

// TokenOptions describe a bearer credential.
type TokenOptions struct {
	Name      string
	Kind      string   // "session" for CLI logins, "apikey" for API keys
	Scopes    []string // nil: all of the user's rights
	Workspace string   // optional restriction
	TTL       time.Duration
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

	BeginIndex(ctx context.Context, repoID string, manifest []FileFingerprint) (IndexPlan, error)
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
