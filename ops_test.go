package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/optiq/optiq/backup"
	"github.com/optiq/optiq/seal"
	"github.com/optiq/optiq/store"
)

func TestConfigResolve(t *testing.T) {
	base := serverConfig{DataDir: "/tmp/x", Addr: "127.0.0.1:8443"}
	s, err := base.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if s.allowTLS12 || s.backupEvery != 24*time.Hour || s.backupKeep != 7*24*time.Hour || s.cleanupEvery != time.Hour ||
		s.sessionMaxAge != 24*time.Hour || s.minFreeBytes != 256<<20 || s.readyTimeout != 2*time.Second {
		t.Fatalf("defaults: %+v", s)
	}
	for _, tc := range []struct {
		change func(*serverConfig)
		check  func(settings) bool
	}{
		{func(c *serverConfig) { c.TLSMinVersion = "1.2" }, func(s settings) bool { return s.allowTLS12 }},
		{func(c *serverConfig) { c.AllowTLS12 = true }, func(s settings) bool { return s.allowTLS12 }},
		{func(c *serverConfig) { c.BackupInterval = "off" }, func(s settings) bool { return s.backupEvery == 0 }},
		{func(c *serverConfig) { c.BackupInterval = "6h"; c.BackupRetention = "30d" }, func(s settings) bool {
			return s.backupEvery == 6*time.Hour && s.backupKeep == 30*24*time.Hour
		}},
		{func(c *serverConfig) { c.TrustedProxies = []string{"10.0.0.0/8", "192.168.1.10"} }, func(s settings) bool { return len(s.proxies) == 2 }},
	} {
		c := base
		tc.change(&c)
		s, err := c.resolve()
		if err != nil || !tc.check(s) {
			t.Errorf("%+v: %+v %v", c, s, err)
		}
	}
	// Every bad value is refused with the key named.
	for key, change := range map[string]func(*serverConfig){
		"addr":                  func(c *serverConfig) { c.Addr = "8443" },
		"log_level":             func(c *serverConfig) { c.LogLevel = "loud" },
		"tls_min_version":       func(c *serverConfig) { c.TLSMinVersion = "1.1" },
		"allow_tls12":           func(c *serverConfig) { c.TLSMinVersion = "1.3"; c.AllowTLS12 = true },
		"tls_cert":              func(c *serverConfig) { c.TLSCert = "/etc/optiq/tls.crt" },
		"cors_origins":          func(c *serverConfig) { c.CORSOrigins = []string{"*"} },
		"trusted_proxies":       func(c *serverConfig) { c.TrustedProxies = []string{"everyone"} },
		"backup_interval":       func(c *serverConfig) { c.BackupInterval = "daily" },
		"backup_retention":      func(c *serverConfig) { c.BackupRetention = "-1d" },
		"backup_age_recipient":  func(c *serverConfig) { c.BackupAgeRecipient = "ssh-ed25519 AAAA" },
		"cleanup_interval":      func(c *serverConfig) { c.CleanupInterval = "0s" },
		"index_session_max_age": func(c *serverConfig) { c.IndexSessionMaxAge = "x" },
		"min_free_disk_mb":      func(c *serverConfig) { c.MinFreeDiskMB = -1 },
		"ready_timeout":         func(c *serverConfig) { c.ReadyTimeout = "soon" },
	} {
		c := base
		change(&c)
		if _, err := c.resolve(); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: %v", key, err)
		}
	}
}

