package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The scenarios of issue #3: the demo app (test/demo) under the system manager
// (group "system", in order, sharing one testbed) and rootless (group "rootless").
func init() {
	register(Group{
		Name:  "system",
		Order: 10,
		Setup: func(tb *Testbed) error { return installDemo(tb, false) },
		Scenarios: append([]Scenario{
			{Name: "1 daemon-reload creates the demo units", Run: scenarioUnits},
			{Name: "2 start demo.target: migrate, configure, roles in order; web serves", Run: scenarioStart},
			{Name: "3 restart demo-web re-runs migrate and configure first", Run: scenarioRestart},
			{Name: "4 failing migration stops web; fixed config serves again", Run: scenarioFailingMigration},
			{Name: "5 broken config next to demo: demo runs, error has file:line", Run: scenarioBrokenConfig},
			{Name: "7 secrets reach the container byte-exact and nowhere else", Run: scenarioSecrets},
			{Name: "8 after a reboot the app comes back by itself", Run: scenarioReboot},
			{Name: "9 a killed web is restarted by systemd, after migrate and configure", Run: scenarioCrashRestart},
		}, exportScenarios()...),
	})
	register(Group{
		Name:  "rootless",
		Order: 20,
		Setup: func(tb *Testbed) error { return installDemo(tb, true) },
		Scenarios: []Scenario{
			{Name: "6 rootless under systemctl --user, survives restart of user@1000", Run: scenarioRootless},
		},
	})
}

// checkServes asserts the web role answers with the app file's greeting.
func checkServes(tb *Testbed) error {
	body, err := tb.HTTPGet(demoPort)
	if err != nil {
		return err
	}
	want := "demo " + demoVersion + ": hello from demo.yml"
	if strings.TrimSpace(body) != want {
		return fmt.Errorf("HTTP body %q, want %q", strings.TrimSpace(body), want)
	}
	return nil
}

func waitServes(tb *Testbed, d time.Duration) error {
	return tb.WaitFor(d, fmt.Sprintf("HTTP on :%d", demoPort), func() error { return checkServes(tb) })
}

// unitValue returns one property of a unit (systemctl show -p P --value).
func unitValue(tb *Testbed, user bool, unit, prop string) string {
	sc := tb.Systemctl
	if user {
		sc = tb.SystemctlUser
	}
	out, _ := sc("show", "-p", prop, "--value", unit)
	return strings.TrimSpace(out)
}

// demoSchema returns the lines of the migration log on the demo-data volume.
func demoSchema(tb *Testbed, user bool) ([]string, error) {
	run := tb.Run
	if user {
		run = tb.RunUser
	}
	out, err := run("podman", "volume", "ls", "--format", "{{.Name}} {{.Mountpoint}}")
	if err != nil {
		return nil, err
	}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && strings.Contains(f[0], "demo-data") {
			data, err := tb.ReadFile(f[1] + "/schema")
			if err != nil {
				return nil, err
			}
			return strings.Split(strings.TrimRight(data, "\n"), "\n"), nil
		}
	}
	return nil, fmt.Errorf("no demo-data volume in podman volume ls:\n%s", out)
}

func scenarioUnits(tb *Testbed) error {
	if _, err := tb.Systemctl("daemon-reload"); err != nil {
		return err
	}
	var problems []string
	for _, u := range demoUnits {
		if st := unitValue(tb, false, u, "LoadState"); st != "loaded" {
			problems = append(problems, fmt.Sprintf("%s: LoadState=%q", u, st))
		}
	}
	status, _ := tb.Systemctl("status", "demo-web.service")
	if !strings.Contains(status, demoConfigPath(false)) {
		problems = append(problems, fmt.Sprintf("systemctl status demo-web does not name %s:\n%s", demoConfigPath(false), status))
	}
	// SourcePath= names the config (not quadlet's staging file), so an edit of
	// the config makes systemd ask for a daemon-reload.
	for _, u := range []string{"demo-web.service", "demo-migrate.service"} {
		if sp := unitValue(tb, false, u, "SourcePath"); sp != demoConfigPath(false) {
			problems = append(problems, fmt.Sprintf("%s: SourcePath=%q, want %s", u, sp, demoConfigPath(false)))
		}
	}
	if _, err := tb.Exec("touch", demoConfigPath(false)); err != nil {
		return err
	}
	if v := unitValue(tb, false, "demo-web.service", "NeedDaemonReload"); v != "yes" {
		problems = append(problems, fmt.Sprintf("demo-web: NeedDaemonReload=%q after the config changed, want yes", v))
	}
	if _, err := tb.Systemctl("daemon-reload"); err != nil {
		return err
	}
	problems = append(problems, checkConversionMemo(tb)...)
	if len(problems) > 0 {
		gen, _ := tb.Exec("sh", "-c", "ls -la /run/systemd/generator/ | grep -i demo; journalctl -b -o cat --no-pager | grep -i quadlaunch | tail -20")
		return fmt.Errorf("%s\ngenerator dir / generator log:\n%s", strings.Join(problems, "\n"), gen)
	}
	return nil
}

