package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

func newAdminCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "admin",
		Short: "Administer an Optiq data directory directly (server running or not)",
	}
	c.AddCommand(newAdminCreateUserCmd(), newAdminAuditCmd(), newAdminSSOCmd())
	return c
}

func newAdminAuditCmd() *cobra.Command {
	c := &cobra.Command{Use: "audit", Short: "Check the audit log in a data directory"}
	var asJSON bool
	v := &cobra.Command{
		Use:   "verify --data DIR [--json]",
		Short: "Verify the audit log's hash chain; names every edited, deleted or reordered row",
		Long: `Recompute the audit log's hash chain from control.db. Each row's hash covers the
previous row's hash and the row's content, so an edited row, a deleted row and
rows moved out of order are each reported by sequence number. Exit status 1 if
the chain is broken.`,
		Args: exactArgs(0),
	}
	load := serverFlags(v)
	v.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	v.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := load()
		if err != nil {
			return usageError{err}
		}
		st, err := openStore(c.Context(), cfg, newLogger(c.ErrOrStderr(), "warn"))
		if err != nil {
			return err
		}
		defer st.Close()
		n, problems, err := st.VerifyAudit(c.Context())
		if err != nil {
			return err
		}
		if asJSON {
			if err := printJSON(c.OutOrStdout(), map[string]any{"rows": n, "ok": len(problems) == 0, "problems": problems}); err != nil {
				return err
			}
		} else {
			for _, p := range problems {
				fmt.Fprintln(c.OutOrStdout(), p.String())
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("audit log chain broken: %d problem(s) in %d rows", len(problems), n)
		}
		if !asJSON {
			fmt.Fprintf(c.OutOrStdout(), "audit log intact: %d rows\n", n)
		}
		return nil
	}
	c.AddCommand(v)
	return c
}

// readSecretStdin reads one line (a password) from standard input.
func readSecretStdin(in io.Reader) (string, error) {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usageError{fmt.Errorf("no password on standard input")}
	}
	return line, nil
}

func newAdminCreateUserCmd() *cobra.Command {
	var email, role string
	var pwStdin, asJSON bool
	c := &cobra.Command{
		Use:     "create-user --email EMAIL --role admin|member --password-stdin",
		Short:   "Create a user with a personal workspace",
		Example: `  echo 'a long passphrase' | optiq admin create-user --data /var/lib/optiq --email ada@example.com --role admin --password-stdin`,
		Args:    exactArgs(0),
	}
	load := serverFlags(c)
	c.Flags().StringVar(&email, "email", "", "e-mail address (required)")
	c.Flags().StringVar(&role, "role", "member", "instance role: admin or member")
	c.Flags().BoolVar(&pwStdin, "password-stdin", false, "read the password from standard input (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the created user as JSON")
	c.RunE = func(c *cobra.Command, _ []string) error {
		if email == "" || !pwStdin {
			return usageError{fmt.Errorf("--email and --password-stdin are required (see optiq admin create-user --help)")}
		}
		cfg, err := load()
		if err != nil {
			return usageError{err}
		}
		pw, err := readSecretStdin(c.InOrStdin())
		if err != nil {
			return err
		}
		st, err := openStore(c.Context(), cfg, newLogger(c.ErrOrStderr(), "warn"))
		if err != nil {
			return err
		}
		defer st.Close()
		u, ws, err := st.CreateUser(c.Context(), email, pw, role)
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), map[string]any{"user": u, "workspace": ws})
		}
		fmt.Fprintf(c.OutOrStdout(), "created %s user %s (%s) with personal workspace %s\n", u.Role, u.Email, u.ID, ws.ID)
		return nil
	}
	return c
}
