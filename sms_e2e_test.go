package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/web"
)

var smsCodeRE = regexp.MustCompile(`code is (\d{6})`)

func lastSMSCode(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m := smsCodeRE.FindAllStringSubmatch(string(b), -1)
	if len(m) == 0 {
		t.Fatalf("no code in %s", b)
	}
	return m[len(m)-1][1]
}

func TestSMSSignInThroughTheFileSender(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sms.jsonl")
	t.Setenv("OPTIQ_SMS_FILE", file)
	ts := startServer(t)
	ada := newUser(t, ts, "ada@example.com", app.RoleMember)
	ada.ok("", "mfa", "sms", "--phone", "+4915123456789")
	if r := ada.run("", "mfa", "confirm", "--sms", "000000"); r.code == 0 {
		t.Fatal("wrong SMS code accepted")
	}
	codes := strings.Fields(ada.ok("", "mfa", "confirm", "--sms", lastSMSCode(t, file)))
	if len(codes) != 10 {
		t.Fatalf("backup codes: %q", codes)
	}
	cl, err := web.NewClient(ts.url, web.ClientOptions{Fingerprint: ts.fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := cl.Login(ctx, "ada@example.com", "a long enough passphrase for ada@example.com")
	if err != nil || !res.MFARequired || res.Token != "" {
		t.Fatalf("password step: %+v %v", res, err)
	}
	if err := cl.SendLoginSMS(ctx, res.Challenge); err != nil {
		t.Fatal(err)
	}
	code := lastSMSCode(t, file)
	done, err := cl.LoginMFA(ctx, res.Challenge, app.MFASMS, code)
	if err != nil || done.Token == "" {
		t.Fatalf("SMS step: %+v %v", done, err)
	}
	if _, err := cl.LoginMFA(ctx, res.Challenge, app.MFASMS, code); err == nil {
		t.Error("a challenge was used twice")
	}
	// Codes are stored hashed.
	assertNotInFiles(t, filepath.Join(ts.data, "control.db*"), code, "+4915123456789")
}

func TestSMSGatewayTemplate(t *testing.T) {
	var mu sync.Mutex
	var got map[string]string
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		json.Unmarshal(b, &got)
		auth = r.Header.Get("Authorization")
		mu.Unlock()
	}))
	defer srv.Close()
	t.Setenv("OPTIQ_SMS_GATEWAY_URL", srv.URL+"/send")
	t.Setenv("OPTIQ_SMS_GATEWAY_TEMPLATE", `{"number":{{json .Phone}},"body":{{json .Message}}}`)
	t.Setenv("OPTIQ_SMS_GATEWAY_AUTHORIZATION", "Token abc")
	s, err := smsSender()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), "+15551234567", `Your "code" is 123456`); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got["number"] != "+15551234567" || got["body"] != `Your "code" is 123456` || auth != "Token abc" {
		t.Errorf("gateway got %v (auth %q)", got, auth)
	}
}
