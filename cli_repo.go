package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/seal"
	"github.com/optiq/optiq/web"
)

// workspaceFlag adds --workspace and returns a resolver that falls back to
// the signed-in user's personal workspace.
func workspaceFlag(c *cobra.Command) func(clientConfig) string {
	var ws string
	c.Flags().StringVar(&ws, "workspace", "", "workspace name or id (default: your personal workspace)")
	return func(cfg clientConfig) string {
		switch {
		case ws != "":
			return ws
		case cfg.Workspace != "":
			return cfg.Workspace
		}
		return "personal"
	}
}

func newRepoCmd() *cobra.Command {
	c := &cobra.Command{Use: "repo", Short: "Create, list and delete repositories"}
	c.AddCommand(newRepoCreateCmd(), newRepoListCmd(), newRepoDeleteCmd())
	return c
}

func newRepoCreateCmd() *cobra.Command {
	var noEmb, asJSON bool
	c := &cobra.Command{
		Use:   "create NAME",
		Short: "Register a repository and generate its encryption key on this machine",
		Long: `Register a repository. Its 256-bit key is generated here and kept in
$OPTIQ_CONFIG_DIR/keys; the server receives only a key check value, never the
key. Share the key with teammates with optiq key export / import.`,
		Args: exactArgs(1),
	}
	ws := workspaceFlag(c)
	c.Flags().BoolVar(&noEmb, "no-embeddings", false, "never upload embeddings for this repo (they can leak meaning)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the repo as JSON")
	c.RunE = func(c *cobra.Command, args []string) error {
		cl, cfg, err := connect()
		if err != nil {
			return err
		}
		k := seal.NewRepoKey()
		repo, err := cl.CreateRepo(c.Context(), ws(cfg), web.CreateRepoRequest{Name: args[0], KeyCheck: seal.KeyCheck(k), NoEmbeddings: noEmb})
		if err != nil {
			return err
		}
		if err := saveRepoKey(repo.ID, k); err != nil {
			return fmt.Errorf("repo %s was created but its key could not be saved (%w): delete it with `optiq repo delete %s` and try again", repo.Name, err, repo.Name)
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), repo)
		}
		fmt.Fprintf(c.OutOrStdout(), "created repo %s (%s); its key is in your key store: back it up with `optiq key export %s`\n", repo.Name, repo.ID, repo.Name)
		return nil
	}
	return c
}

func newRepoListCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{Use: "list", Short: "List repositories", Args: exactArgs(0)}
	ws := workspaceFlag(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.RunE = func(c *cobra.Command, _ []string) error {
		cl, cfg, err := connect()
		if err != nil {
			return err
		}
		repos, err := cl.Repos(c.Context(), ws(cfg))
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), map[string]any{"repos": repos})
		}
		tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tFILES\tSYMBOLS\tBYTES\tINDEXED\tSEMANTIC")
		for _, r := range repos {
			indexed := "never"
			if !r.IndexedAt.IsZero() {
				indexed = r.IndexedAt.Local().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\n", r.Name, r.Files, r.Symbols, r.Bytes, indexed, semanticStatus(r))
		}
		return tw.Flush()
	}
	return c
}

func newRepoDeleteCmd() *cobra.Command {
	c := &cobra.Command{Use: "delete NAME", Short: "Delete a repository and everything indexed from it", Args: exactArgs(1)}
	ws := workspaceFlag(c)
	c.RunE = func(c *cobra.Command, args []string) error {
		cl, cfg, err := connect()
		if err != nil {
			return err
		}
		if err := cl.DeleteRepo(c.Context(), ws(cfg), args[0]); err != nil {
			return err
		}
		fmt.Fprintf(c.OutOrStdout(), "deleted repo %s\n", args[0])
		return nil
	}
	return c
}

// semanticStatus says whether a repo can be searched by meaning.
func semanticStatus(r app.Repo) string {
	switch {
	case r.ModelID != "":
		return "on"
	case r.NoEmbedding:
		return "off (--no-embeddings)"
	case r.IndexedAt.IsZero():
		return "-"
	}
	return "no model yet"
}
