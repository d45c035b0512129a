package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/optiq/optiq/app"
)

// tenantDB is one open workspace: its data.db and derived index. It is
// shared by every handle to the workspace and closed when evicted unused.
type tenantDB struct {
	id    string
	dir   string
	db    *DB
	index app.LexicalIndex
	log   *slog.Logger
	refs  int
	used  uint64
	// mu serialises commits so that index changes are applied in version
	// order.
	mu sync.Mutex
	// preAdded records, per index session, the lower-case names already
	// added to the lexical index during its uploads.
	preMu    sync.Mutex
	preAdded map[string]map[string]bool
	// vecs is the vector index, loaded on first use (store/vectors.go).
	vecMu     sync.Mutex
	vecs      *vectorSet
	saveTimer *time.Timer       // a pending save of vecs
	saveMu    sync.Mutex        // serialises saves
	vectorKit app.VectorIndexes // nil: no semantic search
}

type tenantCache struct {
	s    *Store
	max  int
	mu   sync.Mutex
	tick uint64
	open map[string]*tenantDB
	// opening de-duplicates concurrent first opens of one tenant; closing
	// holds back opens of a tenant still being closed.
	opening, closing map[string]*sync.WaitGroup
}

func newTenantCache(s *Store, max int) *tenantCache {
	return &tenantCache{s: s, max: max, open: map[string]*tenantDB{}, opening: map[string]*sync.WaitGroup{}, closing: map[string]*sync.WaitGroup{}}
}

var wsIDRE = regexp.MustCompile(`^w_[a-z2-7]{16}$`)

// acquire returns the open tenant id, opening it if needed, with its
// reference count raised; release lowers it.
func (c *tenantCache) acquire(ctx context.Context, id string) (*tenantDB, error) {
	if !wsIDRE.MatchString(id) {
		// Ids come from control.db; this guards the path join below.
		return nil, fmt.Errorf("invalid workspace id %q", id)
	}
	for {
		c.mu.Lock()
		if t, ok := c.open[id]; ok {
			t.refs++
			c.tick++
			t.used = c.tick
			c.mu.Unlock()
			return t, nil
		}
		if wg, ok := c.opening[id]; ok {
			c.mu.Unlock()
			wg.Wait()
			continue
		}
		if wg, ok := c.closing[id]; ok {
			c.mu.Unlock()
			wg.Wait()
			continue
		}
		wg := &sync.WaitGroup{}
		wg.Add(1)
		c.opening[id] = wg
		c.mu.Unlock()

		t, err := c.s.openTenant(ctx, id)

		c.mu.Lock()
		delete(c.opening, id)
		wg.Done()
		if err != nil {
			c.mu.Unlock()
			return nil, err
		}
		t.refs = 1
		c.tick++
		t.used = c.tick
		c.open[id] = t
		victims := c.evictLocked()
		c.mu.Unlock()
		c.closeEvicted(victims)
		return t, nil
	}
}

func (c *tenantCache) release(t *tenantDB) {
	c.mu.Lock()
	t.refs--
	victims := c.evictLocked()
	c.mu.Unlock()
	c.closeEvicted(victims)
}

// evictLocked drops least recently used idle tenants beyond the cap and
// returns them, to be closed once c.mu is released (closing saves the
// vector index, which must not hold up every other workspace).
func (c *tenantCache) evictLocked() []*tenantDB {
	var victims []*tenantDB
	for len(c.open) > c.max {
		var victim *tenantDB
		for _, t := range c.open {
			if t.refs == 0 && (victim == nil || t.used < victim.used) {
				victim = t
			}
		}
		if victim == nil {
			break // all in use; the cap is soft
		}
		delete(c.open, victim.id)
		wg := &sync.WaitGroup{}
		wg.Add(1)
		c.closing[victim.id] = wg
		victims = append(victims, victim)
	}
	return victims
}

