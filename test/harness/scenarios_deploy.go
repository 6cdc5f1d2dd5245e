package main

// Issue #6: health-gated deploys behind the proxy (nginx), with automatic
// rollback and hooks. App "dep" is launcher-style on the demo image; its web
// answers "build-<version>" and serves /assets/app-<version>.css; a version
// built with healthy "no" fails its health check forever. A loopback load
// generator (test/loadgen, built on the host) runs through each deploy.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// depSetup is one deploy group's app placement: root or the test user.
type depSetup struct {
	rootless bool
	port     int
}

func (d depSetup) configPath() string { return demoRoot(d.rootless) + "/containers/dep.yml" }

func (d depSetup) hookLog() string {
	if d.rootless {
		return testHome + "/dep-hooks.log"
	}
	return "/var/tmp/dep-hooks.log"
}

// sharedDir is bind-mounted at /shared: a version listed in /shared/bad fails its health check.
func (d depSetup) sharedDir() string {
	if d.rootless {
		return testHome + "/dep-shared"
	}
	return "/var/lib/dep-shared"
}

func (d depSetup) blockFile() string { return demoRoot(d.rootless) + "/dep-block-deploy" }

func (d depSetup) config(version, healthy string) string {
	return d.configWith(version, healthy, "")
}

// configWith adds extra run steps (a step tagged db makes the app standalone).
func (d depSetup) configWith(version, healthy, extra string) string {
	return d.configFull(version, healthy, "yes", extra)
}

// configFull: worker "no" builds a version whose worker cannot start (its
// binary is missing), while web is healthy.
func (d depSetup) configFull(version, healthy, worker, extra string) string {
	p := strconv.Itoa(d.port)
	return `base_image: localhost/quadlaunch/demo:current
params:
  version: "` + version + `"
  healthy: "` + healthy + `"
  worker: "` + worker + `"
expose:
  - "` + p + `:` + p + `"
volumes:
  - volume: {host: ` + d.sharedDir() + `, guest: /shared}
env:
  DEMO_PORT: "` + p + `"
  DEMO_HEARTBEAT: "1s"
proxy:
  drain_timeout: 10s
  asset_bridge: 2s
asset_path: /assets
deploy_timeout: 25s
healthcheck:
  cmd: ["CMD-SHELL", "test ! -e /etc/dep-unhealthy && ! grep -qxF \"$(cat /etc/dep-version)\" /shared/bad && wget -q -O /dev/null http://127.0.0.1:` + p + `/healthz"]
  interval: 1s
  timeout: 2s
  retries: 2
roles:
  web: ["/bin/sh", "-c", "DEMO_GREETING=$(cat /etc/dep-version) DEMO_ASSETS=/srv/assets exec /usr/bin/demo serve"]
  worker: ["/usr/bin/dep-worker", "worker"]
deploy_hooks:
  pre-deploy: "test ! -e ` + d.blockFile() + `"
  post-deploy: "echo post-deploy $QUADLAUNCH_APP $QUADLAUNCH_VERSION after $QUADLAUNCH_PREVIOUS_VERSION roles $QUADLAUNCH_ROLES >> ` + d.hookLog() + `"
  post-rollback: "echo post-rollback $QUADLAUNCH_VERSION back to $QUADLAUNCH_PREVIOUS_VERSION >> ` + d.hookLog() + `"
run:
  - exec: echo build-$version > /etc/dep-version
  - exec: /bin/busybox mkdir -p /srv/assets && echo "v$version" > /srv/assets/app-$version.css
  - exec: if [ "$healthy" != yes ]; then echo > /etc/dep-unhealthy; fi
  - exec: if [ "$worker" = yes ]; then cp /usr/bin/demo /usr/bin/dep-worker; fi
  - exec:
      cmd: echo dep migration for $version
      tag: migrate
` + extra
}

func (d depSetup) write(tb *Testbed, version, healthy string) error {
	return d.writeConfig(tb, d.config(version, healthy))
}

func (d depSetup) writeConfig(tb *Testbed, cfg string) error {
	uid := 0
	if d.rootless {
		uid = testUID
	}
	if err := tb.WriteFileOwned(d.configPath(), cfg, 0o600, uid, uid); err != nil {
		return err
	}
	var err error
	if d.rootless {
		_, err = tb.SystemctlUser("daemon-reload")
	} else {
		_, err = tb.Systemctl("daemon-reload")
	}
	return err
}

