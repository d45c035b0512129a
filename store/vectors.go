package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"time"
	"unsafe"

	"github.com/optiq/optiq/app"
)

// Symbol vectors live in data.db (symbols.vec, int8) as the source of
// truth. The vector index of a workspace (search/vector, one per vector
// length, partitioned by repo id) is derived: it is loaded on the first
// semantic search, kept in step by commits while loaded, saved when the
// workspace is closed, and rebuilt from data.db when its file is missing,
// damaged or older than the data (its generation is the index version).

// vecBytes stores an int8 vector as a blob.
func vecBytes(v []int8) []byte {
	if len(v) == 0 {
		return nil
	}
	return slices.Clone(unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)))
}

// checkVectors validates the vectors of an uploaded file against the
// session's model.
func checkVectors(f app.FileUpload, dims int) error {
	for _, s := range f.Symbols {
		switch {
		case s.Vector == nil:
		case dims == 0:
			return app.Errorf(app.EINVALID, "%s: symbol %q has a vector, but this index session has no embedding model", f.Path, s.Name)
		case len(s.Vector) != dims:
			return app.Errorf(app.EINVALID, "%s: symbol %q has a %d-dimensional vector; the session's model has %d", f.Path, s.Name, len(s.Vector), dims)
		}
	}
	return nil
}

// vectorChange is what a commit does to the vector index.
type vectorChange struct {
	version  int64 // the vector version after the change
	repo     string
	dims     int
	dropPart bool // every vector of the repo goes (new model, no embeddings, deleted repo)
	del      []int64
	ids      []int64
	vecs     [][]int8
}

// changes reports whether the change does anything to the vector index.
func (v *vectorChange) changes() bool { return v.dropPart || len(v.del) > 0 || len(v.ids) > 0 }

// deleted records the vectors of the live files matched by where (on
// files f), which the commit is about to delete.
func (v *vectorChange) deleted(ctx context.Context, tx *sql.Tx, where string, args []any) error {
	rows, err := tx.QueryContext(ctx, `SELECT s.id FROM symbols s JOIN files f ON f.id = s.file_id `+where+` AND s.vec IS NOT NULL`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		v.del = append(v.del, id)
	}
	return rows.Err()
}

