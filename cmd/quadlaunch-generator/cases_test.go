package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/quadlaunch/quadlaunch/units"
)

// The golden generator cases: testdata/cases/<case>/ is a config root and the
// tree the generator writes for it (see testdata/cases/README.md).

var updateCases = flag.Bool("update", false, "rewrite testdata/cases/*/expected from the generator's output")

const (
	casesDir = "testdata/cases"
	// casesQuadletVersion is the quadlet expected/ is made with: the one
	// tools/go.mod pins and `make tools` builds.
	casesQuadletVersion = "5.4.2"
	// What a case's paths read as in expected/: where they are on a host.
	systemRoot   = "/etc/quadlaunch"
	userRoot     = "/home/user/.config/quadlaunch"
	systemNormal = "/run/systemd/generator"
	userNormal   = "/run/user/1000/systemd/generator"
	quadletPath  = units.DefaultQuadlet
)

// genCase is a case folder's inputs and options.
type genCase struct {
	dir            string
	user           bool     // mode: user
	quadletVersion string   // quadlet-version: a stand-in quadlet answering it
	canaries       []string // canaries: secret values
	corpus         string   // corpus: a dir under ../shared/corpus
}

func readCase(t *testing.T, dir string) genCase {
	t.Helper()
	c := genCase{dir: dir}
	opt := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	switch m := opt("mode"); m {
	case "", "system":
	case "user":
		c.user = true
	default:
		t.Fatalf("%s/mode: %q, want system or user", dir, m)
	}
	c.quadletVersion = opt("quadlet-version")
	c.corpus = opt("corpus")
	if s := opt("canaries"); s != "" {
		c.canaries = strings.Split(s, "\n")
	}
	return c
}

func TestCases(t *testing.T) {
	entries, err := os.ReadDir(casesDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) { runCase(t, readCase(t, filepath.Join(casesDir, e.Name()))) })
	}
	if n == 0 {
		t.Fatalf("no cases in %s", casesDir)
	}
}

// corpusRoot is ../shared/corpus/<name> next to the repo; the test runs in
// <repo>/cmd/quadlaunch-generator.
func corpusRoot(t *testing.T, name string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "corpus", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "samples")); err != nil {
		t.Skipf("corpus %s not found (needs ../shared next to the repo): %v", name, err)
	}
	return dir
}

// copyTree copies the regular files under src into dst as the operator's
// files would be: dirs 0700, files 0600 (no world-readable warning).
func copyTree(t *testing.T, src, dst string, keep func(rel string) bool) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		if !d.Type().IsRegular() || (keep != nil && !keep(rel)) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
}

// caseRoot makes the case's config root in a temp dir.
func caseRoot(t *testing.T, c genCase) string {
	t.Helper()
	root := t.TempDir()
	if c.corpus != "" {
		src := corpusRoot(t, c.corpus)
		copyTree(t, filepath.Join(src, "samples"), filepath.Join(root, "containers"), func(rel string) bool {
			return !strings.Contains(rel, "/") && (strings.HasSuffix(rel, ".yml") || strings.HasSuffix(rel, ".yaml"))
		})
		copyTree(t, filepath.Join(src, "templates"), filepath.Join(root, "templates"), nil)
		return root
	}
	copyTree(t, filepath.Join(c.dir, "containers"), filepath.Join(root, "containers"), nil)
	copyTree(t, filepath.Join(c.dir, "templates"), filepath.Join(root, "templates"), nil)
	return root
}

// standInQuadlet answers -version with version and converts nothing.
func standInQuadlet(t *testing.T, version string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "quadlet")
	script := "#!/bin/sh\nif [ \"$1\" = -version ]; then echo " + version + "; fi\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// caseQuadlet picks the quadlet for c: the real one when it is the version
// expected/ was made with, else a stand-in (real reports which).
func caseQuadlet(t *testing.T, c genCase) (bin string, real bool) {
	t.Helper()
	if c.quadletVersion != "" {
		return standInQuadlet(t, c.quadletVersion), false
	}
	q := os.Getenv("QUADLAUNCH_TEST_QUADLET")
	why := "QUADLAUNCH_TEST_QUADLET unset"
	if q != "" {
		v, err := units.QuadletVersion(q)
		switch {
		case err != nil:
			why = err.Error()
		case v != casesQuadletVersion:
			why = fmt.Sprintf("%s is quadlet %s, expected/ is made with %s", q, v, casesQuadletVersion)
		default:
			return q, true
		}
	}
	if *updateCases {
		t.Fatalf("-update needs the real quadlet %s: %s (make tools; QUADLAUNCH_TEST_QUADLET=$PWD/bin/quadlet)", casesQuadletVersion, why)
	}
	t.Logf("%s: converted services not compared", why)
	return standInQuadlet(t, casesQuadletVersion), false
}

