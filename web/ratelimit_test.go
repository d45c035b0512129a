package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/optiq/optiq/seal"
	"github.com/optiq/optiq/store"
	"github.com/optiq/optiq/web"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeClock) add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

func TestRateLimits(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	st := newTestStore(t)
	srv := web.New(web.Config{Accounts: st, Tenants: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		RateLimits: web.RateLimits{PerMinute: 5, AuthPerMinute: 2}, Now: clock.now})
	call := func(method, path, auth string) (int, map[string]string, string) {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := srv.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		h := map[string]string{}
		for _, k := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After", "X-Request-ID", "Content-Type"} {
			h[k] = resp.Header.Get(k)
		}
		return resp.StatusCode, h, string(b)
	}

	// Every route group answers with the budget, errors included.
	for i, want := range []string{"4", "3", "2", "1", "0"} {
		path := []string{"/readyz", "/api/v1/me", "/api/v1/workspaces/x/repos", "/nope", "/readyz"}[i]
		_, h, _ := call("GET", path, "")
		if h["X-RateLimit-Limit"] != "5" || h["X-RateLimit-Remaining"] != want || h["X-RateLimit-Reset"] != "60" {
			t.Fatalf("%s: headers %v", path, h)
		}
	}
	// The sixth request from this client in the minute is refused.
	st6, h, body := call("GET", "/readyz", "")
	if st6 != 429 || h["Retry-After"] != "60" || h["Content-Type"] != "application/problem+json" || !strings.Contains(body, `"code":"rate_limited"`) || h["X-Request-ID"] == "" {
		t.Fatalf("over the limit: %d %v %s", st6, h, body)
	}
	// A credential has its own budget.
	if st, h, _ := call("GET", "/api/v1/me", "Bearer optiq_a_b"); st == 429 || h["X-RateLimit-Remaining"] != "4" {
		t.Fatalf("credential budget: %d %v", st, h)
	}
	// Sign-in endpoints have a stricter one.
	for i := range 2 {
		if st, h, _ := call("POST", "/api/v1/auth/login", ""); st == 429 || h["X-RateLimit-Limit"] != "2" {
			t.Fatalf("login %d: %d %v", i, st, h)
		}
	}
	if st, h, _ := call("POST", "/api/v1/auth/login", ""); st != 429 || h["Retry-After"] == "" {
		t.Fatalf("third login: %d %v", st, h)
	}
	// Health checks are never limited; a new minute restores the budget.
	if st, _, _ := call("GET", "/healthz", ""); st != 200 {
		t.Fatalf("healthz: %d", st)
	}
	clock.add(45 * time.Second)
	if _, h, _ := call("GET", "/readyz", ""); h["Retry-After"] != "15" {
		t.Fatalf("Retry-After 45 s into the window: %v", h)
	}
	clock.add(16 * time.Second)
	if st, h, _ := call("GET", "/readyz", ""); st != 200 || h["X-RateLimit-Remaining"] != "4" {
		t.Fatalf("next window: %d %v", st, h)
	}
}

func newTestStore(t *testing.T) *store.Store {
	t.Helper()
	dir := t.TempDir()
	mk, err := seal.CreateMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "data"), store.Options{Sealer: mk.Sealer(), EmailPepper: mk.Pepper("email")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
