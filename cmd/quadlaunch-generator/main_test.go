package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/units"
)

// testQuadlet is the real quadlet (make tools); generator runs need it.
func testQuadlet(t *testing.T) string {
	t.Helper()
	q := os.Getenv("QUADLAUNCH_TEST_QUADLET")
	if q == "" {
		t.Skip("QUADLAUNCH_TEST_QUADLET unset: run via `make test` (needs bin/quadlet from `make tools`)")
	}
	if _, err := os.Stat(q); err != nil {
		t.Skipf("quadlet %s: %v", q, err)
	}
	return q
}

func writeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// generate runs the generator as systemd would (user mode, so it logs to the
// returned buffer) and returns the normal dir.
func generate(t *testing.T, root string) (string, string) {
	t.Helper()
	t.Setenv("QUADLAUNCH_ROOT", root)
	t.Setenv("QUADLAUNCH_QUADLET", testQuadlet(t))
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir()) // the quadlet version memo (versionmemo.go)
	out := t.TempDir()
	var logBuf bytes.Buffer
	if err := run(out, true, &logger{w: &logBuf}); err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, logBuf.String())
	}
	return out, logBuf.String()
}

const goodApp = `base_image: localhost/base:1
env:
  GREETING: hi
expose:
  - "8080:8080"
roles:
  web: /usr/bin/demo serve
  worker: /usr/bin/demo worker
migrate: /usr/bin/demo migrate
`

// One broken config of each kind next to two good ones: both good apps get
// every unit, each broken file gets exactly one error naming file:line, and the
// run succeeds (systemd would otherwise mark the whole generator failed).
func TestBrokenConfigsDoNotStopOthers(t *testing.T) {
	root := writeRoot(t, map[string]string{
		"containers/alpha.yml":          goodApp,
		"containers/beta.yml":           goodApp,
		"containers/badyaml.yml":        "env:\n  A: [unclosed\n",
		"containers/wrongtype.yml":      "env:\n  - not-a-map\n",
		"containers/notemplate.yml":     "templates:\n  - templates/missing.template.yml\n",
		"containers/Bad Name.yml":       goodApp,
		"templates/unused.template.yml": "env: {}\n",
	})
	out, log := generate(t, root)

	for _, app := range []string{"alpha", "beta"} {
		for _, unit := range []string{app + "-web.service", app + "-worker.service", app + "-migrate.service", app + "-configure.service", app + ".target"} {
			if _, err := os.Stat(filepath.Join(out, unit)); err != nil {
				t.Errorf("missing %s: %v\nlog:\n%s", unit, err, log)
			}
		}
	}
	for _, broken := range []string{"badyaml", "wrongtype", "notemplate", "Bad Name"} {
		file := filepath.Join(root, "containers", broken+".yml")
		// A bad name is about the file name itself: there is no line to name.
		pos := `:\d+: `
		if broken == "Bad Name" {
			pos = `: `
		}
		re := regexp.MustCompile(regexp.QuoteMeta("quadlaunch-generator: "+file) + pos)
		if n := len(re.FindAllString(log, -1)); n != 1 {
			t.Errorf("%s: want exactly 1 error naming file:line, got %d\nlog:\n%s", broken, n, log)
		}
		if m, _ := filepath.Glob(filepath.Join(out, strings.ReplaceAll(broken, " ", "?")+"*")); len(m) != 0 {
			t.Errorf("%s: broken config produced files %v", broken, m)
		}
	}
	if !strings.Contains(log, "wrongtype.yml:2: env") {
		t.Errorf("wrong type error does not name the key env at line 2:\n%s", log)
	}
}

