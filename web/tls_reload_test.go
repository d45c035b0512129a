package web_test

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"testing"

	"github.com/optiq/optiq/web"
)

// tlsServer serves a fresh server over TLS with the certificates in dir.
func tlsServer(t *testing.T, certs *web.CertStore, allowTLS12 bool) string {
	t.Helper()
	st := newTestStore(t)
	srv := web.New(web.Config{Accounts: st, Tenants: st, Logger: slog.New(slog.DiscardHandler)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(tls.NewListener(ln, certs.TLSConfig(allowTLS12)))
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return ln.Addr().String()
}

func handshake(addr string, maxVersion uint16) (uint16, error) {
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: maxVersion})
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	return conn.ConnectionState().Version, nil
}

func TestTLSVersions(t *testing.T) {
	cert, key, _, err := web.EnsureCert(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	certs, err := web.LoadCertStore(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	strict := tlsServer(t, certs, false)
	if _, err := handshake(strict, tls.VersionTLS12); err == nil {
		t.Fatal("TLS 1.2 handshake accepted by default")
	}
	if v, err := handshake(strict, tls.VersionTLS13); err != nil || v != tls.VersionTLS13 {
		t.Fatalf("TLS 1.3: %x %v", v, err)
	}
	relaxed := tlsServer(t, certs, true)
	if v, err := handshake(relaxed, tls.VersionTLS12); err != nil || v != tls.VersionTLS12 {
		t.Fatalf("TLS 1.2 with the opt-in: %x %v", v, err)
	}
	if _, err := handshake(relaxed, tls.VersionTLS11); err == nil {
		t.Fatal("TLS 1.1 accepted")
	}
}

// TestCertificateReload replaces the certificate files and reloads them
// (what SIGHUP does): a connection opened before keeps working with the
// old certificate, new connections get the new one.
func TestCertificateReload(t *testing.T) {
	dir := t.TempDir()
	cert, key, _, err := web.EnsureCert(dir)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := web.LoadCertStore(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	oldFP := certs.Fingerprint()
	addr := tlsServer(t, certs, false)

	var seen []string // fingerprint of each connection's certificate, with reuse
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, MaxIdleConnsPerHost: 1}}
	get := func(c *http.Client) (fp string, reused bool) {
		t.Helper()
		req, _ := http.NewRequest("GET", "https://"+addr+"/healthz", nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
		}))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("healthz: %d", resp.StatusCode)
		}
		fp = web.Fingerprint(resp.TLS.PeerCertificates[0].Raw)
		seen = append(seen, fp)
		return fp, reused
	}
	if fp, _ := get(client); fp != oldFP {
		t.Fatalf("first connection: %s, want %s", fp, oldFP)
	}

	// New key pair on disk, then reload.
	other := t.TempDir()
	cert2, key2, _, err := web.EnsureCert(other)
	if err != nil {
		t.Fatal(err)
	}
	for src, dst := range map[string]string{cert2: cert, key2: key} {
		b, _ := os.ReadFile(src)
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := certs.Reload(); err != nil {
		t.Fatal(err)
	}
	newFP := certs.Fingerprint()
	if newFP == oldFP {
		t.Fatal("fingerprint unchanged after reload")
	}
	if fp, reused := get(client); !reused || fp != oldFP {
		t.Fatalf("open connection after reload: reused %v, cert %s (old %s)", reused, fp, oldFP)
	}
	fresh := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if fp, reused := get(fresh); reused || fp != newFP {
		t.Fatalf("new connection after reload: reused %v, cert %s, want %s", reused, fp, newFP)
	}

	// A broken file on reload keeps the current certificate.
	os.WriteFile(cert, []byte("not a certificate"), 0o600)
	if err := certs.Reload(); err == nil {
		t.Fatal("reload of a broken certificate succeeded")
	}
	if certs.Fingerprint() != newFP {
		t.Fatal("a failed reload dropped the certificate")
	}
	if fp, _ := get(&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}); fp != newFP {
		t.Fatalf("after a failed reload: %s", fp)
	}
}
