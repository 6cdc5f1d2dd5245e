package preview

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// install writes app name's rendered files into dir as the generator would
// (env files with their real values).
func install(t *testing.T, l *Loaded, name, dir string) {
	t.Helper()
	files, _, err := l.Render(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		switch {
		case f.Symlink:
			err = os.Symlink(string(f.Content), p)
		case f.Private:
			err = os.WriteFile(p, f.realContent, 0o600)
		default:
			err = os.WriteFile(p, f.Content, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func load(t *testing.T, root string) *Loaded {
	t.Helper()
	l, err := Load(root, nil, false)
	if err != nil || len(l.Errors) > 0 {
		t.Fatalf("load: %v %v", err, l.Errors)
	}
	return l
}

// Right after the generator ran, nothing differs; a changed config shows
// exactly the keys it changes, an env value by name only, and a dropped
// role as a removed file. The neighbour whose name extends the app's is
// never counted as the app's.
func TestDiffListsTheChangedKeys(t *testing.T) {
	t.Setenv("QUADLAUNCH_QUADLET", "/nonexistent")
	const before = "base_image: x\nroles: {web: /bin/web, worker: /bin/work}\nenv: {A: one, DB_PASSWORD: qlcanary-old}\nexpose: ['8080:80']\n"
	root := writeConfigs(t, map[string]string{"shop.yml": before, "shop-api.yml": "base_image: y\n"})
	gen := t.TempDir()
	l := load(t, root)
	install(t, l, "shop", gen)
	install(t, l, "shop-api", gen)
	if c, err := l.Diff("shop", gen); err != nil || len(c) != 0 {
		t.Fatalf("diff right after install = %+v, %v; want none", c, err)
	}

	after := "base_image: x\nroles: {web: /bin/web2}\nenv: {A: one, DB_PASSWORD: qlcanary-new}\nexpose: ['8080:80']\n"
	if err := os.WriteFile(filepath.Join(root, "containers", "shop.yml"), []byte(after), 0o600); err != nil {
		t.Fatal(err)
	}
	changes, err := load(t, root).Diff("shop", gen)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]FileChange{}
	for _, c := range changes {
		got[c.Name] = c
		if strings.Contains(c.Diff, "qlcanary") {
			t.Errorf("%s: the diff shows a secret value:\n%s", c.Name, c.Diff)
		}
		if strings.HasPrefix(c.Name, "shop-api") {
			t.Errorf("shop's diff holds shop-api's file %s", c.Name)
		}
	}
	if c := got["shop-web.container"]; c.Status != "changed" || !slices.Equal(c.Keys, []string{"[Container] Exec"}) ||
		!strings.Contains(c.Diff, "-Exec=/bin/web\n") || !strings.Contains(c.Diff, "+Exec=/bin/web2\n") {
		t.Errorf("shop-web.container: %+v, want Exec changed", c)
	}
	if c := got["shop-worker.container"]; c.Status != "removed" {
		t.Errorf("shop-worker.container: %+v, want removed", c)
	}
	if c := got["quadlaunch.private/shop.env"]; c.Status != "changed" || !slices.Equal(c.Keys, []string{"env DB_PASSWORD"}) {
		t.Errorf("env file: %+v, want DB_PASSWORD changed by name", c)
	}
}

func TestUnitKeysReadsSectionsAndRepeatedKeys(t *testing.T) {
	old := []byte("[Unit]\nAfter=a\n# comment\n[Service]\nExecStartPre=x\nExecStartPre=y\nEnvironment=A=1 \\\n  B=2\n")
	new := []byte("[Unit]\nAfter=a\n[Service]\nExecStartPre=x\nEnvironment=A=1 \\\n  B=3\nRestart=always\n")
	if got, want := unitKeys(old, new), []string{"[Service] Environment", "[Service] ExecStartPre", "[Service] Restart"}; !slices.Equal(got, want) {
		t.Errorf("unitKeys = %q, want %q", got, want)
	}
}

// quadlet's option order varies between two conversions of the same file:
// not a change. A changed value or positional word is one.
func TestUnitKeysIgnoresQuadletsOptionOrder(t *testing.T) {
	a := []byte("[Service]\nExecStart=/usr/bin/podman run --name x --cgroups=split --stop-timeout 600 --pull never --sdnotify=conmon -d localhost/x:current /bin/x a b\n")
	b := []byte("[Service]\nExecStart=/usr/bin/podman run --name x --cgroups=split --pull never --stop-timeout 600 --sdnotify=conmon -d localhost/x:current /bin/x a b\n")
	if keys := unitKeys(a, b); len(keys) != 0 {
		t.Errorf("reordered options count as changed: %q", keys)
	}
	for _, c := range [][]byte{
		[]byte("[Service]\nExecStart=/usr/bin/podman run --name x --cgroups=split --pull never --stop-timeout 60 --sdnotify=conmon -d localhost/x:current /bin/x a b\n"),
		[]byte("[Service]\nExecStart=/usr/bin/podman run --name x --cgroups=split --pull never --stop-timeout 600 --sdnotify=conmon -d localhost/x:current /bin/x b a\n"),
	} {
		if keys := unitKeys(a, c); !slices.Equal(keys, []string{"[Service] ExecStart"}) {
			t.Errorf("a real change is not seen: %q\n%s", keys, c)
		}
	}
}
