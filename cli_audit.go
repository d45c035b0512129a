package main

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/optiq/optiq/app"
)

func newAuditCmd() *cobra.Command {
	c := &cobra.Command{Use: "audit", Short: "Read the audit log (instance admins)"}
	c.AddCommand(newAuditListCmd())
	return c
}

// parseWhen accepts RFC 3339, a date, or a duration back from now ("24h").
func parseWhen(s, flag string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, usageError{fmt.Errorf("--%s: use an RFC 3339 time, a date (2006-01-02) or a duration back from now (24h)", flag)}
}

func newAuditListCmd() *cobra.Command {
	var actor, action, target, since, until string
	var limit int
	var asJSON bool
	c := &cobra.Command{
		Use:     "list [--actor USER] [--action ACTION] [--since WHEN] [--until WHEN] [--json]",
		Short:   "List audit entries, newest first",
		Example: "  optiq audit list --action auth --since 24h\n  optiq audit list --actor u_abc --json",
		Args:    exactArgs(0),
	}
	c.Flags().StringVar(&actor, "actor", "", "user id who acted")
	c.Flags().StringVar(&action, "action", "", "action (e.g. auth.login_failed) or family (e.g. auth)")
	c.Flags().StringVar(&target, "target", "", "id acted on")
	c.Flags().StringVar(&since, "since", "", "from this time (RFC 3339, date, or duration back like 24h)")
	c.Flags().StringVar(&until, "until", "", "before this time")
	c.Flags().IntVar(&limit, "limit", 100, "at most this many entries")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.RunE = func(c *cobra.Command, _ []string) error {
		f := app.AuditFilter{Actor: actor, Action: action, Target: target, Limit: limit}
		var err error
		if f.Since, err = parseWhen(since, "since"); err != nil {
			return err
		}
		if f.Until, err = parseWhen(until, "until"); err != nil {
			return err
		}
		cl, _, err := connect()
		if err != nil {
			return err
		}
		entries, err := cl.AuditLog(c.Context(), f)
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), map[string]any{"entries": entries})
		}
		tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tTARGET\tWORKSPACE\tDETAIL")
		for _, e := range entries {
			var kv []string
			for k, v := range e.Detail {
				kv = append(kv, k+"="+v)
			}
			sort.Strings(kv)
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.At.UTC().Format(time.RFC3339), orDash(e.Actor), e.Action, orDash(e.Target), orDash(e.Workspace), strings.Join(kv, " "))
		}
		return tw.Flush()
	}
	return c
}
