package app

import "time"

// User is an account. The e-mail address is held by the store sealed; the
// domain type carries it in the clear only while a request needs it.
type User struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"` // instance role: RoleAdmin or RoleMember
	Disabled  bool      `json:"disabled,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Workspace is a tenant: one SQLite file and one derived index.
type Workspace struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Personal  bool      `json:"personal"`
	CreatedAt time.Time `json:"created_at"`
	Role      string    `json:"role,omitempty"` // the caller's role, when listed for a caller
}

// Repo is a repository registered in a workspace. KeyCheck lets a client tell
// a wrong key from a right one without the server ever holding the key.
type Repo struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	KeyCheck    []byte    `json:"key_check"`
	Files       int       `json:"files"`
	Symbols     int       `json:"symbols"`
	Bytes       int64     `json:"bytes"`
	Generation  int64     `json:"generation"`
	IndexedAt   time.Time `json:"indexed_at,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
	NoEmbedding bool      `json:"no_embeddings,omitempty"`
	// ModelID identifies the repo's sealed embedding model (a keyed
	// fingerprint of it; "" when there is none) and ModelDims its vector
	// length.
	ModelID   string `json:"model_id,omitempty"`
	ModelDims int    `json:"model_dims,omitempty"`
}

// IndexOptions say what an index session carries besides files.
type IndexOptions struct {
	// Model is the id of a newly trained embedding model the client will
	// upload to the session (PutModel) before committing; Dims its vector
	// length. A new model makes the session full: every file is uploaded
	// again, with vectors from that model.
	Model string `json:"model,omitempty"`
	Dims  int    `json:"dims,omitempty"`
	// Full asks for every file to be uploaded again.
	Full bool `json:"full,omitempty"`
	// NoEmbeddings turns semantic search off for the repo: the commit drops
	// its model and vectors (the session is full).
	NoEmbeddings bool `json:"no_embeddings,omitempty"`
}

// FileFingerprint is one manifest entry: a path and the keyed fingerprint of
// its content, which tells the server whether the file changed without
// telling it what the file contains.
type FileFingerprint struct {
	Path        string `json:"path"`
	Fingerprint string `json:"fingerprint"`
}

// IndexPlan is the server's answer to a manifest.
type IndexPlan struct {
	SessionID string   `json:"session_id"`
	Need      []string `json:"need"` // paths whose new content the commit needs
	Drop      []string `json:"drop"` // paths the commit will remove
	Unchanged int      `json:"unchanged"`
	// Upload lists the paths of Need the client must send: all of them,
	// unless an interrupted session is resumed and already holds some
	// (Resumed of them).
	Upload  []string `json:"upload"`
	Resumed int      `json:"resumed"`
	// Model and Dims are the embedding model vectors uploaded to this
	// session must come from ("" for none: send no vectors).
	Model string `json:"model,omitempty"`
	Dims  int    `json:"dims,omitempty"`
}

// EncryptedSymbol is a symbol as uploaded and stored: plaintext metadata,
// ciphertext signature and doc.
type EncryptedSymbol struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Container string `json:"container,omitempty"`
	Line      int    `json:"line"`
	EndLine   int    `json:"end_line"`
	Signature []byte `json:"signature,omitempty"`
	Doc       []byte `json:"doc,omitempty"`
	// Vector is the symbol's embedding, int8-quantised (plaintext, see
	// DESIGN §4), or nil.
	Vector []int8 `json:"vector,omitempty"`
}

// FileUpload is one file of an upload batch.
type FileUpload struct {
	Path        string            `json:"path"`
	Fingerprint string            `json:"fingerprint"`
	Language    string            `json:"language"`
	Size        int64             `json:"size"`
	Generated   bool              `json:"generated,omitempty"` // ranked with vendored code
	Content     []byte            `json:"content"`             // sealed blob
	Symbols     []EncryptedSymbol `json:"symbols"`
}

// IndexCommit reports what a commit changed.
type IndexCommit struct {
	Generation int64 `json:"generation"`
	Added      int   `json:"added"`
	Removed    int   `json:"removed"`
	Files      int   `json:"files"`
	Symbols    int   `json:"symbols"`
}

// FileRecord is a stored file: metadata plus its sealed content.
type FileRecord struct {
	RepoID      string `json:"repo_id"`
	Repo        string `json:"repo"`
	Path        string `json:"path"`
	Language    string `json:"language"`
	Size        int64  `json:"size"`
	Fingerprint string `json:"fingerprint"`
	Content     []byte `json:"content"`
}

// SymbolRecord is a stored symbol with its row id.
type SymbolRecord struct {
	ID     int64  `json:"-"`
	RepoID string `json:"repo_id"`
	Path   string `json:"path"`
	Lang   string `json:"language"`
	EncryptedSymbol
}
