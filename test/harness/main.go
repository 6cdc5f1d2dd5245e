// Command harness boots real systemd 257 + Podman 5.4 testbeds under
// systemd-nspawn and runs the project's end-to-end scenarios in them. See
// doc.go and README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const cacheDir = "/var/tmp/quadlaunch-e2e"

var (
	logMu sync.Mutex
	start = time.Now()
)

func logf(format string, args ...any) {
	logMu.Lock()
	defer logMu.Unlock()
	fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
}

// live holds the testbeds that must be shut down on exit or interrupt.
var live = struct {
	sync.Mutex
	m map[*Testbed]bool
}{m: map[*Testbed]bool{}}

func track(tb *Testbed, on bool) {
	live.Lock()
	defer live.Unlock()
	if on {
		live.m[tb] = true
	} else {
		delete(live.m, tb)
	}
}

func stopAll() {
	live.Lock()
	tbs := make([]*Testbed, 0, len(live.m))
	for tb := range live.m {
		tbs = append(tbs, tb)
	}
	live.Unlock()
	var wg sync.WaitGroup
	for _, tb := range tbs {
		wg.Add(1)
		go func() { defer wg.Done(); tb.Destroy() }()
	}
	wg.Wait()
}

type result struct {
	passed, failed int
}

func main() {
	runFilter := flag.String("run", "", "only scenarios whose `group/name` matches this regexp")
	install := flag.String("install", "bind", "how binaries get into the testbed: "+installerNames())
	binDir := flag.String("bin", "", "directory with quadlaunch and quadlaunch-generator (default <repo>/bin)")
	keep := flag.Bool("keep", false, "leave each testbed's directory in "+cacheDir+"/run after stopping it")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: harness [flags] e2e|demo|boot|rootfs|prepare|list\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	mode := flag.Arg(0)
	if mode == "list" {
		for _, g := range groups() {
			for _, s := range g.Scenarios {
				fmt.Printf("%s/%s\n", g.Name, s.Name)
			}
		}
		return
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "harness: must run as root (systemd-nspawn, overlay mounts)")
		os.Exit(2)
	}
	inst, ok := installers[*install]
	if !ok {
		fmt.Fprintf(os.Stderr, "harness: unknown installer %q (have %s)\n", *install, installerNames())
		os.Exit(2)
	}
	var filter *regexp.Regexp
	if *runFilter != "" {
		filter = regexp.MustCompile(*runFilter)
	}
	repo, err := repoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(2)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var res result
	var resMu sync.Mutex
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		logf("%v: stopping testbeds", sig)
		cancel()
		stopAll()
		resMu.Lock()
		if mode == "e2e" {
			fmt.Printf("e2e wall time: %s (interrupted)\n", time.Since(start).Round(time.Second))
			fmt.Printf("e2e: %d passed, %d failed (interrupted by %v)\n", res.passed, res.failed, sig)
		}
		code := 130
		if sig == syscall.SIGTERM {
			code = 143
		}
		os.Exit(code)
	}()

	cleanStale()
	golden, err := ensureRootfs(cacheDir)
	if err != nil {
		logf("%v", err)
		os.Exit(1)
	}
	if mode == "prepare" {
		// The cached images a demo needs, built while make compiles the binaries.
		if _, err := ensureDiscourseBase(repo); err != nil {
			logf("%v", err)
			os.Exit(1)
		}
		return
	}
	if mode == "rootfs" {
		fmt.Println(golden)
		return
	}
	if *binDir == "" {
		*binDir = filepath.Join(repo, "bin")
	}
	env := &runEnv{ctx: ctx, repo: repo, golden: golden, installer: inst, keep: *keep, binDir: *binDir}

	switch mode {
	case "boot":
		// A testbed with the demo installed, for poking at by hand until Ctrl-C.
		tb := env.newTestbed("boot")
		track(tb, true)
		if err := tb.Boot(true); err != nil {
			logf("%v", err)
		} else if err := installDemo(tb, false); err != nil {
			logf("%v", err)
		}
		fmt.Printf("testbed %s up; enter it with:\n  nsenter -t %d -m -u -i -n -p -C -r -w bash\nCtrl-C stops it.\n", tb.Name, tb.InitPID())
		select {}
	case "demo":
		if err := runDemo(env); err != nil {
			fmt.Fprintln(os.Stderr, "demo:", err)
			os.Exit(1)
		}
	case "e2e":
		for _, g := range groups() {
			p, f := runGroup(env, g, filter)
			resMu.Lock()
			res.passed += p
			res.failed += f
			resMu.Unlock()
		}
		resMu.Lock()
		fmt.Printf("e2e wall time: %s\n", time.Since(start).Round(time.Second))
		fmt.Printf("e2e: %d passed, %d failed\n", res.passed, res.failed)
		failed := res.failed
		resMu.Unlock()
		if failed > 0 {
			os.Exit(1)
		}
	default:
		flag.Usage()
		os.Exit(2)
	}
}

