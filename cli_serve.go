package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/backup"
	"github.com/optiq/optiq/seal"
	"github.com/optiq/optiq/search"
	"github.com/optiq/optiq/search/vector"
	"github.com/optiq/optiq/store"
	"github.com/optiq/optiq/web"
)

// serverConfig is the server's configuration: the config file, then
// environment overrides, then flags.
type serverConfig struct {
	DataDir       string `toml:"data_dir"`
	Addr          string `toml:"addr"`
	MasterKeyFile string `toml:"master_key_file"`
	TLSCert       string `toml:"tls_cert"`
	TLSKey        string `toml:"tls_key"`
	AllowTLS12    bool   `toml:"allow_tls12"`
	LogLevel      string `toml:"log_level"`
	// Requests per minute per credential (or client address without one),
	// and per client address on sign-in endpoints; 0 means the default.
	RateLimit     int `toml:"rate_limit_per_minute"`
	AuthRateLimit int `toml:"auth_rate_limit_per_minute"`
	// TLSMinVersion is "1.3" (default) or "1.2"; allow_tls12 = true is the
	// older spelling of "1.2".
	TLSMinVersion string `toml:"tls_min_version"`
	// CORSOrigins may call the API from a browser on another origin.
	CORSOrigins []string `toml:"cors_origins"`
	// TrustedProxies (CIDRs) may set X-Forwarded-For.
	TrustedProxies []string `toml:"trusted_proxies"`
	// Scheduled jobs (jobs.go). Durations are Go durations or days ("7d").
	BackupInterval     string `toml:"backup_interval"`       // default 24h; "off" disables
	BackupRetention    string `toml:"backup_retention"`      // default 7d
	BackupAgeRecipient string `toml:"backup_age_recipient"`  // age1…: encrypt backups
	CleanupInterval    string `toml:"cleanup_interval"`      // default 1h
	IndexSessionMaxAge string `toml:"index_session_max_age"` // default 24h
	// Readiness: /readyz fails below this much free disk on the data
	// directory, and when a check takes longer than ready_timeout.
	MinFreeDiskMB int    `toml:"min_free_disk_mb"` // default 256
	ReadyTimeout  string `toml:"ready_timeout"`    // default 2s
}

const (
	defaultDataDir = "./optiq-data"
	defaultAddr    = "127.0.0.1:8443"
)

// serverFlags registers the flags shared by commands that open a data
// directory and returns a loader for the resulting configuration.
func serverFlags(c *cobra.Command) func() (serverConfig, error) {
	var file, data, addr, key string
	c.Flags().StringVar(&file, "config", "", "config file (TOML; env OPTIQ_CONFIG)")
	c.Flags().StringVar(&data, "data", "", "data directory (env OPTIQ_DATA, default "+defaultDataDir+")")
	c.Flags().StringVar(&key, "master-key", "", "master key file (env OPTIQ_MASTER_KEY_FILE; default $CREDENTIALS_DIRECTORY/master.key, else DATA.master.key beside the data directory)")
	if c.Name() == "serve" {
		c.Flags().StringVar(&addr, "addr", "", "listen address HOST:PORT (env OPTIQ_ADDR, default "+defaultAddr+")")
	}
	return func() (serverConfig, error) {
		var cfg serverConfig
		if file == "" {
			file = os.Getenv("OPTIQ_CONFIG")
		}
		if file != "" {
			md, err := toml.DecodeFile(file, &cfg)
			if err != nil {
				return cfg, fmt.Errorf("config %s: %w", file, err)
			}
			if und := md.Undecoded(); len(und) > 0 {
				return cfg, fmt.Errorf("config %s: unknown setting %q", file, und[0].String())
			}
		}
		override := func(dst *string, env, flag string) {
			if v := os.Getenv(env); v != "" {
				*dst = v
			}
			if flag != "" {
				*dst = flag
			}
		}
		if err := envOverrides(&cfg); err != nil {
			return cfg, err
		}
		override(&cfg.DataDir, "OPTIQ_DATA", data)
		override(&cfg.Addr, "OPTIQ_ADDR", addr)
		override(&cfg.MasterKeyFile, "OPTIQ_MASTER_KEY_FILE", key)
		if cfg.DataDir == "" {
			cfg.DataDir = defaultDataDir
		}
		if cfg.Addr == "" {
			cfg.Addr = defaultAddr
		}
		return cfg, nil
	}
}

// loadMasterKey finds the master key: the configured file, the systemd
// credential, or a file beside (never inside) the data directory, created
// on first use.
func loadMasterKey(cfg serverConfig, log *slog.Logger) (seal.MasterKey, error) {
	if cfg.MasterKeyFile != "" {
		return seal.LoadMasterKey(cfg.MasterKeyFile)
	}
	if d := os.Getenv("CREDENTIALS_DIRECTORY"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "master.key")); err == nil {
			return seal.LoadMasterKey(filepath.Join(d, "master.key"))
		}
	}
	file := filepath.Clean(cfg.DataDir) + ".master.key"
	k, err := seal.LoadMasterKey(file)
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat(filepath.Join(cfg.DataDir, "control.db")); serr == nil {
			return k, fmt.Errorf("data directory %s exists but its master key %s is missing: restore the key file or pass --master-key", cfg.DataDir, file)
		}
		log.Warn("created a new master key; back it up, it is needed to read account data", "file", file)
		return seal.CreateMasterKey(file)
	}
	return k, err
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil || level == "" {
		l = slog.LevelInfo
	}
	// Secrets typed as app.Secret print as a mask; the handler also masks
	// attributes named like secrets and credentials inside messages.
	return slog.New(app.RedactingHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})))
}

