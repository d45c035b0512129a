package vector

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// File format, little-endian:
//
//	"OPTIQVEC" | version u32 (1) | dims u32 | rotation seed u64 | generation u64 | partitions u32 |
//	partitions × (key length u32 | key | n u64 |
//	              n × id i64 | n × 1/‖code‖ f32 | n × dims int8 | n × words × sign u64) |
//	CRC-32C (Castagnoli) of all preceding bytes u32
//
// Partitions are in key order, so an index always encodes the same way.
const (
	fileMagic   = "OPTIQVEC"
	fileVersion = 1
	maxKeyLen   = 4096
)

// ErrCorrupt reports an index file that fails its checks; the caller
// rebuilds the index from the tenant database.
var ErrCorrupt = errors.New("vector: corrupt index file")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// chunk bounds the buffers of WriteTo and ReadFrom and, on reading, how
// much is allocated ahead of the data actually arriving.
const chunk = 64 << 10

// WriteTo writes the index in its file format. It takes the lock only to
// note what it will write: searches and writes go on meanwhile (a write
// that would change a partition being written changes a copy instead).
func (ix *Index) WriteTo(w io.Writer) (int64, error) {
	// view is a partition as it stands when the write begins; held is the
	// partition itself, whose readers count the write holds up.
	type view struct {
		held  *partition
		ids   []int64
		codes []int8
		inorm []float32
		signs []uint64
	}
	ix.mu.Lock()
	gen := ix.gen
	parts := make(map[string]view, len(ix.parts))
	for k, p := range ix.parts {
		p.readers++
		parts[k] = view{p, p.ids, p.codes, p.inorm, p.signs}
	}
	ix.mu.Unlock()
	defer func() {
		ix.mu.Lock()
		for _, v := range parts {
			v.held.readers--
		}
		ix.mu.Unlock()
	}()

	cw := &countWriter{w: w}
	crc := crc32.New(castagnoli)
	bw := bufio.NewWriterSize(io.MultiWriter(cw, crc), chunk)
	buf := make([]byte, 0, chunk)
	flush := func() {
		bw.Write(buf)
		buf = buf[:0]
	}
	buf = append(buf, fileMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, fileVersion)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(ix.dims))
	buf = binary.LittleEndian.AppendUint64(buf, ix.seed)
	buf = binary.LittleEndian.AppendUint64(buf, gen)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(parts)))
	keys := slices.Sorted(maps.Keys(parts))
	for _, k := range keys {
		p := parts[k]
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(k)))
		flush()
		bw.WriteString(k)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(len(p.ids)))
		for _, id := range p.ids {
			if len(buf)+8 > chunk {
				flush()
			}
			buf = binary.LittleEndian.AppendUint64(buf, uint64(id))
		}
		for _, f := range p.inorm {
			if len(buf)+4 > chunk {
				flush()
			}
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(f))
		}
		for codes := p.codes; len(codes) > 0; {
			if len(buf) == chunk {
				flush()
			}
			m := min(len(codes), chunk-len(buf))
			at := len(buf)
			buf = buf[:at+m]
			for i, c := range codes[:m] {
				buf[at+i] = byte(c)
			}
			codes = codes[m:]
		}
		for _, s := range p.signs {
			if len(buf)+8 > chunk {
				flush()
			}
			buf = binary.LittleEndian.AppendUint64(buf, s)
		}
	}
	flush()
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("vector: writing index: %w", err)
	}
	_, err := w.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32()))
	if err == nil {
		cw.n += 4
	}
	if err != nil {
		return cw.n, fmt.Errorf("vector: writing index: %w", err)
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// decoder reads the file through the checksum, turning short reads into
// ErrCorrupt.
type decoder struct {
	r   *bufio.Reader
	crc hash.Hash32
	buf []byte
	err error
}

func (d *decoder) read(n int) []byte {
	if d.err != nil {
		return nil
	}
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	b := d.buf[:n]
	if _, err := io.ReadFull(d.r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			d.err = fmt.Errorf("%w: truncated", ErrCorrupt)
		} else {
			d.err = fmt.Errorf("vector: reading index: %w", err)
		}
		return nil
	}
	d.crc.Write(b)
	return b
}

