package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/spf13/cobra"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/seal"
	"github.com/optiq/optiq/web"
)

// clientConfig is the CLI's login state in $OPTIQ_CONFIG_DIR/config.json.
type clientConfig struct {
	Server      string `json:"server"`
	Fingerprint string `json:"fingerprint,omitempty"`
	CAFile      string `json:"ca_file,omitempty"`
	Token       string `json:"token,omitempty"`
	Workspace   string `json:"workspace,omitempty"` // default workspace id
	UserID      string `json:"user_id,omitempty"`
}

func configDir() (string, error) {
	if d := os.Getenv("OPTIQ_CONFIG_DIR"); d != "" {
		return d, nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a config directory: set OPTIQ_CONFIG_DIR: %w", err)
	}
	return filepath.Join(d, "optiq"), nil
}

func loadClientConfig() (clientConfig, error) {
	var c clientConfig
	dir, err := configDir()
	if err != nil {
		return c, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s is corrupt (%v): log in again", filepath.Join(dir, "config.json"), err)
	}
	return c, nil
}

// writePrivate writes a file readable only by the user, atomically.
func writePrivate(file string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

func saveClientConfig(c clientConfig) error {
	dir, err := configDir()
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	return writePrivate(filepath.Join(dir, "config.json"), append(b, '\n'))
}

// connect returns a client for the logged-in server. OPTIQ_TOKEN (an API
// key) overrides the stored token; OPTIQ_SERVER and OPTIQ_FINGERPRINT the
// stored server, for CI jobs that never log in.
func connect() (*web.Client, clientConfig, error) {
	c, err := loadClientConfig()
	if err != nil {
		return nil, c, err
	}
	if v := os.Getenv("OPTIQ_SERVER"); v != "" {
		c.Server = v
	}
	if v := os.Getenv("OPTIQ_FINGERPRINT"); v != "" {
		c.Fingerprint = v
	}
	if v := os.Getenv("OPTIQ_TOKEN"); v != "" {
		c.Token = v
	}
	if c.Server == "" || c.Token == "" {
		return nil, c, notSignedIn
	}
	cl, err := web.NewClient(c.Server, web.ClientOptions{Token: app.Secret(c.Token), Fingerprint: c.Fingerprint, CAFile: c.CAFile})
	return cl, c, err
}

var notSignedIn = errors.New("not signed in: run `optiq login https://HOST:PORT --email YOU` (or set OPTIQ_SERVER, OPTIQ_FINGERPRINT and OPTIQ_TOKEN)")

// Repo keys live in $OPTIQ_CONFIG_DIR/keys/<repo id>.key, 0600.
func keyFile(repoID string) (string, error) {
	dir, err := configDir()
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(repoID, `/\.`) || repoID == "" {
		return "", fmt.Errorf("invalid repo id %q", repoID)
	}
	return filepath.Join(dir, "keys", repoID+".key"), nil
}

func saveRepoKey(repoID string, k seal.RepoKey) error {
	f, err := keyFile(repoID)
	if err != nil {
		return err
	}
	return writePrivate(f, []byte(base64.StdEncoding.EncodeToString(k.Bytes())+"\n"))
}

func loadRepoKey(repoName, repoID string) (seal.RepoKey, error) {
	f, err := keyFile(repoID)
	if err != nil {
		return seal.RepoKey{}, err
	}
	b, err := os.ReadFile(f)
	if errors.Is(err, os.ErrNotExist) {
		return seal.RepoKey{}, fmt.Errorf("no key for repo %q on this machine: ask whoever created it to run `optiq key export %s` and import it with `optiq key import`", repoName, repoName)
	}
	if err != nil {
		return seal.RepoKey{}, err
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return seal.RepoKey{}, fmt.Errorf("key file %s is corrupt: %w", f, err)
	}
	return seal.RepoKeyFromBytes(raw)
}

// repoCipher loads and checks the key of repo.
func repoCipher(name, id string, keyCheck []byte) (*seal.Repo, error) {
	k, err := loadRepoKey(name, id)
	if err != nil {
		return nil, err
	}
	if !seal.CheckKey(k, keyCheck) {
		return nil, fmt.Errorf("the key on this machine for repo %q is wrong (it does not match the repo's key check): import the right one with `optiq key import`", name)
	}
	return seal.NewRepo(id, k), nil
}

func newConfigCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "config",
		Short: "Check the server configuration",
	}
	check := &cobra.Command{
		Use:   "check [--config FILE]",
		Short: "Validate the server configuration and print the settings in effect",
		Long: `Read the config file (--config, or $OPTIQ_CONFIG), apply the environment
overrides (OPTIQ_<KEY> for every key, e.g. OPTIQ_LOG_LEVEL=debug,
OPTIQ_CORS_ORIGINS=https://a.example,https://b.example) and the flags, and
validate every setting: an unknown key, a malformed value or an unreadable
certificate is an error naming the key. On success, print the configuration
the server would run with, defaults filled in and secrets masked.`,
		Args: exactArgs(0),
	}
	load := serverFlags(check)
	check.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := load()
		if err != nil {
			return usageError{err}
		}
		if _, err := cfg.resolve(); err != nil {
			return usageError{err}
		}
		if cfg.TLSCert != "" {
			if _, err := web.LoadCertStore(cfg.TLSCert, cfg.TLSKey); err != nil {
				return fmt.Errorf("tls_cert/tls_key: %w", err)
			}
		}
		if cfg.MasterKeyFile != "" {
			if _, err := seal.LoadMasterKey(cfg.MasterKeyFile); err != nil {
				return fmt.Errorf("master_key_file: %w", err)
			}
		}
		fmt.Fprintln(c.ErrOrStderr(), "configuration OK")
		return toml.NewEncoder(c.OutOrStdout()).Encode(maskSecrets(cfg.withDefaults()))
	}
	c.AddCommand(check)
	return c
}

// maskSecrets returns the configuration as key → value with the values of
// secret-named keys masked, for printing.
func maskSecrets(cfg serverConfig) map[string]any {
	out := map[string]any{}
	v := reflect.ValueOf(cfg)
	for i := range v.NumField() {
		key := v.Type().Field(i).Tag.Get("toml")
		if key == "" {
			continue
		}
		val := v.Field(i).Interface()
		if app.SecretKey(key) && !v.Field(i).IsZero() {
			val = app.Redacted
		}
		if s, ok := val.([]string); ok && s == nil {
			val = []string{}
		}
		out[key] = val
	}
	return out
}
