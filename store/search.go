package store

import (
	"context"
	"strconv"

	"github.com/optiq/optiq/app"
)

// Search implements app.Tenant: the derived index ranks, data.db supplies
// the stored rows (with their sealed signature and doc blobs).
func (h *Tenant) Search(ctx context.Context, q app.Query) ([]app.SearchResult, error) {
	if h.t.index == nil {
		return nil, app.Errorf(app.EINTERNAL, "search index unavailable")
	}
	repos, err := h.Repos(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]string, len(repos))
	byName := make(map[string]string, len(repos))
	for _, r := range repos {
		byID[r.ID] = r.Name
		byName[r.Name] = r.ID
	}
	include, exclude := q.Filters(app.FieldRepo)
	if len(include) > 0 {
		q.RepoIDs = nil
		for _, name := range include {
			id, ok := byName[name]
			if !ok {
				return nil, app.Errorf(app.ENOTFOUND, "repo %q not found in workspace %q", name, h.ws.Name)
			}
			q.RepoIDs = append(q.RepoIDs, id)
		}
	} else if len(exclude) > 0 {
		for _, r := range repos {
			keep := true
			for _, name := range exclude {
				keep = keep && r.Name != name
			}
			if keep {
				q.RepoIDs = append(q.RepoIDs, r.ID)
			}
		}
		if len(q.RepoIDs) == 0 {
			return []app.SearchResult{}, nil
		}
	}
	hits, err := h.t.index.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]app.SearchResult, 0, len(hits))
	for _, hit := range hits {
		r, ok, err := h.resolveHit(ctx, hit)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue // deleted between index and lookup
		}
		r.Repo = byID[r.RepoID]
		r.Score = hit.Score
		r.Why = hit.Why
		out = append(out, r)
	}
	return out, nil
}

func (h *Tenant) resolveHit(ctx context.Context, hit app.IndexHit) (app.SearchResult, bool, error) {
	var r app.SearchResult
	if len(hit.ID) < 2 {
		return r, false, nil
	}
	id, err := strconv.ParseInt(hit.ID[1:], 10, 64)
	if err != nil {
		return r, false, nil
	}
	var row interface{ Scan(...any) error }
	switch hit.ID[0] {
	case 's':
		row = h.t.db.read.QueryRowContext(ctx, `SELECT f.repo_id, f.path, f.language, s.name, s.kind, s.container, s.line, s.end_line, s.signature, s.doc
			FROM symbols s JOIN files f ON f.id = s.file_id WHERE s.id = ?`, id)
	case 'f':
		row = h.t.db.read.QueryRowContext(ctx, `SELECT repo_id, path, language, '', 'file', '', 1, 1, NULL, NULL FROM files WHERE id = ?`, id)
	default:
		return r, false, nil
	}
	err = row.Scan(&r.RepoID, &r.Path, &r.Language, &r.Name, &r.Kind, &r.Container, &r.Line, &r.EndLine, &r.Signature, &r.Doc)
	if err != nil {
		if app.ErrorCode(mapError(err)) == app.ENOTFOUND {
			return r, false, nil
		}
		return r, false, err
	}
	return r, true, nil
}
