package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/web"
)

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newLoginCmd() *cobra.Command {
	var email, fingerprint, caFile, code, method string
	var pwStdin, tofu, noBrowser bool
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "login URL [--email EMAIL --password-stdin [--code CODE]] [--fingerprint SHA256:HEX | --ca-file FILE | --trust-on-first-use]",
		Short: "Sign in to an Optiq server and pin its certificate",
		Long: `Sign in and store the session token and the server's certificate pin under
$OPTIQ_CONFIG_DIR (default ~/.config/optiq), readable only by you.

Without --password-stdin, login opens the server's sign-in page in your browser
(or prints its address) and receives the result on a loopback address of this
computer (OAuth 2.0 authorization code with PKCE). With --password-stdin it
signs in directly; accounts with MFA then need --code (an authenticator code,
or a backup code with --method backup).

The CLI talks only to a server it can verify: pass the fingerprint printed by
optiq serve, a CA bundle, or --trust-on-first-use to pin whatever certificate
the server presents now (like ssh).`,
		Example: `  optiq login https://optiq.example.com:8443 --fingerprint SHA256:3f2a…
  echo "$PASSWORD" | optiq login https://optiq.example.com:8443 --email ada@example.com --password-stdin --code 123456 --fingerprint SHA256:3f2a…`,
		Args: exactArgs(1),
	}
	c.Flags().StringVar(&email, "email", "", "e-mail address (with --password-stdin)")
	c.Flags().BoolVar(&pwStdin, "password-stdin", false, "sign in with a password read from standard input instead of the browser")
	c.Flags().StringVar(&code, "code", "", "MFA code, when the account has MFA (with --password-stdin)")
	c.Flags().StringVar(&method, "method", "totp", "MFA method of --code: totp, sms or backup")
	c.Flags().StringVar(&fingerprint, "fingerprint", "", "expected server certificate SHA-256 fingerprint")
	c.Flags().StringVar(&caFile, "ca-file", "", "PEM bundle of CAs to trust instead of a pin")
	c.Flags().BoolVar(&tofu, "trust-on-first-use", false, "pin the certificate the server presents now")
	c.Flags().BoolVar(&noBrowser, "no-browser", false, "print the sign-in address instead of opening a browser")
	c.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for the browser sign-in")
	c.RunE = func(c *cobra.Command, args []string) error {
		server := args[0]
		if pwStdin && email == "" {
			return usageError{fmt.Errorf("--password-stdin needs --email (see optiq login --help)")}
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
		cl, err := web.NewClient(server, web.ClientOptions{Fingerprint: fingerprint, CAFile: caFile})
		if err != nil {
			return err
		}
		var token, refresh string
		if pwStdin {
			pw, err := readSecretStdin(c.InOrStdin())
			if err != nil {
				return err
			}
			res, err := cl.Login(c.Context(), email, pw)
			if err != nil {
				return err
			}
			if res.MFARequired {
				if code == "" {
					return usageError{fmt.Errorf("this account has MFA: pass --code with a code from your authenticator app (or --method backup --code BACKUP-CODE)")}
				}
				if res, err = cl.LoginMFA(c.Context(), res.Challenge, method, code); err != nil {
					return err
				}
			}
			if res.EnrolRequired {
				fmt.Fprintln(c.ErrOrStderr(), "this server requires MFA: enrol now with `optiq mfa enrol`; nothing else works until you do")
			}
			token = res.Token
		} else {
			t, err := oauthLogin(c.Context(), cl, server, c.ErrOrStderr(), !noBrowser, timeout)
			if err != nil {
				return err
			}
			token, refresh = t.AccessToken, t.RefreshToken
		}
		authed, err := web.NewClient(server, web.ClientOptions{Fingerprint: fingerprint, CAFile: caFile, Token: app.Secret(token)})
		if err != nil {
			return err
		}
		me, err := authed.Me(c.Context())
		if err != nil {
			return err
		}
		cfg := clientConfig{Server: server, Fingerprint: fingerprint, CAFile: caFile, Token: token, UserID: me.UserID}
		for _, w := range me.Workspaces {
			if w.Personal {
				cfg.Workspace = w.ID
			}
		}
		if err := saveClientConfig(cfg); err != nil {
			return err
		}
		if refresh != "" {
			if err := saveRefreshToken(refresh); err != nil {
				return err
			}
		}
		fmt.Fprintf(c.OutOrStdout(), "signed in to %s as %s\n", server, me.Email)
		return nil
	}
	return c
}

// saveRefreshToken keeps the OAuth refresh token beside the client config.
func saveRefreshToken(tok string) error {
	dir, err := configDir()
	if err != nil {
		return err
	}
	return writePrivate(dir+"/refresh-token", []byte(tok+"\n"))
}

