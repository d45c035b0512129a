package web

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// Fingerprint returns a certificate's pin: "SHA256:" + hex of the SHA-256 of
// its DER encoding (as `openssl x509 -fingerprint -sha256` shows, without
// colons).
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return "SHA256:" + hex.EncodeToString(sum[:])
}

// NormalizeFingerprint accepts "SHA256:HEX", "HEX" or openssl's
// colon-separated form and returns the canonical pin.
func NormalizeFingerprint(s string) (string, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ':'); i > 0 && strings.EqualFold(s[:i], "sha256") {
		s = s[i+1:]
	}
	s = strings.ToLower(strings.ReplaceAll(s, ":", ""))
	if b, err := hex.DecodeString(s); err != nil || len(b) != sha256.Size {
		return "", errors.New("fingerprint must be a SHA-256 in hex, as in SHA256:3f2a…")
	}
	return "SHA256:" + s, nil
}

// EnsureCert returns the paths of the certificate and key in dir, creating
// a self-signed ECDSA P-256 certificate for localhost, the host name and the
// loopback addresses if none exists.
func EnsureCert(dir string) (certFile, keyFile string, created bool, err error) {
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if _, err := os.Stat(certFile); err == nil {
		return certFile, keyFile, false, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", false, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", false, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "optiq", Organization: []string{"Optiq self-signed"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if host != "" && host != "localhost" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", false, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", false, err
	}
	if err := writePEM(keyFile, "PRIVATE KEY", keyDER, 0o600); err != nil {
		return "", "", false, err
	}
	if err := writePEM(certFile, "CERTIFICATE", der, 0o644); err != nil {
		return "", "", false, err
	}
	return certFile, keyFile, true, nil
}

func writePEM(file, typ string, der []byte, mode os.FileMode) error {
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

// CertStore serves a certificate that can be reloaded (on SIGHUP) without
// dropping connections: new handshakes get the new certificate.
type CertStore struct {
	certFile, keyFile string
	// cert is read by every handshake and swapped whole by Reload.
	cert atomic.Pointer[tls.Certificate]
}

// LoadCertStore loads the key pair.
func LoadCertStore(certFile, keyFile string) (*CertStore, error) {
	s := &CertStore{certFile: certFile, keyFile: keyFile}
	return s, s.Reload()
}

// Reload re-reads the key pair; on error the old one stays in use.
func (s *CertStore) Reload() error {
	c, err := tls.LoadX509KeyPair(s.certFile, s.keyFile)
	if err != nil {
		return fmt.Errorf("load TLS key pair: %w", err)
	}
	s.cert.Store(&c)
	return nil
}

// Fingerprint returns the pin of the current certificate.
func (s *CertStore) Fingerprint() string {
	return Fingerprint(s.cert.Load().Certificate[0])
}

// TLSConfig returns the server TLS configuration: TLS 1.3 only unless
// allowTLS12.
func (s *CertStore) TLSConfig(allowTLS12 bool) *tls.Config {
	min := uint16(tls.VersionTLS13)
	if allowTLS12 {
		min = tls.VersionTLS12
	}
	return &tls.Config{
		MinVersion: min,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return s.cert.Load(), nil
		},
	}
}
