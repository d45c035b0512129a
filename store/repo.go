package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/optiq/optiq/app"
)

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Counters in the meta table: index_version counts commits (the lexical
// index records the one it reflects), vector_version the commits that
// changed vectors (the vector index files record theirs).
const (
	metaIndexVersion  = "index_version"
	metaVectorVersion = "vector_version"
)

func metaValue(ctx context.Context, q querier, key string) (int64, error) {
	var v int64
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	return v, err
}

func bumpMeta(ctx context.Context, tx *sql.Tx, key string) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, `UPDATE meta SET value = value + 1 WHERE key = ? RETURNING value`, key).Scan(&v)
	return v, err
}

const repoColumns = `r.id, r.name, r.key_check, r.no_embeddings, r.generation, r.indexed_at, r.created_at, r.files, r.bytes, r.symbols, r.model_id, r.model_dims`

func scanRepo(sc interface{ Scan(...any) error }) (app.Repo, error) {
	var r app.Repo
	var indexed sql.NullInt64
	var created int64
	err := sc.Scan(&r.ID, &r.Name, &r.KeyCheck, &r.NoEmbedding, &r.Generation, &indexed, &created, &r.Files, &r.Bytes, &r.Symbols, &r.ModelID, &r.ModelDims)
	if indexed.Valid {
		r.IndexedAt = time.Unix(indexed.Int64, 0).UTC()
	}
	r.CreatedAt = time.Unix(created, 0).UTC()
	return r, err
}

// CreateRepo implements app.Tenant.
func (h *Tenant) CreateRepo(ctx context.Context, name string, keyCheck []byte, noEmbeddings bool) (app.Repo, error) {
	if err := app.ValidateName("repo", name); err != nil {
		return app.Repo{}, err
	}
	if len(keyCheck) != 16 {
		return app.Repo{}, app.Errorf(app.EINVALID, "key check must be 16 bytes")
	}
	id := newID("r_")
	_, err := h.t.db.write.ExecContext(ctx, `INSERT INTO repos (id, name, key_check, no_embeddings, created_at) VALUES (?,?,?,?,?)`,
		id, name, keyCheck, noEmbeddings, h.s.now())
	if err != nil {
		if app.ErrorCode(mapError(err)) == app.ECONFLICT {
			return app.Repo{}, app.Errorf(app.ECONFLICT, "repo %q already exists in workspace %q", name, h.ws.Name)
		}
		return app.Repo{}, err
	}
	return h.Repo(ctx, id)
}

// Repos implements app.Tenant.
func (h *Tenant) Repos(ctx context.Context) ([]app.Repo, error) {
	rows, err := h.t.db.read.QueryContext(ctx, `SELECT `+repoColumns+` FROM repos r ORDER BY r.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []app.Repo{}
	for rows.Next() {
		r, err := scanRepo(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Repo implements app.Tenant.
func (h *Tenant) Repo(ctx context.Context, ref string) (app.Repo, error) {
	r, err := scanRepo(h.t.db.read.QueryRowContext(ctx, `SELECT `+repoColumns+` FROM repos r WHERE r.id = ? OR r.name = ?`, ref, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return r, app.Errorf(app.ENOTFOUND, "repo %q not found in workspace %q", ref, h.ws.Name)
	}
	return r, err
}

// DeleteRepo implements app.Tenant.
func (h *Tenant) DeleteRepo(ctx context.Context, repoID string) error {
	h.t.mu.Lock()
	defer h.t.mu.Unlock()
	h.t.preloadVectors(ctx)
	var ch app.IndexChange
	vch := vectorChange{repo: repoID, dropPart: true}
	err := h.t.db.Tx(ctx, func(tx *sql.Tx) error {
		where, args := `WHERE f.repo_id = ? AND f.session_id IS NULL`, []any{repoID}
		if err := beginNameDelta(ctx, tx); err != nil {
			return err
		}
		if err := addNameDelta(ctx, tx, -1, where, args); err != nil {
			return err
		}
		var err error
		if ch.DeleteFiles, err = fileDocIDs(ctx, tx, where, args); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM repos WHERE id = ?`, repoID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "repo %q not found", repoID)
		}
		if ch.AddNames, ch.DeleteNames, err = applyNameDelta(ctx, tx); err != nil {
			return err
		}
		if ch.Version, err = bumpMeta(ctx, tx, metaIndexVersion); err != nil {
			return err
		}
		vch.version, err = bumpMeta(ctx, tx, metaVectorVersion)
		return err
	})
	if err != nil {
		return err
	}
	h.t.settlePreAdded("", &ch)
	h.t.applyVectors(ctx, vch)
	return h.t.apply(ctx, ch)
}

