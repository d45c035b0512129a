// Package seal holds Optiq's cryptography: per-repo keys and their HKDF
// sub-keys, the sealed blob format for code, keyed file fingerprints, the key
// check value, and the server-side sealer for secrets at rest.
//
// Blob format (version 1):
//
//	0x01 | 12-byte random nonce | AES-256-GCM(raw-DEFLATE(plaintext))
//
// with additional data "optiq/v1" | repo id | path | kind (each length
// prefixed), so a blob cannot be moved to another repo, file or field without
// failing authentication. Raw DEFLATE lets browsers decompress natively.
package seal

import (
	"bytes"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// KeySize is the size of every key in bytes.
const KeySize = 32

const blobVersion = 1

// ErrAuth is returned when a blob fails authentication: wrong key, tampered
// ciphertext, or a blob moved to another repo, path or field.
var ErrAuth = errors.New("seal: authentication failed (wrong key or tampered data)")

// RepoKey is a repository's 256-bit key. It never leaves the client. Its
// String, GoString and LogValue print a mask so it cannot be logged by
// accident.
type RepoKey struct{ b [KeySize]byte }

// NewRepoKey generates a random repo key.
func NewRepoKey() RepoKey {
	var k RepoKey
	if _, err := rand.Read(k.b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return k
}

// RepoKeyFromBytes builds a key from 32 raw bytes.
func RepoKeyFromBytes(b []byte) (RepoKey, error) {
	var k RepoKey
	if len(b) != KeySize {
		return k, fmt.Errorf("repo key must be %d bytes, got %d", KeySize, len(b))
	}
	copy(k.b[:], b)
	return k, nil
}

// Bytes returns a copy of the raw key, for the client key store only.
func (k RepoKey) Bytes() []byte { return bytes.Clone(k.b[:]) }

func (RepoKey) String() string               { return "RepoKey(****)" }
func (RepoKey) GoString() string             { return "seal.RepoKey(****)" }
func (RepoKey) LogValue() slog.Value         { return slog.StringValue("****") }
func (k RepoKey) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// Export encodes the key with its repo id for `optiq key export`:
// "optiq-key-v1:<repo id>:<base64url key>".
func (k RepoKey) Export(repoID string) string {
	return "optiq-key-v1:" + repoID + ":" + base64.RawURLEncoding.EncodeToString(k.b[:])
}

// ImportKey parses the output of Export.
func ImportKey(s string) (repoID string, k RepoKey, err error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != 3 || parts[0] != "optiq-key-v1" || parts[1] == "" {
		return "", k, errors.New(`not an exported Optiq key (expected "optiq-key-v1:<repo>:<key>")`)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", k, fmt.Errorf("exported key is corrupt: %w", err)
	}
	k, err = RepoKeyFromBytes(raw)
	return parts[1], k, err
}

func derive(secret []byte, info string) []byte {
	b, err := hkdf.Key(sha256.New, secret, nil, info, KeySize)
	if err != nil {
		panic(err) // only on invalid lengths, which are constants here
	}
	return b
}

// Repo is the set of sub-keys derived from a RepoKey, ready to use. It is
// safe for concurrent use.
type Repo struct {
	id       string
	aead     cipher.AEAD
	fpKey    []byte
	checkKey []byte
}

// NewRepo derives the sub-keys of k for the repo with the given id.
func NewRepo(repoID string, k RepoKey) *Repo {
	block, err := aes.NewCipher(derive(k.b[:], "optiq/v1 content"))
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &Repo{
		id:       repoID,
		aead:     aead,
		fpKey:    derive(k.b[:], "optiq/v1 fingerprint"),
		checkKey: derive(k.b[:], "optiq/v1 key-check"),
	}
}

// KeyCheck returns the value the server keeps to tell a wrong key from the
// right one. It reveals nothing about the key.
func KeyCheck(k RepoKey) []byte {
	m := hmac.New(sha256.New, derive(k.b[:], "optiq/v1 key-check"))
	m.Write([]byte("optiq key check"))
	return m.Sum(nil)[:16]
}

// CheckKey reports whether k matches the server's key check value.
func CheckKey(k RepoKey, check []byte) bool {
	return subtle.ConstantTimeCompare(KeyCheck(k), check) == 1
}

// Fingerprint is the keyed fingerprint of a file: it changes when the path or
// content changes, and without the key it says nothing about either (equal
// files under different paths or repos get different fingerprints).
func (r *Repo) Fingerprint(path string, content []byte) string {
	m := hmac.New(sha256.New, r.fpKey)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(path)))
	m.Write(n[:])
	m.Write([]byte(path))
	m.Write(content)
	return hex.EncodeToString(m.Sum(nil))
}

