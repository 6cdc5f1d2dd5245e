// Package packaging holds the tests of the .deb/.rpm build (nfpm.yaml, build.sh,
// check.sh) and of the files the packages ship (example config, stock templates).
package packaging

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
)

func TestPkgVersion(t *testing.T) {
	for _, tc := range []struct{ describe, want string }{
		{"v1.2.3", "1.2.3"},
		{"1.2.3", "1.2.3"},
		{"1.2.3-5-gabc1234", "1.2.3.git5.gabc1234"},
		{"1.2.3-5-gabc1234-dirty", "1.2.3.git5.gabc1234.dirty"},
		{"4b95e0f", "0.0.0~git7.g4b95e0f"},
		{"4b95e0f-dirty", "0.0.0~git7.g4b95e0f.dirty"},
		{"1.2.0-rc1", "1.2.0~rc1"},
		{"0.0.0-dev", "0.0.0~dev"},
		{"not a version", "0.0.0~dev"},
	} {
		if got := pkgVersion(t, tc.describe); got != tc.want {
			t.Errorf("pkgversion.sh %s = %q, want %q", tc.describe, got, tc.want)
		}
	}
}

// Versions from successive builds must upgrade in dpkg and rpm alike.
func TestPkgVersionOrder(t *testing.T) {
	ordered := []string{
		pkgVersion(t, "0.0.0-dev"),
		pkgVersion(t, "4b95e0f"), // commit 7, no tag yet
		"0.0.0~git12.gabcdef0",
		pkgVersion(t, "1.2.0-rc1"),
		pkgVersion(t, "1.2.0"),
		pkgVersion(t, "1.2.0-3-gabc1234"),
		pkgVersion(t, "1.2.1"),
		pkgVersion(t, "1.10.0"),
	}
	dpkg, dpkgErr := exec.LookPath("dpkg")
	rpm, rpmErr := exec.LookPath("rpm")
	if dpkgErr != nil && rpmErr != nil {
		t.Skip("neither dpkg nor rpm installed to compare versions")
	}
	for i := 0; i+1 < len(ordered); i++ {
		a, b := ordered[i], ordered[i+1]
		if dpkgErr == nil {
			if err := exec.Command(dpkg, "--compare-versions", a, "lt", b).Run(); err != nil {
				t.Errorf("dpkg: %s is not < %s", a, b)
			}
		}
		if rpmErr == nil {
			out, err := exec.Command(rpm, "--eval", `%{lua: print(rpm.vercmp("`+a+`", "`+b+`"))}`).Output()
			if err != nil || strings.TrimSpace(string(out)) != "-1" {
				t.Errorf("rpm: vercmp(%s, %s) = %q (%v), want -1", a, b, out, err)
			}
		}
	}
}

func pkgVersion(t *testing.T, describe string) string {
	t.Helper()
	out, err := exec.Command("sh", "pkgversion.sh", describe, "7").Output()
	if err != nil {
		t.Fatalf("pkgversion.sh %s: %v", describe, err)
	}
	return strings.TrimSpace(string(out))
}

// The packages in dist/ (make package) pass check.sh: file lists, modes, dependencies,
// conffiles, scripts, lintian without errors, bash completion, man pages.
func TestBuiltPackages(t *testing.T) {
	debs, _ := filepath.Glob(filepath.Join("..", "dist", "quadlaunch_*.deb"))
	rpms, _ := filepath.Glob(filepath.Join("..", "dist", "quadlaunch-*.rpm"))
	if len(debs) == 0 || len(rpms) == 0 {
		t.Skip("no packages in dist/: run make package first")
	}
	out, err := exec.Command("bash", "check.sh").CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 2 {
		t.Skipf("check.sh cannot run here: %s", strings.TrimSpace(string(out)))
	}
	t.Logf("check.sh:\n%s", out)
	if err != nil {
		t.Fatalf("check.sh: %v", err)
	}
}

// The shipped example is inactive as shipped, and loads cleanly once copied to a .yml
// name, with the stock template it uses.
func TestExampleConfig(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "containers", "example.yml.sample"), readFile(t, "example.yml.sample"))
	apps, errs := generator.LoadAll(root)
	if len(apps) != 0 || len(errs) != 0 {
		t.Fatalf("example.yml.sample is active as shipped: %d apps, errors %v", len(apps), errs)
	}

	copyTemplates(t, root)
	writeFile(t, filepath.Join(root, "containers", "myapp.yml"), readFile(t, "example.yml.sample"))
	apps, errs = generator.LoadAll(root)
	if len(errs) != 0 || len(apps) != 1 {
		t.Fatalf("example as myapp.yml: %d apps, errors %v", len(apps), errs)
	}
	app := apps[0]
	for _, w := range app.Warnings {
		if !strings.Contains(w.String(), "readable") { // the test's file mode, not the config
			t.Errorf("warning: %s", w)
		}
	}
	if app.Healthcheck == nil || len(app.Healthcheck.Cmd) == 0 {
		t.Errorf("healthcheck from quadlaunch-http.template.yml missing: %+v", app.Healthcheck)
	}
	if !slices.Contains(app.Secrets, "EXAMPLE_API_TOKEN") {
		t.Errorf("secrets %v lack EXAMPLE_API_TOKEN", app.Secrets)
	}
	if len(app.Roles) == 0 || app.Roles[0].Name != "web" {
		t.Errorf("roles %+v: want web first", app.Roles)
	}
}

func TestHardenedTemplate(t *testing.T) {
	root := t.TempDir()
	copyTemplates(t, root)
	writeFile(t, filepath.Join(root, "containers", "h.yml"),
		"templates: [templates/quadlaunch-hardened.template.yml]\nbase_image: localhost/x\n")
	apps, errs := generator.LoadAll(root)
	if len(errs) != 0 || len(apps) != 1 {
		t.Fatalf("%d apps, errors %v", len(apps), errs)
	}
	if !apps[0].ReadOnly || !slices.Contains(apps[0].PodmanArgs, "--cap-drop=ALL") {
		t.Errorf("read_only %v, podman_args %v", apps[0].ReadOnly, apps[0].PodmanArgs)
	}
}

func copyTemplates(t *testing.T, root string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("templates", "*.yml"))
	if len(files) < 2 {
		t.Fatalf("stock templates: %v", files)
	}
	for _, f := range files {
		writeFile(t, filepath.Join(root, "templates", filepath.Base(f)), readFile(t, f))
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
