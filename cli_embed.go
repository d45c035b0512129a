package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/seal"
	"github.com/optiq/optiq/search/embed"
	"github.com/optiq/optiq/store"
	"github.com/optiq/optiq/web"
)

// The embedding model of a repo is trained here, from the repo's symbols,
// sealed with the repo key and stored on the server; the CLI embeds symbols
// and queries with it. Sealed copies are cached under the user's cache
// directory, keyed by repo and model id.

// modelPath is the pseudo-path models are sealed under (no file can have
// it: paths cannot contain NUL).
const modelPath = "\x00model"

// modelID is the keyed fingerprint of a marshalled model.
func modelID(rc *seal.Repo, blob []byte) string { return rc.Fingerprint(modelPath, blob) }

// modelKind binds a sealed model to its id, so the server cannot hand out
// another model of the same repo in its place.
func modelKind(id string) string { return seal.KindModel + "/" + id }

// trainModel trains a repo's model from its symbols' texts, added in the
// order given (training is deterministic for the same texts in the same
// order, so an interrupted run that retrains resumes its session). It
// returns nil, nil when the repo has too little text for a model.
func trainModel(ctx context.Context, texts []string) (*embed.Model, error) {
	tr := embed.NewTrainer(embed.Options{})
	for _, t := range texts {
		tr.Add(t)
	}
	m, err := tr.Train(ctx)
	if errors.Is(err, embed.ErrEmptyCorpus) {
		return nil, nil
	}
	return m, err
}

// openModel decrypts and decodes a sealed model.
func openModel(rc *seal.Repo, id string, sealed []byte) (*embed.Model, error) {
	blob, err := rc.Open(modelPath, modelKind(id), sealed)
	if err != nil {
		return nil, fmt.Errorf("the repo's embedding model cannot be decrypted with the key on this machine (%w): check the key with optiq key import, or re-train with optiq index --retrain", err)
	}
	if modelID(rc, blob) != id {
		return nil, errors.New("the repo's embedding model does not match its id: re-train it with optiq index --retrain")
	}
	m := new(embed.Model)
	if err := m.UnmarshalBinary(blob); err != nil {
		return nil, fmt.Errorf("the repo's embedding model is damaged (%w): re-train it with optiq index --retrain", err)
	}
	return m, nil
}

var modelIDRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// modelCacheFile is where the sealed model of a repo is cached.
func modelCacheFile(repoID, id string) (string, error) {
	if !modelIDRE.MatchString(id) || !repoIDRE.MatchString(repoID) {
		return "", fmt.Errorf("invalid repo or model id")
	}
	dir := os.Getenv("OPTIQ_CACHE_DIR")
	if dir == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(d, "optiq")
	}
	return filepath.Join(dir, "models", repoID+"-"+id+".sealed"), nil
}

var repoIDRE = regexp.MustCompile(`^r_[a-z2-7]+$`)

// repoModel returns the repo's embedding model, from the cache or the
// server, or nil when the repo has none.
func repoModel(ctx context.Context, cl *web.Client, ws string, repo app.Repo, rc *seal.Repo) (*embed.Model, error) {
	if repo.ModelID == "" {
		return nil, nil
	}
	if file, err := modelCacheFile(repo.ID, repo.ModelID); err == nil {
		if sealed, err := os.ReadFile(file); err == nil {
			if m, err := openModel(rc, repo.ModelID, sealed); err == nil {
				return m, nil
			}
		}
	}
	res, err := cl.Model(ctx, ws, repo.ID)
	if err != nil {
		return nil, fmt.Errorf("download the embedding model of %s: %w", repo.Name, err)
	}
	if res.ID != repo.ModelID {
		return nil, fmt.Errorf("the embedding model of %s changed while searching: try again", repo.Name)
	}
	m, err := openModel(rc, res.ID, res.Model)
	if err != nil {
		return nil, err
	}
	cacheModel(repo.ID, res.ID, res.Model)
	return m, nil
}

// cacheModel keeps a sealed model in the cache. It is only a cache: a
// failure to write it costs a download next time.
func cacheModel(repoID, id string, sealed []byte) {
	if file, err := modelCacheFile(repoID, id); err == nil {
		_ = writeFileAtomic(file, sealed)
	}
}

// writeFileAtomic writes data to file through a temporary file and rename.
func writeFileAtomic(file string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(file), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), file)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// queryVectors embeds the query with the model of each repo searched that
// has one. Repos whose model or key is unavailable are reported in warnings
// and searched lexically only.
func queryVectors(ctx context.Context, cl *web.Client, ws, repoName, query string) (map[string][]float32, map[string]*embed.Model, []string, error) {
	var repos []app.Repo
	if repoName != "" {
		r, err := cl.Repo(ctx, ws, repoName)
		if err != nil {
			return nil, nil, nil, err
		}
		repos = []app.Repo{r}
	} else {
		var err error
		if repos, err = cl.Repos(ctx, ws); err != nil {
			return nil, nil, nil, err
		}
	}
	vecs, models := map[string][]float32{}, map[string]*embed.Model{}
	var warnings []string
	for _, r := range repos {
		if r.ModelID == "" {
			continue
		}
		rc, err := repoCipher(r.Name, r.ID, r.KeyCheck)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: searched by name only: %v", r.Name, err))
			continue
		}
		m, err := repoModel(ctx, cl, ws, r, rc)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: searched by name only: %v", r.Name, err))
			continue
		}
		if v, ok := m.Vector(query); ok {
			vecs[r.ID], models[r.ID] = v, m
		}
	}
	return vecs, models, warnings, nil
}

// loadStaticModel reads a site's static embeddings file and checks that
// the model it makes survives encoding (it is stored on the server).
func loadStaticModel(file string) (*embed.Model, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, usageError{fmt.Errorf("--embeddings-model: %w", err)}
	}
	defer f.Close()
	st, err := embed.LoadStatic(f)
	if err != nil {
		return nil, usageError{fmt.Errorf("--embeddings-model %s: %w (expected word2vec or GloVe text: one \"word v1 v2 …\" line per word)", file, err)}
	}
	m := st.Model()
	if m.Dims() < store.MinVectorDims || m.Dims() > store.MaxVectorDims {
		return nil, usageError{fmt.Errorf("--embeddings-model %s has %d dimensions; the server takes %d to %d", file, m.Dims(), store.MinVectorDims, store.MaxVectorDims)}
	}
	blob, err := m.MarshalBinary()
	if err == nil {
		err = new(embed.Model).UnmarshalBinary(blob)
	}
	if err != nil {
		return nil, fmt.Errorf("--embeddings-model %s cannot be stored: %w", file, err)
	}
	return m, nil
}
