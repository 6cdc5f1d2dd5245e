package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The adversarial suite: for each class of hostile or broken config, a root
// holding it next to two good apps (alpha, beta). Every case asserts that the
// good apps' units are complete, that the bad app has none of its own units,
// and that its error names the file, a line and the key.

// goodApps are the two healthy neighbours of every case.
var goodApps = map[string]string{
	"containers/alpha.yml": goodApp,
	"containers/beta.yml":  goodApp,
}

func rootWith(t *testing.T, files map[string]string) string {
	t.Helper()
	all := map[string]string{}
	for k, v := range goodApps {
		all[k] = v
	}
	for k, v := range files {
		all[k] = v
	}
	return writeRoot(t, all)
}

// appUnits are the units goodApp makes for app (user mode).
func appUnits(app string) []string {
	return []string{app + "-web.service", app + "-worker.service", app + "-migrate.service",
		app + "-configure.service", app + ".target", "default.target.wants/" + app + ".target"}
}

func assertComplete(t *testing.T, out, log string, apps ...string) {
	t.Helper()
	for _, app := range apps {
		for _, u := range appUnits(app) {
			if _, err := os.Stat(filepath.Join(out, u)); err != nil {
				t.Errorf("%s: missing %s\nlog:\n%s", app, u, log)
			}
		}
		if _, err := os.Stat(filepath.Join(out, "quadlaunch.private", app+".env")); err != nil {
			t.Errorf("%s: missing env file\nlog:\n%s", app, log)
		}
	}
}

// assertRefused checks that app has no target, migrate unit or env file and
// that the log names file:line: key: ... msg.
func assertRefused(t *testing.T, out, log, root, app, key, msg string) {
	t.Helper()
	for _, u := range []string{app + ".target", app + "-migrate.service", "quadlaunch.private/" + app + ".env"} {
		if _, err := os.Lstat(filepath.Join(out, u)); err == nil {
			t.Errorf("refused app %s still got %s", app, u)
		}
	}
	file := filepath.Join(root, "containers", app+".yml")
	keyRe := ""
	if key != "" { // a key path may go on (params.x[0].x[0]...)
		keyRe = regexp.QuoteMeta(key) + `\S*: `
	}
	re := regexp.MustCompile(regexp.QuoteMeta(file) + `:\d+: ` + keyRe + `.*` + regexp.QuoteMeta(msg))
	if !re.MatchString(log) {
		t.Errorf("log lacks %s:LINE: %s: ...%s\nlog:\n%s", file, key, msg, log)
	}
}

// Names that collide once joined: the app whose namespace the name is in
// keeps it, whatever the order; the intruder is refused with the key.
func TestNamesCollidingAcrossApps(t *testing.T) {
	for _, c := range []struct{ name, intruder, config, key, msg string }{
		{"role joins into another app's role", "shop", "roles:\n  api-web: /bin/a\n", "roles.api-web", "lies in the names of app shop-api"},
		{"role named like another app's migrate", "shop", "roles:\n  api-migrate: /bin/a\n", "roles.api-migrate", "lies in the names of app shop-api"},
		{"volume joins into another app's volume", "shop", "volumes:\n  - volume: {host: api-data, guest: /d}\n", "volumes[0]", "lies in the names of app shop-api"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := rootWith(t, map[string]string{
				"containers/" + c.intruder + ".yml": c.config,
				"containers/shop-api.yml":           goodApp + "volumes:\n  - volume: {host: data, guest: /d}\n",
			})
			out, log := generate(t, root)
			assertComplete(t, out, log, "alpha", "beta", "shop-api")
			assertRefused(t, out, log, root, c.intruder, c.key, c.msg)
			web, _ := os.ReadFile(filepath.Join(out, "shop-api-web.service"))
			if !bytes.Contains(web, []byte("shop-api.yml")) {
				t.Errorf("shop-api-web.service is not shop-api's:\n%s", web)
			}
		})
	}
	// The owner keeps its names even while its own config is broken.
	t.Run("owner broken", func(t *testing.T) {
		root := rootWith(t, map[string]string{
			"containers/shop.yml":     "roles:\n  api-web: /bin/a\n",
			"containers/shop-api.yml": "env: [broken\n",
		})
		out, log := generate(t, root)
		assertComplete(t, out, log, "alpha", "beta")
		assertRefused(t, out, log, root, "shop", "roles.api-web", "lies in the names of app shop-api")
	})
	// Within one app: a role whose unit is the link network's.
	t.Run("role named like the app's link network", func(t *testing.T) {
		root := rootWith(t, map[string]string{
			"containers/gamma.yml": "roles:\n  web: /bin/a\n  links-network: /bin/b\nlinks:\n  - link: {name: alpha, alias: db}\n",
		})
		out, log := generate(t, root)
		assertComplete(t, out, log, "alpha", "beta")
		assertRefused(t, out, log, root, "gamma", "links", "unit gamma-links-network.service is already made by roles.links-network")
	})
}

