package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// An operator's day (issue #18), on the deploy group's app "dep" in a
// testbed of its own: here it links to a database app, depdb, which its
// migration needs, and has a notify: command that writes each event it hears
// to a file.

const (
	opDBPort    = 8098
	opNotifyDir = "/var/lib/dep-notify"
	opDBFlags   = "/var/lib/depdb-flags" // db-down here: depdb cannot start (the database is down)
)

var opDep = depSetup{port: 8097}

// opConfig is dep's config: the deploy group's, plus the link to depdb, a
// migration that fails while depdb does not answer, and notify:.
func opConfig(version, healthy, extra string) string {
	cfg := opDep.configFull(version, healthy, "yes", `links:
  - link: {name: depdb, alias: database}
notify: 'mkdir -p `+opNotifyDir+` && env | grep ^QUADLAUNCH_ | sort > `+opNotifyDir+`/$QUADLAUNCH_EVENT-$(date +%s%N)'
`+extra)
	cfg = strings.Replace(cfg, "cmd: echo dep migration for $version",
		"cmd: wget -q -O /dev/null http://database:"+fmt.Sprint(opDBPort)+"/healthz && echo dep migration for $version", 1)
	// The worker has a health check of its own (roles' long form): broken in
	// version 7's image, and while /shared/worker-sick exists.
	cfg = strings.Replace(cfg, `  worker: ["/usr/bin/dep-worker", "worker"]`, `  worker:
    command: ["/usr/bin/dep-worker", "worker"]
    healthcheck:
      cmd: ["CMD-SHELL", "test ! -e /etc/worker-broken && test ! -e /shared/worker-sick"]
      interval: 1s
      timeout: 2s
      retries: 2`, 1)
	return strings.Replace(cfg, "run:\n", "run:\n  - exec: if [ \"$version\" = 7 ]; then touch /etc/worker-broken; fi\n", 1)
}

const opDBConfig = `base_image: localhost/quadlaunch/demo:current
env:
  DEMO_PORT: "8098"
expose:
  - "127.0.0.1:8098:8098"
volumes:
  - volume: {host: ` + opDBFlags + `, guest: /flags}
roles:
  web: ["/bin/sh", "-c", "test ! -e /flags/db-down && exec /usr/bin/demo serve"]
`

// opWrite writes dep's config; reload=false leaves the generator's output
// as it was (what diff compares against).
func opWrite(tb *Testbed, cfg string, reload bool) error {
	if !reload {
		return tb.WriteFileOwned(opDep.configPath(), cfg, 0o600, 0, 0)
	}
	return opDep.writeConfig(tb, cfg)
}

// opNotified is the env of each notify call since the setup, by event.
func opNotified(tb *Testbed) (map[string][]string, error) {
	out, err := tb.Exec("sh", "-c", "for f in "+opNotifyDir+"/*; do [ -e \"$f\" ] && { echo \"== $f\"; cat \"$f\"; }; done; true")
	if err != nil {
		return nil, err
	}
	got := map[string][]string{}
	for _, block := range strings.Split(out, "== ")[1:] {
		name, env, _ := strings.Cut(block, "\n")
		event := regexp.MustCompile(`/([a-z-]+)-\d+$`).FindStringSubmatch(strings.TrimSpace(name))
		if event != nil {
			got[event[1]] = append(got[event[1]], env)
		}
	}
	return got, nil
}

func opHistory(tb *Testbed) ([]map[string]any, error) {
	out, err := opDep.quadlaunch(tb, "history", "dep", "--json")
	if err != nil {
		return nil, fmt.Errorf("history --json: %v: %s", err, out)
	}
	var records []map[string]any
	if err := json.Unmarshal([]byte(out), &records); err != nil {
		return nil, fmt.Errorf("history --json: %v:\n%s", err, out)
	}
	return records, nil
}