type runEnv struct {
	ctx       context.Context
	repo      string
	golden    string
	installer Installer
	keep      bool
	binDir    string
}

func installerNames() string {
	var n []string
	for k := range installers {
		n = append(n, k)
	}
	return strings.Join(n, "|")
}

func (env *runEnv) newTestbed(group string) *Testbed {
	name := fmt.Sprintf("qle2e-%d-%s", os.Getpid(), group)
	return &Testbed{
		Name:      name,
		Dir:       filepath.Join(cacheDir, "run", name),
		Golden:    env.golden,
		Repo:      env.repo,
		Out:       filepath.Join(env.repo, "test", "out", group),
		BinDir:    env.binDir,
		ctx:       env.ctx,
		installer: env.installer,
	}
}

// runGroup boots one testbed for the group, runs its (selected) scenarios in
// order and always shuts the testbed down.
func runGroup(env *runEnv, g Group, filter *regexp.Regexp) (passed, failed int) {
	var selected []Scenario
	for _, s := range g.Scenarios {
		if filter == nil || filter.MatchString(g.Name+"/"+s.Name) {
			selected = append(selected, s)
		}
	}
	if len(selected) == 0 {
		return 0, 0
	}
	if env.ctx.Err() != nil {
		return 0, len(selected)
	}
	tb := env.newTestbed(g.Name)
	os.RemoveAll(tb.Out) // only this group's: other runs may be writing theirs
	if g.Installer != nil {
		tb.installer = g.Installer
	}
	track(tb, true)
	defer func() {
		if env.keep {
			tb.Stop()
		} else {
			tb.Destroy()
		}
		track(tb, false)
	}()
	t0 := time.Now()
	logf("group %s: booting %s", g.Name, tb.Name)
	setupErr := tb.Boot(true)
	if setupErr == nil && g.Setup != nil {
		setupErr = protect(func() error { return g.Setup(tb) })
		if setupErr != nil {
			setupErr = fmt.Errorf("setup: %w", setupErr)
		}
	}
	for _, s := range selected {
		ts := time.Now()
		err := setupErr
		if err == nil {
			logf("group %s: running %s", g.Name, s.Name)
			err = protect(func() error { return s.Run(tb) })
		}
		if env.ctx.Err() != nil && err == nil {
			err = env.ctx.Err()
		}
		d := time.Since(ts).Seconds()
		if err != nil {
			failed++
			fmt.Printf("--- FAIL %s/%s (%.1fs)\n%s\n", g.Name, s.Name, d, indent(err.Error()))
		} else {
			passed++
			fmt.Printf("--- PASS %s/%s (%.1fs)\n", g.Name, s.Name, d)
		}
	}
	if failed > 0 {
		tb.Collect()
	}
	logf("group %s: %d passed, %d failed in %.0fs", g.Name, passed, failed, time.Since(t0).Seconds())
	return passed, failed
}

// protect turns a panic in scenario code into a failure of that scenario.
func protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return f()
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(d, "test", "harness")); err == nil {
				return d, nil
			}
		}
		if d == filepath.Dir(d) {
			return "", errors.New("repository root (go.mod with test/harness) not found above " + dir)
		}
	}
}

// cleanStale stops testbeds left behind by harness runs that no longer exist
// (killed with SIGKILL, say): their nspawn, overlay mount and host cgroup.
func cleanStale() {
	ents, _ := os.ReadDir(filepath.Join(cacheDir, "run"))
	for _, e := range ents {
		// qle2e-<pid>-<group>
		parts := strings.SplitN(e.Name(), "-", 3)
		if len(parts) != 3 || parts[0] != "qle2e" {
			continue
		}
		pid, err := strconv.Atoi(parts[1])
		if err != nil || (pid != os.Getpid() && syscall.Kill(pid, 0) == nil) {
			continue // its harness still runs
		}
		dir := filepath.Join(cacheDir, "run", e.Name())
		logf("cleaning stale testbed %s", e.Name())
		for _, p := range nspawnPidsFor(dir) {
			syscall.Kill(p, syscall.SIGTERM)
			for i := 0; i < 100 && syscall.Kill(p, 0) == nil; i++ {
				time.Sleep(200 * time.Millisecond)
			}
			if c := childNamed(p, "systemd"); c != 0 {
				syscall.Kill(c, syscall.SIGKILL)
			}
		}
		unmountAll(filepath.Join(dir, "merged"))
		removeHostCgroups(e.Name())
		os.RemoveAll(dir)
	}
}

// nspawnPidsFor finds systemd-nspawn processes booting dir/merged.
func nspawnPidsFor(dir string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cl, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		args := strings.Split(string(cl), "\x00")
		if len(args) > 0 && filepath.Base(args[0]) == "systemd-nspawn" && strings.Contains(string(cl), "\x00"+filepath.Join(dir, "merged")+"\x00") {
			pids = append(pids, pid)
		}
	}
	return pids
}