// added records the vectors of the session's files, which the commit is
// about to make live.
func (v *vectorChange) added(ctx context.Context, tx *sql.Tx, sessionID string) error {
	if v.dims == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT s.id, s.vec FROM symbols s JOIN files f ON f.id = s.file_id WHERE f.session_id = ? AND s.vec IS NOT NULL`, sessionID)
	if err != nil {
		return err
	}
	defer rows.Close()
	var arena int8Arena
	for rows.Next() {
		var id int64
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			return err
		}
		if len(b) == v.dims {
			v.ids = append(v.ids, id)
			v.vecs = append(v.vecs, arena.vec(b))
		}
	}
	return rows.Err()
}

// int8Arena hands out int8 copies of vector blobs from shared ~1 MB
// allocations (one allocation per vector costs more than the vector).
type int8Arena struct{ buf []int8 }

func (a *int8Arena) vec(b []byte) []int8 {
	if len(a.buf) < len(b) {
		a.buf = make([]int8, max(1<<20/max(len(b), 1), 1)*len(b))
	}
	v := a.buf[:len(b):len(b)]
	a.buf = a.buf[len(b):]
	for i, x := range b {
		v[i] = int8(x)
	}
	return v
}

// commitModel makes a session's new model the repo's, or drops the repo's
// model when the session turns embeddings off.
func commitModel(ctx context.Context, tx *sql.Tx, repoID, sessionID string, s session) error {
	var err error
	switch {
	case s.newModel:
		_, err = tx.ExecContext(ctx, `UPDATE repos SET model = (SELECT model FROM index_sessions WHERE id = ?), model_id = ?, model_dims = ?, no_embeddings = 0 WHERE id = ?`,
			sessionID, s.model, s.dims, repoID)
	case s.noEmbeddings:
		_, err = tx.ExecContext(ctx, `UPDATE repos SET model = NULL, model_id = '', model_dims = 0, no_embeddings = 1 WHERE id = ?`, repoID)
	}
	return err
}

// PutModel implements app.Tenant: it stores the sealed embedding model of
// a session that trains a new one. It becomes the repo's at the commit.
func (h *Tenant) PutModel(ctx context.Context, repoID, sessionID string, blob []byte) error {
	if len(blob) == 0 {
		return app.Errorf(app.EINVALID, "empty model")
	}
	if len(blob) > MaxModelBlob {
		return app.Errorf(app.ETOOLARGE, "model is %d bytes, over the %d byte limit", len(blob), MaxModelBlob)
	}
	return h.t.db.Tx(ctx, func(tx *sql.Tx) error {
		s, err := loadSession(ctx, tx, repoID, sessionID)
		if err != nil {
			return err
		}
		if !s.newModel {
			return app.Errorf(app.EINVALID, "this index session did not announce a new model (begin it with one)")
		}
		_, err = tx.ExecContext(ctx, `UPDATE index_sessions SET model = ? WHERE id = ?`, blob, sessionID)
		return err
	})
}

// Model implements app.Tenant: the repo's sealed embedding model and its id.
func (h *Tenant) Model(ctx context.Context, repoID string) ([]byte, string, error) {
	var blob []byte
	var id string
	err := h.t.db.read.QueryRowContext(ctx, `SELECT model, model_id FROM repos WHERE id = ?`, repoID).Scan(&blob, &id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, "", app.Errorf(app.ENOTFOUND, "repo %q not found", repoID)
	case err != nil:
		return nil, "", err
	case id == "" || len(blob) == 0:
		return nil, "", app.Errorf(app.ENOTFOUND, "repo has no embedding model: index it with embeddings on (optiq index without --no-embeddings)")
	}
	return blob, id, nil
}

// vectorSet is a workspace's loaded vector indexes, one per vector length.
type vectorSet struct {
	byDims  map[int]app.VectorIndex
	version int64 // the index version they reflect
	dirty   bool
}

// vectorSaveDelay is how long after a change the loaded vector indexes are
// saved (a crash before loses nothing: they are rebuilt from data.db).
const vectorSaveDelay = 30 * time.Second

func (t *tenantDB) vectorFile(dims int) string {
	return filepath.Join(t.dir, "vectors-"+strconv.Itoa(dims)+".idx")
}

// vectorIndexes returns the loaded vector indexes by vector length (a
// copy of the map: commits may add a length), loading or rebuilding them
// on first use.
func (t *tenantDB) vectorIndexes(ctx context.Context) (map[int]app.VectorIndex, error) {
	if t.vectorKit == nil {
		return nil, app.Errorf(app.EINTERNAL, "semantic search is not available on this server")
	}
	t.vecMu.Lock()
	defer t.vecMu.Unlock()
	if t.vecs == nil {
		set, err := t.loadVectors(ctx)
		if err != nil {
			return nil, err
		}
		t.vecs = set
	}
	return maps.Clone(t.vecs.byDims), nil
}

// loadVectors reads the index files of the vector lengths in use, and
// rebuilds from data.db when any is missing, damaged or stale.
func (t *tenantDB) loadVectors(ctx context.Context) (*vectorSet, error) {
	tx, err := t.db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	version, err := metaValue(ctx, tx, metaVectorVersion)
	if err != nil {
		return nil, err
	}
	dimsList, err := queryColumn[int64](ctx, tx, `SELECT DISTINCT model_dims FROM repos WHERE model_dims > 0`)
	if err != nil {
		return nil, err
	}
	set := &vectorSet{byDims: map[int]app.VectorIndex{}, version: version}
	stale := false
	for _, dims := range dimsList {
		ix, err := t.vectorKit.Load(t.vectorFile(int(dims)))
		switch {
		case err == nil && ix.Dims() == int(dims) && ix.Generation() == uint64(version):
			set.byDims[int(dims)] = ix
			continue
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			t.log.WarnContext(ctx, "vector index unreadable; rebuilding", "workspace", t.id, "error", err)
		}
		stale = true
	}
	if !stale {
		return set, nil
	}
	t.log.InfoContext(ctx, "rebuilding vector index", "workspace", t.id, "vector_version", version)
	set.byDims = map[int]app.VectorIndex{}
	rows, err := tx.QueryContext(ctx, `SELECT s.id, f.repo_id, s.vec FROM symbols s JOIN files f ON f.id = s.file_id JOIN repos r ON r.id = f.repo_id
		WHERE f.session_id IS NULL AND s.vec IS NOT NULL AND length(s.vec) = r.model_dims ORDER BY f.repo_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var repo string
	var ids []int64
	var vecs [][]int8
	var arena int8Arena
	flush := func() error {
		if len(ids) == 0 {
			return nil
		}
		dims := len(vecs[0])
		ix := set.byDims[dims]
		if ix == nil {
			ix = t.vectorKit.New(dims)
			set.byDims[dims] = ix
		}
		err := ix.AddBatch(repo, ids, vecs)
		ids, vecs = ids[:0], vecs[:0]
		return err
	}
	for rows.Next() {
		var id int64
		var r string
		var b []byte
		if err := rows.Scan(&id, &r, &b); err != nil {
			return nil, err
		}
		if r != repo || len(ids) == 10000 {
			if err := flush(); err != nil {
				return nil, err
			}
			repo = r
		}
		ids = append(ids, id)
		vecs = append(vecs, arena.vec(b))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	for _, ix := range set.byDims {
		ix.SetGeneration(uint64(version))
	}
	set.dirty = true
	releaseMemory()
	return set, nil
}

// preloadVectors loads the vector index if the workspace has vectors (a
// failure is logged; the commit's change then loads or rebuilds it).
func (t *tenantDB) preloadVectors(ctx context.Context) {
	if t.vectorKit == nil {
		return
	}
	var n int
	if err := t.db.read.QueryRowContext(ctx, `SELECT count(*) FROM repos WHERE model_dims > 0`).Scan(&n); err != nil || n == 0 {
		return
	}
	if _, err := t.vectorIndexes(ctx); err != nil {
		t.log.WarnContext(ctx, "vector index unavailable", "workspace", t.id, "error", err)
	}
}

// bigVectorChange is the size of a change after which the memory its
// buffers took is handed back to the operating system at once.
const bigVectorChange = 50000

// releaseMemory returns freed heap to the operating system after a large
// one-off build, so that the server's RSS reflects what it keeps.
func releaseMemory() { debug.FreeOSMemory() }

// addChunked adds vectors in batches, so that the index's own buffers for
// sign codes stay small.
func addChunked(ix app.VectorIndex, repo string, ids []int64, vecs [][]int8) error {
	const chunk = 10000
	for i := 0; i < len(ids); i += chunk {
		j := min(i+chunk, len(ids))
		if err := ix.AddBatch(repo, ids[i:j], vecs[i:j]); err != nil {
			return err
		}
	}
	return nil
}

// applyVectors updates the vector indexes after a commit that changed
// vectors, loading them first (or rebuilding them, which already includes
// the change).
func (t *tenantDB) applyVectors(ctx context.Context, ch vectorChange) {
	if t.vectorKit == nil || !ch.changes() {
		return
	}
	if _, err := t.vectorIndexes(ctx); err != nil {
		t.log.ErrorContext(ctx, "vector index unavailable; it will be rebuilt", "workspace", t.id, "error", err)
		return
	}
	// Checks and the map of indexes under vecMu; the index updates outside
	// it (the indexes lock themselves), so that semantic searches, which
	// take vecMu, do not wait behind an update that waits for a save.
	// Commits are serialised by t.mu, so only one update runs at a time.
	t.vecMu.Lock()
	set := t.vecs
	switch {
	case set == nil || set.version >= ch.version:
		t.vecMu.Unlock()
		return // already reflected (rebuilt after the commit)
	case set.version != ch.version-1:
		// A change in between was never applied: rebuild on next use
		// rather than save a gap under a current version.
		t.log.WarnContext(ctx, "vector index missed a change; it will be rebuilt", "workspace", t.id, "have", set.version, "change", ch.version)
		t.vecs = nil
		t.vecMu.Unlock()
		return
	}
	if len(ch.ids) > 0 && set.byDims[ch.dims] == nil {
		set.byDims[ch.dims] = t.vectorKit.New(ch.dims)
	}
	byDims := maps.Clone(set.byDims)
	t.vecMu.Unlock()

	var err error
	for _, ix := range byDims {
		if ch.dropPart {
			ix.DeletePart(ch.repo)
		} else if len(ch.del) > 0 {
			ix.Delete(ch.repo, ch.del...)
		}
	}
	if len(ch.ids) > 0 {
		err = addChunked(byDims[ch.dims], ch.repo, ch.ids, ch.vecs)
	}
	if err == nil {
		for _, ix := range byDims {
			ix.SetGeneration(uint64(ch.version))
		}
	}

	t.vecMu.Lock()
	defer t.vecMu.Unlock()
	if t.vecs != set {
		return
	}
	if err != nil {
		// Lengths are checked at upload, so this is a bug; dropping the
		// loaded set makes the next search rebuild from data.db.
		t.log.ErrorContext(ctx, "vector index update failed; it will be rebuilt", "workspace", t.id, "error", err)
		t.vecs = nil
		return
	}
	set.version, set.dirty = ch.version, true
	if len(ch.ids) >= bigVectorChange {
		releaseMemory()
	}
	if t.saveTimer == nil {
		t.saveTimer = time.AfterFunc(vectorSaveDelay, func() {
			if err := t.saveVectors(); err != nil {
				t.log.Error("saving the vector index failed; it will be rebuilt when next loaded", "workspace", t.id, "error", err)
			}
		})
	}
}

// saveVectors writes the loaded vector indexes if they changed, and
// removes files of vector lengths no longer in use.
func (t *tenantDB) saveVectors() error {
	// One save at a time; searches and commits go on while it writes (an
	// index notes what to write under its lock; a commit's change during
	// the write copies the partition it touches and marks the indexes
	// dirty again).
	t.saveMu.Lock()
	defer t.saveMu.Unlock()
	t.vecMu.Lock()
	if t.saveTimer != nil {
		t.saveTimer.Stop()
		t.saveTimer = nil
	}
	if t.vecs == nil || !t.vecs.dirty {
		t.vecMu.Unlock()
		return nil
	}
	set := t.vecs
	set.dirty = false
	byDims := maps.Clone(set.byDims)
	t.vecMu.Unlock()

	var errs []error
	for dims, ix := range byDims {
		if len(ix.Parts()) == 0 {
			if err := os.Remove(t.vectorFile(dims)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		if err := ix.Save(t.vectorFile(dims)); err != nil {
			errs = append(errs, fmt.Errorf("save vector index: %w", err))
		}
	}
	if len(errs) > 0 {
		t.vecMu.Lock()
		set.dirty = true // try again at the next save
		t.vecMu.Unlock()
	}
	return errors.Join(errs...)
}
