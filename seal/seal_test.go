package seal_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/optiq/optiq/seal"
)

func TestBlobRoundTripAndBinding(t *testing.T) {
	k := seal.NewRepoKey()
	r := seal.NewRepo("r_1", k)
	pt := []byte(strings.Repeat("func main() {}\n", 100))
	blob := r.Seal("a/b.go", seal.KindContent, pt)
	if blob[0] != 1 || len(blob) >= len(pt) {
		t.Fatalf("blob: version %d, %d bytes for %d plaintext (not compressed?)", blob[0], len(blob), len(pt))
	}
	got, err := r.Open("a/b.go", seal.KindContent, blob)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("round trip: %v", err)
	}
	// The same plaintext seals differently each time (random nonce).
	if bytes.Equal(blob, r.Seal("a/b.go", seal.KindContent, pt)) {
		t.Fatal("two seals are identical")
	}
	// Moving a blob to another path, field or repo, or using another key,
	// fails authentication.
	other := seal.NewRepo("r_2", k)
	wrongKey := seal.NewRepo("r_1", seal.NewRepoKey())
	cases := map[string]func() ([]byte, error){
		"other path":  func() ([]byte, error) { return r.Open("a/c.go", seal.KindContent, blob) },
		"other kind":  func() ([]byte, error) { return r.Open("a/b.go", seal.KindDoc, blob) },
		"other repo":  func() ([]byte, error) { return other.Open("a/b.go", seal.KindContent, blob) },
		"wrong key":   func() ([]byte, error) { return wrongKey.Open("a/b.go", seal.KindContent, blob) },
		"truncated":   func() ([]byte, error) { return r.Open("a/b.go", seal.KindContent, blob[:20]) },
		"bad version": func() ([]byte, error) { b := bytes.Clone(blob); b[0] = 9; return r.Open("a/b.go", seal.KindContent, b) },
	}
	for i := 1; i < len(blob); i += len(blob) / 7 {
		i := i
		cases[fmt.Sprintf("flipped byte %d", i)] = func() ([]byte, error) {
			b := bytes.Clone(blob)
			b[i] ^= 0x40
			return r.Open("a/b.go", seal.KindContent, b)
		}
	}
	for name, f := range cases {
		if out, err := f(); !errors.Is(err, seal.ErrAuth) || out != nil {
			t.Errorf("%s: got %v, %d bytes; want ErrAuth", name, err, len(out))
		}
	}
	// Symbol fields bind name and line.
	sig := r.Seal("a/b.go", seal.SymbolField(seal.KindSignature, "F", 3), []byte("func F()"))
	if _, err := r.Open("a/b.go", seal.SymbolField(seal.KindSignature, "G", 3), sig); !errors.Is(err, seal.ErrAuth) {
		t.Error("signature blob opened for another symbol")
	}
}

func TestEmptyPlaintext(t *testing.T) {
	r := seal.NewRepo("r", seal.NewRepoKey())
	got, err := r.Open("p", seal.KindContent, r.Seal("p", seal.KindContent, nil))
	if err != nil || len(got) != 0 {
		t.Fatalf("empty: %v %q", err, got)
	}
}

func TestKeyCheckAndFingerprint(t *testing.T) {
	k1, k2 := seal.NewRepoKey(), seal.NewRepoKey()
	if !seal.CheckKey(k1, seal.KeyCheck(k1)) || seal.CheckKey(k2, seal.KeyCheck(k1)) {
		t.Fatal("key check does not tell keys apart")
	}
	r1, r2 := seal.NewRepo("r", k1), seal.NewRepo("r", k2)
	c := []byte("same content")
	if r1.Fingerprint("a", c) == r1.Fingerprint("b", c) {
		t.Error("equal files under different paths have equal fingerprints")
	}
	if r1.Fingerprint("a", c) == r2.Fingerprint("a", c) {
		t.Error("fingerprints do not depend on the key")
	}
	if r1.Fingerprint("a", c) != r1.Fingerprint("a", bytes.Clone(c)) || len(r1.Fingerprint("a", c)) != 64 {
		t.Error("fingerprint is not a stable 64-hex digest")
	}
}

func TestKeysNeverPrint(t *testing.T) {
	k := seal.NewRepoKey()
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("x", "key", k)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %x", k, k, k, k, k), logBuf.String()} {
		if bytes.Contains([]byte(s), k.Bytes()) || strings.Contains(s, fmt.Sprintf("%x", k.Bytes())) || !strings.Contains(s, "****") {
			t.Errorf("key printed: %q", s)
		}
	}
}

func TestExportImport(t *testing.T) {
	k := seal.NewRepoKey()
	id, k2, err := seal.ImportKey(k.Export("r_abc") + "\n")
	if err != nil || id != "r_abc" || !bytes.Equal(k.Bytes(), k2.Bytes()) {
		t.Fatalf("import: %v %q", err, id)
	}
	for _, bad := range []string{"", "optiq-key-v1:r", "optiq-key-v2:r:AAAA", "optiq-key-v1:r:!!!", "optiq-key-v1:r:AAAA"} {
		if _, _, err := seal.ImportKey(bad); err == nil {
			t.Errorf("ImportKey(%q) accepted", bad)
		}
	}
}

func TestMasterKeyFileAndSealer(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "master.key")
	k, err := seal.CreateMasterKey(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seal.CreateMasterKey(f); err == nil {
		t.Fatal("CreateMasterKey overwrote an existing key")
	}
	k2, err := seal.LoadMasterKey(f)
	if err != nil {
		t.Fatal(err)
	}
	sealed := k.Sealer().Seal([]byte("totp seed"), []byte("user u1"))
	if got, err := k2.Sealer().Open(sealed, []byte("user u1")); err != nil || string(got) != "totp seed" {
		t.Fatalf("sealer round trip: %v", err)
	}
	if _, err := k2.Sealer().Open(sealed, []byte("user u2")); err == nil {
		t.Fatal("sealed value opened under other additional data")
	}
	if !bytes.Equal(k.Pepper("email").Sum("a@b"), k2.Pepper("email").Sum("a@b")) || bytes.Equal(k.Pepper("email").Sum("a@b"), k.Pepper("other").Sum("a@b")) {
		t.Fatal("pepper not stable per purpose")
	}
	os.Chmod(f, 0o644)
	if _, err := seal.LoadMasterKey(f); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable master key accepted: %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	r := seal.NewRepo("r", seal.NewRepoKey())
	f.Add(r.Seal("p", seal.KindContent, []byte("hello")))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if out, err := r.Open("p", seal.KindContent, b); err == nil && string(out) != "hello" {
			t.Fatalf("forged blob opened: %q", out)
		}
	})
}

func TestShortAndLongPayloadsAreRawDeflate(t *testing.T) {
	r := seal.NewRepo("r", seal.NewRepoKey())
	for _, n := range []int{0, 1, 100, 255, 256, 5000} {
		pt := []byte(strings.Repeat("x", n))
		got, err := r.Open("p", seal.KindDoc, r.Seal("p", seal.KindDoc, pt))
		if err != nil || !bytes.Equal(got, pt) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
}