// The vocabulary is kept in step set-wise: a commit adds the symbol counts
// of the files it removes (negated) and of the files it makes live to a
// per-connection delta table, reads which names appear and disappear, and
// applies the delta in two statements. (Row-by-row upserts of a first index
// of a large repo took seconds.)

// beginNameDelta empties the delta table of the writer connection.
func beginNameDelta(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS name_delta (lname TEXT PRIMARY KEY, name TEXT NOT NULL, n INTEGER NOT NULL) WITHOUT ROWID;
		DELETE FROM temp.name_delta`)
	return err
}

// addNameDelta adds sign × the symbol counts, by lower-case name, of the
// files matched by where (on files f).
func addNameDelta(ctx context.Context, tx *sql.Tx, sign int, where string, args []any) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO temp.name_delta (lname, name, n)
		SELECT s.lname, min(s.name), `+strconv.Itoa(sign)+` * count(*) FROM symbols s JOIN files f ON f.id = s.file_id `+where+` GROUP BY s.lname
		ON CONFLICT (lname) DO UPDATE SET n = n + excluded.n`, args...)
	return err
}

// applyNameDelta applies the delta to the vocabulary and returns the names
// that appeared and the lower-case names that disappeared.
func applyNameDelta(ctx context.Context, tx *sql.Tx) (added, deleted []string, err error) {
	if added, err = queryStrings(ctx, tx, `SELECT d.name FROM temp.name_delta d LEFT JOIN names m ON m.lname = d.lname WHERE m.lname IS NULL AND d.n > 0`); err != nil {
		return nil, nil, err
	}
	if deleted, err = queryStrings(ctx, tx, `SELECT d.lname FROM temp.name_delta d JOIN names m ON m.lname = d.lname WHERE m.n + d.n <= 0`); err != nil {
		return nil, nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO names (lname, name, n) SELECT lname, name, n FROM temp.name_delta WHERE n != 0
		ON CONFLICT (lname) DO UPDATE SET n = names.n + excluded.n;
		DELETE FROM names WHERE n <= 0;
		DELETE FROM temp.name_delta`); err != nil {
		return nil, nil, err
	}
	return added, deleted, nil
}

// queryStrings runs a query returning one text column.
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	return queryColumn[string](ctx, q, query, args...)
}

// queryColumn runs a query returning one column.
func queryColumn[T any](ctx context.Context, q querier, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// fileDocIDs lists the index document ids of the files matched by where.
func fileDocIDs(ctx context.Context, q querier, where string, args []any) ([]string, error) {
	return queryStrings(ctx, q, `SELECT 'f' || f.id FROM files f `+where, args...)
}

// apply updates the derived index after a commit. A failure leaves the
// index at an older version, which the next open detects and rebuilds; it is
// rebuilt here at once so that search stays right.
func (t *tenantDB) apply(ctx context.Context, ch app.IndexChange) error {
	if t.index == nil {
		return nil
	}
	if err := t.index.Apply(ctx, ch); err != nil {
		return t.syncIndex(context.WithoutCancel(ctx))
	}
	return nil
}

// rebuildIndex re-creates the derived index from data.db.
func (t *tenantDB) rebuildIndex(ctx context.Context, version int64) error {
	if err := t.index.Reset(ctx); err != nil {
		return err
	}
	ch := app.IndexChange{Version: version}
	rows, err := t.db.read.QueryContext(ctx, `SELECT name FROM names`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		ch.AddNames = append(ch.AddNames, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = t.db.read.QueryContext(ctx, `SELECT id, repo_id, path, language FROM files WHERE session_id IS NULL`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var d app.FileDoc
		if err := rows.Scan(&id, &d.RepoID, &d.Path, &d.Language); err != nil {
			return err
		}
		d.ID = "f" + strconv.FormatInt(id, 10)
		ch.AddFiles = append(ch.AddFiles, d)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return t.index.Apply(ctx, ch)
}

// File implements app.Tenant.
func (h *Tenant) File(ctx context.Context, repoID, path string) (app.FileRecord, error) {
	if err := app.ValidatePath(path); err != nil {
		return app.FileRecord{}, err
	}
	f := app.FileRecord{RepoID: repoID, Path: path}
	err := h.t.db.read.QueryRowContext(ctx, `SELECT r.name, f.language, f.size, f.fingerprint, f.content FROM files f JOIN repos r ON r.id = f.repo_id
		WHERE f.repo_id = ? AND f.path = ? AND f.session_id IS NULL`, repoID, path).Scan(&f.Repo, &f.Language, &f.Size, &f.Fingerprint, &f.Content)
	if errors.Is(err, sql.ErrNoRows) {
		return f, app.Errorf(app.ENOTFOUND, "file %q not found in repo", path)
	}
	return f, err
}

// Limits on one upload.
const (
	MaxFileBlob       = 16 << 20 // sealed content of one file
	MaxSymbolsPerFile = 100000
	MaxSymbolBlob     = 64 << 10
)

func validateUpload(f *app.FileUpload) error {
	if err := app.ValidatePath(f.Path); err != nil {
		return err
	}
	if !isHex64(f.Fingerprint) {
		return app.Errorf(app.EINVALID, "%s: fingerprint must be 64 lower-case hex characters", f.Path)
	}
	if len(f.Language) > 32 || strings.Trim(f.Language, "abcdefghijklmnopqrstuvwxyz0123456789+#-_") != "" {
		return app.Errorf(app.EINVALID, "%s: invalid language %q", f.Path, f.Language)
	}
	if len(f.Content) == 0 {
		return app.Errorf(app.EINVALID, "%s: missing content blob", f.Path)
	}
	if len(f.Content) > MaxFileBlob {
		return app.Errorf(app.ETOOLARGE, "%s: content blob is %d bytes, over the %d byte limit", f.Path, len(f.Content), MaxFileBlob)
	}
	if f.Size < 0 {
		return app.Errorf(app.EINVALID, "%s: negative size", f.Path)
	}
	if len(f.Symbols) > MaxSymbolsPerFile {
		return app.Errorf(app.ETOOLARGE, "%s: %d symbols, over the %d limit", f.Path, len(f.Symbols), MaxSymbolsPerFile)
	}
	for i := range f.Symbols {
		s := &f.Symbols[i]
		switch {
		case s.Name == "" || len(s.Name) > app.MaxSymbolName || !utf8.ValidString(s.Name):
			return app.Errorf(app.EINVALID, "%s: symbol %d has an empty, overlong or non-UTF-8 name", f.Path, i)
		case !utf8.ValidString(s.Kind) || len(s.Kind) > 32 || s.Kind == "":
			return app.Errorf(app.EINVALID, "%s: symbol %q has an invalid kind", f.Path, s.Name)
		case !utf8.ValidString(s.Container) || len(s.Container) > app.MaxSymbolName:
			return app.Errorf(app.EINVALID, "%s: symbol %q has an invalid container", f.Path, s.Name)
		case s.Line < 1 || s.EndLine < s.Line:
			return app.Errorf(app.EINVALID, "%s: symbol %q has an invalid line range %d-%d", f.Path, s.Name, s.Line, s.EndLine)
		case len(s.Signature) > MaxSymbolBlob || len(s.Doc) > MaxSymbolBlob:
			return app.Errorf(app.ETOOLARGE, "%s: symbol %q has an oversized signature or doc blob", f.Path, s.Name)
		}
	}
	return nil
}

// BeginIndex implements app.Tenant: it compares the manifest with what is
// stored and records a session listing what the client must upload.
func (h *Tenant) BeginIndex(ctx context.Context, repoID string, manifest []app.FileFingerprint, opts app.IndexOptions) (app.IndexPlan, error) {
	seen := make(map[string]string, len(manifest))
	for _, m := range manifest {
		if err := app.ValidatePath(m.Path); err != nil {
			return app.IndexPlan{}, err
		}
		if _, dup := seen[m.Path]; dup {
			return app.IndexPlan{}, app.Errorf(app.EINVALID, "manifest lists %q twice", m.Path)
		}
		seen[m.Path] = m.Fingerprint
	}
	if err := validateIndexOptions(opts); err != nil {
		return app.IndexPlan{}, err
	}
	plan := app.IndexPlan{SessionID: newID("x_"), Need: []string{}, Drop: []string{}}
	err := h.t.db.Tx(ctx, func(tx *sql.Tx) error {
		var gen int64
		var model string
		var dims int
		if err := tx.QueryRowContext(ctx, `SELECT generation, model_id, model_dims FROM repos WHERE id = ?`, repoID).Scan(&gen, &model, &dims); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return app.Errorf(app.ENOTFOUND, "repo %q not found", repoID)
			}
			return err
		}
		// The vectors a session uploads all come from one model: a new
		// one replaces every vector of the repo, and so does dropping
		// embeddings, so both make the session full.
		full := opts.Full || opts.Model != "" || opts.NoEmbeddings && model != ""
		switch {
		case opts.Model != "":
			model, dims = opts.Model, opts.Dims
		case opts.NoEmbeddings:
			model, dims = "", 0
		}
		plan.Model, plan.Dims = model, dims
		rows, err := tx.QueryContext(ctx, `SELECT path, fingerprint FROM files WHERE repo_id = ? AND session_id IS NULL`, repoID)
		if err != nil {
			return err
		}
		stored := map[string]bool{}
		for rows.Next() {
			var p, fp string
			if err := rows.Scan(&p, &fp); err != nil {
				rows.Close()
				return err
			}
			stored[p] = true
			want, ok := seen[p]
			switch {
			case !ok:
				plan.Drop = append(plan.Drop, p)
			case want != fp || full:
				plan.Need = append(plan.Need, p)
			default:
				plan.Unchanged++
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, m := range manifest {
			if !stored[m.Path] {
				plan.Need = append(plan.Need, m.Path)
			}
		}
		need, _ := json.Marshal(plan.Need)
		drop, _ := json.Marshal(plan.Drop)
		// Sessions begun before the last commit can never commit.
		if _, err := tx.ExecContext(ctx, `DELETE FROM index_sessions WHERE repo_id = ? AND base_generation != ?`, repoID, gen); err != nil {
			return err
		}
		resumed, err := h.resume(ctx, tx, repoID, gen, &plan, seen, opts)
		if err != nil || resumed {
			if err == nil {
				_, err = tx.ExecContext(ctx, `UPDATE index_sessions SET need = ?, drop_paths = ? WHERE id = ?`, string(need), string(drop), plan.SessionID)
			}
			return err
		}
		// An interrupted session that carried other vectors is superseded.
		if _, err := tx.ExecContext(ctx, `DELETE FROM index_sessions WHERE repo_id = ?`, repoID); err != nil {
			return err
		}
		plan.Upload = plan.Need
		_, err = tx.ExecContext(ctx, `INSERT INTO index_sessions (id, repo_id, base_generation, need, drop_paths, created_at, model_id, model_dims, new_model, no_embeddings)
			VALUES (?,?,?,?,?,?,?,?,?,?)`,
			plan.SessionID, repoID, gen, string(need), string(drop), h.s.now(), model, dims, opts.Model != "", opts.NoEmbeddings)
		return err
	})
	return plan, err
}

// Bounds on embedding models and vectors.
const (
	MaxModelBlob  = 64 << 20 // the API's largest request body
	MinVectorDims = 8
	MaxVectorDims = 4096
)

func validateIndexOptions(o app.IndexOptions) error {
	switch {
	case o.Model != "" && o.NoEmbeddings:
		return app.Errorf(app.EINVALID, "an index session cannot both upload a model and turn embeddings off")
	case o.Model != "" && !isHex64(o.Model):
		return app.Errorf(app.EINVALID, "model id must be 64 lower-case hex characters")
	case o.Model != "" && (o.Dims < MinVectorDims || o.Dims > MaxVectorDims):
		return app.Errorf(app.EINVALID, "model dimensions must be from %d to %d", MinVectorDims, MaxVectorDims)
	case o.Model == "" && o.Dims != 0:
		return app.Errorf(app.EINVALID, "dimensions given without a model")
	}
	return nil
}

func isHex64(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

// resume continues the latest interrupted session of the repo, if one is
// still current: files it already holds with the fingerprint the manifest
// now gives are kept and left out of plan.Need (the session still needs
// them for its commit); any other pending file of it is discarded.
func (h *Tenant) resume(ctx context.Context, tx *sql.Tx, repoID string, gen int64, plan *app.IndexPlan, manifest map[string]string, opts app.IndexOptions) (bool, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM index_sessions WHERE repo_id = ? AND base_generation = ? AND model_id = ? AND new_model = ? AND no_embeddings = ?
		ORDER BY created_at DESC, id LIMIT 1`, repoID, gen, plan.Model, opts.Model != "", opts.NoEmbeddings).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	needed := make(map[string]bool, len(plan.Need))
	for _, p := range plan.Need {
		needed[p] = true
	}
	rows, err := tx.QueryContext(ctx, `SELECT path, fingerprint FROM files WHERE session_id = ?`, id)
	if err != nil {
		return false, err
	}
	kept := map[string]bool{}
	var discard []string
	for rows.Next() {
		var p, fp string
		if err := rows.Scan(&p, &fp); err != nil {
			rows.Close()
			return false, err
		}
		if needed[p] && manifest[p] == fp {
			kept[p] = true
		} else {
			discard = append(discard, p)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	for chunk := range chunks(discard, 500) {
		if _, err := tx.ExecContext(ctx, `DELETE FROM files WHERE session_id = ? AND path IN (`+placeholders(len(chunk))+`)`, append([]any{id}, toAny(chunk)...)...); err != nil {
			return false, err
		}
	}
	// Other interrupted sessions of the repo are superseded.
	if _, err := tx.ExecContext(ctx, `DELETE FROM index_sessions WHERE repo_id = ? AND id != ?`, repoID, id); err != nil {
		return false, err
	}
	plan.SessionID = id
	plan.Resumed = len(kept)
	plan.Upload = make([]string, 0, len(plan.Need)-len(kept))
	for _, p := range plan.Need {
		if !kept[p] {
			plan.Upload = append(plan.Upload, p)
		}
	}
	return true, nil
}

type session struct {
	baseGen      int64
	need         []string
	drop         []string
	model        string // the model vectors come from ("": no vectors)
	dims         int
	newModel     bool // the session uploads model and replaces every vector
	noEmbeddings bool // the session turns embeddings off
	hasModel     bool // the new model's blob is uploaded
}

func loadSession(ctx context.Context, q querier, repoID, id string) (session, error) {
	var s session
	var need, drop string
	err := q.QueryRowContext(ctx, `SELECT base_generation, need, drop_paths, model_id, model_dims, new_model, no_embeddings, model IS NOT NULL
		FROM index_sessions WHERE id = ? AND repo_id = ?`, id, repoID).
		Scan(&s.baseGen, &need, &drop, &s.model, &s.dims, &s.newModel, &s.noEmbeddings, &s.hasModel)
	if errors.Is(err, sql.ErrNoRows) {
		return s, app.Errorf(app.ENOTFOUND, "index session %q not found (it may have expired): run optiq index again", id)
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal([]byte(need), &s.need); err != nil {
		return s, err
	}
	return s, json.Unmarshal([]byte(drop), &s.drop)
}

// Upload implements app.Tenant: files go straight into pending rows of the
// session, invisible until the commit, so an interrupted upload changes
// nothing visible.
func (h *Tenant) Upload(ctx context.Context, repoID, sessionID string, files []app.FileUpload) error {
	for i := range files {
		if err := validateUpload(&files[i]); err != nil {
			return err
		}
	}
	if err := h.stage(ctx, repoID, sessionID, files); err != nil {
		return err
	}
	if err := h.t.preAddNames(ctx, sessionID, files); err != nil {
		// Only an optimisation: the commit adds whatever is missing.
		h.s.opts.Logger.WarnContext(ctx, "adding names ahead of commit failed", "request_id", app.RequestIDFrom(ctx), "error", err)
	}
	return nil
}

// preAddNames adds the batch's names that the vocabulary lacks to the
// lexical index now, while the client is still uploading, and remembers
// them so that the commit does not add them again.
func (t *tenantDB) preAddNames(ctx context.Context, sessionID string, files []app.FileUpload) error {
	if t.index == nil {
		return nil
	}
	t.preMu.Lock()
	done := maps.Clone(t.preAdded[sessionID])
	t.preMu.Unlock()
	spelling := map[string]string{}
	for _, f := range files {
		for _, sym := range f.Symbols {
			l := strings.ToLower(sym.Name)
			if _, seen := spelling[l]; !seen && !done[l] {
				spelling[l] = sym.Name
			}
		}
	}
	lnames := make([]string, 0, len(spelling))
	for l := range spelling {
		lnames = append(lnames, l)
	}
	for chunk := range chunks(lnames, 500) {
		known, err := queryStrings(ctx, t.db.read, `SELECT lname FROM names WHERE lname IN (`+placeholders(len(chunk))+`)`, toAny(chunk)...)
		if err != nil {
			return err
		}
		for _, l := range known {
			delete(spelling, l)
		}
	}
	if len(spelling) == 0 {
		return nil
	}
	names := make([]string, 0, len(spelling))
	for _, n := range spelling {
		names = append(names, n)
	}
	if err := t.index.AddNames(ctx, names); err != nil {
		return err
	}
	t.preMu.Lock()
	defer t.preMu.Unlock()
	if t.preAdded[sessionID] == nil {
		t.preAdded[sessionID] = map[string]bool{}
	}
	for l := range spelling {
		t.preAdded[sessionID][l] = true
	}
	return nil
}

// settlePreAdded takes the names pre-added by a committing session out of
// the names the commit must add, forgets the session, and forgets the names
// the commit deletes for every other session (they must be added again).
func (t *tenantDB) settlePreAdded(sessionID string, ch *app.IndexChange) {
	t.preMu.Lock()
	defer t.preMu.Unlock()
	if done := t.preAdded[sessionID]; len(done) > 0 {
		kept := ch.AddNames[:0]
		for _, n := range ch.AddNames {
			if !done[strings.ToLower(n)] {
				kept = append(kept, n)
			}
		}
		ch.AddNames = kept
	}
	delete(t.preAdded, sessionID)
	for _, other := range t.preAdded {
		for _, l := range ch.DeleteNames {
			delete(other, l)
		}
	}
}

// stage inserts an upload batch as pending rows of the session.
func (h *Tenant) stage(ctx context.Context, repoID, sessionID string, files []app.FileUpload) error {
	return h.t.db.Tx(ctx, func(tx *sql.Tx) error {
		s, err := loadSession(ctx, tx, repoID, sessionID)
		if err != nil {
			return err
		}
		needed := make(map[string]bool, len(s.need))
		for _, p := range s.need {
			needed[p] = true
		}
		// A retried batch replaces what the first attempt stored.
		delFile, err := tx.PrepareContext(ctx, `DELETE FROM files WHERE session_id = ? AND path = ?`)
		if err != nil {
			return err
		}
		defer delFile.Close()
		insFile, err := tx.PrepareContext(ctx, `INSERT INTO files (repo_id, session_id, path, fingerprint, language, size, generated, content) VALUES (?,?,?,?,?,?,?,?) RETURNING id`)
		if err != nil {
			return err
		}
		defer insFile.Close()
		insSym, err := tx.PrepareContext(ctx, `INSERT INTO symbols (file_id, name, lname, kind, container, line, end_line, signature, doc, vec, rank) VALUES (?,?,?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			return err
		}
		defer insSym.Close()
		for _, f := range files {
			if !needed[f.Path] {
				return app.Errorf(app.EINVALID, "%s: not part of this index session's plan", f.Path)
			}
			if err := checkVectors(f, s.dims); err != nil {
				return err
			}
			if _, err := delFile.ExecContext(ctx, sessionID, f.Path); err != nil {
				return err
			}
			var fileID int64
			if err := insFile.QueryRowContext(ctx, repoID, sessionID, f.Path, f.Fingerprint, f.Language, f.Size, f.Generated, f.Content).Scan(&fileID); err != nil {
				return err
			}
			class := pathClass(f.Path, f.Generated)
			for _, sym := range f.Symbols {
				if _, err := insSym.ExecContext(ctx, fileID, sym.Name, strings.ToLower(sym.Name), sym.Kind, sym.Container, sym.Line, sym.EndLine, sym.Signature, sym.Doc, vecBytes(sym.Vector), packRank(app.KindRank(sym.Kind), class, len(f.Path))); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// CommitIndex implements app.Tenant: in one transaction it deletes the
// files being replaced or dropped, makes the session's pending files live
// and updates the vocabulary; then it updates the derived index.
func (h *Tenant) CommitIndex(ctx context.Context, repoID, sessionID string) (app.IndexCommit, error) {
	h.t.mu.Lock()
	defer h.t.mu.Unlock()
	var res app.IndexCommit
	var ch app.IndexChange
	var vch vectorChange
	start := time.Now()
	// Loaded before the transaction, a saved vector index is still current
	// and is read, not rebuilt, when this commit changes vectors.
	h.t.preloadVectors(ctx)
	err := h.t.db.Tx(ctx, func(tx *sql.Tx) error {
		s, err := loadSession(ctx, tx, repoID, sessionID)
		if err != nil {
			return err
		}
		var gen int64
		if err := tx.QueryRowContext(ctx, `SELECT generation FROM repos WHERE id = ?`, repoID).Scan(&gen); err != nil {
			return err
		}
		if gen != s.baseGen {
			return app.Errorf(app.ECONFLICT, "the repo was re-indexed by someone else since this session began: run optiq index again")
		}
		var staged int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM files WHERE session_id = ?`, sessionID).Scan(&staged); err != nil {
			return err
		}
		if staged != len(s.need) {
			return app.Errorf(app.EINVALID, "index session incomplete: %d of %d files uploaded", staged, len(s.need))
		}
		if s.newModel && !s.hasModel {
			return app.Errorf(app.EINVALID, "index session incomplete: the embedding model was not uploaded")
		}
		var hadModel bool
		if err := tx.QueryRowContext(ctx, `SELECT model_id != '' FROM repos WHERE id = ?`, repoID).Scan(&hadModel); err != nil {
			return err
		}
		// Turning embeddings off drops vectors only where there were some.
		vch.repo, vch.dims, vch.dropPart = repoID, s.dims, s.newModel || s.noEmbeddings && hadModel
		if err := beginNameDelta(ctx, tx); err != nil {
			return err
		}
		gone := append(append([]string{}, s.need...), s.drop...)
		for chunk := range chunks(gone, 500) {
			where := `WHERE f.repo_id = ? AND f.session_id IS NULL AND f.path IN (` + placeholders(len(chunk)) + `)`
			args := append([]any{repoID}, toAny(chunk)...)
			if err := addNameDelta(ctx, tx, -1, where, args); err != nil {
				return err
			}
			ids, err := fileDocIDs(ctx, tx, where, args)
			if err != nil {
				return err
			}
			ch.DeleteFiles = append(ch.DeleteFiles, ids...)
			if !vch.dropPart {
				if err := vch.deleted(ctx, tx, where, args); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM files AS f `+where, args...); err != nil {
				return err
			}
		}
		if err := addNameDelta(ctx, tx, +1, `WHERE f.session_id = ?`, []any{sessionID}); err != nil {
			return err
		}
		if err := vch.added(ctx, tx, sessionID); err != nil {
			return err
		}
		if err := commitModel(ctx, tx, repoID, sessionID, s); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `UPDATE files SET session_id = NULL WHERE session_id = ? RETURNING id, path, language`, sessionID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			d := app.FileDoc{RepoID: repoID}
			if err := rows.Scan(&id, &d.Path, &d.Language); err != nil {
				rows.Close()
				return err
			}
			d.ID = "f" + strconv.FormatInt(id, 10)
			ch.AddFiles = append(ch.AddFiles, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if ch.AddNames, ch.DeleteNames, err = applyNameDelta(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM index_sessions WHERE id = ?`, sessionID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `UPDATE repos SET generation = generation + 1, indexed_at = ? WHERE id = ? RETURNING generation`,
			h.s.now(), repoID).Scan(&res.Generation); err != nil {
			return err
		}
		ch.Version, err = bumpMeta(ctx, tx, metaIndexVersion)
		if err != nil {
			return err
		}
		if vch.changes() {
			if vch.version, err = bumpMeta(ctx, tx, metaVectorVersion); err != nil {
				return err
			}
		}
		res.Added, res.Removed = len(ch.AddFiles), len(s.drop)
		return tx.QueryRowContext(ctx, `UPDATE repos SET
			files = (SELECT count(*) FROM files WHERE repo_id = ?1 AND session_id IS NULL),
			bytes = (SELECT coalesce(sum(size), 0) FROM files WHERE repo_id = ?1 AND session_id IS NULL),
			symbols = (SELECT count(*) FROM symbols s JOIN files f ON f.id = s.file_id WHERE f.repo_id = ?1 AND f.session_id IS NULL)
			WHERE id = ?1 RETURNING files, symbols`, repoID).Scan(&res.Files, &res.Symbols)
	})
	if err != nil {
		return res, err
	}
	committed := time.Now()
	h.t.settlePreAdded(sessionID, &ch)
	h.t.applyVectors(ctx, vch)
	if err := h.t.apply(ctx, ch); err != nil {
		return res, fmt.Errorf("update search index: %w", err)
	}
	h.s.opts.Logger.InfoContext(ctx, "index session committed", "request_id", app.RequestIDFrom(ctx), "workspace", h.ws.ID, "repo", repoID,
		"generation", res.Generation, "added", res.Added, "removed", res.Removed, "names_added", len(ch.AddNames), "names_deleted", len(ch.DeleteNames),
		"db_seconds", committed.Sub(start).Seconds(), "index_seconds", time.Since(committed).Seconds())
	return res, nil
}

func chunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

func toAny[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
