package preview

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfigs(t *testing.T, configs map[string]string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "containers"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, body := range configs {
		if err := os.WriteFile(filepath.Join(root, "containers", name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// One broken config fails alone, in the generator's words, and the others load.
func TestLoadKeepsTheGoodApps(t *testing.T) {
	t.Setenv("QUADLAUNCH_QUADLET", "/nonexistent")
	root := writeConfigs(t, map[string]string{
		"good.yml": "base_image: x\nenv:\n  A: b\n",
		"bad.yml":  "base_image: x\nexpose:\n  a: b\n",
		"odd.yml":  "base_image: x\nunknown_key: 1\n",
	})
	l, err := Load(root, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Failed["bad"] || l.Failed["good"] || l.Failed["odd"] {
		t.Errorf("failed = %v, want bad only", l.Failed)
	}
	if len(l.Errors) != 1 || !strings.HasPrefix(l.Errors[0], filepath.Join(root, "containers", "bad.yml")+":3") || !strings.Contains(l.Errors[0], "expose") {
		t.Errorf("errors = %q, want one naming bad.yml:3 and expose", l.Errors)
	}
	if !strings.Contains(strings.Join(l.Warnings, "\n"), "unknown_key") {
		t.Errorf("warnings = %q, want the unknown key", l.Warnings)
	}
	if l.App("good") == nil || l.App("bad") != nil {
		t.Errorf("App(good) = %v, App(bad) = %v", l.App("good"), l.App("bad"))
	}
	// Selecting names reports only their problems; the others still plan.
	l, err = Load(root, []string{"good"}, false)
	if err != nil || len(l.Errors) != 0 || len(l.Apps) != 1 || len(l.All) != 2 {
		t.Errorf("Load(good) = %d errors, %d apps of %d, %v", len(l.Errors), len(l.Apps), len(l.All), err)
	}
	_, err = Load(root, []string{"none"}, false)
	var nc *NoConfigError
	if !errors.As(err, &nc) || nc.Name != "none" {
		t.Errorf("Load(none) error = %v, want NoConfigError", err)
	}
}

// Without quadlet, render shows the Quadlet sources; env values never show.
func TestRenderRedactsEveryValue(t *testing.T) {
	t.Setenv("QUADLAUNCH_QUADLET", "/nonexistent")
	root := writeConfigs(t, map[string]string{
		"app.yml": "base_image: x\nenv:\n  PLAIN: qlcanary-plain\n  DB_PASSWORD: qlcanary-pw\n  KEY: |\n    qlcanary-line1\n    qlcanary-line2\nsecrets: [KEY]\nlinks:\n  - link: {name: db, alias: db}\n",
		"db.yml":  "base_image: x\n",
	})
	l, err := Load(root, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	files, _, err := l.Render("app")
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, f := range files {
		all.WriteString("# " + f.Title + "\n" + string(f.Content) + "\n")
	}
	for _, want := range []string{"app-web.container (Quadlet source", "app-migrate.service", "app.target", "app-links.network",
		"DB_PASSWORD=<redacted>", "KEY=<redacted>", "PLAIN=<redacted>", "(0600; values not shown)"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("render lacks %q:\n%s", want, all.String())
		}
	}
	if strings.Contains(all.String(), "qlcanary") {
		t.Errorf("render shows a value:\n%s", all.String())
	}
	if strings.Contains(all.String(), "db-web.container") {
		t.Errorf("render of app shows db's units:\n%s", all.String())
	}
}

// With the real quadlet, render shows the services it makes.
func TestRenderConvertsWithQuadlet(t *testing.T) {
	bin := os.Getenv("QUADLAUNCH_TEST_QUADLET")
	if bin == "" {
		t.Skip("QUADLAUNCH_TEST_QUADLET unset: run via make unit (builds bin/quadlet)")
	}
	t.Setenv("QUADLAUNCH_QUADLET", bin)
	root := writeConfigs(t, map[string]string{"app.yml": "base_image: x\n"})
	l, err := Load(root, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	files, _, err := l.Render("app")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range files {
		if f.Title == "app-web.service (from app-web.container)" {
			found = strings.Contains(string(f.Content), "ExecStart=")
		}
	}
	if !found {
		t.Errorf("no converted app-web.service with an ExecStart= in %d files", len(files))
	}
}

func TestRedactEnvMultiline(t *testing.T) {
	in := "# comment\nA=\"one\ntwo \\\" still\nthree\"\nB=plain\nC=\"x\\\\\"\nD=\"y\"\n"
	got := string(RedactEnv([]byte(in)))
	want := "# comment\nA=<redacted>\nB=<redacted>\nC=<redacted>\nD=<redacted>\n"
	if got != want {
		t.Errorf("RedactEnv = %q, want %q", got, want)
	}
}