// quadlaunch runs the CLI as root or as the test user (--user).
func (d depSetup) quadlaunch(tb *Testbed, args ...string) (string, error) {
	if d.rootless {
		return tb.RunUser(append([]string{"quadlaunch", "--user"}, args...)...)
	}
	return tb.Run(append([]string{"quadlaunch"}, args...)...)
}

func (d depSetup) podman(tb *Testbed, args ...string) (string, error) {
	if d.rootless {
		return tb.ExecUser(append([]string{"podman"}, args...)...)
	}
	return tb.Exec(append([]string{"podman"}, args...)...)
}

// started is a container's ID and start time: equal values mean it was not restarted.
func (d depSetup) started(tb *Testbed, name string) string {
	out, err := d.podman(tb, "inspect", "--format", "{{.Id}} {{.State.StartedAt}}", name)
	if err != nil {
		return "absent"
	}
	return strings.TrimSpace(out)
}

// printReason prints the first line of a deploy's failure report.
func printReason(out string) {
	if i := strings.Index(out, "deploy failed at"); i >= 0 {
		fmt.Println("reason:", strings.SplitN(out[i:], "\n", 2)[0])
	}
}

// startTime reads the StartedAt half of started's answer.
func startTime(started string) time.Time {
	_, ts, _ := strings.Cut(started, " ")
	t, _ := time.Parse("2006-01-02 15:04:05.999999999 -0700 MST", ts)
	return t
}

func (d depSetup) currentID(tb *Testbed) string {
	out, _ := d.podman(tb, "image", "inspect", "--format", "{{.Id}}", "localhost/quadlaunch/dep:current")
	return strings.TrimSpace(out)
}

// slotPort is the loopback port of a web slot (units/proxy.go).
func (d depSetup) slotPort(slot string) int {
	if slot == "dep-web-next" {
		return d.port + 10001
	}
	return d.port + 10000
}

// running reports whether the container runs.
func (d depSetup) running(tb *Testbed, name string) bool {
	out, err := d.podman(tb, "inspect", "--format", "{{.State.Running}}", name)
	return err == nil && strings.TrimSpace(out) == "true"
}

// liveSlot is the web slot that runs (and so serves) and the idle one: exactly
// one runs outside a deploy when proxy.keep_previous is not set.
func (d depSetup) liveSlot(tb *Testbed) (live, idle string, err error) {
	a, b := d.running(tb, "dep-web"), d.running(tb, "dep-web-next")
	switch {
	case a && !b:
		return "dep-web", "dep-web-next", nil
	case b && !a:
		return "dep-web-next", "dep-web", nil
	}
	return "", "", fmt.Errorf("web slots running: dep-web %v, dep-web-next %v; want exactly one", a, b)
}

// boots counts the web boots (both slots) since t0: the demo's listening line.
func (d depSetup) boots(tb *Testbed, t0 time.Time) (int, error) {
	entries, err := tb.JournalSince(t0, d.rootless, "dep-web.service", "dep-web-next.service")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Message, "demo serve: version ") {
			n++
		}
	}
	return n, nil
}

// unchanged: a deploy that failed left current and the worker as they were,
// the live slot live (not restarted when web is its start time, "" when it
// may have been) with the proxy on it, the idle slot stopped, and build-2
// serving through the proxy and on the live slot's own port.
func (d depSetup) unchanged(tb *Testbed, current, worker, live, web string) error {
	if after := d.currentID(tb); after != current {
		return fmt.Errorf("current moved from %s to %s", current, after)
	}
	if w := d.started(tb, "dep-worker"); worker != "" && w != worker {
		return fmt.Errorf("worker changed: %s -> %s", worker, w)
	}
	l, idle, err := d.liveSlot(tb)
	if err != nil {
		return err
	}
	if l != live {
		return fmt.Errorf("live slot moved from %s to %s", live, l)
	}
	if w := d.started(tb, live); web != "" && w != web {
		return fmt.Errorf("live slot %s restarted: %s -> %s", live, web, w)
	}
	if d.running(tb, idle) {
		return fmt.Errorf("idle slot %s still runs", idle)
	}
	if err := d.serves(tb, "build-2", 5*time.Second); err != nil {
		return err
	}
	out, err := tb.HTTPGet(d.slotPort(live))
	if err != nil || !strings.Contains(out, "build-2") {
		return fmt.Errorf("live slot %s on its port: %q %v", live, out, err)
	}
	return nil
}

