package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func newMFACmd() *cobra.Command {
	c := &cobra.Command{Use: "mfa", Short: "Multi-factor authentication: authenticator app, SMS, backup codes"}

	var asJSON bool
	status := &cobra.Command{Use: "status [--json]", Short: "Show your second factors", Args: exactArgs(0)}
	status.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	status.RunE = func(c *cobra.Command, _ []string) error {
		cl, _, err := connect()
		if err != nil {
			return err
		}
		st, err := cl.MFAStatus(c.Context())
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), st)
		}
		fmt.Fprintf(c.OutOrStdout(), "authenticator app: %v\nsms: %v\nbackup codes left: %d\nrequired on this server: %v\n", st.TOTP, st.SMS, st.BackupCodesLeft, st.Required)
		return nil
	}

	var qrFile string
	var enrolJSON bool
	enrol := &cobra.Command{
		Use:   "enrol [--qr FILE.png] [--json]",
		Short: "Start adding an authenticator app; finish with optiq mfa confirm CODE",
		Args:  exactArgs(0),
	}
	enrol.Flags().StringVar(&qrFile, "qr", "", "write the QR code to this PNG file")
	enrol.Flags().BoolVar(&enrolJSON, "json", false, "print JSON (secret, otpauth URI, QR PNG)")
	enrol.RunE = func(c *cobra.Command, _ []string) error {
		cl, _, err := connect()
		if err != nil {
			return err
		}
		e, err := cl.EnrolTOTP(c.Context())
		if err != nil {
			return err
		}
		if qrFile != "" {
			if err := os.WriteFile(qrFile, e.QRPNG, 0o600); err != nil {
				return err
			}
		}
		if enrolJSON {
			return printJSON(c.OutOrStdout(), e)
		}
		fmt.Fprintf(c.OutOrStdout(), "Add this to your authenticator app (scan the QR code%s or enter the secret):\n%s\nsecret: %s\nThen run: optiq mfa confirm CODE\n",
			map[bool]string{true: " in " + qrFile, false: ""}[qrFile != ""], e.URI, e.Secret)
		return nil
	}

	var phone string
	sms := &cobra.Command{Use: "sms --phone +NUMBER", Short: "Add a phone for SMS codes; finish with optiq mfa confirm --sms CODE", Args: exactArgs(0)}
	sms.Flags().StringVar(&phone, "phone", "", "phone number in international form (+4915123456789)")
	sms.RunE = func(c *cobra.Command, _ []string) error {
		if phone == "" {
			return usageError{fmt.Errorf("--phone is required")}
		}
		cl, _, err := connect()
		if err != nil {
			return err
		}
		if err := cl.EnrolSMS(c.Context(), phone); err != nil {
			return err
		}
		fmt.Fprintln(c.OutOrStdout(), "a code is on its way: run optiq mfa confirm --sms CODE")
		return nil
	}

	var viaSMS bool
	confirm := &cobra.Command{Use: "confirm CODE [--sms]", Short: "Finish enrolment with a code; prints backup codes the first time", Args: exactArgs(1)}
	confirm.Flags().BoolVar(&viaSMS, "sms", false, "the code came by SMS")
	confirm.RunE = func(c *cobra.Command, args []string) error {
		cl, _, err := connect()
		if err != nil {
			return err
		}
		var codes []string
		if viaSMS {
			codes, err = cl.ConfirmSMS(c.Context(), args[0])
		} else {
			codes, err = cl.ConfirmTOTP(c.Context(), args[0])
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(c.ErrOrStderr(), "MFA is on.")
		printBackupCodes(c, codes)
		return nil
	}

	disable := &cobra.Command{Use: "disable", Short: "Remove every second factor (needs a recent sign-in)", Args: exactArgs(0)}
	disable.RunE = func(c *cobra.Command, _ []string) error {
		cl, _, err := connect()
		if err != nil {
			return err
		}
		if err := cl.DisableMFA(c.Context()); err != nil {
			return err
		}
		fmt.Fprintln(c.OutOrStdout(), "MFA is off.")
		return nil
	}

	backup := &cobra.Command{Use: "backup-codes", Short: "Replace your backup codes (needs a recent sign-in)", Args: exactArgs(0)}
	backup.RunE = func(c *cobra.Command, _ []string) error {
		cl, _, err := connect()
		if err != nil {
			return err
		}
		codes, err := cl.RegenerateBackupCodes(c.Context())
		if err != nil {
			return err
		}
		printBackupCodes(c, codes)
		return nil
	}
	c.AddCommand(status, enrol, sms, confirm, disable, backup)
	return c
}

func printBackupCodes(c *cobra.Command, codes []string) {
	if len(codes) == 0 {
		return
	}
	fmt.Fprintln(c.ErrOrStderr(), "Backup codes (each works once; keep them somewhere safe, they are not shown again):")
	for _, code := range codes {
		fmt.Fprintln(c.OutOrStdout(), code)
	}
}