func pkceVerifier() (verifier, challenge string) {
	var b [32]byte
	rand.Read(b[:])
	verifier = base64.RawURLEncoding.EncodeToString(b[:])
	h := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(h[:])
}

// oauthLogin runs the authorization code flow with PKCE: a loopback
// listener on 127.0.0.1 receives the code from the browser.
func oauthLogin(ctx context.Context, cl *web.Client, server string, console io.Writer, openBrowser bool, timeout time.Duration) (app.OAuthTokens, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return app.OAuthTokens{}, fmt.Errorf("open a loopback port for the sign-in: %w", err)
	}
	defer ln.Close()
	redirect := "http://" + ln.Addr().String() + "/callback"
	verifier, challenge := pkceVerifier()
	state := randomState()
	type result struct {
		code string
		err  error
	}
	got := make(chan result, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		var res result
		switch {
		case q.Get("state") != state:
			res.err = errors.New("the sign-in answer did not carry this login's state: try again")
		case q.Get("error") != "":
			res.err = fmt.Errorf("sign-in refused: %s", q.Get("error"))
		case q.Get("code") == "":
			res.err = errors.New("the sign-in answer carried no code")
		default:
			res.code = q.Get("code")
		}
		if res.err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintln(w, "Optiq sign-in failed:", res.err)
		} else {
			fmt.Fprintln(w, "Signed in to Optiq. You can close this window and return to the terminal.")
		}
		select {
		case got <- res:
		default:
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()

	u := server + "/oauth/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {web.CLIClientID}, "redirect_uri": {redirect},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {state},
	}.Encode()
	fmt.Fprintf(console, "To sign in, open this address in a browser:\n%s\n", u)
	if openBrowser {
		launchBrowser(u)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var res result
	select {
	case res = <-got:
	case <-ctx.Done():
		return app.OAuthTokens{}, errors.New("no sign-in within the time allowed: run optiq login again")
	}
	if res.err != nil {
		return app.OAuthTokens{}, res.err
	}
	return cl.OAuthToken(ctx, map[string]string{"grant_type": "authorization_code", "code": res.code, "code_verifier": verifier,
		"client_id": web.CLIClientID, "redirect_uri": redirect})
}

func randomState() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// launchBrowser opens u in the desktop's browser when there is a desktop.
func launchBrowser(u string) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return
		}
		cmd = exec.Command("xdg-open", u)
	}
	if cmd.Start() == nil {
		go cmd.Wait()
	}
}

func newLogoutCmd() *cobra.Command {
	var everywhere bool
	c := &cobra.Command{
		Use:   "logout [--everywhere]",
		Short: "Revoke the stored session and forget it",
		Args:  exactArgs(0),
	}
	c.Flags().BoolVar(&everywhere, "everywhere", false, "end every session and CLI login of your account (API keys stay)")
	c.RunE = func(c *cobra.Command, _ []string) error {
		cl, cfg, err := connect()
		if err != nil {
			return err
		}
		if everywhere {
			if err := cl.LogoutEverywhere(c.Context()); err != nil {
				return err
			}
		} else if err := cl.Logout(c.Context()); err != nil {
			fmt.Fprintln(c.ErrOrStderr(), "warning: the server did not confirm the logout:", err)
		}
		cfg.Token = ""
		if dir, err := configDir(); err == nil {
			os.Remove(dir + "/refresh-token")
		}
		return saveClientConfig(cfg)
	}
	return c
}

func newReauthCmd() *cobra.Command {
	var code, method string
	c := &cobra.Command{
		Use:   "reauth --password-stdin [--code CODE]",
		Short: "Confirm it is you before a sensitive operation (valid 5 minutes)",
		Long: `Disabling MFA, regenerating backup codes, creating API keys, changing roles and
deleting accounts need a sign-in within the last 5 minutes. reauth checks your
password (and MFA code, if enrolled) and refreshes the stored login.`,
		Example: `  echo "$PASSWORD" | optiq reauth --password-stdin --code 123456`,
		Args:    exactArgs(0),
	}
	var pwStdin bool
	c.Flags().BoolVar(&pwStdin, "password-stdin", false, "read the password from standard input (required)")
	c.Flags().StringVar(&code, "code", "", "MFA code, if the account has MFA")
	c.Flags().StringVar(&method, "method", "totp", "MFA method of --code: totp, sms or backup")
	c.RunE = func(c *cobra.Command, _ []string) error {
		if !pwStdin {
			return usageError{fmt.Errorf("--password-stdin is required")}
		}
		pw, err := readSecretStdin(c.InOrStdin())
		if err != nil {
			return err
		}
		cl, _, err := connect()
		if err != nil {
			return err
		}
		if err := cl.Reauth(c.Context(), pw, method, code); err != nil {
			return err
		}
		fmt.Fprintln(c.OutOrStdout(), "confirmed for the next 5 minutes")
		return nil
	}
	return c
}
