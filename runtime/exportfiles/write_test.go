package exportfiles

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
)

// The secret env goes to its own file, 0600, never to stdout or the main file.
func TestWriteExportKeepsSecretsApart(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "containers"), 0o700)
	cfg := "base_image: x\nenv:\n  PLAIN: visible\n  DB_PASSWORD: qlcanary-export\nroles:\n  web: [/bin/web]\nmigrate: [/bin/migrate]\n"
	p := filepath.Join(root, "containers", "shop.yml")
	os.WriteFile(p, []byte(cfg), 0o600)
	app, err := generator.LoadApp(root, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"kube", "compose"} {
		var stdout, stderr bytes.Buffer
		if err := WriteExport(app, ExportRequest{Format: format}, &stdout, &stderr); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stdout.String(), "qlcanary") || !strings.Contains(stderr.String(), "secret env is not printed") {
			t.Errorf("%s to stdout: the secret printed, or not said: %s", format, stderr.String())
		}
		out := filepath.Join(t.TempDir(), "x")
		if err := WriteExport(app, ExportRequest{Format: format, Out: out}, &stdout, &stderr); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(out)
		found := false
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(out, e.Name()))
			st, _ := os.Stat(filepath.Join(out, e.Name()))
			if strings.Contains(string(b), "qlcanary-export") {
				found = true
				if !strings.Contains(e.Name(), "secrets") || st.Mode().Perm() != 0o600 {
					t.Errorf("%s: the secret is in %s (mode %v)", format, e.Name(), st.Mode().Perm())
				}
			}
		}
		if !found {
			t.Errorf("%s: no file holds the secret: %v", format, entries)
		}
	}
	if err := WriteExport(app, ExportRequest{Format: "helm"}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Errorf("an unknown format was accepted")
	}
}