func (d depSetup) serves(tb *Testbed, want string, timeout time.Duration) error {
	return tb.WaitFor(timeout, "dep answers "+want, func() error {
		out, err := tb.HTTPGet(d.port)
		if err != nil {
			return err
		}
		if !strings.Contains(out, want) {
			return fmt.Errorf("got %q", out)
		}
		return nil
	})
}

var loadgenBuild struct {
	once sync.Once
	path string
	err  error
}

// installLoadgen builds test/loadgen on the host (once) and copies it in.
func installLoadgen(tb *Testbed) error {
	loadgenBuild.once.Do(func() {
		dir := filepath.Join(cacheDir, "build", strconv.Itoa(os.Getpid()))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			loadgenBuild.err = err
			return
		}
		out := filepath.Join(dir, "loadgen")
		cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./test/loadgen")
		cmd.Dir = tb.Repo
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			loadgenBuild.err = fmt.Errorf("build loadgen: %v: %s", err, b)
			return
		}
		loadgenBuild.path = out
	})
	if loadgenBuild.err != nil {
		return loadgenBuild.err
	}
	data, err := os.ReadFile(loadgenBuild.path)
	if err != nil {
		return err
	}
	return tb.WriteFile("/usr/local/bin/loadgen", string(data), 0o755)
}

// loadRun is a load generator running in the testbed as a transient unit.
type loadRun struct {
	unit, stop, out string
}

func startLoad(tb *Testbed, d depSetup, name string, assets ...string) (*loadRun, error) {
	l := &loadRun{unit: "dep-load-" + name, stop: "/run/dep-load-" + name + ".stop", out: "/run/dep-load-" + name + ".out"}
	tb.Exec("rm", "-f", l.stop, l.out)
	args := []string{"systemd-run", "--unit", l.unit, "--collect", "/usr/local/bin/loadgen",
		"-url", fmt.Sprintf("http://127.0.0.1:%d/", d.port), "-c", "4", "-pause", "1ms", "-n", "400000", "-t", "4m", "-stop-file", l.stop, "-out", l.out}
	if len(assets) == 2 {
		args = append(args, "-assets", fmt.Sprintf("http://127.0.0.1:%d/assets/%s,http://127.0.0.1:%d/assets/%s", d.port, assets[0], d.port, assets[1]))
	}
	if out, err := tb.Exec(args...); err != nil {
		return nil, fmt.Errorf("start load: %v: %s", err, out)
	}
	time.Sleep(time.Second) // some requests before the deploy starts
	return l, nil
}

var loadLine = regexp.MustCompile(`deploy-load: (\d+) requests, (\d+) failed, p99 ([0-9.]+) ms`)

// finish stops the load and returns its summary; it fails when a request failed.
func (l *loadRun) finish(tb *Testbed) (string, error) {
	time.Sleep(time.Second) // some requests after the deploy ended
	if _, err := tb.Exec("touch", l.stop); err != nil {
		return "", err
	}
	var summary string
	if err := tb.WaitFor(30*time.Second, "load summary", func() error {
		s, err := tb.ReadFile(l.out)
		summary = s
		return err
	}); err != nil {
		return "", err
	}
	fmt.Print(summary)
	m := loadLine.FindStringSubmatch(summary)
	if m == nil {
		return summary, fmt.Errorf("no deploy-load line in %q", summary)
	}
	if n, _ := strconv.Atoi(m[1]); n < 100 {
		return summary, fmt.Errorf("only %d requests: the load did not run through the deploy", n)
	}
	if m[2] != "0" {
		return summary, fmt.Errorf("%s requests failed", m[2])
	}
	return summary, nil
}

// depAssetsSummary is what the zero-failure deploy saw of the two asset versions.
var depAssetsSummary string

