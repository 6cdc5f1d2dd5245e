package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// cliBinary builds the CLI once per test binary.
var builtCLI string

func cliBinary(t *testing.T) string {
	t.Helper()
	if builtCLI != "" {
		return builtCLI
	}
	dir, err := os.MkdirTemp("", "quadlaunch-cli-test-")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "quadlaunch")
	cmd := exec.Command("go", "build", "-tags", "remote containers_image_openpgp exclude_graphdriver_btrfs", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	builtCLI = bin
	return bin
}

func runCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(cliBinary(t), args...)
	cmd.Env = append(os.Environ(), "QUADLAUNCH_QUADLET=/nonexistent")
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func TestValidate(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "containers"), 0o700))
	must(os.WriteFile(filepath.Join(root, "containers", "good.yml"), []byte("base_image: x\nenv:\n  A: b\n"), 0o600))
	must(os.WriteFile(filepath.Join(root, "containers", "bad.yml"), []byte("base_image: x\nexpose:\n  a: b\n"), 0o600))

	out, code := runCLI(t, "--root", root, "validate", "good")
	if code != 0 || !strings.Contains(out, "good: ok") {
		t.Errorf("validate good: exit %d\n%s", code, out)
	}
	out, code = runCLI(t, "--root", root, "validate")
	if code == 0 {
		t.Errorf("validate with a broken config exited 0\n%s", out)
	}
	want := filepath.Join(root, "containers", "bad.yml") + ":3: expose"
	if !strings.Contains(out, want) {
		t.Errorf("validate output lacks %q:\n%s", want, out)
	}
	if !strings.Contains(out, "good: ok") {
		t.Errorf("a broken config hid the good one:\n%s", out)
	}
	out, code = runCLI(t, "--root", root, "validate", "nosuchapp")
	if code == 0 || !strings.Contains(out, `no config for app "nosuchapp"`) {
		t.Errorf("validate of an unknown app: exit %d\n%s", code, out)
	}
}

func TestRenderRedactsEnv(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "containers"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := "base_image: x\nenv:\n  PLAIN: visible-name\n  DB_PASSWORD: qlcanary-pw\n  KEY: |\n    qlcanary-line1\n    qlcanary-line2\nsecrets: [KEY]\n"
	if err := os.WriteFile(filepath.Join(root, "containers", "app.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runCLI(t, "--root", root, "render", "app")
	if code != 0 {
		t.Fatalf("render: exit %d\n%s", code, out)
	}
	for _, want := range []string{"app-web.container", "app-migrate.service", "app.target", "DB_PASSWORD=<redacted>", "KEY=<redacted>", "PLAIN=<redacted>"} {
		if !strings.Contains(out, want) {
			t.Errorf("render lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "qlcanary") {
		t.Errorf("render printed a secret value:\n%s", out)
	}
}

func TestValidateChecksCertificateFiles(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "containers"), 0o700); err != nil {
		t.Fatal(err)
	}
	// A certificate file that is not PEM, and a key that does not exist.
	cert := filepath.Join(root, "cert.pem")
	if err := os.WriteFile(cert, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := "base_image: x\nexpose: [\"8080:8080\"]\nproxy:\n  tls:\n    certificate: " + cert + "\n    key: " + filepath.Join(root, "none.key") + "\n"
	if err := os.WriteFile(filepath.Join(root, "containers", "site.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runCLI(t, "--root", root, "validate")
	want := filepath.Join(root, "containers", "site.yml") + ":"
	if code == 0 || !strings.Contains(out, want) || !strings.Contains(out, "proxy.tls.") || strings.Contains(out, "site: ok") {
		t.Errorf("validate with broken certificate files: exit %d, want an error naming %sLINE and the proxy.tls key:\n%s", code, want, out)
	}
}
