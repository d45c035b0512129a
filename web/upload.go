package web

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/optiq/optiq/app"
)

// UploadContentType is the media type of the binary framing of an upload
// batch. The CLI sends it because JSON with base64 blobs cost the server
// more CPU to decode than anything else in an upload; JSON stays accepted.
//
// The framing is a sequence of unsigned varints and length-prefixed byte
// strings:
//
//	"OPTQ" version=2 nfiles
//	per file: path fingerprint language size generated(0/1) content nsymbols
//	per symbol: name kind container line end_line signature doc vector
//
// where vector is the int8 embedding as a byte string (empty for none).
// Version 1, without vectors, is still read.
const UploadContentType = "application/vnd.optiq.upload"

const (
	uploadMagic   = "OPTQ\x02"
	uploadMagicV1 = "OPTQ\x01"
)

// MarshalUpload encodes a batch in the binary framing.
func MarshalUpload(files []app.FileUpload) []byte {
	n := len(uploadMagic) + 10
	for _, f := range files {
		n += len(f.Path) + len(f.Fingerprint) + len(f.Language) + len(f.Content) + 40
		for _, s := range f.Symbols {
			n += len(s.Name) + len(s.Kind) + len(s.Container) + len(s.Signature) + len(s.Doc) + len(s.Vector) + 32
		}
	}
	b := make([]byte, 0, n)
	b = append(b, uploadMagic...)
	b = binary.AppendUvarint(b, uint64(len(files)))
	str := func(s []byte) { b = binary.AppendUvarint(b, uint64(len(s))); b = append(b, s...) }
	for _, f := range files {
		str([]byte(f.Path))
		str([]byte(f.Fingerprint))
		str([]byte(f.Language))
		b = binary.AppendUvarint(b, uint64(max(f.Size, 0)))
		gen := byte(0)
		if f.Generated {
			gen = 1
		}
		b = append(b, gen)
		str(f.Content)
		b = binary.AppendUvarint(b, uint64(len(f.Symbols)))
		for _, s := range f.Symbols {
			str([]byte(s.Name))
			str([]byte(s.Kind))
			str([]byte(s.Container))
			b = binary.AppendUvarint(b, uint64(max(s.Line, 0)))
			b = binary.AppendUvarint(b, uint64(max(s.EndLine, 0)))
			str(s.Signature)
			str(s.Doc)
			b = binary.AppendUvarint(b, uint64(len(s.Vector)))
			for _, x := range s.Vector {
				b = append(b, byte(x))
			}
		}
	}
	return b
}

var errFraming = errors.New("malformed upload framing")

type uploadReader struct {
	b   []byte
	err error
}

func (r *uploadReader) uint(limit uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > limit {
		r.err = errFraming
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *uploadReader) bytes() []byte {
	n := r.uint(1 << 40)
	if r.err == nil && n > uint64(len(r.b)) {
		r.err = errFraming
	}
	if r.err != nil {
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *uploadReader) str() string { return string(r.bytes()) }

// UnmarshalUpload decodes the binary framing. Blobs alias data. Content is
// checked later by the same validation as JSON uploads.
func UnmarshalUpload(data []byte) ([]app.FileUpload, error) {
	if len(data) < len(uploadMagic) || string(data[:len(uploadMagic)]) != uploadMagic && string(data[:len(uploadMagicV1)]) != uploadMagicV1 {
		return nil, app.Errorf(app.EINVALID, "upload body is not in the %s framing (version 1 or 2)", UploadContentType)
	}
	vectors := string(data[:len(uploadMagic)]) == uploadMagic
	r := &uploadReader{b: data[len(uploadMagic):]}
	// Every file takes at least 7 bytes and every symbol 7: counts above
	// what the body could hold are refused before allocating.
	nfiles := r.uint(uint64(len(r.b) / 7))
	files := make([]app.FileUpload, 0, nfiles)
	for i := uint64(0); i < nfiles && r.err == nil; i++ {
		var f app.FileUpload
		f.Path = r.str()
		f.Fingerprint = r.str()
		f.Language = r.str()
		f.Size = int64(r.uint(1 << 40))
		switch r.uint(1) {
		case 1:
			f.Generated = true
		}
		f.Content = r.bytes()
		nsyms := r.uint(uint64(len(r.b) / 7))
		if r.err == nil && nsyms > 0 {
			f.Symbols = make([]app.EncryptedSymbol, 0, nsyms)
		}
		for j := uint64(0); j < nsyms && r.err == nil; j++ {
			var s app.EncryptedSymbol
			s.Name = r.str()
			s.Kind = r.str()
			s.Container = r.str()
			s.Line = int(r.uint(1 << 31))
			s.EndLine = int(r.uint(1 << 31))
			s.Signature = nilIfEmpty(r.bytes())
			s.Doc = nilIfEmpty(r.bytes())
			if vectors {
				if v := r.bytes(); len(v) > 0 {
					s.Vector = make([]int8, len(v))
					for k, x := range v {
						s.Vector[k] = int8(x)
					}
				}
			}
			f.Symbols = append(f.Symbols, s)
		}
		files = append(files, f)
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes", errFraming, len(r.b))
	}
	if r.err != nil {
		return nil, app.Errorf(app.EINVALID, "upload body: %v", r.err)
	}
	return files, nil
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
