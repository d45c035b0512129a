package main

import (
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/backup"
	"github.com/optiq/optiq/seal"
	"github.com/optiq/optiq/web"
)

// startServerWith is startServer with configuration changes.
func startServerWith(t *testing.T, change func(*serverConfig)) *testServer {
	t.Helper()
	dir := t.TempDir()
	ts := &testServer{data: filepath.Join(dir, "data"), masterKey: filepath.Join(dir, "master.key"), log: &syncBuffer{}}
	if _, err := seal.CreateMasterKey(ts.masterKey); err != nil {
		t.Fatal(err)
	}
	cfg := serverConfig{DataDir: ts.data, Addr: "127.0.0.1:0", MasterKeyFile: ts.masterKey}
	change(&cfg)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, ts.log, &syncBuffer{}, ready) }()
	select {
	case addr := <-ready:
		ts.url = "https://" + addr
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start in 30s")
	}
	ts.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server shutdown: %v", err)
		}
	}
	t.Cleanup(func() {
		if ctx.Err() == nil {
			ts.stop()
		}
	})
	conn, err := tls.Dial("tcp", strings.TrimPrefix(ts.url, "https://"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	ts.fingerprint = web.Fingerprint(conn.ConnectionState().PeerCertificates[0].Raw)
	conn.Close()
	return ts
}

var insecure = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 30 * time.Second}

