package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/web"
)

// optiq admin sso: SAML single sign-on, configured through the API as the
// signed-in instance admin (domain verification is tied to who verified).

func newAdminSSOCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "sso",
		Short: "Configure SAML single sign-on (as the signed-in instance admin)",
		Long: `Configure SAML 2.0 single sign-on with Okta, Entra ID or any compliant identity
provider. Unlike the other admin commands these talk to the server as the
admin signed in with optiq login. Steps (docs/sso-generic.md):

  1. optiq admin sso domain add corp.example        publish the TXT record or file shown
  2. optiq admin sso domain verify corp.example --method dns
  3. optiq admin sso create --name Okta --domain corp.example --idp-metadata idp.xml --preset okta
  4. optiq admin sso metadata ID -o optiq-sp.xml   give this file to the identity provider`,
	}
	d := &cobra.Command{Use: "domain", Short: "Claim and verify e-mail domains for SSO"}
	d.AddCommand(newSSODomainAddCmd(), newSSODomainVerifyCmd(), newSSODomainListCmd(), newSSODomainRemoveCmd())
	c.AddCommand(d, newSSOSaveCmd(false), newSSOSaveCmd(true), newSSOListCmd(), newSSOShowCmd(), newSSOMetadataCmd(), newSSODeleteCmd())
	return c
}

func printDomain(w io.Writer, d app.SSODomain) {
	status := "not verified"
	if d.Verified() {
		status = "verified (" + d.Method + ") by " + d.VerifiedBy
	}
	fmt.Fprintf(w, "Domain:  %s (%s)\n", d.Domain, status)
	if d.Connection != "" {
		fmt.Fprintf(w, "Used by: %s\n", d.Connection)
	}
	if !d.Verified() {
		fmt.Fprintf(w, "Prove control with either:\n  DNS TXT record  %s  \"%s\"\n  or a file at    %s  containing  %s\n",
			d.TXTName, d.TXTValue, d.FileURL, d.FileBody)
		fmt.Fprintf(w, "Then run: optiq admin sso domain verify %s --method dns|http\n", d.Domain)
	}
}

func newSSODomainAddCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{Use: "add DOMAIN [--json]", Short: "Claim a domain; prints the TXT record or file that proves control", Args: exactArgs(1)}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	c.RunE = func(c *cobra.Command, args []string) error {
		cl, _, err := connect()
		if err != nil {
			return err
		}
		d, err := cl.ClaimSSODomain(c.Context(), args[0])
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), d)
		}
		printDomain(c.OutOrStdout(), d)
		return nil
	}
	return c
}

func newSSODomainVerifyCmd() *cobra.Command {
	var method string
	var asJSON bool
	c := &cobra.Command{Use: "verify DOMAIN --method dns|http [--json]", Short: "Check the TXT record (dns) or file (http) now", Args: exactArgs(1)}
	c.Flags().StringVar(&method, "method", app.VerifyDNS, "dns (TXT record) or http (file on https://DOMAIN)")
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	c.RunE = func(c *cobra.Command, args []string) error {
		cl, _, err := connect()
		if err != nil {
			return err
		}
		d, err := cl.VerifySSODomain(c.Context(), args[0], method)
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), d)
		}
		printDomain(c.OutOrStdout(), d)
		return nil
	}
	return c
}

func newSSODomainListCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{Use: "list [--json]", Short: "List claimed domains", Args: exactArgs(0)}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	c.RunE = func(c *cobra.Command, _ []string) error {
		cl, _, err := connect()
		if err != nil {
			return err
		}
		ds, err := cl.SSODomains(c.Context())
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), map[string]any{"domains": ds})
		}
		tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DOMAIN\tVERIFIED\tBY\tCONNECTION")
		for _, d := range ds {
			fmt.Fprintf(tw, "%s\t%v\t%s\t%s\n", d.Domain, d.Verified(), d.VerifiedBy, d.Connection)
		}
		return tw.Flush()
	}
	return c
}

func newSSODomainRemoveCmd() *cobra.Command {
	c := &cobra.Command{Use: "remove DOMAIN", Short: "Remove a domain claim (not while a connection uses it)", Args: exactArgs(1)}
	c.RunE = func(c *cobra.Command, args []string) error {
		cl, _, err := connect()
		if err != nil {
			return err
		}
		return cl.DeleteSSODomain(c.Context(), args[0])
	}
	return c
}

