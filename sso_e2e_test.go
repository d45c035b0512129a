package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSSOAdminCommands drives optiq admin sso against a real server: a
// domain claim with its proof instructions, a failed verification that
// says what to publish, refusal to configure an unverified domain, and
// the listings. (The SAML flows themselves are tested in web.)
func TestSSOAdminCommands(t *testing.T) {
	ts := startServer(t)
	ada := newUser(t, ts, "ada@example.com", "admin")
	bob := newUser(t, ts, "bob@example.com", "member")

	var d struct {
		Domain, TXTName, TXTValue string `json:",omitempty"`
		Token                     string
	}
	if err := json.Unmarshal([]byte(ada.ok("", "admin", "sso", "domain", "add", "Corp.Invalid", "--json")), &d); err != nil {
		t.Fatal(err)
	}
	if d.Domain != "corp.invalid" || d.Token == "" {
		t.Fatalf("claim: %+v", d)
	}
	out := ada.ok("", "admin", "sso", "domain", "add", "corp.invalid")
	if !strings.Contains(out, "_optiq-verification.corp.invalid") || !strings.Contains(out, "/.well-known/optiq-domain-verification.txt") {
		t.Fatalf("no proof instructions: %s", out)
	}
	r := ada.run("", "admin", "sso", "domain", "verify", "corp.invalid", "--method", "dns")
	if r.code == 0 || !strings.Contains(r.stderr, "optiq-domain-verification=") {
		t.Fatalf("verification of an unpublished record: %+v", r)
	}
	meta := filepath.Join(t.TempDir(), "idp.xml")
	os.WriteFile(meta, []byte(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.invalid"/>`), 0o644)
	r = ada.run("", "admin", "sso", "create", "--name", "Okta", "--domain", "corp.invalid", "--idp-metadata", meta, "--preset", "okta")
	if r.code == 0 || !strings.Contains(r.stderr, "IDPSSODescriptor") {
		t.Fatalf("create with bad metadata: %+v", r)
	}
	if r := bob.run("", "admin", "sso", "list"); r.code == 0 || !strings.Contains(r.stderr, "admin") {
		t.Fatalf("a member listed SSO connections: %+v", r)
	}
	var list struct {
		Domains []struct {
			Domain string `json:"domain"`
		} `json:"domains"`
	}
	json.Unmarshal([]byte(ada.ok("", "admin", "sso", "domain", "list", "--json")), &list)
	if len(list.Domains) != 1 || list.Domains[0].Domain != "corp.invalid" {
		t.Fatalf("domain list: %+v", list)
	}
	if out := ada.ok("", "admin", "sso", "list"); !strings.HasPrefix(out, "ID") {
		t.Fatalf("connection list: %s", out)
	}
	ada.ok("", "admin", "sso", "domain", "remove", "corp.invalid")
}
