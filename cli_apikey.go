package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/web"
)

func newAPIKeyCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "apikey",
		Short: "Create, list and revoke scoped API keys (for CI and scripts)",
	}
	c.AddCommand(newAPIKeyCreateCmd(), newAPIKeyListCmd(), newAPIKeyRevokeCmd())
	return c
}

func newAPIKeyCreateCmd() *cobra.Command {
	var name, scopes, ws string
	var expires time.Duration
	var asJSON bool
	c := &cobra.Command{
		Use:   "create --name NAME --scope SCOPE[,SCOPE] [--workspace WS] [--expires DURATION] [--json]",
		Short: "Create an API key; its secret is printed once",
		Long: `Create an API key. Scopes: ` + strings.Join(app.AllScopes, ", ") + ` ("admin" implies all).
--workspace restricts the key to one workspace. Creating a key needs a sign-in
within the last 5 minutes: run optiq reauth --password-stdin first if asked.
Use the key as OPTIQ_TOKEN, or as 'Authorization: Bearer KEY'.`,
		Example: `  optiq apikey create --name ci --scope search:read,index:write --workspace team --expires 720h`,
		Args:    exactArgs(0),
	}
	c.Flags().StringVar(&name, "name", "", "name to recognise the key by (required)")
	c.Flags().StringVar(&scopes, "scope", "", "comma-separated scopes (required)")
	c.Flags().StringVar(&ws, "workspace", "", "restrict the key to this workspace (name or id)")
	c.Flags().DurationVar(&expires, "expires", 0, "lifetime, e.g. 720h (default: no expiry)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the key as JSON")
	c.RunE = func(c *cobra.Command, _ []string) error {
		if name == "" || scopes == "" {
			return usageError{fmt.Errorf("--name and --scope are required (see optiq apikey create --help)")}
		}
		if expires < 0 {
			return usageError{fmt.Errorf("--expires must be positive")}
		}
		cl, _, err := connect()
		if err != nil {
			return err
		}
		req := web.CreateAPIKeyRequest{Name: name, Workspace: ws}
		for _, s := range strings.Split(scopes, ",") {
			if s = strings.TrimSpace(s); s != "" {
				req.Scopes = append(req.Scopes, s)
			}
		}
		if expires > 0 {
			req.ExpiresIn = expires.String()
		}
		k, err := cl.CreateAPIKey(c.Context(), req)
		if app.ErrorCode(err) == app.EREAUTH {
			return fmt.Errorf("%w\nrun: optiq reauth --password-stdin [--code CODE], then try again", err)
		}
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), k)
		}
		fmt.Fprintf(c.ErrOrStderr(), "created API key %s (%s) with scopes %s; copy it now, it is not shown again:\n", k.ID, k.Name, strings.Join(k.Scopes, ","))
		fmt.Fprintln(c.OutOrStdout(), k.Key)
		return nil
	}
	return c
}

func newAPIKeyListCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{Use: "list [--json]", Short: "List your API keys (never their secrets)", Args: exactArgs(0)}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.RunE = func(c *cobra.Command, _ []string) error {
		cl, _, err := connect()
		if err != nil {
			return err
		}
		keys, err := cl.APIKeys(c.Context())
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), map[string]any{"api_keys": keys})
		}
		tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tWORKSPACE\tEXPIRES\tLAST USED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, strings.Join(k.Scopes, ","), orDash(k.Workspace), timeOrDash(k.ExpiresAt), timeOrDash(k.LastUsedAt))
		}
		return tw.Flush()
	}
	return c
}

func newAPIKeyRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API key",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cl, _, err := connect()
			if err != nil {
				return err
			}
			if err := cl.RevokeAPIKey(c.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "revoked API key %s\n", args[0])
			return nil
		},
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func timeOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
