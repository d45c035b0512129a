package treesitter

import (
	"bytes"
	"context"
	"fmt"
)

// EvalCorpus gives the external tests the benchmarks' corpus.
var EvalCorpus = evalCorpus

// ProcessCPU gives the external benchmarks the process's CPU time.
var ProcessCPU = processCPU

// with runs f with an instance of lang's grammar from p's pool, and puts it
// back afterwards, or drops it if f failed (its state is then unknown).
func (p *Parser) with(ctx context.Context, lang string, f func(*instance) error) error {
	g, ok := p.grammars[lang]
	if !ok {
		return fmt.Errorf("no grammar for %q", lang)
	}
	if err := g.load(ctx, p.rt); err != nil {
		return err
	}
	inst, err := g.get(ctx, p.rt)
	if err != nil {
		return err
	}
	if err := f(inst); err != nil {
		g.drop(ctx, inst)
		return err
	}
	g.put(inst)
	return nil
}

// call calls the instance's export name.
func (inst *instance) call(ctx context.Context, name string, args ...uint64) ([]uint64, error) {
	fn := inst.mod.ExportedFunction(name)
	if fn == nil {
		return nil, fmt.Errorf("the module has no %s", name)
	}
	return fn.Call(ctx, args...)
}

// Records parses src with lang's grammar and returns the node records as
// the module wrote them, with runtime.c's lexer callbacks and comment runs
// (fast) or with the tree-sitter runtime's own callbacks and tokens.
func (p *Parser) Records(ctx context.Context, lang string, src []byte, fast bool) ([]byte, error) {
	var out []byte
	err := p.with(ctx, lang, func(inst *instance) error {
		on := uint64(0)
		if fast {
			on = 1
		}
		if _, err := inst.call(ctx, "optiq_fast_lexer", on); err != nil {
			return err
		}
		n, err := inst.parseOnly(ctx, src)
		if err != nil {
			return err
		}
		res, err := inst.records.Call(ctx)
		if err != nil {
			return err
		}
		raw, ok := inst.mem.Read(uint32(res[0]), uint32(n*recordSize))
		if !ok {
			return fmt.Errorf("records out of range")
		}
		out = bytes.Clone(raw)
		// The pool's instances use the fast callbacks.
		_, err = inst.call(ctx, "optiq_fast_lexer", 1)
		return err
	})
	return out, err
}

// NodeTypes parses src with lang's grammar and returns the types of its
// named nodes in pre-order.
func (p *Parser) NodeTypes(ctx context.Context, lang string, src []byte) ([]string, error) {
	var types []string
	err := p.with(ctx, lang, func(inst *instance) error {
		n, err := inst.parseOnly(ctx, src)
		if err != nil {
			return err
		}
		t, err := inst.readTree(ctx, n, src, p.grammars[lang])
		if err != nil {
			return err
		}
		for _, nd := range t.nodes {
			types = append(types, nd.typ)
		}
		return nil
	})
	return types, err
}

// Columns asks runtime.c's get_column and the runtime's own for the column
// at every character of src (in lang's module) and returns the byte offset
// of the first difference, or -1, and the number of characters runtime.c
// answered without the runtime.
func (p *Parser) Columns(ctx context.Context, lang string, src []byte) (diff, fast int, err error) {
	err = p.with(ctx, lang, func(inst *instance) error {
		if err := inst.write(ctx, src); err != nil {
			return err
		}
		res, err := inst.call(ctx, "optiq_columns", uint64(len(src)))
		if err != nil {
			return err
		}
		diff, fast = int(int32(uint32(res[0]))), int(res[0]>>32)
		return nil
	})
	return diff, fast, err
}

// CommentRuns parses src with lang's grammar and returns the number of
// comment runs runtime.c lexed (see Comment runs there) in the tree it
// kept, and how many of them while the parser had several versions.
func (p *Parser) CommentRuns(ctx context.Context, lang string, src []byte) (made, multi int, err error) {
	err = p.with(ctx, lang, func(inst *instance) error {
		if _, err := inst.parseOnly(ctx, src); err != nil {
			return err
		}
		res, err := inst.call(ctx, "optiq_comment_runs_made")
		if err != nil {
			return err
		}
		made, multi = int(uint32(res[0])), int(res[0]>>32)
		return nil
	})
	return made, multi, err
}
