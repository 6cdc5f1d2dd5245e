package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/runtime/certificates"
)

// acmeRoot is a config root with app shop (proxy.tls.acme, two hosts) and app
// plain (a proxy without TLS).
func acmeRoot(t *testing.T, ca string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "containers"), 0o700); err != nil {
		t.Fatal(err)
	}
	shop := `base_image: x
expose:
  - "8080:80"
proxy:
  host: [shop.test, www.shop.test]
  tls:
    acme:
      email: ops@shop.test
      directory: https://127.0.0.1:1/dir
      ca: ` + ca + `
`
	plain := "base_image: x\nexpose:\n  - \"8081:80\"\nproxy:\n  drain_timeout: 5s\n"
	for name, cfg := range map[string]string{"shop": shop, "plain": plain} {
		if err := os.WriteFile(filepath.Join(root, "containers", name+".yml"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestCertificatesEnsureFromConfig(t *testing.T) {
	root := acmeRoot(t, "/nonexistent/ca.pem")
	state := filepath.Join(t.TempDir(), "tls")
	t.Setenv("XDG_STATE_HOME", t.TempDir())

	out, code := runCLI(t, "--root", root, "--user", "certificates", "ensure", "shop", "--state-dir", state)
	if code != 0 || !strings.Contains(out, "shop: self-signed placeholder for shop.test, www.shop.test") {
		t.Fatalf("ensure: exit %d\n%s", code, out)
	}
	store := &certificates.Store{Dir: state}
	p, err := store.Load("shop")
	if err != nil {
		t.Fatal(err)
	}
	if !certificates.IsPlaceholder(p.Leaf()) || p.Leaf().VerifyHostname("www.shop.test") != nil {
		t.Errorf("stored %v for %v, want the placeholder for both hosts", p.Leaf().Subject, p.Leaf().DNSNames)
	}
	for _, f := range []string{store.ChainPath("shop"), store.KeyPath("shop")} {
		if info, err := os.Stat(f); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", f, err, info)
		}
	}
	// The webroot the proxy serves exists before nginx starts.
	if info, err := os.Stat(certificates.DefaultWebroot(true, "shop")); err != nil || !info.IsDir() {
		t.Errorf("webroot: %v", err)
	}
	if strings.Contains(out, "PRIVATE KEY") {
		t.Errorf("the key was printed:\n%s", out)
	}

	// The next proxy start keeps it.
	out, code = runCLI(t, "--root", root, "--user", "certificates", "ensure", "shop", "--state-dir", state)
	if code != 0 || !strings.Contains(out, "the placeholder for shop.test, www.shop.test stays") {
		t.Fatalf("second ensure: exit %d\n%s", code, out)
	}
	if again, _ := store.Load("shop"); again.Serial() != p.Serial() {
		t.Errorf("second ensure replaced the placeholder")
	}

	// --host without a config (the generator's ExecStartPre passes them).
	out, code = runCLI(t, "--root", root, "--user", "certificates", "ensure", "other", "--host", "other.test", "--state-dir", state)
	if code != 0 || !strings.Contains(out, "other: self-signed placeholder for other.test") {
		t.Fatalf("ensure --host: exit %d\n%s", code, out)
	}
}

func TestCertificatesErrorsNameTheConfig(t *testing.T) {
	root := acmeRoot(t, "/nonexistent/ca.pem")
	state := filepath.Join(t.TempDir(), "tls")
	cfg := filepath.Join(root, "containers", "plain.yml")

	out, code := runCLI(t, "--root", root, "certificates", "renew", "plain", "--state-dir", state)
	if code == 0 || !strings.Contains(out, cfg+":4: proxy.tls.acme: not set") {
		t.Errorf("renew of an app without proxy.tls.acme: exit %d\n%s", code, out)
	}
	out, code = runCLI(t, "--root", root, "certificates", "ensure", "plain", "--state-dir", state)
	if code == 0 || !strings.Contains(out, "proxy.tls.acme: not set") {
		t.Errorf("ensure of an app without proxy.tls.acme: exit %d\n%s", code, out)
	}
	// The CA bundle is read before the CA is asked: the error names where it was given.
	out, code = runCLI(t, "--root", root, "certificates", "renew", "shop", "--state-dir", state)
	shop := filepath.Join(root, "containers", "shop.yml")
	if code == 0 || !strings.Contains(out, shop+":10: proxy.tls.acme.ca: open /nonexistent/ca.pem: no such file or directory") {
		t.Errorf("renew with a missing CA bundle: exit %d\n%s", code, out)
	}
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = runCLI(t, "--root", root, "certificates", "renew", "shop", "--state-dir", state, "--ca", notPEM)
	if code == 0 || !strings.Contains(out, "--ca: "+notPEM+" holds no PEM certificate") {
		t.Errorf("renew with a CA file without PEM: exit %d\n%s", code, out)
	}
	out, code = runCLI(t, "--root", root, "certificates", "renew", "nosuch", "--state-dir", state)
	if code == 0 || !strings.Contains(out, `no config for app "nosuch"`) {
		t.Errorf("renew of an unknown app: exit %d\n%s", code, out)
	}
}

func TestCertificatesRenewRefusedKeepsTheCurrent(t *testing.T) {
	root := acmeRoot(t, "/nonexistent/ca.pem")
	state := filepath.Join(t.TempDir(), "tls")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	if out, code := runCLI(t, "--root", root, "--user", "certificates", "ensure", "shop", "--state-dir", state); code != 0 {
		t.Fatalf("ensure: %s", out)
	}
	before, _ := (&certificates.Store{Dir: state}).Load("shop")
	// Nothing listens on port 1: the issuance cannot even start.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, before.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := runCLI(t, "--root", root, "--user", "certificates", "renew", "shop", "--state-dir", state, "--ca", ca, "--timeout", "10s")
	if code != 1 || !strings.Contains(out, "shop: https://127.0.0.1:1/dir refused a certificate for shop.test, www.shop.test: ") ||
		!strings.Contains(out, "the self-signed placeholder keeps serving") {
		t.Errorf("refused renewal: exit %d\n%s", code, out)
	}
	after, _ := (&certificates.Store{Dir: state}).Load("shop")
	if after.Serial() != before.Serial() {
		t.Errorf("a refused renewal replaced the certificate")
	}
}
