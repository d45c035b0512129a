package main

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/optiq/optiq/backup"
	"github.com/optiq/optiq/web"
)

// settings are the validated, typed form of a serverConfig.
type settings struct {
	allowTLS12     bool
	proxies        []netip.Prefix
	backupEvery    time.Duration // 0: backups off
	backupKeep     time.Duration
	cleanupEvery   time.Duration
	sessionMaxAge  time.Duration
	minFreeBytes   uint64
	readyTimeout   time.Duration
	backupFirstRun time.Duration // delay before the first scheduled backup when one is due
}

// Defaults of the job and readiness settings.
const (
	defaultBackupInterval  = "24h"
	defaultBackupRetention = "7d"
	defaultCleanupInterval = "1h"
	defaultSessionMaxAge   = "24h"
	defaultMinFreeDiskMB   = 256
	defaultReadyTimeout    = "2s"
)

// parseDuration accepts Go durations ("90m", "24h") and whole days ("7d").
func parseDuration(key, v string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s = %q: not a positive duration (e.g. \"90m\", \"24h\", \"7d\")", key, v)
	}
	return d, nil
}

// withDefaults fills in the defaults so that config check prints what the
// server will really use.
func (c serverConfig) withDefaults() serverConfig {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.BackupInterval, defaultBackupInterval)
	def(&c.BackupRetention, defaultBackupRetention)
	def(&c.CleanupInterval, defaultCleanupInterval)
	def(&c.IndexSessionMaxAge, defaultSessionMaxAge)
	def(&c.ReadyTimeout, defaultReadyTimeout)
	def(&c.LogLevel, "info")
	if c.TLSMinVersion == "" {
		c.TLSMinVersion = "1.3"
		if c.AllowTLS12 {
			c.TLSMinVersion = "1.2"
		}
	}
	if c.MinFreeDiskMB == 0 {
		c.MinFreeDiskMB = defaultMinFreeDiskMB
	}
	return c
}

// resolve validates every setting; each error names the key and what a
// valid value looks like.
func (c serverConfig) resolve() (settings, error) {
	c = c.withDefaults()
	var s settings
	var err error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return s, fmt.Errorf("addr = %q: want HOST:PORT, e.g. 127.0.0.1:8443 or 0.0.0.0:8443", c.Addr)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		return s, fmt.Errorf("log_level = %q: use debug, info, warn or error", c.LogLevel)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return s, fmt.Errorf("tls_cert and tls_key go together: set both, or neither for a generated certificate")
	}
	switch c.TLSMinVersion {
	case "1.3":
		if c.AllowTLS12 {
			return s, fmt.Errorf(`tls_min_version = "1.3" contradicts allow_tls12 = true: keep one of them`)
		}
	case "1.2":
		s.allowTLS12 = true
	default:
		return s, fmt.Errorf("tls_min_version = %q: use \"1.3\" (default) or \"1.2\"", c.TLSMinVersion)
	}
	if c.RateLimit < 0 || c.AuthRateLimit < 0 {
		return s, fmt.Errorf("rate limits must be positive (0 means the default)")
	}
	for _, o := range c.CORSOrigins {
		if err := web.ValidOrigin(o); err != nil {
			return s, fmt.Errorf("cors_origins: %w", err)
		}
	}
	if s.proxies, err = web.ParseTrustedProxies(c.TrustedProxies); err != nil {
		return s, fmt.Errorf("trusted_proxies: %w", err)
	}
	if strings.EqualFold(c.BackupInterval, "off") {
		s.backupEvery = 0
	} else if s.backupEvery, err = parseDuration("backup_interval", c.BackupInterval); err != nil {
		return s, fmt.Errorf("%w, or \"off\"", err)
	} else if s.backupEvery < time.Minute {
		return s, fmt.Errorf("backup_interval = %q: at least 1m", c.BackupInterval)
	}
	if s.backupKeep, err = parseDuration("backup_retention", c.BackupRetention); err != nil {
		return s, err
	}
	if c.BackupAgeRecipient != "" {
		if _, err := backup.ParseRecipient(c.BackupAgeRecipient); err != nil {
			return s, fmt.Errorf("backup_age_recipient: %w", err)
		}
	}
	if s.cleanupEvery, err = parseDuration("cleanup_interval", c.CleanupInterval); err != nil {
		return s, err
	}
	if s.sessionMaxAge, err = parseDuration("index_session_max_age", c.IndexSessionMaxAge); err != nil {
		return s, err
	}
	if s.readyTimeout, err = parseDuration("ready_timeout", c.ReadyTimeout); err != nil {
		return s, err
	}
	if c.MinFreeDiskMB < 0 {
		return s, fmt.Errorf("min_free_disk_mb = %d: must not be negative", c.MinFreeDiskMB)
	}
	s.minFreeBytes = uint64(c.MinFreeDiskMB) << 20
	s.backupFirstRun = time.Minute
	return s, nil
}

// envOverrides applies OPTIQ_<KEY> for every config key (OPTIQ_LOG_LEVEL,
// OPTIQ_CORS_ORIGINS=a,b, …). Lists are comma-separated.
func envOverrides(cfg *serverConfig) error {
	v := reflect.ValueOf(cfg).Elem()
	t := v.Type()
	for i := range t.NumField() {
		key := t.Field(i).Tag.Get("toml")
		env := "OPTIQ_" + strings.ToUpper(key)
		val, ok := os.LookupEnv(env)
		if !ok || key == "" {
			continue
		}
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(val)
		case reflect.Bool:
			b, err := strconv.ParseBool(val)
			if err != nil {
				return fmt.Errorf("%s=%q: want true or false", env, val)
			}
			f.SetBool(b)
		case reflect.Int:
			n, err := strconv.Atoi(val)
			if err != nil {
				return fmt.Errorf("%s=%q: want a whole number", env, val)
			}
			f.SetInt(int64(n))
		case reflect.Slice:
			var list []string
			for _, s := range strings.Split(val, ",") {
				if s = strings.TrimSpace(s); s != "" {
					list = append(list, s)
				}
			}
			f.Set(reflect.ValueOf(list))
		}
	}
	return nil
}