// App names that are systemd's own units, or start with its prefixes.
func TestAppNamesOfSystemdUnits(t *testing.T) {
	for _, name := range []string{"default", "multi-user", "poweroff", "systemd", "quadlaunch"} {
		t.Run(name, func(t *testing.T) {
			cfg := "base_image: x\n"
			if name == "systemd" {
				cfg = "roles:\n  journald: /bin/a\n"
			}
			root := rootWith(t, map[string]string{"containers/" + name + ".yml": cfg})
			out, log := generate(t, root)
			assertComplete(t, out, log, "alpha", "beta")
			if _, err := os.Lstat(filepath.Join(out, name+".target")); err == nil {
				t.Errorf("%s.target written", name)
			}
			file := filepath.Join(root, "containers", name+".yml")
			if !strings.Contains(log, file) || !regexp.MustCompile(`systemd's own units|belong to`).MatchString(log) {
				t.Errorf("no error naming %s and the reserved name:\n%s", file, log)
			}
		})
	}
}

// Names the writer could not write once the loader accepted them: either
// both accept (data..old) or the plan refuses with the key (a long name).
func TestNamesTheWriterMustWrite(t *testing.T) {
	long := strings.Repeat("v", 250)
	root := rootWith(t, map[string]string{
		"containers/gamma.yml": goodApp + "volumes:\n  - volume: {host: data..old, guest: /d}\n",
		"containers/delta.yml": goodApp + "volumes:\n  - volume: {host: " + long + ", guest: /d}\n",
	})
	out, log := generate(t, root)
	assertComplete(t, out, log, "alpha", "beta", "gamma")
	if _, err := os.Stat(filepath.Join(out, "gamma-data..old-volume.service")); err != nil {
		t.Errorf("volume data..old not written: %v\n%s", err, log)
	}
	assertRefused(t, out, log, root, "delta", "volumes[0]", "more than the 255")
}

