package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newWorkspaceCmd() *cobra.Command {
	c := &cobra.Command{Use: "workspace", Short: "List workspaces and create team workspaces"}
	var asJSON bool
	list := &cobra.Command{Use: "list [--json]", Short: "List your workspaces and your role in each", Args: exactArgs(0)}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	list.RunE = func(c *cobra.Command, _ []string) error {
		cl, _, err := connect()
		if err != nil {
			return err
		}
		wss, err := cl.Workspaces(c.Context())
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), map[string]any{"workspaces": wss})
		}
		tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE")
		for _, w := range wss {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", w.ID, w.Name, w.Role)
		}
		return tw.Flush()
	}
	var createJSON bool
	create := &cobra.Command{Use: "create NAME [--json]", Short: "Create a team workspace that you own", Args: exactArgs(1)}
	create.Flags().BoolVar(&createJSON, "json", false, "print JSON")
	create.RunE = func(c *cobra.Command, args []string) error {
		cl, _, err := connect()
		if err != nil {
			return err
		}
		w, err := cl.CreateWorkspace(c.Context(), args[0])
		if err != nil {
			return err
		}
		if createJSON {
			return printJSON(c.OutOrStdout(), w)
		}
		fmt.Fprintf(c.OutOrStdout(), "created workspace %s (%s)\n", w.Name, w.ID)
		return nil
	}
	c.AddCommand(list, create)
	return c
}

func newMembersCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "members",
		Short: "Manage who can use a workspace: owner, admin, user (index and search) or viewer (search)",
	}

	var asJSON bool
	list := &cobra.Command{Use: "list [--workspace WS] [--json]", Short: "List members", Args: exactArgs(0)}
	listWS := workspaceFlag(list)
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	list.RunE = func(c *cobra.Command, _ []string) error {
		cl, cfg, err := connect()
		if err != nil {
			return err
		}
		ms, err := cl.Members(c.Context(), listWS(cfg))
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), map[string]any{"members": ms})
		}
		tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USER\tEMAIL\tROLE")
		for _, m := range ms {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", m.UserID, m.Email, m.Role)
		}
		return tw.Flush()
	}

	var addRole string
	add := &cobra.Command{Use: "add EMAIL [--role ROLE] [--workspace WS]", Short: "Add an existing user by e-mail address", Args: exactArgs(1)}
	addWS := workspaceFlag(add)
	add.Flags().StringVar(&addRole, "role", "user", "owner, admin, user or viewer")
	add.RunE = func(c *cobra.Command, args []string) error {
		cl, cfg, err := connect()
		if err != nil {
			return err
		}
		m, err := cl.AddMember(c.Context(), addWS(cfg), args[0], addRole)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.OutOrStdout(), "added %s (%s) as %s\n", m.Email, m.UserID, m.Role)
		return nil
	}

	role := &cobra.Command{Use: "role USER-ID ROLE [--workspace WS]", Short: "Change a member's role (needs a recent sign-in)", Args: exactArgs(2)}
	roleWS := workspaceFlag(role)
	role.RunE = func(c *cobra.Command, args []string) error {
		cl, cfg, err := connect()
		if err != nil {
			return err
		}
		if err := cl.SetMemberRole(c.Context(), roleWS(cfg), args[0], args[1]); err != nil {
			return err
		}
		fmt.Fprintf(c.OutOrStdout(), "%s is now %s\n", args[0], args[1])
		return nil
	}

	remove := &cobra.Command{Use: "remove USER-ID [--workspace WS]", Short: "Remove a member", Args: exactArgs(1)}
	removeWS := workspaceFlag(remove)
	remove.RunE = func(c *cobra.Command, args []string) error {
		cl, cfg, err := connect()
		if err != nil {
			return err
		}
		if err := cl.RemoveMember(c.Context(), removeWS(cfg), args[0]); err != nil {
			return err
		}
		fmt.Fprintf(c.OutOrStdout(), "removed %s\n", args[0])
		return nil
	}
	c.AddCommand(list, add, role, remove)
	return c
}