// A canary secret (one value multiline) reaches only the 0600 env file: no file
// readable by others, and no ExecStart*= line, holds any part of it.
func TestSecretsOnlyInPrivateEnvFile(t *testing.T) {
	canary := "qlcanary-7d1f"
	root := writeRoot(t, map[string]string{
		"containers/app.yml": `env:
  GREETING: hi
  DB_PASSWORD: ` + canary + `-pw
  TLS_KEY: |
    -----BEGIN ` + canary + `-----
    line "two" $x %n \\
    -----END-----
secrets: [TLS_KEY]
roles:
  web: /usr/bin/demo serve
  worker: /usr/bin/demo worker
migrate: /usr/bin/demo migrate
`,
	})
	out, log := generate(t, root)
	found := false
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		st, _ := os.Stat(p)
		has := bytes.Contains(b, []byte(canary))
		if !has {
			return nil
		}
		found = true
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s (mode %v) holds the canary", p, st.Mode().Perm())
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "Exec") && strings.Contains(line, canary) {
				t.Errorf("%s: canary on a command line: %s", p, line)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("canary not in any generated file (the env file must hold it)\nlog:\n%s", log)
	}
	priv, err := os.Stat(filepath.Join(out, "quadlaunch.private"))
	if err != nil || priv.Mode().Perm() != 0o700 {
		t.Errorf("private dir: %v mode %v, want 0700", err, priv.Mode().Perm())
	}
	if strings.Contains(log, canary) {
		t.Errorf("canary in the generator's log:\n%s", log)
	}
}

func TestUserGeneratorName(t *testing.T) {
	for argv0, want := range map[string]bool{
		"/usr/lib/systemd/system-generators/quadlaunch-generator":    false,
		"/usr/lib/systemd/user-generators/quadlaunch-user-generator": true,
		"quadlaunch-generator": false,
	} {
		if got := isUserGenerator(argv0); got != want {
			t.Errorf("isUserGenerator(%q) = %v, want %v", argv0, got, want)
		}
	}
}

// No configs at all is a normal state (a fresh install): nothing written, no error.
func TestNoConfigs(t *testing.T) {
	out, log := generate(t, t.TempDir())
	entries, _ := os.ReadDir(out)
	if len(entries) != 0 || log != "" {
		t.Errorf("empty root wrote %d entries, log %q", len(entries), log)
	}
}

func TestQuadletBatches(t *testing.T) {
	var files []units.File
	for i := 0; i < 40; i++ {
		app := fmt.Sprintf("app%02d", i)
		files = append(files, units.File{Name: app + "-web.container", App: app, Kind: units.Quadlet},
			units.File{Name: app + "-data.volume", App: app, Kind: units.Quadlet})
	}
	files = append(files, units.File{Name: "app01-links.network", App: "app01", Kind: units.Quadlet, Shared: true})

	if b := quadletBatches(files, 1); len(b) != 1 || len(b[0]) != len(files) {
		t.Fatalf("one CPU: want one batch of all %d files, got %d batches", len(files), len(b))
	}
	if b := quadletBatches(files[:4], 8); len(b) != 1 {
		t.Fatalf("few files: want one batch, got %d", len(b))
	}
	batches := quadletBatches(files, 2)
	if len(batches) != 2 {
		t.Fatalf("want 2 batches, got %d", len(batches))
	}
	seen := map[string]int{}
	for _, b := range batches {
		apps := map[string]bool{}
		hasNetwork := false
		for _, f := range b {
			seen[f.Name]++
			apps[f.App] = true
			hasNetwork = hasNetwork || f.Name == "app01-links.network"
		}
		if !hasNetwork {
			t.Errorf("a batch lacks the link network its containers may refer to")
		}
		for _, f := range b {
			// an app's volume must be in the same batch as its containers
			if !f.Shared && !contains(b, f.App+"-web.container") {
				t.Errorf("%s split from its app's container", f.Name)
			}
		}
	}
	for _, f := range files {
		want := 1
		if f.Shared {
			want = 2
		}
		if seen[f.Name] != want {
			t.Errorf("%s in %d batches, want %d", f.Name, seen[f.Name], want)
		}
	}
}