func TestConfigCheckCommand(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "optiq.toml")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c := cli{t: t, cfg: dir}

	write("data_dir = \"/srv/optiq\"\nlog_levle = \"debug\"\n")
	if r := c.run("", "config", "check", "--config", file); r.code != exitUsage || !strings.Contains(r.stderr, `unknown setting "log_levle"`) {
		t.Fatalf("unknown key: %d %s", r.code, r.stderr)
	}
	write("data_dir = \"/srv/optiq\"\nbackup_interval = \"weekly\"\n")
	if r := c.run("", "config", "check", "--config", file); r.code != exitUsage || !strings.Contains(r.stderr, "backup_interval") {
		t.Fatalf("bad value: %d %s", r.code, r.stderr)
	}
	write("data_dir = \"/srv/optiq\"\ncors_origins = [\"https://code.example.com\"]\n")
	t.Setenv("OPTIQ_LOG_LEVEL", "debug")
	t.Setenv("OPTIQ_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
	t.Setenv("OPTIQ_MIN_FREE_DISK_MB", "2048")
	out := c.ok("", "config", "check", "--config", file)
	for _, want := range []string{
		`data_dir = "/srv/optiq"`, `log_level = "debug"`, `trusted_proxies = ["10.0.0.0/8", "127.0.0.1"]`,
		`min_free_disk_mb = 2048`, `cors_origins = ["https://code.example.com"]`, `backup_retention = "7d"`, `tls_min_version = "1.3"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("effective config lacks %s:\n%s", want, out)
		}
	}
	t.Setenv("OPTIQ_MIN_FREE_DISK_MB", "lots")
	if r := c.run("", "config", "check", "--config", file); r.code != exitUsage || !strings.Contains(r.stderr, "OPTIQ_MIN_FREE_DISK_MB") {
		t.Fatalf("bad environment value: %d %s", r.code, r.stderr)
	}
	if out := c.ok("", "config", "check", "--help"); !strings.Contains(out, "OPTIQ_<KEY>") {
		t.Fatalf("help: %s", out)
	}
	// Secret-named keys are masked when printed.
	m := maskSecrets(serverConfig{TLSKey: "/etc/optiq/tls.key"})
	if m["tls_key"] != "/etc/optiq/tls.key" {
		t.Fatalf("a path was masked: %v", m["tls_key"])
	}
}

// TestScheduledJobs runs the server's real jobs against a real data
// directory with short intervals.
func TestScheduledJobs(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	mk, err := seal.CreateMasterKey(data + ".master.key")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, data, store.Options{Sealer: mk.Sealer(), EmailPepper: mk.Pepper("email")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, err := st.CreateUser(ctx, "ada@example.com", "a long passphrase", "member"); err != nil {
		t.Fatal(err)
	}
	cfg := serverConfig{DataDir: data, Addr: "127.0.0.1:0"}
	set, err := cfg.resolve()
	if err != nil {
		t.Fatal(err)
	}
	set.backupFirstRun, set.cleanupEvery = 0, 50*time.Millisecond
	jobs := newScheduler(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	for _, j := range serverJobs(cfg, set, st) {
		jobs.add(j)
	}
	jctx, stop := context.WithCancel(ctx)
	wait := jobs.start(jctx)
	deadline := time.Now().Add(20 * time.Second)
	for {
		done := 0
		for _, s := range jobs.snapshot() {
			if s.Runs >= 1 && (s.Name == "backup" || s.Runs >= 2) {
				done++
			}
		}
		if done == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs did not run: %+v", jobs.snapshot())
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	wait()
	for _, s := range jobs.snapshot() {
		if !s.OK || s.LastSuccess.IsZero() || s.Failures != 0 || s.Result == "" {
			t.Errorf("%s: %+v", s.Name, s)
		}
	}
	list, _ := backup.List(data)
	if len(list) != 1 {
		t.Fatalf("backups after the first scheduled run: %v", list)
	}
	if d, err := backupCheck(cfg, set, time.Now()); err != nil {
		t.Fatalf("backup check with a fresh backup: %v %v", d, err)
	}
	// Twice the interval later the backup is stale.
	stale := set
	stale.backupEvery = time.Millisecond
	time.Sleep(5 * time.Millisecond)
	if _, err := backupCheck(cfg, stale, time.Now()); err == nil {
		t.Fatal("a stale backup passed the check")
	}

	// A failing job is recorded, counted and exported.
	failing := newScheduler(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	j := job{name: "broken", every: time.Hour, run: func(context.Context) (string, error) { return "", os.ErrPermission }}
	failing.add(j)
	failing.runOnce(ctx, j)
	s := failing.snapshot()[0]
	if s.OK || s.Failures != 1 || s.Runs != 1 || !strings.Contains(s.Error, "permission denied") {
		t.Fatalf("failed job status: %+v", s)
	}
	got := map[string]float64{}
	for _, c := range []prometheus.Collector{failing, jobs} {
		reg := prometheus.NewRegistry()
		reg.MustRegister(c)
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.Metric {
				if m.Counter != nil {
					got[mf.GetName()+"/"+m.Label[0].GetValue()] = m.Counter.GetValue()
				}
			}
		}
	}
	if got["optiq_job_failures_total/broken"] != 1 || got["optiq_job_runs_total/backup"] != 1 || got["optiq_job_runs_total/cleanup"] < 2 {
		t.Fatalf("job metrics: %v", got)
	}
}

// TestBackupAndRestoreKeepOwner: run as root on a data directory owned by
// the service user, backup now and restore leave every file they write
// owned by that user (else the service's next backup, or its start after
// a restore, fails). Run as another user, the files are simply that
// user's.
func TestBackupAndRestoreKeepOwner(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	mk, err := seal.CreateMasterKey(data + ".master.key")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, data, store.Options{Sealer: mk.Sealer(), EmailPepper: mk.Pepper("email")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.CreateUser(ctx, "ada@example.com", "a long passphrase", "member"); err != nil {
		t.Fatal(err)
	}
	ws, _ := st.WorkspaceIDs(ctx)
	st.ProbeTenant(ctx) // creates the workspace's data.db
	st.Close()
	if len(ws) != 1 {
		t.Fatalf("workspaces %v", ws)
	}
	owner := os.Geteuid()
	if owner == 0 {
		owner = 65534 // nobody: the service user stands-in
		filepath.Walk(data, func(p string, _ os.FileInfo, err error) error {
			if err == nil {
				err = os.Lchown(p, owner, owner)
			}
			return err
		})
	}
	c := cli{t: t, cfg: t.TempDir()}
	c.ok("", "backup", "now", "--data", data)
	list, _ := backup.List(data)
	if len(list) != 1 {
		t.Fatalf("backups: %v", list)
	}
	c.ok("", "restore", "--from", list[0].Dir, "--data", data)
	checked := 0
	for _, dir := range []string{filepath.Join(data, "backups"), filepath.Join(data, "tenants"), filepath.Join(data, "control.db"), filepath.Join(data, ".lock")} {
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			if uid := int(fi.Sys().(*syscall.Stat_t).Uid); uid != owner {
				t.Errorf("%s owned by %d, want %d", p, uid, owner)
			}
			checked++
			return nil
		})
	}
	if checked < 6 {
		t.Fatalf("checked only %d paths", checked)
	}
}