// checkConversionMemo: a daemon-reload with unchanged configs runs no
// quadlet (the services come from /run/quadlaunch/generator/conversions); a
// new app is the only one converted; its entry goes with its config.
func checkConversionMemo(tb *Testbed) []string {
	var problems []string
	const staging = "/run/systemd/generator/quadlaunch.quadlet"
	const memo = "/run/quadlaunch/generator/conversions"
	staged := func() string {
		out, _ := tb.Exec("sh", "-c", "ls "+staging+" 2>/dev/null | tr '\\n' ' '")
		return strings.TrimSpace(out)
	}
	reload := func() bool {
		if out, err := tb.Systemctl("daemon-reload"); err != nil {
			problems = append(problems, fmt.Sprintf("daemon-reload: %v: %s", err, out))
			return false
		}
		return true
	}
	if !reload() {
		return problems
	}
	if s := staged(); s != "" {
		problems = append(problems, "quadlet converted "+s+" on a daemon-reload with unchanged configs")
	}
	if entries, _ := tb.Exec("sh", "-c", "ls "+memo+" | wc -l"); strings.TrimSpace(entries) == "0" {
		problems = append(problems, "no conversion memo entry in "+memo)
	}
	if st := unitValue(tb, false, "demo-web.service", "LoadState"); st != "loaded" {
		problems = append(problems, fmt.Sprintf("demo-web after a reload from the memo: LoadState=%q", st))
	}
	newApp := demoRoot(false) + "/containers/memo.yml"
	if _, err := tb.Exec("sh", "-c", "printf 'base_image: localhost/base:1\\nroles:\\n  web: /usr/bin/demo serve\\n' > "+newApp); err != nil {
		return append(problems, err.Error())
	}
	if !reload() {
		return problems
	}
	if s := staged(); !strings.Contains(s, "memo-web.container") || strings.Contains(s, "demo-") {
		problems = append(problems, "with a new app next to demo, quadlet converted: "+s+" (want memo's files only)")
	}
	for _, u := range []string{"memo-web.service", "demo-web.service"} {
		if st := unitValue(tb, false, u, "LoadState"); st != "loaded" {
			problems = append(problems, fmt.Sprintf("%s next to a new app: LoadState=%q", u, st))
		}
	}
	if _, err := tb.Exec("rm", newApp); err != nil {
		return append(problems, err.Error())
	}
	if !reload() {
		return problems
	}
	if st := unitValue(tb, false, "memo-web.service", "LoadState"); st != "not-found" {
		problems = append(problems, fmt.Sprintf("memo-web after its config went: LoadState=%q", st))
	}
	if left, _ := tb.Exec("sh", "-c", "ls "+memo+"/*/memo-web.service 2>/dev/null"); strings.TrimSpace(left) != "" {
		problems = append(problems, "memo entry of a removed config kept: "+left)
	}
	return problems
}

