package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/optiq/optiq/backup"
)

func newBackupCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "backup",
		Short: "Make, list and verify backups of a data directory",
		Long: `Backups are consistent online snapshots of control.db and every workspace's
data.db in DATA/backups/<UTC time>/, each integrity-checked, with a manifest of
SHA-256 sums, optionally encrypted to an age recipient (backup_age_recipient in
the config). optiq serve makes them on a schedule (backup_interval, default
24h) and keeps them for backup_retention (default 7d). These commands work on
the data directory directly, with the server running or not.

The master key is not in the data directory and not in backups: keep a copy of
it (e.g. /etc/optiq/master.key) somewhere safe, or restored account data
(TOTP seeds, SSO settings, e-mail addresses) cannot be read.`,
	}
	c.AddCommand(newBackupNowCmd(), newBackupListCmd(), newBackupVerifyCmd())
	return c
}

func newBackupNowCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "now [--data DIR] [--config FILE] [--json]",
		Short: "Back up the data directory now, then remove backups older than the retention",
		Args:  exactArgs(0),
	}
	load := serverFlags(c)
	var asJSON bool
	c.Flags().BoolVar(&asJSON, "json", false, "print the backup's manifest as JSON")
	c.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := load()
		if err != nil {
			return usageError{err}
		}
		set, err := cfg.resolve()
		if err != nil {
			return usageError{err}
		}
		b, err := backup.Create(c.Context(), cfg.DataDir, backup.Options{Recipient: cfg.BackupAgeRecipient})
		if err != nil {
			return err
		}
		pruned, err := backup.Prune(cfg.DataDir, set.backupKeep, time.Now())
		if err != nil {
			return fmt.Errorf("backup %s made, but removing old backups failed: %w", b.Name, err)
		}
		// Run as root on the service's data, the new files must stay
		// writable by the service, or its next scheduled backup fails.
		if err := matchOwner(cfg.DataDir, "backups"); err != nil {
			return fmt.Errorf("backup %s made, but could not give it to the data directory's owner: %w (chown -R it)", b.Name, err)
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), map[string]any{"backup": b, "pruned": pruned})
		}
		enc := ""
		if b.Encrypted {
			enc = ", encrypted"
		}
		fmt.Fprintf(c.OutOrStdout(), "backup %s: %d file(s), %d bytes%s, integrity checked\n%s\n", b.Name, len(b.Files), b.Bytes, enc, b.Dir)
		for _, p := range pruned {
			fmt.Fprintf(c.OutOrStdout(), "removed old backup %s\n", p)
		}
		return nil
	}
	return c
}

func newBackupListCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "list [--data DIR] [--json]",
		Short: "List the complete backups of a data directory, oldest first",
		Args:  exactArgs(0),
	}
	load := serverFlags(c)
	var asJSON bool
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := load()
		if err != nil {
			return usageError{err}
		}
		list, err := backup.List(cfg.DataDir)
		if err != nil {
			return err
		}
		if asJSON {
			if list == nil {
				list = []backup.Info{}
			}
			return printJSON(c.OutOrStdout(), map[string]any{"backups": list})
		}
		if len(list) == 0 {
			fmt.Fprintf(c.OutOrStdout(), "no backups in %s: make one with optiq backup now --data %s\n", backup.Dir(cfg.DataDir), cfg.DataDir)
			return nil
		}
		w := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tCREATED\tFILES\tBYTES\tENCRYPTED")
		for _, b := range list {
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%v\n", b.Name, b.Created.Format(time.RFC3339), len(b.Files), b.Bytes, b.Encrypted)
		}
		return w.Flush()
	}
	return c
}

// backupDir resolves a backup argument: a directory, or the name of a
// backup of the data directory ("" = the newest).
func backupDir(dataDir, arg string) (string, error) {
	if arg == "" {
		b, ok, err := backup.Latest(dataDir)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", fmt.Errorf("no backups in %s: name a backup directory, or pass --data", backup.Dir(dataDir))
		}
		return b.Dir, nil
	}
	if fi, err := os.Stat(arg); err == nil && fi.IsDir() {
		return arg, nil
	}
	dir := filepath.Join(backup.Dir(dataDir), arg)
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("no backup %q (neither a directory nor a backup in %s): see optiq backup list", arg, backup.Dir(dataDir))
	}
	return dir, nil
}

func loadIdentities(file string) ([]age.Identity, error) {
	if file == "" {
		return nil, nil
	}
	return backup.LoadIdentities(file)
}

func newBackupVerifyCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "verify [NAME|DIR] [--data DIR] [--identity FILE] [--json]",
		Short: "Check a backup (default: the newest): checksums, completeness and SQLite integrity",
		Long: `Recompute the SHA-256 of every file against the manifest, refuse missing and
unexpected files, and run PRAGMA integrity_check on every database. Encrypted
backups are decrypted to a temporary directory for the integrity check when
--identity names the age identity file; without it only checksums are checked.
Exit status 1 if the backup is damaged.`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("verify takes at most one backup name or directory, got %d (see %s --help)", len(args), c.CommandPath())}
			}
			return nil
		},
	}
	load := serverFlags(c)
	var asJSON bool
	var identity string
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().StringVar(&identity, "identity", "", "age identity file for encrypted backups")
	c.RunE = func(c *cobra.Command, args []string) error {
		cfg, err := load()
		if err != nil {
			return usageError{err}
		}
		arg := ""
		if len(args) == 1 {
			arg = args[0]
		}
		dir, err := backupDir(cfg.DataDir, arg)
		if err != nil {
			return err
		}
		ids, err := loadIdentities(identity)
		if err != nil {
			return usageError{err}
		}
		m, checked, err := backup.Verify(c.Context(), dir, ids)
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), map[string]any{"dir": dir, "ok": true, "integrity_checked": checked, "manifest": m})
		}
		how := "checksums and SQLite integrity verified"
		if !checked {
			how = "checksums verified; encrypted, so SQLite integrity not checked (pass --identity to check it)"
		}
		fmt.Fprintf(c.OutOrStdout(), "backup %s is intact: %d file(s), %s\n", dir, len(m.Files), how)
		return nil
	}
	return c
}

func newRestoreCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "restore --from DIR --data DIR [--identity FILE]",
		Short: "Restore a backup into the data directory of a stopped server",
		Long: `Verify the backup in --from, then replace the data directory's control.db and
workspace databases with it. The server must be stopped (systemctl stop optiq):
restore refuses a data directory a server holds. The former databases are moved
to DATA/.pre-restore-<time>/, not deleted; delete them once the restored server
works. Search indexes are not in backups: each workspace rebuilds its index
from its database when it is next opened. The server needs the same master
key as when the backup was made.`,
		Args: exactArgs(0),
	}
	load := serverFlags(c)
	var from, identity string
	var asJSON bool
	c.Flags().StringVar(&from, "from", "", "backup directory to restore (see optiq backup list)")
	c.Flags().StringVar(&identity, "identity", "", "age identity file, for an encrypted backup")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.RunE = func(c *cobra.Command, _ []string) error {
		if from == "" {
			return usageError{errors.New("--from DIR is required: the backup directory to restore (see optiq backup list --data DIR)")}
		}
		if !c.Flags().Changed("data") {
			// Never guess which data directory to overwrite.
			return usageError{errors.New("--data DIR is required: the data directory of the stopped server (e.g. /var/lib/optiq)")}
		}
		cfg, err := load()
		if err != nil {
			return usageError{err}
		}
		ids, err := loadIdentities(identity)
		if err != nil {
			return usageError{err}
		}
		if fi, err := os.Stat(from); err != nil || !fi.IsDir() {
			return usageError{fmt.Errorf("--from %s is not a backup directory: see optiq backup list --data DIR", from)}
		}
		r, err := backup.Restore(c.Context(), from, cfg.DataDir, ids)
		if err != nil {
			return err
		}
		if err := matchOwner(cfg.DataDir, "control.db", "tenants", ".lock"); err != nil {
			return fmt.Errorf("restored, but could not give the files to the data directory's owner: %w (chown -R them before starting the server)", err)
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), r)
		}
		fmt.Fprintf(c.OutOrStdout(), "restored %s (%d file(s)) into %s\n", from, len(r.Manifest.Files), cfg.DataDir)
		if r.Previous != "" {
			fmt.Fprintf(c.OutOrStdout(), "the former databases are in %s: delete them once the server works\n", r.Previous)
		}
		fmt.Fprintln(c.OutOrStdout(), "search indexes are rebuilt as workspaces are opened; start the server now (systemctl start optiq)")
		return nil
	}
	return c
}

// matchOwner gives the named entries of the data directory (recursively)
// to the directory's owner, so that a restore or backup run as root leaves
// files the service user can open.
func matchOwner(dataDir string, names ...string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(dataDir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nil
	}
	var errs []error
	for _, name := range names {
		filepath.Walk(filepath.Join(dataDir, name), func(p string, _ os.FileInfo, err error) error {
			if err == nil {
				err = os.Lchown(p, int(st.Uid), int(st.Gid))
			}
			if err != nil {
				errs = append(errs, err)
			}
			return nil
		})
	}
	return errors.Join(errs...)
}
