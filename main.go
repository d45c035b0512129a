// Command optiq is the Optiq code-search appliance: the server (optiq serve)
// and the CLI that indexes repositories with client-side encryption and
// searches them, in one static binary.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/optiq/optiq/app"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes scripts can rely on.
const (
	exitOK       = 0
	exitError    = 1 // anything else
	exitUsage    = 2 // bad flags or arguments
	exitAuth     = 3 // not signed in, or credential refused
	exitNotFound = 4 // the thing asked for does not exist
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns its exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "optiq:", err)
	var ue usageError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case app.ErrorCode(err) == app.EUNAUTHENTICATED || app.ErrorCode(err) == app.EFORBIDDEN || app.ErrorCode(err) == app.EREAUTH:
		return exitAuth
	case app.ErrorCode(err) == app.ENOTFOUND:
		return exitNotFound
	}
	return exitError
}

// usageError marks errors in how a command was called.
type usageError struct{ error }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "optiq",
		Short: "Self-hosted code search with client-side encryption",
		Long: `Optiq indexes code on your machine, encrypts it with a per-repo key that never
leaves the client, and searches symbols, paths and meaning on a server that
stores only ciphertext.

Start a server:      optiq serve
Create the admin:    optiq admin create-user --email you@example.com --role admin --password-stdin
Sign in:             optiq login https://127.0.0.1:8443 --email you@example.com --password-stdin --trust-on-first-use
Index and search:    optiq repo create myrepo && optiq index . --repo myrepo && optiq search Handler`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
	})
	root.AddCommand(
		newServeCmd(),
		newAdminCmd(),
		newLoginCmd(),
		newLogoutCmd(),
		newRepoCmd(),
		newIndexCmd(),
		newSearchCmd(),
		newShowCmd(),
		newSymbolsCmd(),
		newKeyCmd(),
		newReauthCmd(), newMFACmd(), newAPIKeyCmd(), newAuditCmd(), newWorkspaceCmd(), newMembersCmd(),
		newBackupCmd(), newRestoreCmd(), newConfigCmd(),
	)
	return root
}

// exactArgs is cobra.ExactArgs with a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(c, args); err != nil {
			return usageError{fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
		}
		return nil
	}
}