func contains(files []units.File, name string) bool {
	for _, f := range files {
		if f.Name == name {
			return true
		}
	}
	return false
}

// A generator run split into quadlet batches writes every app's services once,
// each naming its own config in SourcePath=, and each link network's service
// once, although every batch converted it.
func TestBatchedRunWritesEveryServiceOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	files := map[string]string{}
	for i := range 40 {
		app := goodApp
		if i > 0 {
			app += "links:\n  - link: {name: app00, alias: db}\n"
		}
		files[fmt.Sprintf("containers/app%02d.yml", i)] = app
	}
	root := writeRoot(t, files)
	out, log := generate(t, root)
	if strings.TrimSpace(log) != "" {
		t.Errorf("log:\n%s", log)
	}
	batches, _ := os.ReadDir(filepath.Join(out, stagingDirName))
	if len(batches) < 2 {
		t.Fatalf("want several quadlet batches for 160 Quadlet files, got %d", len(batches))
	}
	entries, _ := os.ReadDir(out)
	services := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
		if !strings.HasSuffix(e.Name(), ".service") {
			continue
		}
		services++
		data, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sp := regexp.MustCompile(`(?m)^SourcePath=(.*)$`).FindAllStringSubmatch(string(data), -1)
		if len(sp) != 1 {
			t.Errorf("%s: %d SourcePath= lines", e.Name(), len(sp))
			continue
		}
		if app, _, ok := strings.Cut(e.Name(), "-"); ok && strings.HasPrefix(app, "app") {
			if want := filepath.Join(root, "containers", app+".yml"); sp[0][1] != want {
				t.Errorf("%s: SourcePath=%s, want %s", e.Name(), sp[0][1], want)
			}
		}
	}
	// web, worker, migrate, configure per app, and the link network of each
	// app that links (written from the first batch only, naming its config).
	if want := 40*4 + 39; services != want {
		t.Errorf("%d services, want %d", services, want)
	}
}

// versionWrapper is a quadlet that answers -version with script (a shell
// snippet) and converts with the real quadlet.
func versionWrapper(t *testing.T, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "quadlet")
	body := "#!/bin/sh\nif [ \"$1\" = -version ]; then " + script + "; fi\nexec " + testQuadlet(t) + " \"$@\"\n"
	if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

const healthApp = goodApp + `healthcheck:
  cmd: /usr/bin/demo check
  interval: 2s
`

// The plan is made for the tested quadlet version before the host's quadlet
// has answered: an older quadlet gets the units planned for it (no
// Notify=healthy before Podman 5.0), a slow one the tested plan once it answers.
func TestPlanFollowsTheHostQuadletVersion(t *testing.T) {
	for _, c := range []struct {
		answer string
		notify bool
	}{
		{"echo 4.9.4; exit 0", false},
		{"sleep 0.3; echo 5.4.2; exit 0", true},
		{"echo 5.6.1; exit 0", true},
	} {
		root := writeRoot(t, map[string]string{"containers/shop.yml": healthApp})
		t.Setenv("QUADLAUNCH_ROOT", root)
		t.Setenv("QUADLAUNCH_QUADLET", versionWrapper(t, c.answer))
		t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
		out := t.TempDir()
		var logBuf bytes.Buffer
		if err := run(out, true, &logger{w: &logBuf}); err != nil {
			t.Fatalf("%s: run: %v\nlog:\n%s", c.answer, err, logBuf.String())
		}
		staged, err := os.ReadFile(filepath.Join(out, stagingDirName, units.RoleContainerFile("shop", "web")))
		if err != nil {
			t.Fatal(err)
		}
		service, err := os.ReadFile(filepath.Join(out, "shop-web.service"))
		if err != nil {
			t.Fatalf("%s: %v", c.answer, err)
		}
		if got := strings.Contains(string(staged), "Notify=healthy"); got != c.notify {
			t.Errorf("quadlet answering %q: Notify=healthy staged %v, want %v:\n%s", c.answer, got, c.notify, staged)
		}
		if got := strings.Contains(string(service), "--health-cmd"); !got {
			t.Errorf("quadlet answering %q: service without its health check:\n%s", c.answer, service)
		}
	}
}