// parseGroupRoles reads --group-role GROUP=WORKSPACE:ROLE and
// --group-admin GROUP.
func parseGroupRoles(roles, admins []string) ([]app.GroupRole, error) {
	var out []app.GroupRole
	for _, r := range roles {
		g, rest, ok1 := strings.Cut(r, "=")
		ws, role, ok2 := strings.Cut(rest, ":")
		if !ok1 || !ok2 || g == "" || ws == "" || role == "" {
			return nil, fmt.Errorf("--group-role %q: use GROUP=WORKSPACE_ID:ROLE (role owner, admin, user or viewer)", r)
		}
		out = append(out, app.GroupRole{Group: g, Workspace: ws, Role: role})
	}
	for _, g := range admins {
		out = append(out, app.GroupRole{Group: g, InstanceRole: app.RoleAdmin})
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func newSSOSaveCmd(update bool) *cobra.Command {
	var name, domains, metadataFile, preset, baseURL, mapEmail, mapName, mapGroups string
	var roles, admins []string
	var noJIT, noSync, allowPassword, noIdPInitiated, disabled, asJSON bool
	use, short := "create --name NAME --domain D[,D] --idp-metadata FILE|- [flags]", "Create a connection to an identity provider"
	if update {
		use, short = "update ID --name NAME --domain D[,D] [--idp-metadata FILE|-] [flags]", "Replace a connection's settings (the SP key and certificate stay)"
	}
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Long: short + `. The IdP metadata XML is read from a file (or - for stdin):
the server never fetches URLs. Every domain must have been verified by you.
Group roles map IdP groups (names, or object ids for Entra ID) to a workspace
role; --group-admin makes members of a group instance admins (and everyone
else members). Creating or changing a connection needs a sign-in within the
last 5 minutes (optiq reauth).`,
		Example: `  optiq admin sso create --name Okta --domain corp.example --idp-metadata okta.xml --preset okta \
      --group-role engineering=w_abc123:user --group-role eng-leads=w_abc123:admin --group-admin optiq-admins`,
	}
	if update {
		c.Args = exactArgs(1)
	} else {
		c.Args = exactArgs(0)
	}
	f := c.Flags()
	f.StringVar(&name, "name", "", "display name of the connection (required)")
	f.StringVar(&domains, "domain", "", "comma-separated verified e-mail domains (required)")
	f.StringVar(&metadataFile, "idp-metadata", "", "IdP metadata XML file, or - for stdin")
	f.StringVar(&preset, "preset", "", "attribute names preset: okta, entra-id or generic")
	f.StringVar(&baseURL, "base-url", "", "address users reach Optiq at (default: the server URL you are logged in to)")
	f.StringVar(&mapEmail, "map-email", "", "comma-separated attribute names for the e-mail address")
	f.StringVar(&mapName, "map-name", "", "comma-separated attribute names for the display name")
	f.StringVar(&mapGroups, "map-groups", "", "comma-separated attribute names for groups")
	f.StringArrayVar(&roles, "group-role", nil, "GROUP=WORKSPACE_ID:ROLE (repeatable)")
	f.StringArrayVar(&admins, "group-admin", nil, "GROUP whose members are instance admins (repeatable)")
	f.BoolVar(&noJIT, "no-jit", false, "do not create accounts on first sign-in")
	f.BoolVar(&noSync, "no-sync", false, "do not update name, memberships and roles at each sign-in")
	f.BoolVar(&allowPassword, "allow-password", false, "let users of these domains still sign in with a password")
	f.BoolVar(&noIdPInitiated, "no-idp-initiated", false, "refuse sign-ins started at the identity provider")
	f.BoolVar(&disabled, "disabled", false, "save the connection switched off")
	f.BoolVar(&asJSON, "json", false, "print as JSON")
	c.RunE = func(c *cobra.Command, args []string) error {
		if name == "" || domains == "" || (!update && metadataFile == "") {
			return usageError{fmt.Errorf("--name, --domain and --idp-metadata are required (see --help)")}
		}
		groups, err := parseGroupRoles(roles, admins)
		if err != nil {
			return usageError{err}
		}
		req := web.SSOConnectionRequest{Name: name, Domains: splitList(domains), Preset: preset, BaseURL: baseURL, GroupRoles: groups,
			Mapping: app.AttributeMapping{Email: splitList(mapEmail), Name: splitList(mapName), Groups: splitList(mapGroups)}}
		if metadataFile != "" {
			var b []byte
			if metadataFile == "-" {
				b, err = io.ReadAll(io.LimitReader(c.InOrStdin(), 1<<20))
			} else {
				b, err = os.ReadFile(metadataFile)
			}
			if err != nil {
				return fmt.Errorf("read IdP metadata: %w", err)
			}
			req.IdPMetadata = string(b)
		}
		t, fl := true, false
		pick := func(off bool) *bool {
			if off {
				return &fl
			}
			return &t
		}
		req.JIT, req.SyncOnLogin, req.AllowIdPInitiated, req.Enabled = pick(noJIT), pick(noSync), pick(noIdPInitiated), pick(disabled)
		req.AllowPassword = &allowPassword
		cl, _, err := connect()
		if err != nil {
			return err
		}
		id := ""
		if update {
			id = args[0]
		}
		conn, err := cl.SaveSSOConnection(c.Context(), id, req)
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), conn)
		}
		printConnection(c.OutOrStdout(), conn)
		return nil
	}
	return c
}