func (d *decoder) u32() uint32 {
	if b := d.read(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if b := d.read(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// ReadFrom reads an index written by WriteTo. Any damage (bad header,
// truncation, checksum mismatch, inconsistent contents, trailing bytes)
// is reported as ErrCorrupt. Memory is allocated as data arrives, so a
// damaged length cannot make it allocate more than the file holds.
func ReadFrom(r io.Reader) (*Index, error) {
	size := int64(-1) // an upper bound on the input's length, when known
	switch v := r.(type) {
	case interface{ Len() int }: // bytes.Reader, bytes.Buffer, strings.Reader
		size = int64(v.Len())
	case interface{ Stat() (fs.FileInfo, error) }: // os.File
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	d := &decoder{r: bufio.NewReaderSize(r, chunk), crc: crc32.New(castagnoli)}
	corrupt := func(why string) error { return fmt.Errorf("%w: %s", ErrCorrupt, why) }
	if b := d.read(len(fileMagic)); d.err == nil && string(b) != fileMagic {
		return nil, corrupt("not a vector index")
	}
	if v := d.u32(); d.err == nil && v != fileVersion {
		return nil, corrupt(fmt.Sprintf("unknown version %d", v))
	}
	dims := int(d.u32())
	seed := d.u64()
	gen := d.u64()
	nparts := d.u32()
	if d.err != nil {
		return nil, d.err
	}
	if dims < 1 || dims > maxDims {
		return nil, corrupt("bad dimension")
	}
	ix := newIndex(dims, seed)
	ix.gen = gen
	prev := ""
	for pi := range nparts {
		kl := d.u32()
		if d.err == nil && kl > maxKeyLen {
			return nil, corrupt("bad partition key")
		}
		key := string(d.read(int(kl)))
		n := d.u64()
		if d.err != nil {
			return nil, d.err
		}
		if pi > 0 && key <= prev {
			return nil, corrupt("partitions out of order")
		}
		if n == 0 || n > math.MaxInt32 {
			return nil, corrupt("bad partition size")
		}
		prev = key
		// Tables are read in chunks. They are allocated whole when the
		// input's size is known and holds them; otherwise they grow as
		// data arrives from a first allocation of at most 64 MB. Either
		// way a damaged count cannot allocate much more than the file
		// holds.
		perVec := int64(dims + 8*ix.words + 12)
		first := min(int(n), (64<<20)/int(perVec))
		if size >= 0 && int64(n) <= size/perVec {
			first = int(n)
		}
		p := &partition{
			ids:   make([]int64, 0, first),
			inorm: make([]float32, 0, first),
			codes: make([]int8, 0, first*dims),
			signs: make([]uint64, 0, first*ix.words),
		}
		for rem := int(n); rem > 0 && d.err == nil; {
			m := min(rem, chunk/8)
			b := d.read(m * 8)
			if b == nil {
				break
			}
			p.ids = slices.Grow(p.ids, m)
			for i := range m {
				p.ids = append(p.ids, int64(binary.LittleEndian.Uint64(b[i*8:])))
			}
			rem -= m
		}
		for rem := int(n); rem > 0 && d.err == nil; {
			m := min(rem, chunk/4)
			b := d.read(m * 4)
			if b == nil {
				break
			}
			p.inorm = slices.Grow(p.inorm, m)
			for i := range m {
				f := math.Float32frombits(binary.LittleEndian.Uint32(b[i*4:]))
				if !(f > 0) || math.IsInf(float64(f), 0) {
					return nil, corrupt("bad norm")
				}
				p.inorm = append(p.inorm, f)
			}
			rem -= m
		}
		for rem := int(n) * dims; rem > 0 && d.err == nil; {
			m := min(rem, chunk)
			b := d.read(m)
			if b == nil {
				break
			}
			at := len(p.codes)
			p.codes = slices.Grow(p.codes, m)[:at+m]
			dst := p.codes[at:]
			for i, c := range b {
				dst[i] = int8(c)
			}
			rem -= m
		}
		for rem := int(n) * ix.words; rem > 0 && d.err == nil; {
			m := min(rem, chunk/8)
			b := d.read(m * 8)
			if b == nil {
				break
			}
			p.signs = slices.Grow(p.signs, m)
			for i := range m {
				p.signs = append(p.signs, binary.LittleEndian.Uint64(b[i*8:]))
			}
			rem -= m
		}
		if d.err != nil {
			return nil, d.err
		}
		p.pos = make(map[int64]int32, len(p.ids))
		for i, id := range p.ids {
			if _, dup := p.pos[id]; dup {
				return nil, corrupt("duplicate id")
			}
			p.pos[id] = int32(i)
		}
		ix.parts[key] = p
	}
	want := d.crc.Sum32()
	b := make([]byte, 4)
	if _, err := io.ReadFull(d.r, b); err != nil {
		return nil, corrupt("truncated")
	}
	if binary.LittleEndian.Uint32(b) != want {
		return nil, corrupt("checksum mismatch")
	}
	if _, err := d.r.ReadByte(); err != io.EOF {
		return nil, corrupt("trailing bytes")
	}
	return ix, nil
}

// Save writes the index to path atomically: to a temporary file in the
// same directory, synced, then renamed over path, so a crash leaves
// either the old file or the new one, never a torn one.
func (ix *Index) Save(path string) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("vector: saving index: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = ix.WriteTo(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("vector: saving index: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("vector: saving index: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("vector: saving index: %w", err)
	}
	return nil
}

// Load reads an index file written by Save. A missing file is reported
// as fs.ErrNotExist and a damaged one as ErrCorrupt; either way the
// caller rebuilds from the tenant database.
func Load(path string) (*Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vector: loading index: %w", err)
	}
	defer f.Close()
	return ReadFrom(f)
}