func operatorGroup() Group {
	return Group{
		Name:  "operator",
		Order: 125,
		Setup: func(tb *Testbed) error {
			if err := installDemo(tb, false); err != nil {
				return err
			}
			if err := installLoadgen(tb); err != nil {
				return err
			}
			if _, err := tb.Exec("mkdir", "-p", opDBFlags); err != nil {
				return err
			}
			if err := tb.WriteFileOwned(demoRoot(false)+"/containers/depdb.yml", opDBConfig, 0o600, 0, 0); err != nil {
				return err
			}
			if err := opWrite(tb, opConfig("1", "yes", ""), true); err != nil {
				return err
			}
			if out, err := opDep.quadlaunch(tb, "deploy", "depdb"); err != nil {
				return fmt.Errorf("deploy depdb: %v: %s", err, out)
			}
			if out, err := opDep.quadlaunch(tb, "deploy", "dep"); err != nil {
				gen, _ := tb.Exec("sh", "-c", "journalctl -b --no-pager -o cat | grep -i 'quadlaunch.*generator\\|dep:' | tail -20; ls /run/systemd/generator/")
				return fmt.Errorf("first deploy: %v: %s\n%s", err, out, gen)
			}
			return opDep.serves(tb, "build-1", 30*time.Second)
		},
		Scenarios: []Scenario{
			{Name: "diff before a config change lists exactly the changed keys and the restart order; none after the deploy", Run: opDiff},
			{Name: "history after a deploy, a failed deploy and a rollback: user, versions, result; notify heard each", Run: opHistoryAndNotify},
			{Name: "a timer runs on schedule in a one-off container with the app's env and volumes, logged, listed by status", Run: opTimer},
			{Name: "maintenance on and off under load: every request gets the app or the 503 page, 0 failed", Run: opMaintenance},
			{Name: "a worker whose health check fails is never promoted; one that turns unhealthy is restarted", Run: opWorkerHealth},
			{Name: "database down, web killed, database back: web serves again by itself, bounded retries in the journal", Run: opRecovery},
			{Name: "build --pull from a registry that does not answer: a clear error, nothing built, current unmoved; versions show the base digest", Run: opPullBase},
			{Name: "boot with the database down: notify hears the failed migrate, web comes back once the database does", Run: opBootFailure},
		},
	}
}