// genTree is what a generator run wrote: the manifest (path → "mode path" or
// "l path -> target") and
// the normalized content of every regular file.
type genTree struct {
	manifest map[string]string
	content  map[string][]byte
}

func (g genTree) manifestText(skip func(string) bool) string {
	var paths []string
	for p := range g.manifest {
		if !skip(p) {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var b strings.Builder
	for _, p := range paths {
		b.WriteString(g.manifest[p] + "\n")
	}
	return b.String()
}

func snapshot(t *testing.T, dir string, norm *strings.Replacer) genTree {
	t.Helper()
	g := genTree{manifest: map[string]string{}, content: map[string][]byte{}}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			g.manifest[rel+"/"] = fmt.Sprintf("%04o %s/", info.Mode().Perm(), rel)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			g.manifest[rel] = "l    " + rel + " -> " + norm.Replace(target)
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			g.manifest[rel] = fmt.Sprintf("%04o %s", info.Mode().Perm(), rel)
			g.content[rel] = []byte(norm.Replace(string(b)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// runCase runs the generator on the case's root exactly as systemd would
// (run: discover, load, plan, staging, quadlet, writes) and compares.
func runCase(t *testing.T, c genCase) {
	root := caseRoot(t, c)
	quadlet, realQuadlet := caseQuadlet(t, c)
	// Modes in files.txt are the writer's, as under systemd's umask.
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	t.Setenv("QUADLAUNCH_ROOT", root)
	t.Setenv("QUADLAUNCH_QUADLET", quadlet)
	t.Setenv("QUADLAUNCH_BIN", "")
	t.Setenv("PODMAN", "") // quadlet's override of /usr/bin/podman in ExecStart=
	os.Unsetenv("PODMAN")
	// The quadlet version memo (versionmemo.go) stays out of the host's /run.
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	defer func(dir string) { systemRuntimeDir = dir }(systemRuntimeDir)
	systemRuntimeDir = t.TempDir()

	out := t.TempDir()
	var log bytes.Buffer
	err := run(out, c.user, &logger{w: &log})

	rootAs, normalAs := systemRoot, systemNormal
	if c.user {
		rootAs, normalAs = userRoot, userNormal
	}
	norm := strings.NewReplacer(root, rootAs, out, normalAs, quadlet, quadletPath)
	got := snapshot(t, out, norm)
	diags := strings.ReplaceAll(norm.Replace(log.String()), "quadlaunch-generator: ", "")
	if err != nil {
		diags += "run: " + norm.Replace(err.Error()) + "\n"
	}

	checkCanaries(t, c, got, diags)

	// What this run cannot compare: the private env files' content without
	// canaries (secrets), and the services only the real quadlet converts.
	converted := map[string]bool{}
	for p := range got.content {
		if dir, name := filepath.Split(p); dir == stagingDirName+"/" {
			converted[units.QuadletServiceName(name)] = true
		}
	}
	for p := range converted {
		if b, ok := got.content[p]; ok {
			got.content[p] = canonicalExecStart(b)
		}
	}
	private := func(p string) bool { return strings.HasPrefix(p, units.PrivateDirName+"/") }
	skipEntry := func(p string) bool { return !realQuadlet && converted[p] }
	skipContent := func(p string) bool { return skipEntry(p) || (private(p) && len(c.canaries) == 0) }

	expected := filepath.Join(c.dir, "expected")
	if *updateCases {
		writeExpected(t, expected, got, diags, skipEntry, skipContent)
		return
	}
	wantFiles, rerr := os.ReadFile(filepath.Join(expected, "files.txt"))
	if rerr != nil {
		t.Fatalf("%v (rerun with -update)", rerr)
	}
	if w, g := filterManifest(string(wantFiles), skipEntry), got.manifestText(skipEntry); w != g {
		t.Errorf("files written differ from expected/files.txt (rerun with -update and review the diff):\n--- want\n%s--- got\n%s", w, g)
	}
	wantDiags, rerr := os.ReadFile(filepath.Join(expected, "diagnostics.txt"))
	if rerr != nil && !os.IsNotExist(rerr) {
		t.Fatal(rerr)
	}
	if string(wantDiags) != diags {
		t.Errorf("diagnostics differ (rerun with -update and review the diff):\n--- expected/diagnostics.txt\n%s--- got\n%s", wantDiags, diags)
	}
	for p, b := range got.content {
		if !skipContent(p) {
			compareFile(t, filepath.Join(expected, p), b)
		}
	}
	// Nothing stale in expected/: every file there is one this run wrote.
	_ = filepath.WalkDir(expected, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(expected, p)
		if rel == "files.txt" || rel == "diagnostics.txt" || skipEntry(rel) {
			return nil
		}
		if _, ok := got.content[rel]; !ok || skipContent(rel) {
			t.Errorf("expected/%s: not written by the generator (stale? rerun with -update)", rel)
		}
		return nil
	})
}

// filterManifest drops the lines of files.txt whose path skip matches.
func filterManifest(text string, skip func(string) bool) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && skip(f[1]) {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

// checkCanaries: each canary is in a private env file and nowhere else (no
// unit, no staged Quadlet file, no log line).
func checkCanaries(t *testing.T, c genCase, got genTree, diags string) {
	t.Helper()
	for _, canary := range c.canaries {
		found := false
		for p, b := range got.content {
			if !bytes.Contains(b, []byte(canary)) {
				continue
			}
			if strings.HasPrefix(p, units.PrivateDirName+"/") && strings.HasPrefix(got.manifest[p], "0600 ") {
				found = true
			} else {
				t.Errorf("canary %q in %s (mode %s)", canary, p, got.manifest[p])
			}
		}
		if !found {
			t.Errorf("canary %q in no 0600 file of %s/", canary, units.PrivateDirName)
		}
		if strings.Contains(diags, canary) {
			t.Errorf("canary %q logged", canary)
		}
	}
}

func compareFile(t *testing.T, path string, got []byte) {
	t.Helper()
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%v (rerun with -update)", err)
		return
	}
	if bytes.Equal(got, want) {
		return
	}
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			t.Errorf("%s differs from the generator's output at line %d (rerun with -update and review the diff):\n want %q\n  got %q", path, i+1, w, g)
			return
		}
	}
}

func writeExpected(t *testing.T, dir string, got genTree, diags string, skipEntry, skipContent func(string) bool) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	write := func(rel string, b []byte) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("files.txt", []byte(got.manifestText(skipEntry)))
	if diags != "" {
		write("diagnostics.txt", []byte(diags))
	}
	for p, b := range got.content {
		if !skipContent(p) {
			write(p, b)
		}
	}
}

// quadlet 5.4.2 adds the options of some keys (StopTimeout=, Pull=, ...) by
// iterating a Go map, so their order in ExecStart= changes from run to run.
// Each set comes right after --cgroups: sorted by flag (stable, so repeated
// flags keep their order), the line is the same every run.
var quadletMapFlags = []map[string]bool{
	{"--tz": true, "--pids-limit": true, "--shm-size": true, "--entrypoint": true, "--workdir": true,
		"--ip": true, "--ip6": true, "--hostname": true, "--stop-signal": true, "--stop-timeout": true, "--pull": true},
	{"--network-alias": true, "--ulimit": true, "--dns": true, "--dns-option": true, "--dns-search": true,
		"--group-add": true, "--add-host": true, "--tmpfs": true},
}

func canonicalExecStart(service []byte) []byte {
	lines := strings.Split(string(service), "\n")
	for i, line := range lines {
		if !strings.HasPrefix(line, "ExecStart=") {
			continue
		}
		words := strings.Split(line, " ")
		at := slices.IndexFunc(words, func(w string) bool { return strings.HasPrefix(w, "--cgroups") })
		if at < 0 {
			continue
		}
		at++
		if words[at-1] == "--cgroups" {
			at++
		}
		for _, flags := range quadletMapFlags {
			var pairs [][2]string
			for at+len(pairs)*2+1 < len(words) && flags[words[at+len(pairs)*2]] {
				j := at + len(pairs)*2
				pairs = append(pairs, [2]string{words[j], words[j+1]})
			}
			slices.SortStableFunc(pairs, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
			for k, p := range pairs {
				words[at+2*k], words[at+2*k+1] = p[0], p[1]
			}
			at += 2 * len(pairs)
		}
		lines[i] = strings.Join(words, " ")
	}
	return []byte(strings.Join(lines, "\n"))
}