func scenarioStart(tb *Testbed) error {
	t0 := time.Now()
	if _, err := tb.Systemctl("start", "demo.target"); err != nil {
		return err
	}
	if err := waitServes(tb, 90*time.Second); err != nil {
		return err
	}
	for _, u := range []string{"demo-web.service", "demo-worker.service"} {
		if st := unitValue(tb, false, u, "ActiveState"); st != "active" {
			return fmt.Errorf("%s is %q after starting demo.target", u, st)
		}
	}
	// The worker prints its first line right at start: wait for it, then check the order.
	var entries []JournalEntry
	err := tb.WaitFor(30*time.Second, "worker start in journal", func() (err error) {
		entries, err = tb.JournalSince(t0, false, "demo-migrate.service", "demo-configure.service", "demo-web.service", "demo-worker.service")
		if err != nil {
			return err
		}
		if _, ok := firstMatch(entries, `^demo worker: version`); !ok {
			return fmt.Errorf("no worker start yet")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := assertOrder(entries, `^demo migrate: applied schema`, `^demo configure: `, `^demo serve: version`); err != nil {
		return err
	}
	if err := assertOrder(entries, `^demo configure: `, `^demo worker: version`); err != nil {
		return err
	}
	j, err := tb.Journal("demo-migrate.service")
	if err != nil {
		return err
	}
	if !strings.Contains(j, "demo migrate: applied schema 2 (run 1)") {
		return fmt.Errorf("journalctl -u demo-migrate lacks the migration's output:\n%s", j)
	}
	return migrateJournalIsClean(tb, j)
}

// podmanEventLine is a Podman event as its journald backend logs it.
var podmanEventLine = regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ [+-]\d{4} \S+ m=\+\S+ (container|image|pod|volume|secret) |(?m)^podman\[\d+\]: |(?m)^container (create|init|start|attach|died|remove) `)

// migrateJournalIsClean: the journal of a successful migration holds the
// migration's own lines, no Podman event and no ID `podman secret create`
// printed (checked against the IDs Podman has).
func migrateJournalIsClean(tb *Testbed, j string) error {
	if m := podmanEventLine.FindString(j); m != "" {
		return fmt.Errorf("journalctl -u demo-migrate holds a Podman event line (%q):\n%s", m, indent(lastLines(j, 30)))
	}
	ids, err := tb.Exec("podman", "secret", "ls", "--format", "{{.ID}}")
	if err != nil {
		return fmt.Errorf("podman secret ls: %v", err)
	}
	n := 0
	for _, id := range strings.Fields(ids) {
		n++
		if strings.Contains(j, id) {
			return fmt.Errorf("journalctl -u demo-migrate holds the ID of Podman secret %s:\n%s", id, indent(lastLines(j, 30)))
		}
	}
	if n == 0 {
		return fmt.Errorf("podman secret ls lists no secret: the demo's secrets were not stored, nothing was checked")
	}
	return nil
}

func scenarioRestart(tb *Testbed) error {
	before, err := demoSchema(tb, false)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if _, err := tb.Systemctl("restart", "demo-web.service"); err != nil {
		return err
	}
	return servesAfterMigration(tb, t0, before, "the restart")
}

// servesAfterMigration: web serves again, and since t0 migrate, configure and
// web logged in that order, with one more line in the migration log than before.
func servesAfterMigration(tb *Testbed, t0 time.Time, before []string, what string) error {
	if err := waitServes(tb, 60*time.Second); err != nil {
		return err
	}
	entries, err := tb.JournalSince(t0, false, "demo-migrate.service", "demo-configure.service", "demo-web.service")
	if err != nil {
		return err
	}
	if err := assertOrder(entries, `^demo migrate: applied schema`, `^demo configure: `, `^demo serve: version`); err != nil {
		return err
	}
	after, err := demoSchema(tb, false)
	if err != nil {
		return err
	}
	if len(after) != len(before)+1 {
		return fmt.Errorf("migration log had %d lines before %s and %d after, want one more:\n%s", len(before), what, len(after), strings.Join(after, "\n"))
	}
	return nil
}

// scenarioCrashRestart pins down what Restart=on-failure does: the restart job
// systemd queues for a crashed role starts its Requires= (migrate, configure)
// again, as `systemctl restart` does, so a crash is followed by the app's
// migration before web serves again.
func scenarioCrashRestart(tb *Testbed) error {
	before, err := demoSchema(tb, false)
	if err != nil {
		return err
	}
	restarts := unitValue(tb, false, "demo-web.service", "NRestarts")
	t0 := time.Now()
	if _, err := tb.Exec("podman", "kill", "--signal", "KILL", "demo-web"); err != nil {
		return err
	}
	err = tb.WaitFor(60*time.Second, "systemd to restart demo-web", func() error {
		if n := unitValue(tb, false, "demo-web.service", "NRestarts"); n == restarts {
			return fmt.Errorf("NRestarts still %s", n)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return servesAfterMigration(tb, t0, before, "the crash")
}

func scenarioFailingMigration(tb *Testbed) error {
	before, err := demoSchema(tb, false)
	if err != nil {
		return err
	}
	if err := editDemoConfig(tb, false, `DEMO_FAIL_MIGRATION: "0"`, `DEMO_FAIL_MIGRATION: "1"`); err != nil {
		return err
	}
	if _, err := tb.Systemctl("daemon-reload"); err != nil {
		return err
	}
	_, err = tb.Systemctl("restart", "demo-web.service")
	if err == nil {
		return fmt.Errorf("systemctl restart demo-web exited 0 with a failing migration")
	}
	var problems []string
	status, _ := tb.Systemctl("status", "demo-web.service")
	if !strings.Contains(status, "demo-migrate") {
		problems = append(problems, "systemctl status demo-web does not name the failed dependency demo-migrate:\n"+indent(status))
	}
	if st := unitValue(tb, false, "demo-web.service", "ActiveState"); st == "active" {
		problems = append(problems, "demo-web is active after the failed migration")
	}
	j, _ := tb.Journal("demo-migrate.service")
	if !strings.Contains(j, "demo migrate: ERROR: migration to schema 2 failed: DEMO_FAIL_MIGRATION=1") {
		problems = append(problems, "journalctl -u demo-migrate lacks the migration's error:\n"+indent(lastLines(j, 15)))
	}
	// Fix the config: web serves again, the data is still there.
	if err := editDemoConfig(tb, false, `DEMO_FAIL_MIGRATION: "1"`, `DEMO_FAIL_MIGRATION: "0"`); err != nil {
		return err
	}
	if _, err := tb.Systemctl("daemon-reload"); err != nil {
		return err
	}
	if _, err := tb.Systemctl("restart", "demo-web.service"); err != nil {
		problems = append(problems, "restart after fixing the config: "+err.Error())
	} else if err := waitServes(tb, 60*time.Second); err != nil {
		problems = append(problems, err.Error())
	}
	after, err := demoSchema(tb, false)
	if err != nil {
		problems = append(problems, err.Error())
	} else if len(after) != len(before)+1 || strings.Join(after[:len(before)], "\n") != strings.Join(before, "\n") {
		problems = append(problems, fmt.Sprintf("volume data: before %q, after %q (want the old lines plus one)", before, after))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// Two broken apps next to demo: bad YAML and a missing template.
var brokenConfigs = map[string]string{
	"broken.yml":      "env:\n  GOOD: \"1\"\n  BAD: [unclosed\nexpose:\n  - \"9090:9090\"\n",
	"badtemplate.yml": "templates:\n  - templates/does-not-exist.template.yml\nexpose:\n  - \"9091:9091\"\n",
}

func scenarioBrokenConfig(tb *Testbed) error {
	for name, content := range brokenConfigs {
		if err := tb.WriteFile("/etc/quadlaunch/containers/"+name, content, 0o600); err != nil {
			return err
		}
	}
	defer func() {
		for name := range brokenConfigs {
			os.Remove(tb.Root() + "/etc/quadlaunch/containers/" + name)
		}
		tb.Systemctl("daemon-reload")
	}()
	t0 := time.Now()
	if _, err := tb.Systemctl("daemon-reload"); err != nil {
		return err
	}
	var problems []string
	for _, u := range demoUnits {
		if st := unitValue(tb, false, u, "LoadState"); st != "loaded" {
			problems = append(problems, fmt.Sprintf("%s: LoadState=%q next to broken configs", u, st))
		}
	}
	if st := unitValue(tb, false, "demo-web.service", "ActiveState"); st != "active" {
		problems = append(problems, "demo-web is "+st)
	}
	if err := checkServes(tb); err != nil {
		problems = append(problems, err.Error())
	}
	var entries []JournalEntry
	err := tb.WaitFor(10*time.Second, "generator errors in the journal", func() (err error) {
		entries, err = tb.JournalSince(t0, false)
		if err != nil {
			return err
		}
		for name := range brokenConfigs {
			if _, ok := firstMatch(entries, regexp.QuoteMeta(name)+`:\d+`); !ok {
				return fmt.Errorf("no message naming %s:<line>", name)
			}
		}
		return nil
	})
	if err != nil {
		var gen []JournalEntry
		for _, e := range entries {
			if strings.Contains(e.Message, "quadlaunch") {
				gen = append(gen, e)
			}
		}
		problems = append(problems, err.Error()+"; quadlaunch messages since daemon-reload:\n"+formatEntries(gen, 20))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

// secretValues returns the demo's canary env values (name -> value).
func secretValues(repo string) (map[string]string, error) {
	env, err := demoEnv(repo)
	if err != nil {
		return nil, err
	}
	secrets := map[string]string{}
	multiline := false
	for k, v := range env {
		if strings.Contains(v, canaryMark) {
			secrets[k] = v
			multiline = multiline || strings.Contains(strings.TrimRight(v, "\n"), "\n")
		}
	}
	if len(secrets) < 2 || !multiline {
		return nil, fmt.Errorf("demo.yml must hold at least two %s values, one multiline (have %d)", canaryMark, len(secrets))
	}
	return secrets, nil
}

// canaryPattern matches the canary without containing it, so the grep's own
// command line is not a leak.
var canaryPattern = canaryMark[:len(canaryMark)-1] + "[" + canaryMark[len(canaryMark)-1:] + "]"

func containsCanary(s string) bool { return strings.Contains(strings.ToLower(s), canaryMark) }

// scanCmdlines looks for the canary in every process's command line on the
// host (the testbed's processes, containers included, are host processes).
func scanCmdlines() []string {
	var hits []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cl, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && containsCanary(string(cl)) {
			hits = append(hits, fmt.Sprintf("pid %s: %q", e.Name(), strings.ReplaceAll(string(cl), "\x00", " ")))
		}
	}
	return hits
}

func scenarioSecrets(tb *Testbed) error {
	secrets, err := secretValues(tb.Repo)
	if err != nil {
		return err
	}
	var problems []string
	// Byte-exact inside the container (compared by hash: the value is never printed).
	for name, want := range secrets {
		for _, ctr := range []string{"demo-web", "demo-worker"} {
			got, err := tb.Run("podman", "exec", ctr, "/usr/bin/demo", "env-sha256", name)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s in %s: %v", name, ctr, err))
			} else if strings.TrimSpace(got) != sha256hex(want) {
				problems = append(problems, fmt.Sprintf("%s in %s differs from demo.yml's value (sha256 %s, want %s)", name, ctr, strings.TrimSpace(got), sha256hex(want)))
			}
		}
	}
	// Command lines, also while the units restart (podman run's arguments).
	var mu sync.Mutex
	hits := map[string]bool{}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			for _, h := range scanCmdlines() {
				mu.Lock()
				hits[h] = true
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	_, rerr := tb.Systemctl("restart", "demo-web.service", "demo-worker.service")
	close(stop)
	<-done
	if rerr != nil {
		problems = append(problems, "restart demo-web demo-worker: "+rerr.Error())
	}
	for h := range hits {
		problems = append(problems, "canary in a command line: "+h)
	}
	if err := waitServes(tb, 60*time.Second); err != nil {
		problems = append(problems, err.Error())
	}
	// Unit text and properties.
	for _, u := range demoUnits {
		for _, args := range [][]string{{"cat", u}, {"show", u}} {
			out, err := tb.Systemctl(args...)
			if err != nil {
				problems = append(problems, err.Error())
			}
			if containsCanary(out) {
				problems = append(problems, fmt.Sprintf("canary in systemctl %s %s", args[0], u))
			}
		}
	}
	// Anything the test user can read: generator output, /run, /etc, /var, /tmp.
	out, err := tb.ExecUser("sh", "-c", "grep -rlis --devices=skip '"+canaryPattern+"' /run /etc /var /tmp /home 2>/dev/null; true")
	if err != nil {
		problems = append(problems, "scan as tester: "+err.Error())
	} else if strings.TrimSpace(out) != "" {
		problems = append(problems, "files readable by tester holding the canary:\n"+indent(out))
	}
	priv, _ := tb.Exec("sh", "-c", "stat -c '%a %U %n' /run/systemd/generator/quadlaunch.private /run/systemd/generator/quadlaunch.private/demo.env")
	if !strings.Contains(priv, "700 root /run/systemd/generator/quadlaunch.private\n") || !strings.Contains(priv, "600 root /run/systemd/generator/quadlaunch.private/demo.env") {
		problems = append(problems, "private env file modes (want dir 700, file 600, root):\n"+indent(priv))
	}
	// podman inspect as another user: tester's own podman, and root's socket.
	for _, args := range [][]string{
		{"podman", "inspect", "demo-web"},
		{"podman", "--remote", "--url", "unix:///run/podman/podman.sock", "inspect", "demo-web"},
	} {
		out, err := tb.ExecUser(args...)
		var msg string
		if err != nil {
			msg = err.Error()
		}
		if containsCanary(out + msg) {
			problems = append(problems, fmt.Sprintf("canary in `%s` as tester", strings.Join(args, " ")))
		}
	}
	// The journal, every field.
	j, err := tb.Exec("journalctl", "--no-pager", "-o", "export")
	if err != nil {
		problems = append(problems, "journal: "+err.Error())
	} else if containsCanary(j) {
		var lines []string
		for _, l := range strings.Split(j, "\n") {
			if containsCanary(l) && len(lines) < 5 {
				lines = append(lines, l)
			}
		}
		problems = append(problems, "canary in the journal:\n"+indent(strings.Join(lines, "\n")))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

func scenarioReboot(tb *Testbed) error {
	before, err := demoSchema(tb, false)
	if err != nil {
		return err
	}
	if err := tb.Reboot(); err != nil {
		return err
	}
	if err := waitServes(tb, 120*time.Second); err != nil {
		st, _ := tb.Systemctl("status", "demo.target", "demo-web.service", "demo-migrate.service")
		return fmt.Errorf("%v\n%s", err, indent(st))
	}
	for _, u := range []string{"demo-web.service", "demo-worker.service"} {
		if st := unitValue(tb, false, u, "ActiveState"); st != "active" {
			return fmt.Errorf("%s is %q after the reboot", u, st)
		}
	}
	after, err := demoSchema(tb, false)
	if err != nil {
		return err
	}
	if len(after) != len(before)+1 {
		return fmt.Errorf("migration log: %d lines before the reboot, %d after (want the boot's migration added)", len(before), len(after))
	}
	return nil
}

func scenarioRootless(tb *Testbed) error {
	// Twice: the second reload (configs unchanged) restores the services
	// from the user's conversion memo and runs no quadlet.
	for range 2 {
		if _, err := tb.SystemctlUser("daemon-reload"); err != nil {
			return err
		}
	}
	for _, u := range demoUnits {
		if st := unitValue(tb, true, u, "LoadState"); st != "loaded" {
			gen, _ := tb.Exec("sh", "-c", "ls -la /run/user/1000/systemd/generator/ 2>&1 | grep -i demo; journalctl -b -o cat --no-pager | grep -i quadlaunch | tail -20")
			return fmt.Errorf("user unit %s: LoadState=%q\n%s", u, st, indent(gen))
		}
	}
	memo, _ := tb.Exec("sh", "-c", "ls "+runtimeDir+"/quadlaunch/generator/conversions/*/demo-web.service 2>/dev/null; ls -d "+runtimeDir+"/systemd/generator/quadlaunch.quadlet 2>/dev/null")
	if !strings.Contains(memo, "/demo-web.service") || strings.Contains(memo, "quadlaunch.quadlet") {
		return fmt.Errorf("user conversion memo: want demo-web.service kept in %s/quadlaunch/generator/conversions and nothing staged on the second reload:\n%s", runtimeDir, indent(memo))
	}
	t0 := time.Now()
	if _, err := tb.SystemctlUser("start", "demo.target"); err != nil {
		return err
	}
	if err := waitServes(tb, 90*time.Second); err != nil {
		return err
	}
	entries, err := tb.JournalSince(t0, true, "demo-migrate.service", "demo-configure.service", "demo-web.service")
	if err != nil {
		return err
	}
	if err := assertOrder(entries, `^demo migrate: applied schema`, `^demo configure: `, `^demo serve: version`); err != nil {
		return err
	}
	ps, err := tb.RunUser("podman", "ps", "--format", "{{.Names}}")
	if err != nil || !strings.Contains(ps, "demo-web") {
		return fmt.Errorf("tester's podman ps does not list demo-web: %q %v", ps, err)
	}
	// The user manager restarts (as on logout/login without linger, or an upgrade):
	// the app must come back with it.
	if _, err := tb.Systemctl("restart", "user@1000.service"); err != nil {
		return err
	}
	err = tb.WaitFor(90*time.Second, "demo-web active again under user@1000", func() error {
		if st := unitValue(tb, true, "demo-web.service", "ActiveState"); st != "active" {
			return fmt.Errorf("demo-web is %q", st)
		}
		return checkServes(tb)
	})
	if err != nil {
		st, _ := tb.SystemctlUser("status", "demo.target", "demo-web.service")
		return fmt.Errorf("%v\n%s", err, indent(st))
	}
	return nil
}
