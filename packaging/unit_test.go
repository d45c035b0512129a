package packaging_test

import (
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/optiq/optiq/packaging"
)

// unitDirectives parses a systemd unit into section -> key -> values, in
// order. An empty assignment resets the list, as systemd does, but is kept
// as "" so that a test can tell "set to empty" from "not set".
func unitDirectives(t *testing.T, unit string) map[string]map[string][]string {
	t.Helper()
	out := map[string]map[string][]string{}
	section := ""
	for i, line := range strings.Split(unit, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
			continue
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			if out[section] == nil {
				out[section] = map[string][]string{}
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			t.Fatalf("unit line %d: %q is not KEY=VALUE inside a section", i+1, line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if v == "" {
			out[section][k] = []string{""}
			continue
		}
		out[section][k] = append(out[section][k], v)
	}
	return out
}

func TestUnitHardening(t *testing.T) {
	svc := unitDirectives(t, packaging.Unit())["Service"]
	if svc == nil {
		t.Fatal("no [Service] section")
	}
	// Directive -> the value it must have (its last assignment).
	want := map[string]string{
		"Type":         "notify",
		"NotifyAccess": "main",
		"ExecStart":    "/usr/bin/optiq serve --config /etc/optiq/optiq.toml",
		// /bin/kill is procps, which minimal systems lack; the shell's
		// builtin is always there.
		"ExecReload":              `/bin/sh -c 'kill -HUP "$MAINPID"'`,
		"Restart":                 "on-failure",
		"WatchdogSec":             "30s",
		"User":                    "optiq",
		"Group":                   "optiq",
		"StateDirectory":          "optiq",
		"ConfigurationDirectory":  "optiq",
		"LoadCredential":          "master.key:/etc/optiq/master.key",
		"UMask":                   "0077",
		"NoNewPrivileges":         "yes",
		"CapabilityBoundingSet":   "",
		"AmbientCapabilities":     "",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"PrivateUsers":            "yes",
		"PrivateMounts":           "yes",
		"ProtectKernelTunables":   "yes",
		"ProtectKernelModules":    "yes",
		"ProtectKernelLogs":       "yes",
		"ProtectControlGroups":    "yes",
		"ProtectClock":            "yes",
		"ProtectHostname":         "yes",
		"ProtectProc":             "invisible",
		"ProcSubset":              "pid",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"RestrictNamespaces":      "yes",
		"RestrictRealtime":        "yes",
		"RestrictSUIDSGID":        "yes",
		"LockPersonality":         "yes",
		"MemoryDenyWriteExecute":  "yes",
		"SystemCallArchitectures": "native",
		// A filter that kills the process would turn a refused optional
		// call (setrlimit at start) into a crash loop.
		"SystemCallErrorNumber": "EPERM",
	}
	for k, v := range want {
		got, ok := svc[k]
		if !ok {
			t.Errorf("%s= missing", k)
			continue
		}
		if last := got[len(got)-1]; last != v {
			t.Errorf("%s=%s, want %s=%s", k, last, k, v)
		}
	}
	filters := strings.Join(svc["SystemCallFilter"], "\n")
	if !strings.Contains(filters, "@system-service") {
		t.Errorf("SystemCallFilter does not allow-list @system-service: %q", filters)
	}
	for _, k := range []string{"DynamicUser", "PrivateNetwork", "IPAddressAllow", "IPAddressDeny"} {
		// DynamicUser would move the state to /var/lib/private and change
		// its owner on every start; network restrictions would cut clients
		// off. Neither belongs in the packaged default.
		if _, ok := svc[k]; ok {
			t.Errorf("%s= set; the packaged unit must not restrict this", k)
		}
	}
	if got := unitDirectives(t, packaging.Unit())["Install"]["WantedBy"]; len(got) != 1 || got[0] != "multi-user.target" {
		t.Errorf("WantedBy=%q, want multi-user.target", got)
	}
}

// TestConfigMatchesServer checks the packaged configuration against the keys
// optiq serve accepts (cli_serve.go serverConfig), which refuses unknown ones,
// and checks that every setting, set or commented out, is documented.
func TestConfigMatchesServer(t *testing.T) {
	var cfg struct {
		DataDir       string `toml:"data_dir"`
		Addr          string `toml:"addr"`
		MasterKeyFile string `toml:"master_key_file"`
		TLSCert       string `toml:"tls_cert"`
		TLSKey        string `toml:"tls_key"`
		AllowTLS12    bool   `toml:"allow_tls12"`
		LogLevel      string `toml:"log_level"`
		RateLimit     int    `toml:"rate_limit_per_minute"`
		AuthRateLimit int    `toml:"auth_rate_limit_per_minute"`
	}
	md, err := toml.Decode(packaging.Config(), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		t.Errorf("settings optiq serve does not know: %v", und)
	}
	if cfg.DataDir != "/var/lib/optiq" {
		t.Errorf("data_dir = %q, want the StateDirectory /var/lib/optiq", cfg.DataDir)
	}
	if cfg.Addr != "0.0.0.0:8443" {
		t.Errorf("addr = %q, want 0.0.0.0:8443", cfg.Addr)
	}
	if cfg.MasterKeyFile != "" {
		t.Errorf("master_key_file = %q; leave it unset so the systemd credential is used", cfg.MasterKeyFile)
	}

	lines := strings.Split(packaging.Config(), "\n")
	for _, key := range []string{"data_dir", "addr", "master_key_file", "tls_cert", "tls_key", "allow_tls12", "log_level", "rate_limit_per_minute", "auth_rate_limit_per_minute"} {
		at := -1
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimPrefix(l, "#"), key+" = ") {
				at = i
				break
			}
		}
		if at < 0 {
			t.Errorf("%s is neither set nor shown commented out", key)
			continue
		}
		if at == 0 || !strings.HasPrefix(lines[at-1], "#") {
			t.Errorf("%s has no comment above it", key)
		}
	}
}