// closeEvicted closes tenants evictLocked returned, then lets opens of
// them proceed.
func (c *tenantCache) closeEvicted(ts []*tenantDB) {
	for _, t := range ts {
		if err := t.close(); err != nil {
			t.log.Error("closing a workspace failed", "workspace", t.id, "error", err)
		}
		c.mu.Lock()
		wg := c.closing[t.id]
		delete(c.closing, t.id)
		c.mu.Unlock()
		wg.Done()
	}
}

// forget closes and drops tenant id (used before its files are deleted).
func (c *tenantCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.open[id]; ok {
		delete(c.open, id)
		t.close()
	}
}

func (c *tenantCache) closeAll() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for id, t := range c.open {
		errs = append(errs, t.close())
		delete(c.open, id)
	}
	return errors.Join(errs...)
}

func (t *tenantDB) close() error {
	// A vector index that cannot be saved is rebuilt on the next load.
	verr := t.saveVectors()
	var err error
	if t.index != nil {
		err = t.index.Close()
	}
	return errors.Join(verr, err, t.db.Close())
}

func (s *Store) tenantDir(id string) string { return filepath.Join(s.dir, "tenants", id) }

func (s *Store) openTenant(ctx context.Context, id string) (*tenantDB, error) {
	dir := s.tenantDir(id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	db, err := openDB(ctx, filepath.Join(dir, "data.db"), "tenant")
	if err != nil {
		return nil, err
	}
	if err := syncRanks(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("recompute search ranks of workspace %s: %w", id, err)
	}
	t := &tenantDB{id: id, dir: dir, db: db, log: s.opts.Logger, preAdded: map[string]map[string]bool{}, vectorKit: s.opts.Vectors}
	if s.opts.OpenIndex != nil {
		idx, err := s.opts.OpenIndex(filepath.Join(dir, "index"))
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("open index of workspace %s: %w", id, err)
		}
		t.index = idx
		if err := t.syncIndex(ctx); err != nil {
			t.close()
			return nil, err
		}
	}
	return t, nil
}

// Open implements app.TenantOpener: the only way to a tenant's data is
// through the membership and role check here.
func (s *Store) Open(ctx context.Context, p app.Principal, ref string, perm app.Permission) (app.Tenant, error) {
	if p.UserID == "" {
		return nil, app.Errorf(app.EUNAUTHENTICATED, "not signed in")
	}
	ws, err := s.WorkspaceRole(ctx, p.UserID, ref)
	if err != nil {
		return nil, err
	}
	if p.Workspace != "" && p.Workspace != ws.ID {
		// A credential restricted to another workspace sees nothing here.
		return nil, app.Errorf(app.ENOTFOUND, "workspace %q not found", ref)
	}
	if !app.RoleAllows(ws.Role, perm) {
		return nil, app.Errorf(app.EFORBIDDEN, "your role %q in workspace %q does not allow %s", ws.Role, ws.Name, perm)
	}
	t, err := s.tenants.acquire(ctx, ws.ID)
	if err != nil {
		return nil, err
	}
	return &Tenant{s: s, t: t, ws: ws}, nil
}

// Tenant is an authorised handle on one workspace. Close releases it.
type Tenant struct {
	s      *Store
	t      *tenantDB
	ws     app.Workspace
	closed sync.Once
}

// Workspace implements app.Tenant.
func (h *Tenant) Workspace() app.Workspace { return h.ws }

// Close releases the handle.
func (h *Tenant) Close() error {
	h.closed.Do(func() { h.s.tenants.release(h.t) })
	return nil
}

// syncIndex rebuilds the derived index when its version differs from the
// tenant's (a crash between a commit and its index update, a deleted or
// corrupt index directory, a restore).
func (t *tenantDB) syncIndex(ctx context.Context) error {
	want, err := metaValue(ctx, t.db.read, metaIndexVersion)
	if err != nil {
		return err
	}
	have, err := t.index.Version()
	if err == nil && have == want {
		return nil
	}
	t.log.InfoContext(ctx, "rebuilding derived index", "workspace", t.id, "index_version", have, "data_version", want)
	return t.rebuildIndex(ctx, want)
}