func printConnection(w io.Writer, c web.SSOConnectionResponse) {
	fmt.Fprintf(w, "Connection:   %s (%s)\n", c.ID, c.Name)
	fmt.Fprintf(w, "Enabled:      %v   JIT: %v   sync on login: %v   password sign-in: %v   IdP-initiated: %v\n",
		c.Enabled, c.JIT, c.SyncOnLogin, c.AllowPassword, c.AllowIdPInitiated)
	fmt.Fprintf(w, "Domains:      %s\n", strings.Join(c.Domains, ", "))
	fmt.Fprintf(w, "IdP:          %s\n", c.IdPEntityID)
	fmt.Fprintf(w, "Give the identity provider:\n  Entity ID / Audience:  %s\n  ACS / Reply URL:       %s\n  SP metadata:           %s\n",
		c.SPEntityID, c.ACSURL, c.SPMetadataURL)
	fmt.Fprintf(w, "Sign-in URL:  %s\n", c.LoginURL)
	fmt.Fprintf(w, "Attributes:   email=%s name=%s groups=%s\n", strings.Join(c.Mapping.Email, "|"), strings.Join(c.Mapping.Name, "|"), strings.Join(c.Mapping.Groups, "|"))
	for _, g := range c.Groups {
		if g.Workspace != "" {
			fmt.Fprintf(w, "Group role:   %s → %s in %s\n", g.Group, g.Role, g.Workspace)
		}
		if g.InstanceRole != "" {
			fmt.Fprintf(w, "Group role:   %s → instance %s\n", g.Group, g.InstanceRole)
		}
	}
}

func newSSOListCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{Use: "list [--json]", Short: "List SSO connections", Args: exactArgs(0)}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	c.RunE = func(c *cobra.Command, _ []string) error {
		cl, _, err := connect()
		if err != nil {
			return err
		}
		cs, err := cl.SSOConnections(c.Context())
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), map[string]any{"connections": cs})
		}
		tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tENABLED\tDOMAINS\tIDP")
		for _, x := range cs {
			fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\n", x.ID, x.Name, x.Enabled, strings.Join(x.Domains, ","), x.IdPEntityID)
		}
		return tw.Flush()
	}
	return c
}

func newSSOShowCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{Use: "show ID [--json]", Short: "Show a connection and what to give the identity provider", Args: exactArgs(1)}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	c.RunE = func(c *cobra.Command, args []string) error {
		cl, _, err := connect()
		if err != nil {
			return err
		}
		conn, err := cl.SSOConnection(c.Context(), args[0])
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), conn)
		}
		printConnection(c.OutOrStdout(), conn)
		return nil
	}
	return c
}

func newSSOMetadataCmd() *cobra.Command {
	var out string
	c := &cobra.Command{Use: "metadata ID [-o FILE]", Short: "Download the SP metadata XML to give the identity provider", Args: exactArgs(1)}
	c.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of stdout")
	c.RunE = func(c *cobra.Command, args []string) error {
		cl, _, err := connect()
		if err != nil {
			return err
		}
		b, err := cl.SSOMetadata(c.Context(), args[0])
		if err != nil {
			return err
		}
		if out == "" {
			_, err = c.OutOrStdout().Write(b)
			return err
		}
		return os.WriteFile(out, b, 0o644)
	}
	return c
}

func newSSODeleteCmd() *cobra.Command {
	c := &cobra.Command{Use: "delete ID", Short: "Delete a connection (its users keep their accounts)", Args: exactArgs(1)}
	c.RunE = func(c *cobra.Command, args []string) error {
		cl, _, err := connect()
		if err != nil {
			return err
		}
		return cl.DeleteSSOConnection(c.Context(), args[0])
	}
	return c
}