// openStore opens the data directory with the derived indexes wired in.
func openStore(ctx context.Context, cfg serverConfig, log *slog.Logger) (*store.Store, error) {
	mk, err := loadMasterKey(cfg, log)
	if err != nil {
		return nil, err
	}
	sms, err := smsSender()
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, cfg.DataDir, store.Options{
		Sealer:      mk.Sealer(),
		EmailPepper: mk.Pepper("email"),
		Logger:      log,
		SMS:         sms,
		OpenIndex:   func(dir string) (app.LexicalIndex, error) { return search.OpenLexical(filepath.Join(dir, "lexical")) },
		Vectors:     vector.Indexes{},
	})
}

func newServeCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the Optiq server",
		Long: `Run the Optiq server: the HTTPS API (TLS 1.3) on --addr, with state in --data.
On first start it creates the data directory, a self-signed certificate under
DATA/tls and a master key, and prints the certificate fingerprint that clients
pin with optiq login --fingerprint.`,
		Args: exactArgs(0),
	}
	load := serverFlags(c)
	c.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := load()
		if err != nil {
			return usageError{err}
		}
		return serve(c.Context(), cfg, c.OutOrStdout(), c.ErrOrStderr(), nil)
	}
	return c
}

// serve runs the server until ctx ends. ready, if set, receives the bound
// address once the server accepts connections.
func serve(ctx context.Context, cfg serverConfig, logOut, console io.Writer, ready chan<- string) error {
	log := newLogger(logOut, cfg.LogLevel)
	set, err := cfg.resolve()
	if err != nil {
		return fmt.Errorf("configuration: %w (check it with optiq config check)", err)
	}
	// One server per data directory, and restore refuses while it runs:
	// the lock is taken before anything in it is opened.
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	unlock, err := backup.LockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	jobs := newScheduler(log)
	for _, j := range serverJobs(cfg, set, st) {
		jobs.add(j)
	}

	certFile, keyFile := cfg.TLSCert, cfg.TLSKey
	if certFile == "" {
		var created bool
		certFile, keyFile, created, err = web.EnsureCert(filepath.Join(cfg.DataDir, "tls"))
		if err != nil {
			return fmt.Errorf("create TLS certificate: %w", err)
		}
		if created {
			log.Info("created a self-signed TLS certificate", "file", certFile)
		}
	}
	certs, err := web.LoadCertStore(certFile, keyFile)
	if err != nil {
		return err
	}
	srv := web.New(web.Config{
		Accounts:       st,
		Tenants:        st,
		Logger:         log,
		Version:        version,
		Ready:          func(ctx context.Context) error { return st.Ping(ctx) },
		Readiness:      readiness(cfg, set, st, jobs),
		RunJob:         jobs.runNow,
		Collectors:     []prometheus.Collector{jobs, workspaceSizes{st}},
		RateLimits:     web.RateLimits{PerMinute: cfg.RateLimit, AuthPerMinute: cfg.AuthRateLimit},
		CORSOrigins:    cfg.CORSOrigins,
		TrustedProxies: set.proxies,
	})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another server running? choose another port with --addr)", cfg.Addr, err)
	}
	tln := tls.NewListener(ln, certs.TLSConfig(set.allowTLS12))
	url := "https://" + ln.Addr().String()
	log.Info("optiq server listening", "url", url, "fingerprint", certs.Fingerprint(), "data", cfg.DataDir, "version", version)
	fmt.Fprintf(console, "Optiq is listening on %s\nCertificate fingerprint: %s\n%s", url, certs.Fingerprint(), firstSteps(cfg, ln.Addr(), certs.Fingerprint()))

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if err := certs.Reload(); err != nil {
				log.Error("TLS certificate reload failed; keeping the old one", "error", err)
			} else {
				log.Info("TLS certificate reloaded", "fingerprint", certs.Fingerprint())
			}
		}
	}()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(tln) }()
	if ready != nil {
		ready <- ln.Addr().String()
	}
	notifyReady(log)
	wctx, stopWatchdog := context.WithCancel(ctx)
	defer stopWatchdog()
	go watchdog(wctx, log, st.Ping)
	jctx, stopJobs := context.WithCancel(ctx)
	waitJobs := jobs.start(jctx)
	// Jobs stop before the store closes (deferred above); a backup cut
	// short leaves only a temporary directory, removed by the next one.
	defer waitJobs()
	defer stopJobs()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	notifyStopping()
	log.Info("shutting down")
	stopJobs()
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// firstSteps tells whoever started the server how to create the first admin
// and sign in. Under systemd the master key is a credential only the
// service can read, so the admin command runs as a transient unit with the
// same credential; a wildcard listen address is shown as the host name.
func firstSteps(cfg serverConfig, addr net.Addr, fingerprint string) string {
	host := addr.String()
	if ta, ok := addr.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		name, err := os.Hostname()
		if err != nil || name == "" {
			name = "localhost"
		}
		host = net.JoinHostPort(name, strconv.Itoa(ta.Port))
	}
	create := "optiq admin create-user --data " + cfg.DataDir + " --email you@example.com --role admin --password-stdin"
	if os.Getenv("CREDENTIALS_DIRECTORY") != "" {
		create = "sudo systemd-run --pipe --wait --collect -p User=optiq -p Group=optiq -p UMask=0077 " +
			"-p LoadCredential=master.key:/etc/optiq/master.key optiq admin create-user --config /etc/optiq/optiq.toml " +
			"--email you@example.com --role admin --password-stdin   (see /usr/share/doc/optiq/install.md)"
	}
	return "Create the first admin:  " + create + "\nThen sign in:            optiq login https://" + host +
		" --email you@example.com --password-stdin --fingerprint " + fingerprint + "\n"
}
