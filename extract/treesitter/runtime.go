package treesitter

import (
	"compress/gzip"
	"context"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// The grammars, each linked with the tree-sitter runtime and glue.c into
// one WebAssembly module, built by tools/treesitter/build.sh.
//
//go:embed wasm/*.wasm.gz
var grammars embed.FS

// recordSize is the size of one node record (tools/treesitter/glue.h).
const recordSize = 28

// grammar is one language's compiled module and its pool of instances.
// Instances are not safe for concurrent use; each parse takes one from
// the pool and returns it when done, or drops it when it failed, timed out
// or trapped (its state can no longer be trusted).
type grammar struct {
	name string

	once     sync.Once
	err      error
	compiled wazero.CompiledModule
	symbols  []string // node type names by symbol id
	fields   []string // field names by field id

	idle chan *instance
	slot chan struct{} // one token per live instance, bounds the pool
}

type instance struct {
	mod     api.Module
	mem     api.Memory
	buffer  api.Function
	parse   api.Function
	records api.Function
}

func loadWasm(lang string) ([]byte, error) {
	f, err := grammars.Open("wasm/" + lang + ".wasm.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return gunzip(f)
}

// gunzip reads a gzip stream whole.
func gunzip(r io.Reader) ([]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// load compiles the module (or loads it from the compilation cache) and
// reads the grammar's node type and field names, once.
func (g *grammar) load(ctx context.Context, rt wazero.Runtime) error {
	g.once.Do(func() {
		bin, err := loadWasm(g.name)
		if err != nil {
			g.err = fmt.Errorf("treesitter: %s grammar: %w", g.name, err)
			return
		}
		g.compiled, err = rt.CompileModule(ctx, bin)
		if err != nil {
			g.err = fmt.Errorf("treesitter: compile %s grammar: %w", g.name, err)
			return
		}
		inst, err := g.instantiate(ctx, rt)
		if err != nil {
			g.err = err
			return
		}
		g.symbols, g.fields, err = inst.names(ctx)
		if err != nil {
			inst.mod.Close(ctx)
			g.err = fmt.Errorf("treesitter: %s grammar names: %w", g.name, err)
			return
		}
		g.slot <- struct{}{} // the first instance takes a slot like any other
		g.idle <- inst
	})
	return g.err
}

func (g *grammar) instantiate(ctx context.Context, rt wazero.Runtime) (*instance, error) {
	// Anonymous modules so that many instances of one grammar can coexist.
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions("_initialize")
	mod, err := rt.InstantiateModule(ctx, g.compiled, cfg)
	if err != nil {
		return nil, fmt.Errorf("treesitter: instantiate %s grammar: %w", g.name, err)
	}
	inst := &instance{
		mod:     mod,
		mem:     mod.Memory(),
		buffer:  mod.ExportedFunction("optiq_buffer"),
		parse:   mod.ExportedFunction("optiq_parse"),
		records: mod.ExportedFunction("optiq_records"),
	}
	res, err := mod.ExportedFunction("optiq_init").Call(ctx)
	if err != nil || int32(res[0]) != 0 {
		mod.Close(ctx)
		return nil, fmt.Errorf("treesitter: init %s grammar: %v (%v)", g.name, err, res)
	}
	return inst, nil
}

func (inst *instance) names(ctx context.Context) (symbols, fields []string, err error) {
	read := func(count, name string, extra int) ([]string, error) {
		res, err := inst.mod.ExportedFunction(count).Call(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]string, int(res[0])+extra)
		fn := inst.mod.ExportedFunction(name)
		for i := range out {
			r, err := fn.Call(ctx, uint64(i))
			if err != nil {
				return nil, err
			}
			if r[0] != 0 {
				out[i] = inst.cString(uint32(r[0]))
			}
		}
		return out, nil
	}
	if symbols, err = read("optiq_symbol_count", "optiq_symbol_name", 0); err != nil {
		return nil, nil, err
	}
	// Field ids run from 1 to the count; 0 is "no field".
	if fields, err = read("optiq_field_count", "optiq_field_name", 1); err != nil {
		return nil, nil, err
	}
	return symbols, fields, nil
}

func (inst *instance) cString(ptr uint32) string {
	var b []byte
	for i := ptr; ; i++ {
		c, ok := inst.mem.ReadByte(i)
		if !ok || c == 0 {
			break
		}
		b = append(b, c)
	}
	return string(b)
}

// get takes an idle instance, or creates one if the pool is not full, or
// waits for one to come back.
func (g *grammar) get(ctx context.Context, rt wazero.Runtime) (*instance, error) {
	select {
	case inst := <-g.idle:
		return inst, nil
	default:
	}
	select {
	case inst := <-g.idle:
		return inst, nil
	case g.slot <- struct{}{}:
		inst, err := g.instantiate(context.WithoutCancel(ctx), rt)
		if err != nil {
			<-g.slot
			return nil, err
		}
		return inst, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (g *grammar) put(inst *instance) { g.idle <- inst }

// drop discards an instance whose state is unknown (trap, timeout).
func (g *grammar) drop(ctx context.Context, inst *instance) {
	inst.mod.Close(context.WithoutCancel(ctx))
	<-g.slot
}

var errParse = errors.New("parser failed")

// stuckGrace is how long a cancelled parse may take to notice the flag
// before its instance is abandoned.
const stuckGrace = 2 * time.Second

// run parses src with inst and puts the instance back in the pool. The
// parse stops when timeout passes or ctx ends: glue.c polls should_stop,
// which reads the parse's context, and the parse returns early. A grammar's
// scanner stuck in a loop never polls; that instance is then abandoned
// (closed when, if ever, it returns) so that the caller gets its error and
// the pool a new slot.
func (g *grammar) run(ctx context.Context, inst *instance, src []byte, timeout time.Duration) (*tree, error) {
	type result struct {
		t   *tree
		err error
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan result, 1)
	go func() {
		t, err := inst.parseTree(pctx, src, g)
		done <- result{t, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-pctx.Done():
		select {
		case r = <-done:
		case <-time.After(stuckGrace):
			<-g.slot
			go func() {
				<-done
				inst.mod.Close(context.Background())
			}()
			return nil, stopReason(ctx, timeout)
		}
	}
	switch {
	case r.err == nil:
		g.put(inst)
		return r.t, nil
	case errors.Is(r.err, errCancelled):
		g.put(inst) // tree-sitter stopped cleanly; the next parse resets it
		return nil, stopReason(ctx, timeout)
	default:
		g.drop(ctx, inst) // a trap leaves the instance in an unknown state
		return nil, r.err
	}
}

func stopReason(ctx context.Context, timeout time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("parse timed out after %v", timeout)
}

var errCancelled = errors.New("parse cancelled")

// parseTree runs the grammar over src and returns the named nodes in
// pre-order. ctx bounds the time: glue.c polls it and stops the parse.
func (inst *instance) parseTree(ctx context.Context, src []byte, g *grammar) (*tree, error) {
	n, err := inst.parseOnly(ctx, src)
	if err != nil {
		return nil, err
	}
	return inst.readTree(ctx, n, src, g)
}

// parseOnly copies src into the instance and parses it there; it returns
// the number of node records the parse left in the instance's memory.
func (inst *instance) parseOnly(ctx context.Context, src []byte) (int, error) {
	if err := inst.write(ctx, src); err != nil {
		return 0, err
	}
	res, err := inst.parse.Call(ctx, uint64(len(src)))
	if err != nil {
		return 0, err
	}
	n := int32(res[0])
	if n == -1 {
		return 0, errCancelled
	}
	if n < 0 {
		return 0, fmt.Errorf("%w: code %d", errParse, n)
	}
	return int(n), nil
}

// write copies src into the instance's source buffer (optiq_buffer).
func (inst *instance) write(ctx context.Context, src []byte) error {
	res, err := inst.buffer.Call(ctx, uint64(len(src)))
	if err != nil {
		return err
	}
	ptr := uint32(res[0])
	if ptr == 0 {
		return fmt.Errorf("%w: out of memory for %d bytes", errParse, len(src))
	}
	if !inst.mem.Write(ptr, src) {
		return fmt.Errorf("%w: buffer out of range", errParse)
	}
	return nil
}

// readTree reads the n records of the last parse out of the instance.
func (inst *instance) readTree(ctx context.Context, n int, src []byte, g *grammar) (*tree, error) {
	res, err := inst.records.Call(ctx)
	if err != nil {
		return nil, err
	}
	size := int64(n) * recordSize
	if n < 0 || size > math.MaxUint32 {
		return nil, fmt.Errorf("%w: %d records", errParse, n)
	}
	raw, ok := inst.mem.Read(uint32(res[0]), uint32(size))
	if !ok {
		return nil, fmt.Errorf("%w: records out of range", errParse)
	}
	return decodeTree(raw, n, src, g)
}

func decodeTree(raw []byte, n int, src []byte, g *grammar) (*tree, error) {
	if n < 0 || len(raw)/recordSize < n {
		return nil, fmt.Errorf("%w: %d records in %d bytes", errParse, n, len(raw))
	}
	t := &tree{src: src, nodes: make([]node, n)}
	last := make([]int32, n) // last child seen per node
	le := binary.LittleEndian
	for i := range n {
		r := raw[i*recordSize:]
		sf := le.Uint32(r)
		sym, fld := int(sf&0xffff), int(sf>>16)
		nd := &t.nodes[i]
		if sym < len(g.symbols) {
			nd.typ = g.symbols[sym]
		} else if sym == 0xffff {
			nd.typ = "ERROR"
		}
		if fld < len(g.fields) {
			nd.field = g.fields[fld]
		}
		nd.parent = int32(le.Uint32(r[4:]))
		nd.start = le.Uint32(r[8:])
		nd.end = le.Uint32(r[12:])
		nd.line = int(le.Uint32(r[16:])) + 1
		nd.endLine = int(le.Uint32(r[20:])) + 1
		nd.col = int(le.Uint32(r[24:]))
		nd.first, nd.next, nd.prev = -1, -1, -1
		last[i] = -1
		if nd.end < nd.start || int(nd.end) > len(src) {
			return nil, fmt.Errorf("%w: node range out of bounds", errParse)
		}
		if p := nd.parent; p >= 0 {
			if int(p) >= i {
				return nil, fmt.Errorf("%w: bad parent", errParse)
			}
			if last[p] < 0 {
				t.nodes[p].first = int32(i)
			} else {
				t.nodes[last[p]].next = int32(i)
				nd.prev = last[p]
			}
			last[p] = int32(i)
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: empty tree", errParse)
	}
	return t, nil
}

// instantiateHost provides the few WASI functions the grammars' libc
// imports (clock, and stdio that tree-sitter only uses for debug output):
// a clock that stands still, and no files. Grammars get no file system,
// environment or real time, so their output depends on the input alone.
func instantiateHost(ctx context.Context, rt wazero.Runtime) error {
	// should_stop is polled by glue.c during a parse; the context is the
	// one the parse was called with.
	_, err := rt.NewHostModuleBuilder("optiq").
		NewFunctionBuilder().WithFunc(func(ctx context.Context) uint32 {
		if ctx.Err() != nil {
			return 1
		}
		return 0
	}).Export("should_stop").
		Instantiate(ctx)
	if err != nil {
		return err
	}
	const errnoBadf = 8
	_, err = rt.NewHostModuleBuilder("wasi_snapshot_preview1").
		NewFunctionBuilder().WithFunc(func(ctx context.Context, m api.Module, id uint32, precision uint64, out uint32) uint32 {
		m.Memory().WriteUint64Le(out, 0)
		return 0
	}).Export("clock_time_get").
		NewFunctionBuilder().WithFunc(func(fd uint32) uint32 { return errnoBadf }).Export("fd_close").
		NewFunctionBuilder().WithFunc(func(fd uint32, offset int64, whence uint32, out uint32) uint32 {
		return errnoBadf
	}).Export("fd_seek").
		NewFunctionBuilder().WithFunc(func(fd, iovs, iovsLen, out uint32) uint32 { return errnoBadf }).Export("fd_write").
		Instantiate(ctx)
	return err
}
