package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
)

func TestRequireBaseImageNamesFileAndKey(t *testing.T) {
	err := RequireBaseImage(&generator.App{Name: "web", ConfigPath: "/etc/quadlaunch/containers/web.yml"})
	if err == nil {
		t.Fatal("no error without base_image")
	}
	if !strings.HasPrefix(err.Error(), "/etc/quadlaunch/containers/web.yml: base_image: ") {
		t.Errorf("error %q does not start with file: key", err)
	}
	if err := RequireBaseImage(&generator.App{Name: "web", BaseImage: "debian:13"}); err != nil {
		t.Errorf("with base_image: %v", err)
	}
}

func TestLoadAppByName(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "containers"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "containers", "shop.yaml"), []byte("base_image: debian:13\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	app, err := LoadApp(root, "shop")
	if err != nil || app.Name != "shop" || app.BaseImage != "debian:13" {
		t.Fatalf("LoadApp(shop) = %+v, %v", app, err)
	}
	if _, err := LoadApp(root, "blog"); err == nil || !strings.Contains(err.Error(), `no config for app "blog"`) {
		t.Errorf("LoadApp(blog) error = %v", err)
	}
}

// A session that fails to open holds nothing: a build of an app without
// base_image stops before Podman is asked.
func TestOpenBuildWithoutBaseImageStopsFirst(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "containers"), 0o755)
	os.WriteFile(filepath.Join(root, "containers", "web.yml"), []byte("env:\n  A: b\n"), 0o644)
	_, err := Open(t.Context(), Options{Root: root, App: "web", Build: true, Podman: true, Lock: true})
	if err == nil || !strings.Contains(err.Error(), "base_image: not set") {
		t.Fatalf("Open = %v, want the base_image error (and no nil-Engine panic)", err)
	}
}
