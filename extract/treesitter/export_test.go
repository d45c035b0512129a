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

// Records parses src with lang's grammar and returns the node records as
// the module wrote them, with runtime.c's lexer callbacks (fast) or with
// the tree-sitter runtime's own.
func (p *Parser) Records(ctx context.Context, lang string, src []byte, fast bool) ([]byte, error) {
	g, ok := p.grammars[lang]
	if !ok {
		return nil, fmt.Errorf("no grammar for %q", lang)
	}
	if err := g.load(ctx, p.rt); err != nil {
		return nil, err
	}
	inst, err := g.get(ctx, p.rt)
	if err != nil {
		return nil, err
	}
	defer g.put(inst)
	lexer := inst.mod.ExportedFunction("optiq_fast_lexer")
	defer lexer.Call(ctx, 1) // the pool's instances use the fast callbacks
	on := uint64(0)
	if fast {
		on = 1
	}
	if _, err := lexer.Call(ctx, on); err != nil {
		return nil, err
	}
	n, err := inst.parseOnly(ctx, src)
	if err != nil {
		return nil, err
	}
	res, err := inst.records.Call(ctx)
	if err != nil {
		return nil, err
	}
	raw, ok := inst.mem.Read(uint32(res[0]), uint32(n*recordSize))
	if !ok {
		return nil, fmt.Errorf("records out of range")
	}
	return bytes.Clone(raw), nil
}

// NodeTypes parses src with lang's grammar and returns the types of its
// named nodes in pre-order.
func (p *Parser) NodeTypes(ctx context.Context, lang string, src []byte) ([]string, error) {
	g, ok := p.grammars[lang]
	if !ok {
		return nil, fmt.Errorf("no grammar for %q", lang)
	}
	if err := g.load(ctx, p.rt); err != nil {
		return nil, err
	}
	inst, err := g.get(ctx, p.rt)
	if err != nil {
		return nil, err
	}
	t, err := g.run(ctx, inst, src, p.opts.Timeout)
	if err != nil {
		return nil, err
	}
	types := make([]string, len(t.nodes))
	for i, n := range t.nodes {
		types[i] = n.typ
	}
	return types, nil
}
