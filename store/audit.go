package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/optiq/optiq/app"
)

// auditRow is the canonical form of an entry that the hash chain covers:
// a fixed field order, JSON-encoded (map keys sorted by encoding/json).
type auditRow struct {
	At        int64             `json:"at"`
	Actor     string            `json:"actor"`
	Action    string            `json:"action"`
	Target    string            `json:"target"`
	Workspace string            `json:"workspace"`
	Remote    string            `json:"remote"`
	RequestID string            `json:"request_id"`
	Detail    map[string]string `json:"detail"`
}

func (r auditRow) canonical() []byte {
	if r.Detail == nil {
		r.Detail = map[string]string{}
	}
	b, _ := json.Marshal(r)
	return b
}

func chainHash(prev []byte, canonical []byte) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(canonical)
	return h.Sum(nil)
}

// fillAudit completes e from the request context.
func (s *Store) fillAudit(ctx context.Context, e *app.AuditEntry) {
	if e.Actor == "" {
		if p, ok := app.PrincipalFrom(ctx); ok {
			e.Actor = p.UserID
		}
	}
	if e.Remote == "" {
		e.Remote = app.ClientFrom(ctx)
	}
	if e.RequestID == "" {
		e.RequestID = app.RequestIDFrom(ctx)
	}
	if e.At.IsZero() {
		e.At = s.opts.Now()
	}
}

// appendAudit adds e to the chain inside tx; the single writer connection
// serialises appends, so reading the head and inserting cannot interleave.
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, e app.AuditEntry) error {
	s.fillAudit(ctx, &e)
	var prev []byte
	err := tx.QueryRowContext(ctx, `SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if prev == nil {
		prev = []byte{}
	}
	row := auditRow{At: e.At.Unix(), Actor: e.Actor, Action: e.Action, Target: e.Target, Workspace: e.Workspace,
		Remote: e.Remote, RequestID: e.RequestID, Detail: e.Detail}
	canon := row.canonical()
	detail := e.Detail
	if detail == nil {
		detail = map[string]string{}
	}
	d, _ := json.Marshal(detail)
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, target, workspace_id, remote, request_id, detail, prev_hash, hash)
		VALUES (?,?,?,?,?,?,?,?,?,?)`, row.At, row.Actor, row.Action, row.Target, row.Workspace, row.Remote, row.RequestID, string(d), prev, chainHash(prev, canon))
	return err
}

// Audit implements app.Accounts.
func (s *Store) Audit(ctx context.Context, e app.AuditEntry) error {
	return s.control.Tx(ctx, func(tx *sql.Tx) error { return s.appendAudit(ctx, tx, e) })
}

// AuditLog implements app.Accounts: newest first.
func (s *Store) AuditLog(ctx context.Context, f app.AuditFilter) ([]app.AuditEntry, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") || !strings.Contains(f.Action, ".") {
			add("action LIKE ?", strings.TrimSuffix(f.Action, ".")+".%")
		} else {
			add("action = ?", f.Action)
		}
	}
	if f.Target != "" {
		add("target = ?", f.Target)
	}
	if !f.Since.IsZero() {
		add("at >= ?", f.Since.Unix())
	}
	if !f.Until.IsZero() {
		add("at < ?", f.Until.Unix())
	}
	if f.Limit <= 0 || f.Limit > 10000 {
		f.Limit = 1000
	}
	q := `SELECT seq, at, actor, action, target, workspace_id, remote, request_id, detail, hash FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := s.control.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []app.AuditEntry{}
	for rows.Next() {
		var e app.AuditEntry
		var at int64
		var detail string
		var hash []byte
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Target, &e.Workspace, &e.Remote, &e.RequestID, &detail, &hash); err != nil {
			return nil, err
		}
		e.At = time.Unix(at, 0).UTC()
		json.Unmarshal([]byte(detail), &e.Detail)
		if len(e.Detail) == 0 {
			e.Detail = nil
		}
		e.Hash = hex.EncodeToString(hash)
		out = append(out, e)
	}
	return out, rows.Err()
}

// AuditProblem is one break in the audit chain.
type AuditProblem struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

func (p AuditProblem) String() string { return fmt.Sprintf("row %d: %s", p.Seq, p.Reason) }

// VerifyAudit walks the audit chain and reports every row whose content no
// longer matches its hash (edited), whose link does not match the row
// before it (reordered, or rows before it deleted), and every gap in the
// sequence (deleted rows). It returns the number of rows checked.
func (s *Store) VerifyAudit(ctx context.Context) (int, []AuditProblem, error) {
	rows, err := s.control.read.QueryContext(ctx, `SELECT seq, at, actor, action, target, workspace_id, remote, request_id, detail, prev_hash, hash FROM audit_log ORDER BY seq`)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var problems []AuditProblem
	var lastSeq int64
	var lastHash = []byte{}
	n := 0
	for rows.Next() {
		var r auditRow
		var seq int64
		var detail string
		var prev, hash []byte
		if err := rows.Scan(&seq, &r.At, &r.Actor, &r.Action, &r.Target, &r.Workspace, &r.Remote, &r.RequestID, &detail, &prev, &hash); err != nil {
			return n, nil, err
		}
		n++
		if err := json.Unmarshal([]byte(detail), &r.Detail); err != nil {
			problems = append(problems, AuditProblem{seq, "detail is not valid JSON (edited)"})
		}
		gap := seq != lastSeq+1
		switch {
		case gap && seq-lastSeq == 2:
			problems = append(problems, AuditProblem{seq, fmt.Sprintf("row %d before it was deleted", lastSeq+1)})
		case gap:
			problems = append(problems, AuditProblem{seq, fmt.Sprintf("rows %d to %d before it were deleted", lastSeq+1, seq-1)})
		}
		contentOK := bytes.Equal(chainHash(prev, r.canonical()), hash)
		if !contentOK {
			problems = append(problems, AuditProblem{seq, "content does not match its hash (edited)"})
		}
		if !bytes.Equal(prev, lastHash) && !gap {
			problems = append(problems, AuditProblem{seq, fmt.Sprintf("does not follow row %d in the chain (reordered, or a row was deleted or re-inserted)", lastSeq)})
		}
		lastSeq, lastHash = seq, hash
	}
	return n, problems, rows.Err()
}