// depBefore is the version that served before the zero-failure deploy of the
// root group ("build-N"): previous from then on (the failed deploys after it
// put current and previous back), so the rollback scenario's target.
var depBefore string

func deployGroup(name string, order int, d depSetup) Group {
	return Group{
		Name:  name,
		Order: order,
		Setup: func(tb *Testbed) error {
			if err := installDemo(tb, d.rootless); err != nil {
				return err
			}
			if d.rootless {
				if out, err := tb.SystemctlUser("enable", "--now", "podman.socket"); err != nil {
					return fmt.Errorf("user podman.socket: %v: %s", err, out)
				}
			}
			if err := installLoadgen(tb); err != nil {
				return err
			}
			if err := d.write(tb, "1", "yes"); err != nil {
				return err
			}
			// The first deploy starts everything from nothing.
			if out, err := d.quadlaunch(tb, "deploy", "dep"); err != nil {
				return fmt.Errorf("first deploy: %v: %s", err, out)
			}
			return d.serves(tb, "build-1", 30*time.Second)
		},
		Scenarios: depScenarios(d),
	}
}

func depScenarios(d depSetup) []Scenario {
	zero := Scenario{Name: "deploy under load: the idle slot boots once, traffic moves, the old slot stops, 0 failed requests", Run: func(tb *Testbed) error {
		if err := d.write(tb, "2", "yes"); err != nil {
			return err
		}
		live, idle, err := d.liveSlot(tb)
		if err != nil {
			return err
		}
		workerBefore := d.started(tb, "dep-worker")
		// The version serving now (build-1 after the setup, another one after the
		// speed scenario): its asset and build-2's must both answer during the swap.
		body, err := tb.HTTPGet(d.port)
		if err != nil {
			return err
		}
		m := regexp.MustCompile(`build-(\d+)`).FindStringSubmatch(body)
		if m == nil {
			return fmt.Errorf("serving before the deploy: %q", body)
		}
		if !d.rootless {
			depBefore = m[0]
		}
		l, err := startLoad(tb, d, "ok", "app-"+m[1]+".css", "app-2.css")
		if err != nil {
			return err
		}
		t0 := time.Now()
		out, derr := d.quadlaunch(tb, "deploy", "dep")
		took := time.Since(t0)
		summary, lerr := l.finish(tb)
		if derr != nil {
			return fmt.Errorf("deploy: %v: %s", derr, out)
		}
		fmt.Printf("deploy took %.1fs\n", took.Seconds())
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "proxy sends") || strings.Contains(line, " done in ") || strings.Contains(line, "deployed version") || strings.Contains(line, "deploy-phases") {
				fmt.Println("  " + line)
			}
		}
		if lerr != nil {
			return fmt.Errorf("%v\ndeploy output:\n%s", lerr, out)
		}
		if i := strings.Index(summary, "deploy-assets:"); i >= 0 {
			depAssetsSummary = summary[i:]
		}
		if err := d.serves(tb, "build-2", 5*time.Second); err != nil {
			return err
		}
		// The new version booted once, in the slot idle before; that slot is live
		// now and the old one stopped.
		newLive, _, err := d.liveSlot(tb)
		if err != nil {
			return err
		}
		if newLive != idle {
			return fmt.Errorf("live slot is %s after the deploy, want %s (idle before; %s was live)", newLive, idle, live)
		}
		if n, err := d.boots(tb, t0); err != nil || n != 1 {
			return fmt.Errorf("web booted %d times in the deploy, want 1 (%v)", n, err)
		}
		if out, err := tb.HTTPGet(d.slotPort(newLive)); err != nil || !strings.Contains(out, "build-2") {
			return fmt.Errorf("new live slot %s on its port: %q %v", newLive, out, err)
		}
		// Migrate ran twice: skipping post-deployment migrations before the swap,
		// in full after it (and not once more when configure started).
		entries, err := tb.JournalSince(t0, d.rootless, "dep-migrate.service")
		if err != nil {
			return err
		}
		if runs := countMessage(entries, "dep migration for 2"); runs != 2 {
			var ms []string
			for _, e := range entries {
				ms = append(ms, e.Time.Format("15:04:05.000")+" "+e.Message)
			}
			return fmt.Errorf("the migration step ran %d times in the deploy, want 2:\n%s", runs, strings.Join(ms, "\n"))
		}
		workerAfter := d.started(tb, "dep-worker")
		if workerAfter == workerBefore {
			return fmt.Errorf("worker was not restarted on the new version")
		}
		// The barrier: the worker restarted only after web was healthy on the new
		// version (the slot's start job returns only once healthy: Notify=healthy).
		if w, k := startTime(d.started(tb, newLive)), startTime(workerAfter); !k.After(w) {
			return fmt.Errorf("worker started %s, not after web %s", k, w)
		}
		if st, err := d.quadlaunch(tb, "status", "dep"); err != nil || !regexp.MustCompile(`dep-proxy\.service +loaded +active +running`).MatchString(st) {
			return fmt.Errorf("status does not show the running proxy: %v\n%s", err, st)
		}
		log, _ := tb.ReadFile(d.hookLog())
		if !strings.Contains(log, "post-deploy dep ") || !strings.Contains(log, "roles web worker") {
			return fmt.Errorf("post-deploy hook did not run with QUADLAUNCH_* env: %q", log)
		}
		return nil
	}}
	never := Scenario{Name: "never-healthy version: automatic rollback, the old slot live, 0 failed, worker untouched", Run: func(tb *Testbed) error {
		if err := d.write(tb, "3", "no"); err != nil {
			return err
		}
		live, idle, err := d.liveSlot(tb)
		if err != nil {
			return err
		}
		before := d.currentID(tb)
		worker, web := d.started(tb, "dep-worker"), d.started(tb, live)
		l, err := startLoad(tb, d, "bad")
		if err != nil {
			return err
		}
		out, derr := d.quadlaunch(tb, "deploy", "dep")
		_, lerr := l.finish(tb)
		if derr == nil {
			return fmt.Errorf("deploy of a never-healthy version succeeded: %s", out)
		}
		msg := out
		if ce, ok := derr.(*CmdError); ok {
			msg += ce.Stderr
			if ce.Code == 0 {
				return fmt.Errorf("exit code 0")
			}
		}
		for _, want := range []string{idle + ".service became unhealthy", "rolled back", "health of " + idle + ": unhealthy", "journal of " + idle + ".service"} {
			if !strings.Contains(msg, want) {
				return fmt.Errorf("deploy output lacks %q:\n%s", want, msg)
			}
		}
		printReason(msg)
		if lerr != nil {
			return lerr
		}
		log, _ := tb.ReadFile(d.hookLog())
		if !strings.Contains(log, "post-rollback") {
			return fmt.Errorf("post-rollback hook did not run: %q", log)
		}
		return d.unchanged(tb, before, worker, live, web)
	}}
	history := Scenario{Name: "history holds every deploy and rollback of the group, run as this manager's user", Run: func(tb *Testbed) error {
		out, err := d.quadlaunch(tb, "history", "dep", "--json")
		if err != nil {
			return fmt.Errorf("history: %v: %s", err, out)
		}
		var records []struct{ Command, User, Result string }
		if err := json.Unmarshal([]byte(out), &records); err != nil {
			return fmt.Errorf("history --json: %v\n%s", err, out)
		}
		user := "root"
		if d.rootless {
			user = testUser
		}
		n := map[string]int{}
		for _, r := range records {
			if r.User != user {
				return fmt.Errorf("a record by %q, want %q: %+v", r.User, user, r)
			}
			n[r.Command+" "+r.Result]++
		}
		if n["deploy ok"] < 2 || n["deploy rolled back"] < 1 || !d.rootless && n["rollback ok"] < 1 {
			return fmt.Errorf("history %v: want ok deploys, a rolled back one and a rollback", n)
		}
		fmt.Printf("  history: %v\n", n)
		return nil
	}}
	if d.rootless {
		zero.Name = "rootless (systemctl --user): " + zero.Name
		never.Name = "rootless (systemctl --user): " + never.Name
		history.Name = "rootless (systemctl --user): " + history.Name
		return []Scenario{zero, never, history}
	}
	return []Scenario{
		speedScenario(d),
		{Name: "Notify=healthy: web is healthy when its start job returns", Run: func(tb *Testbed) error {
			live, _, err := d.liveSlot(tb)
			if err != nil {
				return err
			}
			if out, err := tb.Systemctl("restart", "--job-mode=ignore-dependencies", live+".service"); err != nil {
				return fmt.Errorf("restart: %v: %s", err, out)
			}
			out, err := tb.Exec("podman", "inspect", "--format", "{{.State.Health.Status}}", live)
			if err != nil || strings.TrimSpace(out) != "healthy" {
				return fmt.Errorf("health right after systemctl restart returned: %q (%v)", strings.TrimSpace(out), err)
			}
			return nil
		}},
		zero,
		{Name: "during the swap old and new assets both answer 200", Run: func(tb *Testbed) error {
			m := regexp.MustCompile(`both answered 200 in (\d+) of (\d+) rounds`).FindStringSubmatch(depAssetsSummary)
			if m == nil {
				return fmt.Errorf("no asset summary from the deploy: %q", depAssetsSummary)
			}
			fmt.Print(depAssetsSummary)
			// proxy.asset_bridge is 2s: both versions serve for that long, about 30 rounds.
			if n, _ := strconv.Atoi(m[1]); n < 5 {
				return fmt.Errorf("both at once in only %d rounds: %s", n, depAssetsSummary)
			}
			// Outside a deploy only the current version's asset exists.
			if out, err := tb.HTTPGet(d.port, "/assets/app-2.css"); err != nil || !strings.Contains(out, "v2") {
				return fmt.Errorf("new asset after the deploy: %q %v", out, err)
			}
			return nil
		}},
		never,
		{Name: "a role fails after the switch: traffic back to the old slot, current unchanged, 0 failed", Run: func(tb *Testbed) error {
			// Version 4's web is healthy, its worker cannot start: the failure comes
			// after the proxy moved to the new slot (and the old slot was stopping).
			if err := d.writeConfig(tb, d.configFull("4", "yes", "no", "")); err != nil {
				return err
			}
			live, _, err := d.liveSlot(tb)
			if err != nil {
				return err
			}
			before := d.currentID(tb)
			l, err := startLoad(tb, d, "late")
			if err != nil {
				return err
			}
			out, derr := d.quadlaunch(tb, "deploy", "dep")
			_, lerr := l.finish(tb)
			if ce, ok := derr.(*CmdError); ok {
				out += ce.Stderr
			}
			if derr == nil {
				return fmt.Errorf("deploy succeeded although the worker cannot start:\n%s", out)
			}
			for _, want := range []string{"deploy failed at restart other roles", "dep-worker", "rolled back"} {
				if !strings.Contains(out, want) {
					return fmt.Errorf("deploy output lacks %q:\n%s", want, out)
				}
			}
			printReason(out)
			if lerr != nil {
				return fmt.Errorf("%v\ndeploy output:\n%s", lerr, out)
			}
			if !d.running(tb, "dep-worker") {
				return fmt.Errorf("worker not running again on the old version")
			}
			// The old slot may have been stopped and booted again: only its liveness counts.
			return d.unchanged(tb, before, "", live, "")
		}},
		{Name: "failing pre-deploy hook: nothing changed", Run: func(tb *Testbed) error {
			if err := tb.WriteFile(d.blockFile(), "", 0o644); err != nil {
				return err
			}
			defer tb.Exec("rm", "-f", d.blockFile())
			if err := d.write(tb, "5", "yes"); err != nil {
				return err
			}
			live, _, err := d.liveSlot(tb)
			if err != nil {
				return err
			}
			before := d.currentID(tb)
			worker, web := d.started(tb, "dep-worker"), d.started(tb, live)
			out, err := d.quadlaunch(tb, "deploy", "dep")
			if err == nil {
				return fmt.Errorf("deploy went on despite the pre-deploy hook: %s", out)
			}
			if ce, ok := err.(*CmdError); ok {
				out += ce.Stderr
			}
			if !strings.Contains(out, "pre-deploy hook") {
				return fmt.Errorf("output does not name the hook:\n%s", out)
			}
			return d.unchanged(tb, before, worker, live, web)
		}},
		{Name: "health still starting at deploy_timeout: rolled back, old slot untouched", Run: func(tb *Testbed) error {
			// Failing checks inside the start period leave the health "starting", never
			// "unhealthy": only deploy_timeout ends the wait.
			cfg := d.config("5", "no")
			cfg = strings.Replace(cfg, "  retries: 2\n", "  retries: 2\n  start_period: 10m\n", 1)
			cfg = strings.Replace(cfg, "deploy_timeout: 25s\n", "deploy_timeout: 8s\n", 1)
			if err := d.writeConfig(tb, cfg); err != nil {
				return err
			}
			live, _, err := d.liveSlot(tb)
			if err != nil {
				return err
			}
			before := d.currentID(tb)
			worker, web := d.started(tb, "dep-worker"), d.started(tb, live)
			t0 := time.Now()
			out, err := d.quadlaunch(tb, "deploy", "dep")
			took := time.Since(t0)
			if ce, ok := err.(*CmdError); ok {
				out += ce.Stderr
			}
			if err == nil {
				return fmt.Errorf("deploy succeeded although web never got healthy:\n%s", out)
			}
			for _, want := range []string{"did not become healthy within 8s (deploy_timeout)", "rolled back"} {
				if !strings.Contains(out, want) {
					return fmt.Errorf("deploy output lacks %q:\n%s", want, out)
				}
			}
			printReason(out)
			if took > 90*time.Second {
				return fmt.Errorf("deploy took %s with deploy_timeout 8s", took.Round(time.Second))
			}
			return d.unchanged(tb, before, worker, live, web)
		}},
		{Name: "rollback under load: the older version boots once in the idle slot, 0 failed", Run: func(tb *Testbed) error {
			// The failed deploys above left current at build-2; previous is the
			// version that served before it (build-4 after the speed scenario).
			if err := d.write(tb, "2", "yes"); err != nil {
				return err
			}
			if depBefore == "" {
				return fmt.Errorf("no version recorded before the deploy under load")
			}
			_, idle, err := d.liveSlot(tb)
			if err != nil {
				return err
			}
			worker := d.started(tb, "dep-worker")
			l, err := startLoad(tb, d, "rollback")
			if err != nil {
				return err
			}
			t0 := time.Now()
			out, rerr := d.quadlaunch(tb, "rollback", "dep")
			took := time.Since(t0)
			_, lerr := l.finish(tb)
			if ce, ok := rerr.(*CmdError); ok {
				out += ce.Stderr
			}
			if rerr != nil {
				return fmt.Errorf("rollback: %v:\n%s", rerr, out)
			}
			fmt.Printf("rollback command took %.1fs\n", took.Seconds())
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, "rollback took") || strings.Contains(line, "rollback-phases") {
					fmt.Println(strings.TrimSpace(line))
				}
			}
			if !strings.Contains(out, "start new slot") || !strings.Contains(out, "switch proxy to new slot") {
				return fmt.Errorf("rollback did not go through the idle slot:\n%s", out)
			}
			if lerr != nil {
				return fmt.Errorf("%v\nrollback output:\n%s", lerr, out)
			}
			if err := d.serves(tb, depBefore, 5*time.Second); err != nil {
				return err
			}
			if w := d.started(tb, "dep-worker"); w == worker {
				return fmt.Errorf("worker still runs the version rolled back from")
			}
			newLive, _, err := d.liveSlot(tb)
			if err != nil {
				return err
			}
			if newLive != idle {
				return fmt.Errorf("live slot is %s after the rollback, want %s", newLive, idle)
			}
			if n, err := d.boots(tb, t0); err != nil || n != 1 {
				return fmt.Errorf("web booted %d times in the rollback, want 1 (%v)", n, err)
			}
			// No migration in a rollback: the schema already has the older version's.
			entries, err := tb.JournalSince(t0, d.rootless, "dep-migrate.service")
			if err != nil {
				return err
			}
			for _, e := range entries {
				if strings.HasPrefix(e.Message, "dep migration for") {
					return fmt.Errorf("the rollback ran the migration: %s", e.Message)
				}
			}
			return nil
		}},
		{Name: "rollback with the proxy down: in place, and says so", Run: func(tb *Testbed) error {
			// The previous scenario made depBefore current: build-2 is previous now.
			live, _, err := d.liveSlot(tb)
			if err != nil {
				return err
			}
			tb.Systemctl("stop", "dep-proxy.service")
			if out, err := tb.Systemctl("mask", "--runtime", "dep-proxy.service"); err != nil {
				return fmt.Errorf("mask: %v: %s", err, out)
			}
			defer func() {
				tb.Systemctl("unmask", "--runtime", "dep-proxy.service")
				tb.Systemctl("start", "dep-proxy.service")
			}()
			out, err := d.quadlaunch(tb, "rollback", "dep")
			if ce, ok := err.(*CmdError); ok {
				out += ce.Stderr
			}
			if err != nil {
				return fmt.Errorf("rollback with the proxy down failed: %v:\n%s", err, out)
			}
			if !strings.Contains(out, "rolling back in place") {
				return fmt.Errorf("rollback did not say it went in place:\n%s", out)
			}
			// The live slot answers on its loopback port (the proxy's is down).
			return tb.WaitFor(30*time.Second, live+" answers build-2 on its slot", func() error {
				body, err := tb.HTTPGet(d.slotPort(live))
				if err != nil {
					return err
				}
				if !strings.Contains(body, "build-2") {
					return fmt.Errorf("got %q", body)
				}
				return nil
			})
		}},
		{Name: "standalone (database in the container): offline page while it restarts", Run: func(tb *Testbed) error {
			// A step tagged db makes the app standalone: nothing of the old version
			// may run during its migration.
			standalone := "  - exec:\n      cmd: echo local database migration\n      tag: db\n"
			if err := d.writeConfig(tb, d.configWith("6", "yes", standalone)); err != nil {
				return err
			}
			l, err := startLoad(tb, d, "standalone")
			if err != nil {
				return err
			}
			out, derr := d.quadlaunch(tb, "deploy", "dep")
			summary, _ := l.finish(tb)
			if derr != nil {
				return fmt.Errorf("deploy: %v: %s", derr, out)
			}
			if !strings.Contains(out, "standalone mode") {
				return fmt.Errorf("not deployed as standalone:\n%s", out)
			}
			if !strings.Contains(summary, "deploy-offline:") {
				return fmt.Errorf("no offline page seen while the standalone app restarted: %s", summary)
			}
			return d.serves(tb, "build-6", 5*time.Second)
		}},
		history,
		{Name: "reboot with dep-web-next live: it boots (dep-web's wants link masked), dep-web does not, the proxy sends to it", Run: func(tb *Testbed) error {
			if err := d.write(tb, "7", "yes"); err != nil {
				return err
			}
			live, _, err := d.liveSlot(tb)
			if err != nil {
				return err
			}
			if live != "dep-web-next" {
				// One more deploy makes the second slot live: the record the boot must follow.
				if out, err := d.quadlaunch(tb, "deploy", "dep"); err != nil {
					return fmt.Errorf("deploy: %v: %s", err, out)
				}
				if live, _, err = d.liveSlot(tb); err != nil || live != "dep-web-next" {
					return fmt.Errorf("live slot after a deploy: %q (%v), want dep-web-next", live, err)
				}
			}
			body, err := tb.HTTPGet(d.port)
			if err != nil {
				return err
			}
			want := regexp.MustCompile(`build-\d+`).FindString(body)
			if err := tb.Reboot(); err != nil {
				return err
			}
			if err := d.serves(tb, want, 120*time.Second); err != nil {
				st, _ := tb.Systemctl("status", "--no-pager", "dep.target", "dep-web.service", "dep-web-next.service", "dep-proxy.service")
				return fmt.Errorf("%v\n%s", err, indent(st))
			}
			if l, _, err := d.liveSlot(tb); err != nil || l != "dep-web-next" {
				return fmt.Errorf("after the reboot: live slot %q (%v), want dep-web-next alone", l, err)
			}
			if out, err := tb.HTTPGet(d.slotPort("dep-web-next")); err != nil || !strings.Contains(out, want) {
				return fmt.Errorf("dep-web-next on its port after the reboot: %q %v", out, err)
			}
			fmt.Printf("after the reboot: dep-web-next alone runs, the proxy serves %s\n", want)
			return nil
		}},
	}
}

func init() {
	register(deployGroup("deploy", 120, depSetup{port: 8095}))
	register(deployGroup("deploy-rootless", 121, depSetup{rootless: true, port: 8096}))
}
