package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/optiq/optiq/app"
)

func TestSecretNeverPrints(t *testing.T) {
	s := app.Secret("hunter2-very-secret")
	type holder struct {
		User string
		Pass app.Secret
	}
	h := holder{"ada", s}
	var outs []string
	for _, f := range []string{"%s", "%v", "%+v", "%#v", "%q", "%x", "%d"} {
		outs = append(outs, fmt.Sprintf(f, s), fmt.Sprintf(f, h))
	}
	outs = append(outs, s.String(), fmt.Sprint(s), fmt.Sprintln(&h))
	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "pass", s, "holder", h)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "pass", s)
	outs = append(outs, buf.String())
	for _, o := range outs {
		if strings.Contains(o, "hunter2") {
			t.Errorf("secret leaked: %s", o)
		}
	}
	if !strings.Contains(string(j), `"Pass":"[REDACTED]"`) {
		t.Errorf("JSON: %s", j)
	}
	if s.Reveal() != "hunter2-very-secret" {
		t.Fatal("Reveal lost the value")
	}
	// Decoding still works (config files, environment).
	var back struct{ Pass app.Secret }
	if err := json.Unmarshal([]byte(`{"Pass":"abc"}`), &back); err != nil || back.Pass.Reveal() != "abc" {
		t.Fatalf("decode: %v %q", err, back.Pass.Reveal())
	}
}

func TestRedactingHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(app.RedactingHandler(slog.NewJSONHandler(&buf, nil)))
	log = log.With("session_token", "tok-with-attrs")
	log.Info("login with Bearer abc.def-ghi",
		"password", "pw-plain",
		"Authorization", "Basic dXNlcjpwdw==",
		"cookie", "__Host-optiq=cookie-value",
		"client_secret", 123456789012345,
		"detail", "key optiq_k3j5abcd_s3cr3tpart used",
		"error", errors.New("bad token optiq_abc_def123"),
		slog.Group("req", "api_key", "grouped-key", "path", "/api/v1/me"),
		"user", "ada@example.com",
	)
	out := buf.String()
	for _, leak := range []string{"tok-with-attrs", "pw-plain", "dXNlcjpwdw", "cookie-value", "123456789012345", "s3cr3tpart", "def123", "grouped-key", "abc.def-ghi"} {
		if strings.Contains(out, leak) {
			t.Errorf("%q leaked: %s", leak, out)
		}
	}
	for _, keep := range []string{`"user":"ada@example.com"`, `"path":"/api/v1/me"`, `"password":"[REDACTED]"`} {
		if !strings.Contains(out, keep) {
			t.Errorf("lost %s: %s", keep, out)
		}
	}
	for _, k := range []string{"password", "X-CSRF-Token", "totp_seed", "sms_otp"} {
		if !app.SecretKey(k) {
			t.Errorf("%s not secret", k)
		}
	}
	for _, k := range []string{"user", "route", "status", "data_dir", "master_key_file"} {
		if app.SecretKey(k) {
			t.Errorf("%s secret", k)
		}
	}
}
