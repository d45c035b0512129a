package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/optiq/optiq/web"
)

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newLoginCmd() *cobra.Command {
	var email, fingerprint, caFile string
	var pwStdin, tofu bool
	c := &cobra.Command{
		Use:   "login URL --email EMAIL --password-stdin [--fingerprint SHA256:HEX | --ca-file FILE | --trust-on-first-use]",
		Short: "Sign in to an Optiq server and pin its certificate",
		Long: `Sign in and store the session token and the server's certificate pin under
$OPTIQ_CONFIG_DIR (default ~/.config/optiq), readable only by you.

The CLI talks only to a server it can verify: pass the fingerprint printed by
optiq serve, a CA bundle, or --trust-on-first-use to pin whatever certificate
the server presents now (like ssh).`,
		Example: `  echo "$PASSWORD" | optiq login https://optiq.example.com:8443 --email ada@example.com --password-stdin --fingerprint SHA256:3f2a…`,
		Args:    exactArgs(1),
	}
	c.Flags().StringVar(&email, "email", "", "e-mail address (required)")
	c.Flags().BoolVar(&pwStdin, "password-stdin", false, "read the password from standard input (required)")
	c.Flags().StringVar(&fingerprint, "fingerprint", "", "expected server certificate SHA-256 fingerprint")
	c.Flags().StringVar(&caFile, "ca-file", "", "PEM bundle of CAs to trust instead of a pin")
	c.Flags().BoolVar(&tofu, "trust-on-first-use", false, "pin the certificate the server presents now")
	c.RunE = func(c *cobra.Command, args []string) error {
		server := args[0]
		if email == "" || !pwStdin {
			return usageError{fmt.Errorf("--email and --password-stdin are required (see optiq login --help)")}
		}
		if tofu && fingerprint == "" && caFile == "" {
			fp, err := web.ProbeFingerprint(c.Context(), server)
			if err != nil {
				return fmt.Errorf("cannot reach %s: %w", server, err)
			}
			fmt.Fprintf(c.ErrOrStderr(), "pinning server certificate %s\n", fp)
			fingerprint = fp
		}
		if fingerprint != "" {
			fp, err := web.NormalizeFingerprint(fingerprint)
			if err != nil {
				return usageError{err}
			}
			fingerprint = fp
		}
		pw, err := readSecretStdin(c.InOrStdin())
		if err != nil {
			return err
		}
		cl, err := web.NewClient(server, web.ClientOptions{Fingerprint: fingerprint, CAFile: caFile})
		if err != nil {
			return err
		}
		res, err := cl.Login(c.Context(), email, pw)
		if err != nil {
			return err
		}
		cfg := clientConfig{Server: server, Fingerprint: fingerprint, CAFile: caFile, Token: res.Token, UserID: res.User.ID}
		for _, w := range res.Workspaces {
			if w.Personal {
				cfg.Workspace = w.ID
			}
		}
		if err := saveClientConfig(cfg); err != nil {
			return err
		}
		fmt.Fprintf(c.OutOrStdout(), "signed in to %s as %s\n", server, res.User.Email)
		return nil
	}
	return c
}

func newLogoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Revoke the stored session and forget it",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, _ []string) error {
			cl, cfg, err := connect()
			if err != nil {
				return err
			}
			if err := cl.Logout(c.Context()); err != nil {
				fmt.Fprintln(c.ErrOrStderr(), "warning: the server did not confirm the logout:", err)
			}
			cfg.Token = ""
			return saveClientConfig(cfg)
		},
	}
}