// Blob kinds bound into the additional data.
const (
	KindContent   = "content"
	KindSignature = "sig"
	KindDoc       = "doc"
	KindModel     = "model"
)

// SymbolField returns the blob kind for a field of one symbol, binding the
// symbol's name and line so that blobs cannot be swapped between symbols.
func SymbolField(field, name string, line int) string {
	return fmt.Sprintf("%s/%d/%s", field, line, name)
}

func aad(repoID, path, kind string) []byte {
	b := make([]byte, 0, 8+12+len(repoID)+len(path)+len(kind))
	b = append(b, "optiq/v1"...)
	for _, s := range [...]string{repoID, path, kind} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// Compression pays only for larger payloads: short ones (most signatures
// and docstrings) are written as stored DEFLATE blocks, which is still raw
// DEFLATE for every reader and much cheaper to produce.
const compressMin = 256

var (
	flaters = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(nil, flate.BestSpeed)
		return w
	}}
	storers = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(nil, flate.NoCompression)
		return w
	}}
)

// Seal compresses and encrypts plaintext for (path, kind) of this repo.
func (r *Repo) Seal(path, kind string, plaintext []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(plaintext)/2 + 64)
	buf.WriteByte(blobVersion)
	var nonce [12]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		panic(err)
	}
	buf.Write(nonce[:])
	pool := &flaters
	if len(plaintext) < compressMin {
		pool = &storers
	}
	w := pool.Get().(*flate.Writer)
	w.Reset(&buf)
	w.Write(plaintext)
	w.Close()
	pool.Put(w)
	b := buf.Bytes()
	compressed := b[13:]
	out := make([]byte, 13, 13+len(compressed)+r.aead.Overhead())
	copy(out, b[:13])
	return r.aead.Seal(out, nonce[:], compressed, aad(r.id, path, kind))
}

// MaxPlaintext bounds what Open will inflate, so a hostile blob cannot
// exhaust memory.
const MaxPlaintext = 64 << 20

// Open authenticates, decrypts and decompresses a blob sealed for
// (path, kind) of this repo. Any mismatch returns ErrAuth.
func (r *Repo) Open(path, kind string, blob []byte) ([]byte, error) {
	if len(blob) < 13+r.aead.Overhead() || blob[0] != blobVersion {
		return nil, ErrAuth
	}
	compressed, err := r.aead.Open(nil, blob[1:13], blob[13:], aad(r.id, path, kind))
	if err != nil {
		return nil, ErrAuth
	}
	return inflate(compressed)
}

// inflaters keeps flate readers (about 40 KiB of state each) for reuse:
// a search opens dozens of files at a time.
var inflaters sync.Pool

// inflate decompresses a payload of at most MaxPlaintext bytes.
func inflate(compressed []byte) ([]byte, error) {
	src := bytes.NewReader(compressed)
	fr, ok := inflaters.Get().(io.ReadCloser)
	if ok {
		if err := fr.(flate.Resetter).Reset(src, nil); err != nil {
			return nil, err
		}
	} else {
		fr = flate.NewReader(src)
	}
	defer inflaters.Put(fr)
	// Source text compresses three to five times; start there.
	var buf bytes.Buffer
	buf.Grow(min(4*len(compressed), MaxPlaintext) + bytes.MinRead)
	if _, err := buf.ReadFrom(io.LimitReader(fr, MaxPlaintext+1)); err != nil {
		return nil, fmt.Errorf("seal: corrupt compressed payload: %w", err)
	}
	if buf.Len() > MaxPlaintext {
		return nil, errors.New("seal: payload exceeds size limit")
	}
	return buf.Bytes(), nil
}