// A quadlet that cannot tell its version gets no unit at all, however long it
// takes to fail: the conversion that ran meanwhile is thrown away.
func TestNoUnitsWhenTheVersionProbeFails(t *testing.T) {
	root := writeRoot(t, map[string]string{"containers/shop.yml": healthApp})
	t.Setenv("QUADLAUNCH_ROOT", root)
	t.Setenv("QUADLAUNCH_QUADLET", versionWrapper(t, "sleep 0.3; exit 3"))
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	out := t.TempDir()
	var logBuf bytes.Buffer
	err := run(out, true, &logger{w: &logBuf})
	if err == nil || !strings.Contains(err.Error(), "-version") {
		t.Fatalf("run: %v, want the -version failure", err)
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if e.Name() != stagingDirName {
			t.Errorf("%s written although quadlet's version is unknown", e.Name())
		}
	}
}

// quadlet is asked its version once per binary: later runs (daemon-reload)
// read the answer kept in the runtime dir, until the binary changes; a memo
// anyone else could have written is not believed.
func TestQuadletVersionMemo(t *testing.T) {
	root := writeRoot(t, map[string]string{"containers/shop.yml": healthApp})
	t.Setenv("QUADLAUNCH_ROOT", root)
	rt := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", rt)
	asked := filepath.Join(t.TempDir(), "asked")
	quadlet := versionWrapper(t, "echo x >> "+asked+"; echo 5.4.2; exit 0")
	t.Setenv("QUADLAUNCH_QUADLET", quadlet)
	generateWith := func() string {
		t.Helper()
		out := t.TempDir()
		var logBuf bytes.Buffer
		if err := run(out, true, &logger{w: &logBuf}); err != nil {
			t.Fatalf("run: %v\nlog:\n%s", err, logBuf.String())
		}
		staged, err := os.ReadFile(filepath.Join(out, stagingDirName, units.RoleContainerFile("shop", "web")))
		if err != nil {
			t.Fatal(err)
		}
		return string(staged)
	}
	times := func() int {
		b, _ := os.ReadFile(asked)
		return strings.Count(string(b), "x")
	}
	generateWith()
	generateWith()
	if n := times(); n != 1 {
		t.Errorf("quadlet asked %d times in two runs, want 1", n)
	}
	// A new binary (a package upgrade) is asked again.
	body, _ := os.ReadFile(quadlet)
	if err := os.Remove(quadlet); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(quadlet, body, 0o755); err != nil {
		t.Fatal(err)
	}
	generateWith()
	if n := times(); n != 2 {
		t.Errorf("quadlet asked %d times after it was replaced, want 2", n)
	}
	// The memo is what the run believes: an older version kept for this
	// binary gets that version's units (no Notify=healthy before Podman 5.0).
	memo := versionMemoPath(true)
	id, err := binaryIdentity(quadlet)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(memo, []byte(id+"\n4.9.4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if staged := generateWith(); strings.Contains(staged, "Notify=healthy") || times() != 2 {
		t.Errorf("the kept 4.9.4 was not used (asked %d times):\n%s", times(), staged)
	}
	// ... unless others could have written it.
	if err := os.Chmod(memo, 0o666); err != nil {
		t.Fatal(err)
	}
	if staged := generateWith(); !strings.Contains(staged, "Notify=healthy") || times() != 3 {
		t.Errorf("a world-writable memo was believed (asked %d times):\n%s", times(), staged)
	}
	if !strings.HasPrefix(memo, rt) {
		t.Errorf("memo %s outside XDG_RUNTIME_DIR %s", memo, rt)
	}
}
