package main

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/units"
)

// A daemon-reload with unchanged configs runs no quadlet and writes the same
// tree; an edited app is the only one converted again, and gets what a run
// without the memo gets; an entry short of a service, or a new quadlet
// binary, is converted again; entries of former configs go.
func TestConversionMemo(t *testing.T) {
	linked := goodApp + "links:\n  - link: {name: alpha}\n"
	root := writeRoot(t, map[string]string{
		"containers/alpha.yml": goodApp,
		"containers/beta.yml":  linked,
		"containers/gamma.yml": goodApp,
	})
	t.Setenv("QUADLAUNCH_ROOT", root)
	runtimeDir := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", runtimeDir)
	counts := filepath.Join(t.TempDir(), "conversions")
	quadlet := filepath.Join(t.TempDir(), "quadlet")
	writeWrapper := func() {
		t.Helper()
		// A new file each time (a package upgrade replaces the binary).
		os.Remove(quadlet)
		body := "#!/bin/sh\n[ \"$1\" = -version ] || ls \"$QUADLET_UNIT_DIRS\" >> " + counts + "\nexec " + testQuadlet(t) + " \"$@\"\n"
		if err := os.WriteFile(quadlet, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeWrapper()
	t.Setenv("QUADLAUNCH_QUADLET", quadlet)
	// systemd's generator dir: the same path at every run, emptied first.
	out := filepath.Join(t.TempDir(), "generator")
	generateInto := func() map[string]string {
		t.Helper()
		if err := os.RemoveAll(out); err != nil {
			t.Fatal(err)
		}
		var logBuf bytes.Buffer
		if err := run(out, true, &logger{w: &logBuf}); err != nil {
			t.Fatalf("run: %v\nlog:\n%s", err, logBuf.String())
		}
		if logBuf.Len() > 0 {
			t.Errorf("log:\n%s", logBuf.String())
		}
		tree := map[string]string{}
		filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(out, p)
			if !strings.HasPrefix(rel, stagingDirName+"/") {
				b, _ := os.ReadFile(p)
				target, _ := os.Readlink(p)
				// quadlet's flag order from its maps varies from run to run.
				tree[rel] = string(canonicalExecStart(b)) + target
			}
			return nil
		})
		return tree
	}
	// What a run without the memo writes, into the same dir.
	fresh := func() map[string]string {
		t.Helper()
		t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
		defer t.Setenv("XDG_RUNTIME_DIR", runtimeDir)
		return generateInto()
	}
	var seen int
	staged := func() []string {
		t.Helper()
		b, _ := os.ReadFile(counts)
		lines := strings.Fields(string(b))
		got := lines[seen:]
		seen = len(lines)
		return got
	}
	sameTree := func(what string, got, want map[string]string) {
		t.Helper()
		if !maps.Equal(got, want) {
			for name := range want {
				if got[name] != want[name] {
					t.Errorf("%s: %s differs:\n%swant:\n%s", what, name, got[name], want[name])
				}
			}
			for name := range got {
				if _, ok := want[name]; !ok {
					t.Errorf("%s: %s not in a run without the memo", what, name)
				}
			}
		}
	}

	first := generateInto()
	if n := len(staged()); n == 0 {
		t.Fatal("quadlet did not run on the first run")
	}
	if _, ok := first["alpha-web.service"]; !ok {
		t.Fatalf("no alpha-web.service in %v", slices.Sorted(maps.Keys(first)))
	}
	entries := func() int {
		t.Helper()
		e, err := os.ReadDir(filepath.Join(runtimeDir, "quadlaunch", "generator", "conversions"))
		if err != nil {
			t.Fatal(err)
		}
		return len(e)
	}
	if n := entries(); n != 4 { // alpha, beta, gamma, the shared network
		t.Errorf("%d memo entries, want 4", n)
	}

	sameTree("reload", generateInto(), first)
	if got := staged(); len(got) != 0 {
		t.Errorf("quadlet converted %v on a reload with unchanged configs", got)
	}
	if _, err := os.Stat(filepath.Join(out, stagingDirName)); err == nil {
		t.Error("files staged on a reload with unchanged configs")
	}

	// beta edited: only beta's files (with the shared network) are converted.
	if err := os.WriteFile(filepath.Join(root, "containers", "beta.yml"), []byte(strings.Replace(linked, "8080:8080", "8081:8080", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	edited := generateInto()
	for _, f := range staged() {
		if !strings.HasPrefix(f, "beta") && !strings.HasSuffix(f, ".network") {
			t.Errorf("%s converted again, though only beta changed", f)
		}
	}
	sameTree("beta edited", edited, fresh())
	staged()
	if n := entries(); n != 4 {
		t.Errorf("%d memo entries after an edit, want 4 (the former beta's gone)", n)
	}

	// An entry short of a service is converted again.
	dir := filepath.Join(runtimeDir, "quadlaunch", "generator", "conversions")
	all, _ := os.ReadDir(dir)
	for _, e := range all {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "alpha-web.service")); err == nil {
			os.Remove(filepath.Join(dir, e.Name(), "alpha-web.service"))
		}
	}
	sameTree("entry short of a service", generateInto(), edited)
	if got := staged(); !slices.ContainsFunc(got, func(f string) bool { return strings.HasPrefix(f, "alpha") }) {
		t.Errorf("alpha not converted again (staged %v)", got)
	}

	// A new quadlet binary converts everything.
	writeWrapper()
	sameTree("new quadlet", generateInto(), edited)
	got := staged()
	for _, app := range []string{"alpha", "beta", "gamma"} {
		if !slices.ContainsFunc(got, func(f string) bool { return strings.HasPrefix(f, app) }) {
			t.Errorf("%s not converted by a new quadlet binary (staged %v)", app, got)
		}
	}

	// A removed config's entry goes at the next run. (alpha's containers no
	// longer join beta's link network: alpha is converted again; gamma, which
	// never named that network, is not.)
	if err := os.Remove(filepath.Join(root, "containers", "beta.yml")); err != nil {
		t.Fatal(err)
	}
	generateInto()
	for _, f := range staged() {
		if !strings.HasPrefix(f, "alpha") {
			t.Errorf("%s converted after beta.yml went", f)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*", "beta-*"))
	if len(left) != 0 || entries() != 2 {
		t.Errorf("after beta.yml went: %d entries, beta's services %v; want alpha's and gamma's only", entries(), left)
	}
}

// A new generator binary (a package upgrade) is a new key for the same
// files: it may render quadlet's services otherwise.
func TestConversionMemoKeyHasTheGenerator(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	dir := t.TempDir()
	quadlet, self := filepath.Join(dir, "quadlet"), filepath.Join(dir, "generator")
	for _, p := range []string{quadlet, self} {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := []units.File{{Name: "a-web.container", Content: []byte("[Container]\nImage=x\n"), App: "a"}}
	before := conversionMemoOf(quadlet, self, true, planVersion).Key(files, nil)
	if again := conversionMemoOf(quadlet, self, true, planVersion).Key(files, nil); again != before {
		t.Fatal("the same binaries gave two keys")
	}
	os.Remove(self)
	if err := os.WriteFile(self, []byte("#!/bin/sh\n# upgraded\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if after := conversionMemoOf(quadlet, self, true, planVersion).Key(files, nil); after == before {
		t.Error("a replaced generator binary kept the key")
	}
}