// Reads that never return: a FIFO as a config and as a template, a symlink
// to a kernel file whose read blocks. The run ends quickly and says why.
func TestReadsThatWouldBlock(t *testing.T) {
	root := rootWith(t, map[string]string{
		"containers/gamma.yml": "templates: [templates/fifo.template.yml]\n",
		"containers/delta.yml": "templates: [templates/kmsg.template.yml]\n",
	})
	if err := os.MkdirAll(filepath.Join(root, "templates"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"containers/fifo.yml", "templates/fifo.template.yml"} {
		if err := syscall.Mkfifo(filepath.Join(root, p), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"containers/kmsg.yml", "templates/kmsg.template.yml"} {
		if err := os.Symlink("/proc/kmsg", filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	out, log := generate(t, root)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("run took %s", d)
	}
	assertComplete(t, out, log, "alpha", "beta")
	assertRefused(t, out, log, root, "gamma", "templates[0]", "not a regular file")
	assertRefused(t, out, log, root, "delta", "templates[0]", "outside the config root")
	for _, want := range []string{
		filepath.Join(root, "containers/fifo.yml") + ": skipped: a FIFO",
		filepath.Join(root, "containers/kmsg.yml") + ": on the proc pseudo file system",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// Memory: aliases that expand without end, deep nesting with long keys, a
// flow list of a megabyte, and roles x volumes. Each is refused with its key
// (or, at the limits, accepted) and the run's allocations stay bounded.
func TestMemoryBombs(t *testing.T) {
	deep := "params:\n"
	for i := range 200 {
		deep += strings.Repeat(" ", i+2) + strings.Repeat("k", 60) + fmt.Sprint(i) + ":\n"
	}
	deep += strings.Repeat(" ", 203) + "v: 1\n"
	var roles, volumes strings.Builder
	for i := range 40 {
		fmt.Fprintf(&roles, "  r%d: /bin/a\n", i)
		fmt.Fprintf(&volumes, "  - volume: {host: v%d, guest: /v%d}\n", i, i)
	}
	var atLimit strings.Builder
	atLimit.WriteString("roles:\n")
	for i := range 32 {
		fmt.Fprintf(&atLimit, "  r%d: /bin/a\n", i)
	}
	atLimit.WriteString("volumes:\n")
	for i := range 64 {
		fmt.Fprintf(&atLimit, "  - volume: {host: v%d, guest: /v%d}\n", i, i)
	}
	root := rootWith(t, map[string]string{
		"containers/selfref.yml": "params: &a {x: [*a, *a, *a, *a]}\n",
		"containers/laughs.yml":  laughs(),
		"containers/deep.yml":    deep,
		"containers/flow.yml":    "params:\n  a: [" + strings.Repeat("x,", 450_000) + "x]\n",
		"containers/square.yml":  "roles:\n" + roles.String() + "volumes:\n" + volumes.String(),
		"containers/limits.yml":  atLimit.String(),
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	out, log := generate(t, root)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 200<<20 {
		t.Errorf("the run allocated %d MB", alloc>>20)
	}
	assertComplete(t, out, log, "alpha", "beta")
	assertRefused(t, out, log, root, "selfref", "params.x[0]", "nested deeper than")
	assertRefused(t, out, log, root, "laughs", "", "expand past")
	assertRefused(t, out, log, root, "deep", "params", "nested deeper than")
	assertRefused(t, out, log, root, "square", "roles", "the limit is 32")
	if !strings.Contains(log, filepath.Join(root, "containers/flow.yml")+": too many YAML elements") {
		t.Errorf("flow list not refused:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(out, "limits-r31.service")); err != nil {
		t.Errorf("an app at the limits lost its units: %v\n%s", err, log)
	}
}

// laughs is the billion-laughs document: nine levels of nine aliases.
func laughs() string {
	var b strings.Builder
	b.WriteString("params:\n  a0: &a0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [*a%d, *a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d]\n", i, i, i-1)
	}
	return b.String()
}

// Links are scoped per app: two sites that each link their own database as
// "data" each get their own; a cycle of links is refused for the apps on it.
func TestLinkIsolationAndCycles(t *testing.T) {
	root := rootWith(t, map[string]string{
		"containers/site1.yml": goodApp + "links:\n  - link: {name: db1, alias: data}\n",
		"containers/site2.yml": goodApp + "links:\n  - link: {name: db2, alias: data}\n",
		"containers/db1.yml":   goodApp,
		"containers/db2.yml":   goodApp,
		"containers/ping.yml":  goodApp + "links:\n  - link: {name: pong}\n",
		"containers/pong.yml":  goodApp + "links:\n  - link: {name: ping}\n",
	})
	out, log := generate(t, root)
	assertComplete(t, out, log, "alpha", "beta", "site1", "site2", "db1", "db2")
	for db, site := range map[string]string{"db1": "site1", "db2": "site2"} {
		web, _ := os.ReadFile(filepath.Join(out, db+"-web.service"))
		if !bytes.Contains(web, []byte("--network "+site+"-links:alias=data")) {
			t.Errorf("%s-web does not answer to data on %s-links:\n%s", db, site, web)
		}
		if bytes.Contains(web, []byte("network-alias")) || bytes.Count(web, []byte("--network ")) != 1 {
			t.Errorf("%s-web has an alias outside %s's network:\n%s", db, site, web)
		}
	}
	assertRefused(t, out, log, root, "ping", "links[0]", "links form a cycle (ping -> pong -> ping)")
	assertRefused(t, out, log, root, "pong", "links[0]", "links form a cycle (pong -> ping -> pong)")
}

// The smaller classes.
func TestSmallerClasses(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.yml")
	if err := os.WriteFile(outside, []byte("env:\n  STOLEN: hunter2-canary\nbad: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := rootWith(t, map[string]string{
		"containers/outside.yml":   "templates: [" + outside + "]\n",
		"containers/dotdot.yml":    "templates: [../../../../../../../" + outside + "]\n",
		"containers/label.yml":     goodApp + "labels:\n  quadlaunch.app: other\n",
		"containers/forged.yml":    goodApp + "\"x\\nquadlaunch-generator: FORGED\": 1\n",
		"containers/backslash.yml": goodApp + "volumes:\n  - volume: {host: '/srv/x\\', guest: /d}\n",
		"containers/helper.yml":    withEnv("QUADLAUNCH_ROOT: /tmp/evil"),
		"containers/huge.yml":      withEnv("BIG: " + strings.Repeat("x", 140_000)),
	})
	out, log := generate(t, root)
	assertComplete(t, out, log, "alpha", "beta", "forged", "helper")
	assertRefused(t, out, log, root, "outside", "templates[0]", "outside the config root")
	assertRefused(t, out, log, root, "dotdot", "templates[0]", "outside the config root")
	assertRefused(t, out, log, root, "label", "labels.quadlaunch.app", "reserved")
	assertRefused(t, out, log, root, "backslash", "volumes[0]", "backslash")
	assertRefused(t, out, log, root, "huge", "env.BIG", "MAX_ARG_STRLEN")
	if strings.Contains(log, "hunter2") {
		t.Errorf("a template outside the root was read into the log:\n%s", log)
	}
	for _, line := range strings.Split(log, "\n") {
		if strings.HasPrefix(line, "quadlaunch-generator: FORGED") {
			t.Errorf("a key forged a log line: %q", line)
		}
	}
	env, _ := os.ReadFile(filepath.Join(out, "quadlaunch.private", "helper.env"))
	if bytes.Contains(env, []byte("QUADLAUNCH_ROOT")) {
		t.Errorf("QUADLAUNCH_ROOT in the env file the helper loads:\n%s", env)
	}
}

// Symlinks planted in the output dir are replaced, not followed.
func TestOutputSymlinksNotFollowed(t *testing.T) {
	root := rootWith(t, nil)
	t.Setenv("QUADLAUNCH_ROOT", root)
	t.Setenv("QUADLAUNCH_QUADLET", testQuadlet(t))
	out, elsewhere := t.TempDir(), t.TempDir()
	for _, name := range []string{"default.target.wants", "quadlaunch.private", stagingDirName} {
		if err := os.Symlink(elsewhere, filepath.Join(out, name)); err != nil {
			t.Fatal(err)
		}
	}
	var logBuf bytes.Buffer
	if err := run(out, true, &logger{w: &logBuf}); err != nil {
		t.Fatalf("run: %v\n%s", err, logBuf.String())
	}
	assertComplete(t, out, logBuf.String(), "alpha", "beta")
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("the generator wrote through a symlink: %d entries in its target", len(entries))
	}
}

// Two runs at once into one dir (two daemon-reloads) both succeed.
func TestConcurrentRuns(t *testing.T) {
	root := rootWith(t, nil)
	t.Setenv("QUADLAUNCH_ROOT", root)
	t.Setenv("QUADLAUNCH_QUADLET", testQuadlet(t))
	out := t.TempDir()
	var wg sync.WaitGroup
	logs := make([]bytes.Buffer, 4)
	errs := make([]error, 4)
	for i := range logs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = run(out, true, &logger{w: &logs[i]})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("run %d: %v\n%s", i, err, logs[i].String())
		}
	}
	assertComplete(t, out, logs[0].String(), "alpha", "beta")
	leftovers, _ := filepath.Glob(filepath.Join(out, ".ql-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// withEnv is goodApp with one more env entry.
func withEnv(entry string) string {
	return strings.Replace(goodApp, "env:\n", "env:\n  "+entry+"\n", 1)
}
