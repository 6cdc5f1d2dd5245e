package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBenchReport is `make bench`: the generator's cost for 1/10/100 apps next
// to quadlet alone on the same Quadlet files, and its peak RSS for 100 apps.
// It is a scripted run that prints figures (targets: ratio <= 2.0 for 1 app
// and <= 1.15 for 100, RSS <= 10 MB; the headline ratios are the reload with
// unchanged configs, and the same with every config changed follow them),
// not a pass/fail timing test: on a
// 2-CPU machine with neighbours the medians move by more than the margins,
// so it only fails when a run itself fails.
func TestBenchReport(t *testing.T) {
	if os.Getenv("QUADLAUNCH_BENCH") == "" {
		t.Skip("set QUADLAUNCH_BENCH=1 (make bench) to run the generator benchmark")
	}
	quadlet := os.Getenv("QUADLAUNCH_TEST_QUADLET")
	if quadlet == "" {
		t.Skip("QUADLAUNCH_TEST_QUADLET unset: run `make tools` and `make bench`")
	}
	bin := t.TempDir()
	gen := filepath.Join(bin, "quadlaunch-generator")
	runstat := filepath.Join(bin, "runstat")
	for out, pkg := range map[string]string{gen: ".", runstat: "./testdata/runstat"} {
		build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, out)
		}
	}

	// The generator keeps quadlet's version and its conversions in the
	// runtime dir (versionmemo.go, conversionmemo.go), here a private one.
	// Each generator run writes into the same emptied dir, as systemd's do.
	// Measured per figure, alternating with quadlet alone on the same files
	// so that load from elsewhere on the machine hits both alike:
	//   reload   a daemon-reload with unchanged configs (both memos kept);
	//   changed  every config changed since the last run (conversion memo
	//            gone: quadlet converts everything);
	//   boot     the first run after a boot (/run empty: quadlet is also
	//            asked its version);
	//   one      100 apps, one of which changed (quadlet converts that one).
	var reload1, reload100, changed1, changed100 float64
	var rss100, rssMax100 int64
	for _, n := range []int{1, 10, 100} {
		root := t.TempDir()
		writeBenchRoot(t, root, n)
		runtimeDir := runDir(t) // beside the output dir, as /run holds both
		conversions := filepath.Join(runtimeDir, "quadlaunch", "generator", "conversions")
		env := []string{"QUADLAUNCH_ROOT=" + root, "QUADLAUNCH_QUADLET=" + quadlet, "QUADLAUNCH_RUNTIME_DIR=" + runtimeDir}
		out := runDir(t)
		generate := func() (time.Duration, int64) {
			emptyDir(t, out)
			return runTimed(t, runstat, []string{gen, out, out, out}, env)
		}
		generate() // the first run after a boot: quadlet converts every file
		staging := flattenStaging(t, filepath.Join(out, stagingDirName))
		files, _ := filepath.Glob(filepath.Join(staging, "*"))
		// Medians of many alternating runs: a 2-CPU VM's neighbours make single
		// runs vary by a third.
		runs := 21
		if n != 10 {
			runs = runs100 // the figures with a target
		}
		var reload, qTimes, changed, boot, one []time.Duration
		var rsss []int64 // each reload run's peak RSS
		for i := 0; i < runs; i++ {
			d, rss := generate()
			reload = append(reload, d)
			rsss = append(rsss, rss)
			if i == 0 {
				if _, err := os.Stat(filepath.Join(out, stagingDirName)); err == nil {
					t.Fatalf("apps=%d: quadlet ran on a reload with unchanged configs", n)
				}
			}

			qout := runDir(t)
			d, _ = runTimed(t, runstat, []string{quadlet, "-no-kmsg-log", qout, qout, qout}, []string{"QUADLET_UNIT_DIRS=" + staging})
			qTimes = append(qTimes, d)
			os.RemoveAll(qout)

			if n == 10 {
				continue
			}
			must(t, os.RemoveAll(conversions))
			d, _ = generate()
			changed = append(changed, d)
			if n == 1 {
				must(t, os.RemoveAll(runtimeDir))
				must(t, os.Mkdir(runtimeDir, 0o700))
				d, _ = generate()
				boot = append(boot, d)
			}
			if n == 100 {
				// app000 changes back and forth: each run converts it again.
				writeBenchApp(t, root, 0, i%2 == 0)
				d, _ = generate()
				one = append(one, d)
			}
		}
		r, q := median(reload), median(qTimes)
		rss, rssMax := median(rsss), slices.Max(rsss)
		// Peak RSS like the times: the median run's. A run's peak also
		// depends on when the GC gets to run next to quadlet, so the highest
		// is printed too.
		fmt.Printf("bench: apps=%-3d quadlet files=%-4d quadlet alone=%7.2f ms  reload (configs unchanged): generator=%7.2f ms ratio=%.2f  peak RSS=%.1f MB (highest %.1f)\n",
			n, len(files), ms(q), ms(r), float64(r)/float64(q), mb(rss), mb(rssMax))
		if n == 10 {
			continue
		}
		c := median(changed)
		fmt.Printf("bench: apps=%-3d every config changed: generator=%7.2f ms  ratio=%.2f\n", n, ms(c), float64(c)/float64(q))
		switch n {
		case 1:
			b := median(boot)
			fmt.Printf("bench: apps=1   first run after a boot (quadlet also asked its version): generator=%7.2f ms  ratio=%.2f\n", ms(b), float64(b)/float64(q))
			reload1, changed1 = float64(r)/float64(q), float64(c)/float64(q)
		case 100:
			o := median(one)
			fmt.Printf("bench: apps=100 one config changed: generator=%7.2f ms  ratio=%.2f\n", ms(o), float64(o)/float64(q))
			reload100, changed100 = float64(r)/float64(q), float64(c)/float64(q)
			rss100, rssMax100 = rss, rssMax
		}
	}
	fmt.Printf("generator peak RSS (100 apps): %.1f MB, median of %d runs; highest %.1f MB (target <= 10 MB)\n", mb(rss100), runs100, mb(rssMax100))
	worstTime, worstRSS, configs := worstCase(t, runstat, gen, quadlet)
	fmt.Printf("generator worst case: %.2f s, %.1f MB (highest of %d runs on %d hostile and at-limit configs next to 20 good apps)\n",
		worstTime.Seconds(), mb(worstRSS), worstRuns, configs)
	fmt.Printf("generator/quadlet ratio (1 app): %.2f\n", reload1)
	fmt.Printf("generator/quadlet ratio (100 apps): %.2f\n", reload100)
	fmt.Printf("generator/quadlet ratio, every config changed (1 app): %.2f\n", changed1)
	fmt.Printf("generator/quadlet ratio, every config changed (100 apps): %.2f\n", changed100)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// emptyDir empties dir, as systemd empties its generator dirs before each run.
func emptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	must(t, err)
	for _, e := range entries {
		must(t, os.RemoveAll(filepath.Join(dir, e.Name())))
	}
}

const worstRuns = 5

// worstCase runs the generator on writeAdversarialRoot and returns its
// highest wall time and peak RSS.
func worstCase(t *testing.T, runstat, gen, quadlet string) (time.Duration, int64, int) {
	root := t.TempDir()
	configs := writeAdversarialRoot(t, root)
	writeBenchRoot(t, root, 20)
	var worstTime time.Duration
	var worstRSS int64
	for range worstRuns {
		out := runDir(t)
		// A fresh runtime dir each time: quadlet converts every file.
		env := []string{"QUADLAUNCH_ROOT=" + root, "QUADLAUNCH_QUADLET=" + quadlet, "QUADLAUNCH_RUNTIME_DIR=" + t.TempDir()}
		d, rss := runTimed(t, runstat, []string{gen, out, out, out}, env)
		worstTime, worstRSS = max(worstTime, d), max(worstRSS, rss)
	}
	return worstTime, worstRSS, configs
}

// writeAdversarialRoot writes one config of each hostile class the
// generator must survive, each at or just over its limit, and returns how
// many it wrote: alias bombs, deep nesting with long keys, flow lists at and
// over the parser's limit, roles x volumes at and over the limits, env values
// near the kernel's limit, templates of the largest size an app may merge,
// a FIFO and a kernel file that block a read, names colliding across apps
// and with systemd's, a name too long to write, and a cycle of links.
func writeAdversarialRoot(t *testing.T, root string) int {
	t.Helper()
	files := map[string]string{
		"containers/selfref.yml":  "params: &a {x: [*a, *a, *a, *a]}\n",
		"containers/laughs.yml":   laughs(),
		"containers/flowover.yml": "params:\n  a: [" + strings.Repeat("x,", 450_000) + "x]\n",
		"containers/shop.yml":     "roles:\n  api-web: /bin/a\n",
		"containers/shop-api.yml": goodApp,
		"containers/default.yml":  goodApp,
		"containers/poweroff.yml": goodApp,
		"containers/longname.yml": goodApp + "volumes:\n  - volume: {host: " + strings.Repeat("v", 250) + ", guest: /d}\n",
		"containers/ping.yml":     goodApp + "links:\n  - link: {name: pong}\n",
		"containers/pong.yml":     goodApp + "links:\n  - link: {name: ping}\n",
	}
	deep := "params:\n"
	for i := range 200 {
		deep += strings.Repeat(" ", i+2) + strings.Repeat("k", 200) + fmt.Sprint(i) + ":\n"
	}
	files["containers/deep.yml"] = deep + strings.Repeat(" ", 203) + "v: 1\n"
	// Just under the parser's limit, each item as long as the size cap allows.
	flow := "params:\n  a: [" + strings.Repeat(strings.Repeat("y", 48)+",", 19_900) + "y]\n"
	files["containers/flowlimit.yml"] = flow
	var limits, over strings.Builder
	limits.WriteString("roles:\n")
	over.WriteString("roles:\n")
	for i := range 33 {
		fmt.Fprintf(&over, "  r%d: /bin/a\n", i)
		if i < 32 {
			fmt.Fprintf(&limits, "  r%d: /bin/a\n", i)
		}
	}
	limits.WriteString("volumes:\n")
	for i := range 64 {
		fmt.Fprintf(&limits, "  - volume: {host: v%d, guest: /v%d}\n", i, i)
	}
	limits.WriteString("env:\n")
	for i := range 2000 {
		fmt.Fprintf(&limits, "  E%04d: v\n", i)
	}
	files["containers/limits.yml"] = limits.String()
	files["containers/square.yml"] = over.String()
	var env strings.Builder
	env.WriteString("env:\n")
	for i := range 8 {
		fmt.Fprintf(&env, "  BIG%d: %s\n", i, strings.Repeat("x", 120_000))
	}
	files["containers/bigenv.yml"] = env.String()
	// Templates as big as an app may merge, shared by three apps.
	var tmpls strings.Builder
	tmpls.WriteString("templates:\n")
	for i := range 8 {
		name := fmt.Sprintf("templates/big%d.template.yml", i)
		files[name] = fmt.Sprintf("params:\n  big%d: [", i) + strings.Repeat(strings.Repeat("z", 48)+",", 19_900) + "z]\n"
		fmt.Fprintf(&tmpls, "  - %s\n", name)
	}
	for _, app := range []string{"bigtemplates1", "bigtemplates2", "bigtemplates3"} {
		files["containers/"+app+".yml"] = tmpls.String()
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n := len(files)
	if err := syscall.Mkfifo(filepath.Join(root, "containers", "fifo.yml"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/proc/kmsg", filepath.Join(root, "containers", "kmsg.yml")); err != nil {
		t.Fatal(err)
	}
	return n + 2
}

// runTimed runs argv through runstat with extra env and returns its wall time
// and peak RSS (KiB, with its children's: the generator's include quadlet's).
// Measured by runstat, not by this test: a child's peak RSS, as wait4 reports
// it, starts at the RSS of the process that exec'd it (Go forks with
// CLONE_VM), and this test binary is bigger than the generator.
const runs100 = 41

func runTimed(t *testing.T, runstat string, argv, env []string) (time.Duration, int64) {
	t.Helper()
	cmd := exec.Command(runstat, argv...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", argv[0], err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	var us, rss int64
	if _, err := fmt.Sscanf(lines[len(lines)-1], "runstat: %d %d", &us, &rss); err != nil {
		t.Fatalf("%s: no runstat line in %q", argv[0], stderr.String())
	}
	return time.Duration(us) * time.Microsecond, rss
}

// flattenStaging copies the Quadlet files the generator staged (in one dir,
// or one per quadlet batch) into a single dir for quadlet alone to convert.
func flattenStaging(t *testing.T, dir string) string {
	t.Helper()
	flat := t.TempDir()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(flat, d.Name()), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return flat
}

// runDir is an output dir on tmpfs when there is one: systemd's generator dirs
// live on /run, and a disk's metadata cost would swamp what is measured.
func runDir(t *testing.T) string {
	t.Helper()
	base := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}
	d, err := os.MkdirTemp(base, "quadlaunch-bench-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func median[T time.Duration | int64](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func mb(kib int64) float64 { return float64(kib) / 1024 }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// writeBenchRoot writes n apps shaped like a Discourse web_only config: one
// shared template, and per app env (with a secret), expose, volumes, two roles,
// migrate/configure commands and a healthcheck.
func writeBenchRoot(t *testing.T, root string, n int) {
	t.Helper()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "containers"), 0o700))
	must(os.MkdirAll(filepath.Join(root, "templates"), 0o700))
	must(os.WriteFile(filepath.Join(root, "templates", "web.template.yml"), []byte(benchTemplate), 0o600))
	for i := 0; i < n; i++ {
		writeBenchApp(t, root, i, false)
	}
}

// writeBenchApp writes app i's config; changed moves its published port,
// which changes its Quadlet files.
func writeBenchApp(t *testing.T, root string, i int, changed bool) {
	t.Helper()
	port := 8000 + i
	if changed {
		port += 1000
	}
	app := fmt.Sprintf(benchApp, port, i, i, i)
	if err := os.WriteFile(filepath.Join(root, "containers", fmt.Sprintf("app%03d.yml", i)), []byte(app), 0o600); err != nil {
		t.Fatal(err)
	}
}

const benchTemplate = `base_image: localhost/base:1
env:
  RAILS_ENV: production
  UNICORN_WORKERS: 3
  RUBY_GC_HEAP_GROWTH_MAX_SLOTS: 40000
  DB_SOCKET: /var/run/postgresql
params:
  home: /var/www/app
  version: latest
run:
  - exec: echo one
  - file:
      path: /etc/service/web/run
      chmod: "+x"
      contents: |
        #!/bin/sh
        cd $home
        exec ./server
  - exec:
      cd: $home
      hook: code
      cmd:
        - git checkout $version
        - mkdir -p tmp
  - exec:
      tag: migrate
      cmd: ./migrate
`

const benchApp = `templates:
  - templates/web.template.yml
expose:
  - "%d:80"
volumes:
  - volume:
      host: /var/lib/app%03d
      guest: /shared
env:
  HOSTNAME: app%03d.example.com
  DB_PASSWORD: secret-%03d
  TLS_KEY: |
    -----BEGIN KEY-----
    abc
    -----END KEY-----
secrets: [TLS_KEY]
roles:
  web: /usr/bin/server
  worker: /usr/bin/server worker
migrate: /usr/bin/server migrate
configure: /usr/bin/server configure
healthcheck:
  cmd: /usr/bin/server check
  interval: 2s
`
