package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// MasterKey is the server's root secret, loaded once at start from a systemd
// credential or a 0600 file outside the data directory. Application code
// never sees it: it gets a Sealer and a Pepper derived from it.
type MasterKey struct{ b [KeySize]byte }

func (MasterKey) String() string       { return "MasterKey(****)" }
func (MasterKey) LogValue() slog.Value { return slog.StringValue("****") }

// LoadMasterKey reads a 32-byte key (raw, or 64 hex characters) from path.
// It refuses a file readable by group or others.
func LoadMasterKey(path string) (MasterKey, error) {
	var k MasterKey
	fi, err := os.Stat(path)
	if err != nil {
		return k, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return k, fmt.Errorf("master key %s is readable by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return k, err
	}
	return parseMasterKey(path, b)
}

func parseMasterKey(path string, b []byte) (MasterKey, error) {
	var k MasterKey
	switch {
	case len(b) == KeySize:
		copy(k.b[:], b)
	case len(strings.TrimSpace(string(b))) == 2*KeySize:
		if _, err := hex.Decode(k.b[:], []byte(strings.TrimSpace(string(b)))); err != nil {
			return k, fmt.Errorf("master key %s: not hex: %w", path, err)
		}
	default:
		return k, fmt.Errorf("master key %s: want 32 raw bytes or 64 hex characters, got %d bytes", path, len(b))
	}
	return k, nil
}

// CreateMasterKey writes a new random key to path (mode 0600, hex encoded),
// failing if the file exists.
func CreateMasterKey(path string) (MasterKey, error) {
	var k MasterKey
	if _, err := rand.Read(k.b[:]); err != nil {
		return k, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return k, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return k, err
	}
	_, err = fmt.Fprintf(f, "%x\n", k.b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return k, err
}

// Sealer encrypts server-side secrets at rest (TOTP seeds, e-mail addresses,
// SSO keys) under a key derived from the master key.
type Sealer struct{ aead cipher.AEAD }

// Sealer returns the sealer for secrets at rest.
func (k MasterKey) Sealer() *Sealer {
	block, err := aes.NewCipher(derive(k.b[:], "optiq/v1 server sealer"))
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &Sealer{aead: aead}
}

// Pepper returns a keyed hash for lookups of secrets by value (e-mail
// addresses, token ids), derived from the master key for purpose.
func (k MasterKey) Pepper(purpose string) *Pepper {
	return &Pepper{key: derive(k.b[:], "optiq/v1 pepper "+purpose)}
}

// Seal encrypts plaintext bound to aad.
func (s *Sealer) Seal(plaintext, aad []byte) []byte {
	nonce := make([]byte, 12, 12+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return s.aead.Seal(nonce, nonce, plaintext, aad)
}

// Open decrypts a value sealed with the same aad.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < 12+s.aead.Overhead() {
		return nil, errors.New("seal: sealed value too short")
	}
	out, err := s.aead.Open(nil, sealed[:12], sealed[12:], aad)
	if err != nil {
		return nil, ErrAuth
	}
	return out, nil
}

// Pepper computes keyed hashes for lookups.
type Pepper struct{ key []byte }

// Sum returns HMAC-SHA256(key, value).
func (p *Pepper) Sum(value string) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(value))
	return m.Sum(nil)
}