func getReady(t *testing.T, ts *testServer) (int, web.ReadyResponse) {
	t.Helper()
	resp, err := insecure.Get(ts.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body web.ReadyResponse
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func checkNamed(t *testing.T, body web.ReadyResponse, name string) web.ReadyCheck {
	t.Helper()
	for _, c := range body.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", name, body)
	return web.ReadyCheck{}
}

// TestReadyzDeep checks each deep readiness check against a real server.
//
// "The database cannot be written" is produced by another connection
// holding control.db's write lock (what a stuck process or a full-disk
// retry loop does), not by file modes: the server keeps its connection
// open, so a chmod would not affect it, and tests may run as root, which
// ignores modes anyway.
func TestReadyzDeep(t *testing.T) {
	ts := startServerWith(t, func(c *serverConfig) { c.ReadyTimeout = "300ms" })
	newUser(t, ts, "ada@example.com", "admin") // a workspace to open
	// The first open of the workspace may outlast the short ready_timeout
	// on a busy machine (it creates the index); it finishes in the
	// background and the server becomes ready.
	status, body := getReady(t, ts)
	for deadline := time.Now().Add(30 * time.Second); status != 200 && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		status, body = getReady(t, ts)
	}
	if status != 200 || body.Status != "ready" {
		t.Fatalf("fresh server: %d %+v", status, body)
	}
	var names []string
	for _, c := range body.Checks {
		names = append(names, c.Name)
		if !c.OK {
			t.Errorf("%s failed: %s", c.Name, c.Error)
		}
	}
	if want := []string{"control_db", "tenant_db", "disk", "backup", "jobs"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("checks %v, want %v", names, want)
	}
	if d, _ := checkNamed(t, body, "tenant_db").Detail.(map[string]any); !strings.HasPrefix(fmt.Sprint(d["workspace"]), "w_") {
		t.Fatalf("tenant check opened no workspace: %+v", d)
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(ts.data, "control.db")+"?_pragma=busy_timeout(100)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	status, body = getReady(t, ts)
	if c := checkNamed(t, body, "control_db"); status != 503 || body.Status != "unavailable" || c.OK || !strings.Contains(c.Error, "control database write") {
		t.Fatalf("control.db locked: %d %+v", status, body)
	}
	if checkNamed(t, body, "disk").OK != true {
		t.Fatal("an unrelated check failed too")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("readyz took %v with the database locked", d)
	}
	conn.ExecContext(context.Background(), "ROLLBACK")
	conn.Close()
	if status, body = getReady(t, ts); status != 200 {
		t.Fatalf("after the lock is gone: %d %+v", status, body)
	}
}

func TestReadyzDiskAndBackupAge(t *testing.T) {
	var data string
	ts := startServerWith(t, func(c *serverConfig) {
		c.MinFreeDiskMB = 1 << 40 // more than any disk has
		data = c.DataDir
		// A backup three days old, before the server starts.
		os.MkdirAll(filepath.Join(data, "tenants"), 0o700)
		db, _ := sql.Open("sqlite", filepath.Join(data, "control.db"))
		db.Exec("CREATE TABLE x (a)")
		db.Close()
		old := time.Now().Add(-72 * time.Hour)
		if _, err := backup.Create(context.Background(), data, backup.Options{Now: func() time.Time { return old }}); err != nil {
			t.Fatal(err)
		}
	})
	status, body := getReady(t, ts)
	if status != 503 {
		t.Fatalf("status %d", status)
	}
	if c := checkNamed(t, body, "disk"); c.OK || !strings.Contains(c.Error, "min_free_disk_mb") {
		t.Fatalf("disk: %+v", c)
	}
	if c := checkNamed(t, body, "backup"); c.OK || !strings.Contains(c.Error, "more than twice backup_interval") {
		t.Fatalf("backup: %+v", c)
	}
	if c := checkNamed(t, body, "control_db"); !c.OK {
		t.Fatalf("control_db: %+v", c)
	}

	// Metrics from loopback: job and workspace series are there.
	resp, err := insecure.Get(ts.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`optiq_job_runs_total{job="backup"}`, `optiq_job_runs_total{job="cleanup"}`, `optiq_http_requests_total{code="503",method="GET",route="/readyz"} 1`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// projection is what must survive a restore: which hits, in which order,
// with their decrypted signatures.
func projection(hits []searchHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s %s:%d %s %s %q", h.Repo, h.Path, h.Line, h.Kind, h.Name, h.Signature))
	}
	return out
}

// TestBackupRestoreEndToEnd indexes a corpus, backs the running server up,
// changes data, wipes the data directory, restores it onto the stopped
// server and checks that searches answer exactly as at backup time.
func TestBackupRestoreEndToEnd(t *testing.T) {
	ts := startServer(t)
	ada := newUser(t, ts, "ada@example.com", "admin")
	ada.ok("", "repo", "create", "demo")
	src := t.TempDir()
	writeCorpus(t, src, 3, 4)
	ada.ok("", "index", src, "--repo", "demo", "--json")
	queries := [][]string{{"HandleRequest2_3"}, {"sym:Render", "--limit", "50"}, {"path:pkg1/file2"}, {"Widget", "--limit", "50"}}
	before := map[string][]string{}
	for _, q := range queries {
		before[q[0]] = projection(searchCLI(t, ada, q...))
		if len(before[q[0]]) == 0 {
			t.Fatalf("no results for %v before the backup", q)
		}
	}

	// Online backup, while the server runs.
	out := ada.ok("", "backup", "now", "--data", ts.data)
	if !strings.Contains(out, "integrity checked") {
		t.Fatalf("backup now: %s", out)
	}
	var listed struct{ Backups []backup.Info }
	if err := json.Unmarshal([]byte(ada.ok("", "backup", "list", "--data", ts.data, "--json")), &listed); err != nil || len(listed.Backups) != 1 {
		t.Fatalf("backup list: %+v %v", listed, err)
	}
	b := listed.Backups[0]
	if len(b.Files) != 2 { // control.db and the one workspace with data
		t.Fatalf("backup files: %+v", b.Files)
	}
	if out := ada.ok("", "backup", "verify", "--data", ts.data); !strings.Contains(out, "checksums and SQLite integrity verified") {
		t.Fatalf("verify: %s", out)
	}

	// A change after the backup, which the restore must undo.
	os.WriteFile(filepath.Join(src, "pkg0", "late.go"), []byte("package pkg0\n\nfunc AddedAfterBackup() {}\n"), 0o644)
	ada.ok("", "index", src, "--repo", "demo", "--json")
	if hits := searchCLI(t, ada, "AddedAfterBackup"); len(hits) == 0 {
		t.Fatal("late change not indexed")
	}

	// Restore is refused while the server holds the data directory.
	if r := ada.run("", "restore", "--from", b.Dir, "--data", ts.data); r.code == 0 || !strings.Contains(r.stderr, "stop it first") {
		t.Fatalf("restore onto a running server: exit %d, %s", r.code, r.stderr)
	}

	ts.stop()
	// Keep the backup and the certificate (configuration, like the master
	// key); wipe everything else.
	keep := t.TempDir()
	saved := filepath.Join(keep, "backup")
	if err := os.Rename(b.Dir, saved); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(ts.data, "tls"), filepath.Join(keep, "tls")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(ts.data); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(ts.data, 0o700)
	os.Rename(filepath.Join(keep, "tls"), filepath.Join(ts.data, "tls"))

	if r := ada.run("", "restore", "--from", saved); r.code != exitUsage || !strings.Contains(r.stderr, "--data DIR is required") {
		t.Fatalf("restore without --data: exit %d %s", r.code, r.stderr)
	}
	if r := ada.run("", "restore", "--data", ts.data); r.code != exitUsage || !strings.Contains(r.stderr, "--from DIR is required") {
		t.Fatalf("restore without --from: exit %d %s", r.code, r.stderr)
	}
	out = ada.ok("", "restore", "--from", saved, "--data", ts.data)
	if !strings.Contains(out, "restored") {
		t.Fatalf("restore: %s", out)
	}
	if dirs, _ := filepath.Glob(filepath.Join(ts.data, "tenants", "*", "index")); len(dirs) != 0 {
		t.Fatalf("derived indexes restored: %v", dirs)
	}

	ts2 := restart(t, ts)
	for _, q := range queries {
		after := projection(searchCLI(t, ada, q...))
		if !reflect.DeepEqual(after, before[q[0]]) {
			t.Fatalf("%v after restore:\n%v\nbefore:\n%v", q, after, before[q[0]])
		}
	}
	if hits := searchCLI(t, ada, "AddedAfterBackup"); len(hits) != 0 && hits[0].Name == "AddedAfterBackup" {
		t.Fatalf("a change made after the backup survived the restore: %+v", hits[0])
	}
	if dirs, _ := filepath.Glob(filepath.Join(ts.data, "tenants", "*", "index")); len(dirs) != 1 {
		t.Fatalf("index not rebuilt: %v", dirs)
	}
	ts2.stop()
}

// TestSIGHUPReloadsCertificate runs a server on configured certificate
// files, replaces them and sends the process SIGHUP: new connections get
// the new certificate, an open one keeps working.
func TestSIGHUPReloadsCertificate(t *testing.T) {
	certDir := t.TempDir()
	cert, key, _, err := web.EnsureCert(certDir)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServerWith(t, func(c *serverConfig) { c.TLSCert, c.TLSKey = cert, key })
	fp := func(c *http.Client) string {
		t.Helper()
		resp, err := c.Get(ts.url + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return web.Fingerprint(resp.TLS.PeerCertificates[0].Raw)
	}
	kept := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	oldFP := fp(kept)

	cert2, key2, _, err := web.EnsureCert(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for src, dst := range map[string]string{cert2: cert, key2: key} {
		b, _ := os.ReadFile(src)
		if err := os.WriteFile(dst+".new", b, 0o600); err != nil {
			t.Fatal(err)
		}
		os.Rename(dst+".new", dst)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		fresh := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}}
		if got := fp(fresh); got != oldFP {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the certificate was not reloaded after SIGHUP")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := fp(kept); got != oldFP {
		t.Fatalf("the open connection was replaced: %s", got)
	}
	if !strings.Contains(string(ts.log.Bytes()), "TLS certificate reloaded") {
		t.Fatal("no log line for the reload")
	}
}

// TestOneServerPerDataDirectory: a second server on a data directory in
// use refuses to start and says why.
func TestOneServerPerDataDirectory(t *testing.T) {
	ts := startServer(t)
	cfg := serverConfig{DataDir: ts.data, Addr: "127.0.0.1:0", MasterKeyFile: ts.masterKey}
	err := serve(context.Background(), cfg, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "in use by a running optiq server") {
		t.Fatalf("second server: %v", err)
	}
}

// TestBackupNowFromTheAPI: an instance admin runs the backup job at once
// (the web UI's "back up now"); it is audited; others are refused.
func TestBackupNowFromTheAPI(t *testing.T) {
	ts := startServerWith(t, func(c *serverConfig) {})
	root := newUser(t, ts, "root@example.com", app.RoleAdmin)
	bob := newUser(t, ts, "bob@example.com", app.RoleMember)
	run := func(c cli, job string) (int, map[string]any) {
		_, cfg := clientFor(t, c)
		req, _ := http.NewRequest("POST", ts.url+"/api/v1/jobs/"+job+"/run", nil)
		req.Header.Set("Authorization", "Bearer "+cfg.Token)
		resp, err := insecure.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	if status, body := run(root, "backup"); status != 200 || body["ok"] != true || body["runs"] != float64(1) || !strings.Contains(fmt.Sprint(body["result"]), "backup ") {
		t.Fatalf("backup now: %d %v", status, body)
	}
	var listed struct{ Backups []backup.Info }
	if err := json.Unmarshal([]byte(root.ok("", "backup", "list", "--data", ts.data, "--json")), &listed); err != nil || len(listed.Backups) != 1 {
		t.Fatalf("backups after backup now: %+v %v", listed, err)
	}
	if status, _ := run(bob, "backup"); status != http.StatusForbidden {
		t.Errorf("a member ran the backup job: %d", status)
	}
	if status, body := run(root, "nope"); status != http.StatusNotFound || !strings.Contains(fmt.Sprint(body["detail"]), "backup") {
		t.Errorf("unknown job: %d %v", status, body)
	}
	if out := root.ok("", "audit", "list", "--action", app.AuditJobRun); !strings.Contains(out, "backup") {
		t.Errorf("no audit entry for the job run:\n%s", out)
	}
}