func opDiff(tb *Testbed) error {
	// Right after the setup's deploy: nothing would change.
	if out, err := opDep.quadlaunch(tb, "diff", "dep"); err != nil {
		return fmt.Errorf("diff right after a deploy: %v\n%s", err, out)
	} else if !strings.Contains(out, "dep: none:") {
		return fmt.Errorf("diff right after a deploy does not say none:\n%s", out)
	}
	// A changed env value and a new label, not daemon-reloaded yet.
	cfg := strings.Replace(opConfig("2", "yes", "labels:\n  tier: front\n"), `DEMO_HEARTBEAT: "1s"`, `DEMO_HEARTBEAT: "2s"`, 1)
	if err := opWrite(tb, cfg, false); err != nil {
		return err
	}
	out, err := opDep.quadlaunch(tb, "diff", "dep", "--json")
	var ce *CmdError
	if !errors.As(err, &ce) || ce.Code != 2 {
		return fmt.Errorf("diff with changes: want exit 2, got %v\n%s", err, out)
	}
	var p struct {
		Units []struct {
			Name, Status, Diff string
			Keys               []string
		}
		Order         []string
		ConfigDigest  string `json:"config_digest"`
		CurrentDigest string `json:"current_config_digest"`
		Steps         []struct {
			Step   string
			Cached bool
		} `json:"build_steps"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		return fmt.Errorf("diff --json: %v\n%s", err, out)
	}
	keys := map[string][]string{}
	for _, u := range p.Units {
		keys[u.Name] = u.Keys
		if strings.Contains(u.Diff, "2s") && strings.Contains(u.Name, "private") {
			return fmt.Errorf("the env file's diff shows a value:\n%s", u.Diff)
		}
	}
	// Exactly: the label reaches every container's podman run line, the env
	// value the env file; nothing else changed.
	// (quadlet keeps the Quadlet file's keys in the service as [X-Container].)
	for _, unit := range []string{"dep-web.service", "dep-web-next.service", "dep-worker.service"} {
		if !slices.Equal(keys[unit], []string{"[Service] ExecStart", "[X-Container] Label"}) {
			return fmt.Errorf("%s: changed keys %q, want [Service] ExecStart and [X-Container] Label\n%s", unit, keys[unit], out)
		}
	}
	if !slices.Equal(keys["quadlaunch.private/dep.env"], []string{"env DEMO_HEARTBEAT"}) {
		return fmt.Errorf("env file: changed keys %q, want env DEMO_HEARTBEAT\n%s", keys["quadlaunch.private/dep.env"], out)
	}
	for name, k := range keys {
		for _, key := range k {
			if key != "[Service] ExecStart" && key != "[X-Container] Label" && key != "env DEMO_HEARTBEAT" {
				return fmt.Errorf("%s: unexpected changed key %q\n%s", name, key, out)
			}
		}
	}
	if p.ConfigDigest == p.CurrentDigest {
		return fmt.Errorf("config digest unchanged after a config change")
	}
	cached := 0
	for _, s := range p.Steps {
		if s.Cached {
			cached++
		}
	}
	// version 2 changes the first step (it writes the version): all run
	if len(p.Steps) == 0 || cached != 0 {
		return fmt.Errorf("build steps %+v: want every step to run (the first one changed)", p.Steps)
	}
	_, idle, err := opDep.liveSlot(tb)
	if err != nil {
		return err
	}
	order := strings.Join(p.Order, "\n")
	iNext, iWorker := strings.Index(order, "restart "+idle+".service until healthy"), strings.Index(order, "restart dep-worker.service")
	if iNext < 0 || iWorker < iNext || !strings.Contains(order, "run dep-migrate.service") {
		return fmt.Errorf("order does not restart the idle slot, then the worker:\n%s", order)
	}
	text, _ := opDep.quadlaunch(tb, "diff", "dep")
	fmt.Println(indent(text))
	if out, err := opDep.quadlaunch(tb, "deploy", "dep"); err != nil {
		return fmt.Errorf("deploy: %v: %s", err, out)
	}
	out, err = opDep.quadlaunch(tb, "diff", "dep")
	if err != nil || !strings.Contains(out, "dep: none:") || !strings.Contains(out, "units: none changed") {
		return fmt.Errorf("diff right after the deploy: %v\n%s", err, out)
	}
	if out, err := opDep.quadlaunch(tb, "deploy", "dep", "--dry-run"); err != nil || !strings.Contains(out, "dep: none:") {
		return fmt.Errorf("deploy --dry-run after the deploy: %v\n%s", err, out)
	}
	return nil
}

func opHistoryAndNotify(tb *Testbed) error {
	before, err := opHistory(tb)
	if err != nil {
		return err
	}
	if err := opWrite(tb, opConfig("3", "yes", ""), true); err != nil {
		return err
	}
	if out, err := opDep.quadlaunch(tb, "deploy", "dep"); err != nil {
		return fmt.Errorf("deploy 3: %v: %s", err, out)
	}
	if err := opWrite(tb, opConfig("4", "no", ""), true); err != nil {
		return err
	}
	if out, err := opDep.quadlaunch(tb, "deploy", "dep"); err == nil {
		return fmt.Errorf("a never-healthy deploy succeeded:\n%s", out)
	}
	if out, err := opDep.quadlaunch(tb, "rollback", "dep"); err != nil {
		return fmt.Errorf("rollback: %v: %s", err, out)
	}
	records, err := opHistory(tb)
	if err != nil {
		return err
	}
	if len(records) < len(before) {
		return fmt.Errorf("history lost records: %d before, %d after", len(before), len(records))
	}
	recent := records[len(before):]
	if len(recent) != 3 {
		return fmt.Errorf("history since the scenario began: %d records, want 3 (deploy, deploy, rollback): %v", len(recent), recent)
	}
	want := []struct{ command, result string }{{"deploy", "ok"}, {"deploy", "rolled back"}, {"rollback", "ok"}}
	for i, r := range recent {
		if r["command"] != want[i].command || r["result"] != want[i].result || r["user"] != "root" ||
			r["from_version"] == "" || r["to_version"] == "" || len(r["steps"].([]any)) == 0 {
			return fmt.Errorf("record %d: %v, want %s %s by root with versions and steps", i, r, want[i].command, want[i].result)
		}
	}
	if recent[0]["from_version"] == recent[0]["to_version"] || recent[1]["from_version"] != recent[1]["to_version"] ||
		recent[2]["to_version"] == recent[1]["to_version"] {
		return fmt.Errorf("versions: the deploy moves, the failed one does not, the rollback does: %v", recent)
	}
	text, err := opDep.quadlaunch(tb, "history", "dep", "-n", "3")
	if err != nil || !regexp.MustCompile(`rollback +root +\S+ -> \S+ +ok`).MatchString(text) {
		return fmt.Errorf("history table: %v\n%s", err, text)
	}
	fmt.Println(indent(text))
	got, err := opNotified(tb)
	if err != nil {
		return err
	}
	for event, field := range map[string]string{"deploy-succeeded": "QUADLAUNCH_RESULT=ok", "deploy-failed": "QUADLAUNCH_RESULT=rolled back", "rollback": "QUADLAUNCH_COMMAND=rollback"} {
		envs := got[event]
		if len(envs) == 0 || !strings.Contains(envs[len(envs)-1], field) || !strings.Contains(envs[len(envs)-1], "QUADLAUNCH_APP=dep") {
			return fmt.Errorf("notify %s: %q, want %s", event, envs, field)
		}
	}
	return nil
}

func opTimer(tb *Testbed) error {
	timer := `timers:
  tick:
    schedule: "*:*:0/5"
    command: ["/bin/sh", "-c", "echo tick port=$DEMO_PORT version=$(cat /etc/dep-version) >> /shared/ticks; echo ticked"]
`
	if _, err := tb.Exec("rm", "-f", opDep.sharedDir()+"/ticks"); err != nil {
		return err
	}
	if err := opWrite(tb, opConfig("5", "yes", timer), true); err != nil {
		return err
	}
	if out, err := opDep.quadlaunch(tb, "deploy", "dep"); err != nil {
		return fmt.Errorf("deploy with a timer: %v: %s", err, out)
	}
	t0 := time.Now()
	if err := tb.WaitFor(40*time.Second, "two timer runs", func() error {
		ticks, _ := tb.ReadFile(opDep.sharedDir() + "/ticks")
		if strings.Count(ticks, "tick port=8097 version=build-5\n") < 2 {
			return fmt.Errorf("ticks so far: %q", ticks)
		}
		return nil
	}); err != nil {
		return err
	}
	entries, err := tb.JournalSince(t0, false, "dep-tick.service")
	if err != nil {
		return err
	}
	if countMessage(entries, "ticked") < 1 {
		return fmt.Errorf("journalctl -u dep-tick holds no run's output: %v", entries)
	}
	st, err := opDep.quadlaunch(tb, "status", "dep")
	if err != nil || !regexp.MustCompile(`dep-tick\.timer +loaded +active +waiting`).MatchString(st) {
		return fmt.Errorf("status does not list the waiting timer: %v\n%s", err, st)
	}
	if p, _ := tb.Systemctl("show", "-p", "Persistent", "--value", "dep-tick.timer"); strings.TrimSpace(p) != "yes" {
		return fmt.Errorf("dep-tick.timer Persistent=%q, want yes", p)
	}
	// Back to the config without the timer: the next scenarios' units.
	if err := opWrite(tb, opConfig("5", "yes", ""), true); err != nil {
		return err
	}
	if out, err := opDep.quadlaunch(tb, "deploy", "dep"); err != nil {
		return fmt.Errorf("deploy without the timer: %v: %s", err, out)
	}
	if st, _ := tb.Systemctl("is-active", "dep-tick.timer"); strings.TrimSpace(st) == "active" {
		return fmt.Errorf("the removed timer still runs after the deploy")
	}
	return nil
}

const opMaintenanceText = "Upgrading the database, back at noon"

func opMaintenance(tb *Testbed) error {
	l := &loadRun{unit: "dep-load-maint", stop: "/run/dep-load-maint.stop", out: "/run/dep-load-maint.out"}
	tb.Exec("rm", "-f", l.stop, l.out)
	if out, err := tb.Exec("systemd-run", "--unit", l.unit, "--collect", "/usr/local/bin/loadgen",
		"-url", fmt.Sprintf("http://127.0.0.1:%d/", opDep.port), "-c", "4", "-pause", "1ms", "-n", "400000", "-t", "2m",
		"-stop-file", l.stop, "-out", l.out, "-maintenance", opMaintenanceText); err != nil {
		return fmt.Errorf("start load: %v: %s", err, out)
	}
	// A failure half way leaves neither the page nor the load behind for the
	// group's next scenarios.
	on, loading := true, true
	defer func() {
		if loading {
			tb.Exec("touch", l.stop)
		}
		if on {
			opDep.quadlaunch(tb, "maintenance", "dep", "off")
		}
	}()
	time.Sleep(time.Second)
	web := opDep.started(tb, "dep-web") + opDep.started(tb, "dep-web-next")
	if out, err := opDep.quadlaunch(tb, "maintenance", "dep", "on", "--message", opMaintenanceText); err != nil {
		return fmt.Errorf("maintenance on: %v: %s", err, out)
	}
	page, err := tb.Exec("curl", "-sS", "-i", "--max-time", "5", fmt.Sprintf("http://127.0.0.1:%d/", opDep.port))
	if err != nil || !strings.Contains(page, "503") || !strings.Contains(page, "Retry-After: 60") || !strings.Contains(page, opMaintenanceText) {
		return fmt.Errorf("during maintenance: %v\n%s", err, page)
	}
	if st, err := opDep.quadlaunch(tb, "status", "dep"); err != nil || !strings.Contains(st, "MAINTENANCE") {
		return fmt.Errorf("status does not say maintenance: %v\n%s", err, st)
	}
	time.Sleep(2 * time.Second)
	if out, err := opDep.quadlaunch(tb, "maintenance", "dep", "off"); err != nil {
		return fmt.Errorf("maintenance off: %v: %s", err, out)
	}
	on, loading = false, false
	summary, err := l.finish(tb)
	if err != nil {
		return err
	}
	m := regexp.MustCompile(`deploy-maintenance: (\d+) requests got the maintenance page, (\d+) the app`).FindStringSubmatch(summary)
	if m == nil || m[1] == "0" || m[2] == "0" {
		return fmt.Errorf("want requests answered by both the page and the app: %q", summary)
	}
	if after := opDep.started(tb, "dep-web") + opDep.started(tb, "dep-web-next"); after != web {
		return fmt.Errorf("the web slots changed during maintenance: %s -> %s", web, after)
	}
	return opDep.serves(tb, "build-", 5*time.Second)
}

func opWorkerHealth(tb *Testbed) error {
	if st, _ := opDep.podman(tb, "inspect", "--format", "{{.State.Health.Status}}", "dep-worker"); strings.TrimSpace(st) != "healthy" {
		return fmt.Errorf("dep-worker health %q before, want healthy", st)
	}
	current, worker := opDep.currentID(tb), opDep.started(tb, "dep-worker")
	if err := opWrite(tb, opConfig("7", "yes", ""), true); err != nil {
		return err
	}
	out, err := opDep.quadlaunch(tb, "deploy", "dep")
	if err == nil {
		return fmt.Errorf("a deploy whose worker never turns healthy succeeded:\n%s", out)
	}
	out += err.Error()
	if !strings.Contains(out, "dep-worker.service") || !strings.Contains(out, "rolled back") {
		return fmt.Errorf("the failure does not name the worker and the rollback:\n%s", out)
	}
	printReason(out)
	if after := opDep.currentID(tb); after != current {
		return fmt.Errorf("current moved from %s to %s", current, after)
	}
	if err := tb.WaitFor(60*time.Second, "the old worker back and healthy", func() error {
		st, _ := opDep.podman(tb, "inspect", "--format", "{{.State.Health.Status}} {{.Image}}", "dep-worker")
		if f := strings.Fields(st); len(f) != 2 || f[0] != "healthy" || !strings.HasPrefix(current, f[1]) && !strings.HasPrefix(f[1], current) {
			return fmt.Errorf("dep-worker %q, want healthy on %s", st, current)
		}
		return nil
	}); err != nil {
		return err
	}
	// Turning unhealthy: HealthOnFailure=kill, Restart=on-failure.
	worker = opDep.started(tb, "dep-worker")
	if _, err := tb.Exec("touch", opDep.sharedDir()+"/worker-sick"); err != nil {
		return err
	}
	err = tb.WaitFor(60*time.Second, "dep-worker restarted", func() error {
		if now := opDep.started(tb, "dep-worker"); now == worker || now == "absent" {
			return fmt.Errorf("not restarted yet (%s)", now)
		}
		return nil
	})
	tb.Exec("rm", "-f", opDep.sharedDir()+"/worker-sick")
	if err != nil {
		return err
	}
	if err := tb.WaitFor(60*time.Second, "dep-worker healthy again", func() error {
		st, _ := opDep.podman(tb, "inspect", "--format", "{{.State.Health.Status}}", "dep-worker")
		if strings.TrimSpace(st) != "healthy" {
			return fmt.Errorf("health %q", st)
		}
		return nil
	}); err != nil {
		return err
	}
	// Back to a deployable config for the next scenarios.
	return opWrite(tb, opConfig("5", "yes", ""), true)
}

// opPullBase: dep's base_image (localhost/quadlaunch/demo:current) is in no
// registry: --pull must fail before anything is built.
func opPullBase(tb *Testbed) error {
	current := opDep.currentID(tb)
	before, _ := opDep.quadlaunch(tb, "versions", "dep", "--json")
	out, err := opDep.quadlaunch(tb, "build", "dep", "--pull")
	if err == nil {
		return fmt.Errorf("build --pull of a base in no registry succeeded:\n%s", out)
	}
	if msg := err.Error(); !strings.Contains(msg, "pull base_image localhost/quadlaunch/demo:current") || !strings.Contains(msg, "current is unchanged") {
		return fmt.Errorf("the error does not name the pull: %v", err)
	}
	if after := opDep.currentID(tb); after != current {
		return fmt.Errorf("current moved from %s to %s", current, after)
	}
	after, _ := opDep.quadlaunch(tb, "versions", "dep", "--json")
	if after != before {
		return fmt.Errorf("a version appeared:\n%s\nbefore:\n%s", after, before)
	}
	table, err := opDep.quadlaunch(tb, "versions", "dep")
	if err != nil || !strings.Contains(table, "BASE") || !regexp.MustCompile(`sha256:[0-9a-f]{12}\s.*current`).MatchString(table) {
		return fmt.Errorf("versions does not show the base digest of current: %v\n%s", err, table)
	}
	return nil
}

// opDatabaseDown stops depdb so that it cannot start again until opDatabaseUp.
func opDatabaseDown(tb *Testbed) error {
	if _, err := tb.Exec("touch", opDBFlags+"/db-down"); err != nil {
		return err
	}
	_, err := tb.Systemctl("stop", "depdb.target", "depdb-web.service")
	return err
}

// opDatabaseUp is the operator bringing the database back: its restarts
// while it could not start hit systemd's start limit, hence reset-failed.
func opDatabaseUp(tb *Testbed) error {
	if _, err := tb.Exec("rm", "-f", opDBFlags+"/db-down"); err != nil {
		return err
	}
	tb.Systemctl("reset-failed", "depdb-web.service", "depdb-migrate.service", "depdb-configure.service")
	if _, err := tb.Systemctl("start", "depdb.target"); err != nil {
		return err
	}
	return tb.WaitFor(30*time.Second, "the database serves", func() error {
		_, err := tb.HTTPGet(opDBPort, "/healthz")
		return err
	})
}

func opRecoveryJournal(tb *Testbed) string {
	j, _ := tb.Exec("sh", "-c", "systemctl --failed --no-pager; journalctl -b --no-pager -n 60 -o short-precise -u dep-recover.service -u dep-migrate.service -u depdb-web.service -u depdb-migrate.service -u dep-web.service -u dep-web-next.service")
	return j
}

// opRecovered waits for dep to serve again and checks the journal's
// recovery lines: attempts counted against the bound, at least one.
func opRecovered(tb *Testbed, t0 time.Time, within time.Duration) error {
	if err := opDep.serves(tb, "build-", within); err != nil {
		return fmt.Errorf("web did not come back by itself: %v\n%s", err, opRecoveryJournal(tb))
	}
	took := time.Since(t0)
	attempts := regexp.MustCompile(`recovery attempt (\d+)/(\d+): starting`)
	var lines []string
	last := 0
	err := tb.WaitFor(30*time.Second, "dep-recover's recovered line", func() error {
		entries, err := tb.JournalSince(t0, false, "dep-recover.service")
		if err != nil {
			return err
		}
		lines, last = nil, 0
		for _, e := range entries {
			lines = append(lines, e.Message)
			if m := attempts.FindStringSubmatch(e.Message); m != nil {
				n, _ := strconv.Atoi(m[1])
				last = max(last, n)
			}
		}
		if !strings.Contains(strings.Join(lines, "\n"), "recovered: ") {
			return fmt.Errorf("no recovered line yet")
		}
		return nil
	})
	if err != nil || last == 0 || last > 8 {
		return fmt.Errorf("dep-recover's journal: last attempt %d (want 1..8), a recovered line: %v\n%s", last, err, strings.Join(lines, "\n"))
	}
	fmt.Printf("  web back after %.0f s, after recovery attempt %d of at most 8\n", took.Seconds(), last)
	return nil
}

func opRecovery(tb *Testbed) error {
	if err := opDep.serves(tb, "build-", 10*time.Second); err != nil {
		return err
	}
	live, _, err := opDep.liveSlot(tb)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := opDatabaseDown(tb); err != nil {
		return err
	}
	if _, err := tb.Systemctl("kill", "--signal=SIGKILL", live+".service"); err != nil {
		return err
	}
	// The restart runs migrate, which cannot reach the database: web is down
	// and A-recover waits to try again.
	if err := tb.WaitFor(30*time.Second, "dep-recover.service active", func() error {
		out, _ := tb.Systemctl("is-active", "dep-recover.service")
		if strings.TrimSpace(out) != "active" {
			return fmt.Errorf("%s", strings.TrimSpace(out))
		}
		return nil
	}); err != nil {
		j, _ := tb.Exec("journalctl", "-b", "--no-pager", "-n", "60", "-u", "dep-migrate.service", "-u", live+".service")
		return fmt.Errorf("%v\n%s", err, j)
	}
	if _, err := tb.HTTPGet(opDep.port); err == nil {
		return fmt.Errorf("dep still serves with the database down and web killed")
	}
	time.Sleep(5 * time.Second)
	if err := opDatabaseUp(tb); err != nil {
		return err
	}
	return opRecovered(tb, t0, 2*time.Minute)
}

func opBootFailure(tb *Testbed) error {
	if err := opDatabaseDown(tb); err != nil {
		return err
	}
	if _, err := tb.Exec("sh", "-c", "rm -f "+opNotifyDir+"/unit-failed-*"); err != nil {
		return err
	}
	if err := tb.Reboot(); err != nil {
		return err
	}
	t0 := time.Now()
	if err := tb.WaitFor(90*time.Second, "notify heard dep-migrate fail", func() error {
		got, err := opNotified(tb)
		if err != nil {
			return err
		}
		for _, env := range got["unit-failed"] {
			if strings.Contains(env, "QUADLAUNCH_UNIT=dep-migrate.service") && strings.Contains(env, "QUADLAUNCH_UNIT_RESULT=exit-code") {
				return nil
			}
		}
		return fmt.Errorf("unit-failed calls: %q", got["unit-failed"])
	}); err != nil {
		j, _ := tb.Exec("journalctl", "-b", "--no-pager", "-n", "80", "-u", "dep-migrate.service", "-u", "dep-notify@dep-migrate.service.service")
		return fmt.Errorf("%v\n%s", err, j)
	}
	if err := opDatabaseUp(tb); err != nil {
		return err
	}
	return opRecovered(tb, t0, 3*time.Minute)
}

func init() { register(operatorGroup()) }
