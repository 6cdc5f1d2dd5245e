package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The `discourse` group: Discourse's own samples/data.yml, exactly as in the
// corpus, on a Discourse-like base image (discourse_base.go): quadlaunch
// bootstrap runs its pups steps (initdb, postgres and redis started in the
// background, create_db, the after_postgres hook feeding psql its stdin), then
// data.target runs postgres 18 and redis under runit. A web_only-like app linked
// to it (the demo app's /db) writes rows to postgres and keys to redis with the
// password as a secret; a wrong password is refused; `quadlaunch rebuild data`
// keeps every row, and postgres reports a clean shutdown after every pass.

const (
	dbWebImage = "localhost/quadlaunch-e2e/dbweb:1"
	dbWebPort  = 8090
	badWebPort = 8091
	// dataDir is data.yml's /shared volume on the host.
	dataShared = "/var/discourse/shared/data"
	// dataPassword is what data.yml's after_postgres hook sets (its example value).
	dataPassword = "SOME_SECRET"
	// slowPass bounds bootstrap/rebuild of data: each pass starts postgres and
	// redis and sleeps as the templates say (15 s), a few minutes on a busy machine.
	slowPass = 10 * time.Minute
)

func init() {
	register(Group{
		Name:  "discourse",
		Order: 90,
		Setup: setupDiscourse,
		Scenarios: []Scenario{
			{Name: "corpus data.yml bootstraps: postgres 18 and redis run under runit", Run: scenarioDataBootstrap},
			{Name: "web linked to data writes a row to postgres and a key to redis", Run: scenarioWebWritesData},
			{Name: "corpus data.yml and web: diff says none after the bootstrap, history holds it", Run: scenarioDiscourseDiffHistory},
			{Name: "a wrong database password is refused", Run: scenarioWrongPassword},
			{Name: "rebuild data keeps every row, postgres shuts down cleanly after every pass", Run: scenarioDataRebuild},
			{Name: "a build step gets a secret through its exec session only", Run: scenarioBuildSecret},
			{Name: "corpus web.ssl.template.yml: the operator's certificate on 443 with HSTS, HTTP redirected", Run: scenarioWebSSL},
			{Name: "corpus web.ssl.template.yml behind the proxy: deploy and rollback under HTTPS load on 443, 0 failed", Run: scenarioWebSSLDeploy},
		},
	})
}

// webOnlyConfig is a web_only-like app: its database and redis are the data
// app's, reached through the link alias; the password travels as a secret.
func webOnlyConfig(port int, password string, migrate bool) string {
	m := ""
	if migrate {
		m = "migrate: [/usr/bin/demo, db-migrate]\n"
	}
	return fmt.Sprintf(`# web_only-like: postgres and redis live in the data app (link alias "data").
base_image: %s
links:
  - link:
      name: data
      alias: data
env:
  DISCOURSE_DB_HOST: data
  DISCOURSE_REDIS_HOST: data
  DISCOURSE_DB_PASSWORD: %s
  DEMO_PORT: "8080"
expose:
  - "%d:8080"
roles:
  web: [/usr/bin/demo, serve]
%s`, dbWebImage, password, port, m)
}

func setupDiscourse(tb *Testbed) error {
	if _, err := importDiscourseBase(tb); err != nil {
		return err
	}
	corpus := corpusDir(tb.Repo)
	files := map[string]string{
		"samples/data.yml":                "/etc/quadlaunch/containers/data.yml",
		"templates/postgres.template.yml": "/etc/quadlaunch/templates/postgres.template.yml",
		"templates/redis.template.yml":    "/etc/quadlaunch/templates/redis.template.yml",
	}
	for src, dst := range files {
		b, err := os.ReadFile(filepath.Join(corpus, src))
		if err != nil {
			return err
		}
		if err := tb.WriteFile(dst, string(b), 0o600); err != nil {
			return err
		}
	}
	if err := buildDBWebImage(tb); err != nil {
		return err
	}
	if err := tb.WriteFile("/etc/quadlaunch/containers/web.yml", webOnlyConfig(dbWebPort, dataPassword, true), 0o600); err != nil {
		return err
	}
	if err := tb.WriteFile("/etc/quadlaunch/containers/badweb.yml", webOnlyConfig(badWebPort, "not-"+dataPassword, false), 0o600); err != nil {
		return err
	}
	_, err := tb.Systemctl("daemon-reload")
	return err
}

// buildDBWebImage is the demo image under another name: the web_only-like app's
// base_image (the demo binary talks to postgres and redis, test/demo/app/database.go).
func buildDBWebImage(tb *Testbed) error {
	if err := buildDemoImage(tb, false); err != nil {
		return err
	}
	_, err := tb.Run("podman", "tag", demoImage, dbWebImage)
	return err
}

// pgControlState is "Database cluster state" of data's cluster, read with the
// data image's own pg_controldata (postgres must not be running for "shut down").
func pgControlState(tb *Testbed) (string, error) {
	out, err := tb.Run("podman", "run", "--rm", "--pull=never", "-v", dataShared+":/shared", "localhost/quadlaunch/data:current",
		"/usr/lib/postgresql/18/bin/pg_controldata", "/shared/postgres_data")
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile(`(?m)^Database cluster state:\s*(.+)$`).FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("no cluster state in pg_controldata output:\n%s", out)
	}
	return strings.TrimSpace(m[1]), nil
}

// postgresStarts reads postgres's startup lines from text: how many starts
// found the cluster shut down cleanly, and how many had to recover from a crash.
func postgresStarts(text string) (clean, recovered int) {
	clean = strings.Count(text, "database system was shut down at")
	recovered = strings.Count(text, "database system was not properly shut down") +
		strings.Count(text, "database system was interrupted") +
		strings.Count(text, "automatic recovery in progress")
	return clean, recovered
}

// dataPostgresLog is everything postgres said: the passes' journals (pups
// background output) and runit's svlogd log on the data volume.
func dataPostgresLog(tb *Testbed) string {
	var b strings.Builder
	for _, u := range []string{"data-migrate.service", "data-configure.service", "data-web.service"} {
		out, _ := tb.Exec("journalctl", "--no-pager", "-q", "-o", "cat", "-u", u)
		b.WriteString(out)
	}
	svlog, _ := tb.ReadFile(dataShared + "/log/var-log/postgres/current")
	b.WriteString(svlog)
	return b.String()
}

func waitDataServes(tb *Testbed) error {
	return tb.WaitFor(3*time.Minute, "postgres and redis in data-web", func() error {
		if _, err := tb.Run("podman", "exec", "data-web", "su", "postgres", "-c", "psql -tAc 'select 1' discourse"); err != nil {
			return err
		}
		out, err := tb.Run("podman", "exec", "data-web", "redis-cli", "ping")
		if err != nil {
			return err
		}
		if strings.TrimSpace(out) != "PONG" {
			return fmt.Errorf("redis-cli ping: %q", out)
		}
		return nil
	})
}

func scenarioDataBootstrap(tb *Testbed) error {
	if out, err := tb.Run("quadlaunch", "validate", "data"); err != nil {
		return fmt.Errorf("validate data.yml: %w\n%s", err, out)
	}
	t0 := time.Now()
	out, err := tb.RunTimeout(slowPass, "quadlaunch", "bootstrap", "data")
	if err != nil {
		return fmt.Errorf("bootstrap data: %w\n%s", err, lastLines(out, 30))
	}
	tb.logf("bootstrap data took %.0fs", time.Since(t0).Seconds())
	state, err := pgControlState(tb)
	if err != nil {
		return err
	}
	if state != "shut down" {
		return fmt.Errorf("after bootstrap the cluster state is %q, want \"shut down\" (postgres not stopped cleanly at the end of the pass)", state)
	}
	if out, err := tb.Systemctl("start", "data.target"); err != nil {
		return fmt.Errorf("start data.target: %w\n%s", err, out)
	}
	if err := waitDataServes(tb); err != nil {
		j, _ := tb.Journal("data-web.service")
		return fmt.Errorf("%w\n%s", err, lastLines(j, 30))
	}
	out, err = tb.Run("podman", "exec", "data-web", "sv", "status", "postgres", "redis", "cron")
	if err != nil {
		return fmt.Errorf("sv status: %w\n%s", err, out)
	}
	for _, svc := range []string{"postgres", "redis", "cron"} {
		if !regexp.MustCompile(`(?m)^run: ` + svc + `:`).MatchString(out) {
			return fmt.Errorf("runit does not run %s:\n%s", svc, out)
		}
	}
	// The bash launcher's run-time defaults: --shm-size=512m, -h <short host>-<app>.
	shm, err := tb.Run("podman", "inspect", "--format", "{{.HostConfig.ShmSize}}", "data-web")
	if err != nil || strings.TrimSpace(shm) != "536870912" {
		return fmt.Errorf("data-web's shm size %q (%v), want 512m (launcher's --shm-size)", shm, err)
	}
	host, err := tb.Run("podman", "exec", "data-web", "hostname")
	if err != nil || strings.TrimSpace(host) != "testbed-data" {
		return fmt.Errorf("data-web's hostname %q (%v), want testbed-data (launcher's <short host>-<app>)", host, err)
	}
	ver, err := tb.Run("podman", "exec", "data-web", "su", "postgres", "-c", "psql -tAc 'show server_version_num' discourse")
	if err != nil || !strings.HasPrefix(strings.TrimSpace(ver), "18") {
		return fmt.Errorf("server_version_num = %q (%v), want PostgreSQL 18", ver, err)
	}
	// The templates' build steps reached postgresql.conf; create_db made the role.
	conf, err := tb.Run("podman", "exec", "data-web", "su", "postgres", "-c", "psql -tAc 'show data_directory' discourse")
	if err != nil || strings.TrimSpace(conf) != "/shared/postgres_data" {
		return fmt.Errorf("data_directory = %q (%v), want /shared/postgres_data", conf, err)
	}
	return nil
}

func dbGet(tb *Testbed, port int, query string) (string, error) {
	return tb.Run("curl", "-sS", "--max-time", "10", "-w", "\n%{http_code}", fmt.Sprintf("http://127.0.0.1:%d/db?%s", port, query))
}

var dbAnswer = regexp.MustCompile(`db rows=(\d+) last=(.*) redis=(.*)\n+200$`)

func scenarioWebWritesData(tb *Testbed) error {
	if out, err := tb.RunTimeout(slowPass, "quadlaunch", "bootstrap", "web"); err != nil {
		return fmt.Errorf("bootstrap web: %w\n%s", err, lastLines(out, 20))
	}
	if out, err := tb.Systemctl("start", "web.target"); err != nil {
		return fmt.Errorf("start web.target: %w\n%s", err, out)
	}
	var first string
	if err := tb.WaitFor(90*time.Second, "web's /db", func() error {
		out, err := dbGet(tb, dbWebPort, "note=row-1")
		first = out
		if err != nil {
			return err
		}
		if !dbAnswer.MatchString(out) {
			return fmt.Errorf("/db answered %q", out)
		}
		return nil
	}); err != nil {
		return err
	}
	m := dbAnswer.FindStringSubmatch(first)
	if m[2] != "row-1" || m[3] != "row-1" {
		return fmt.Errorf("/db read back last=%q redis=%q, want row-1 for both", m[2], m[3])
	}
	for i := 2; i <= 5; i++ {
		out, err := dbGet(tb, dbWebPort, "note=row-"+strconv.Itoa(i))
		if err != nil || !dbAnswer.MatchString(out) {
			return fmt.Errorf("/db write %d: %v %q", i, err, out)
		}
	}
	// The password reached the container as a Podman secret, not as --env.
	insp, err := tb.Run("podman", "inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", "web-web")
	if err != nil {
		return err
	}
	if strings.Contains(insp, dataPassword) {
		return fmt.Errorf("the database password is in web-web's stored env")
	}
	return nil
}

func scenarioWrongPassword(tb *Testbed) error {
	if out, err := tb.Run("quadlaunch", "build", "badweb"); err != nil {
		return fmt.Errorf("build badweb: %w\n%s", err, out)
	}
	if out, err := tb.Systemctl("start", "badweb.target"); err != nil {
		return fmt.Errorf("start badweb.target: %w\n%s", err, out)
	}
	return tb.WaitFor(60*time.Second, "badweb's /db to refuse the login", func() error {
		out, err := dbGet(tb, badWebPort, "note=bad")
		if err != nil {
			return err
		}
		if !strings.Contains(out, "password authentication failed") || !strings.HasSuffix(out, "\n500") {
			return fmt.Errorf("/db with a wrong password answered %q, want a 500 naming the failed authentication", out)
		}
		return nil
	})
}

func scenarioDataRebuild(tb *Testbed) error {
	out, err := dbGet(tb, dbWebPort, "write=0")
	m := dbAnswer.FindStringSubmatch(out)
	if err != nil || m == nil {
		return fmt.Errorf("/db before rebuild: %v %q", err, out)
	}
	before, _ := strconv.Atoi(m[1])
	t0 := time.Now()
	if out, err := tb.RunTimeout(slowPass, "quadlaunch", "rebuild", "data"); err != nil {
		return fmt.Errorf("rebuild data: %w\n%s", err, lastLines(out, 30))
	}
	tb.logf("rebuild data took %.0fs", time.Since(t0).Seconds())
	if err := waitDataServes(tb); err != nil {
		return err
	}
	var after int
	if err := tb.WaitFor(60*time.Second, "web's /db after the rebuild", func() error {
		out, err := dbGet(tb, dbWebPort, "write=0")
		if err != nil {
			return err
		}
		m := dbAnswer.FindStringSubmatch(out)
		if m == nil {
			return fmt.Errorf("/db answered %q", out)
		}
		after, _ = strconv.Atoi(m[1])
		return nil
	}); err != nil {
		return err
	}
	// Stop data last, so its final shutdown is counted too.
	// The roles themselves: an app's target only wants them (stopping it leaves them running).
	if out, err := tb.Systemctl("stop", "web-web.service", "badweb-web.service", "data-web.service"); err != nil {
		return fmt.Errorf("stop: %w\n%s", err, out)
	}
	state, err := pgControlState(tb)
	if err != nil {
		return err
	}
	clean, recovered := postgresStarts(dataPostgresLog(tb))
	// Every start after initdb's first one read the state the previous stop
	// left; the last stop is read from pg_control.
	starts := clean + recovered
	total, ok := starts+1, clean
	if state == "shut down" {
		ok++
	}
	fmt.Printf("discourse-data: rows kept %d/%d, clean shutdowns %d/%d\n", min(after, before), before, ok, total)
	if after != before {
		return fmt.Errorf("rows before rebuild %d, after %d", before, after)
	}
	if recovered > 0 || state != "shut down" || starts < 3 {
		return fmt.Errorf("postgres: %d clean starts, %d crash recoveries, final state %q (want no recovery, a clean final state, and at least 3 observed starts)", clean, recovered, state)
	}
	return nil
}

// buildSecretCanary is a GITHUB_TOKEN for the build-secret scenario; checks
// grep for it from outside any unit, so no logged command line holds it.
const buildSecretCanary = "qlcanary-build-7f3c9a1e52"

// buildSecretConfig clones a "private plugin" the usual way: a build step
// using $$ENV_GITHUB_TOKEN (inside double and single quotes) and $GITHUB_TOKEN.
func buildSecretConfig(base string, fileStep bool) string {
	extra := ""
	if fileStep {
		extra = `  - file:
      path: /etc/token
      contents: "$$ENV_GITHUB_TOKEN"
`
	}
	return `base_image: ` + base + `
env:
  GITHUB_TOKEN: ` + buildSecretCanary + `
run:
  - exec: echo "$$ENV_GITHUB_TOKEN" | sha256sum > /tmp/t1
  - exec: su nobody -s /bin/sh -c 'echo $$ENV_GITHUB_TOKEN' | sha256sum > /tmp/t2
  - exec: echo "$GITHUB_TOKEN" | sha256sum > /tmp/t3
` + extra
}

func scenarioBuildSecret(tb *Testbed) error {
	base, err := discourseBaseImage(tb.Repo)
	if err != nil {
		return err
	}
	// A file step would write the token into a layer: refused at validate.
	if err := tb.WriteFile("/etc/quadlaunch/containers/plugin.yml", buildSecretConfig(base, true), 0o600); err != nil {
		return err
	}
	out, err := tb.Run("quadlaunch", "validate", "plugin")
	if err == nil || !strings.Contains(out+errText(err), "plugin.yml:") || !strings.Contains(out+errText(err), "contents") {
		return fmt.Errorf("validate of a file step writing a secret: err %v, output %q; want an error naming plugin.yml:LINE and contents", err, out)
	}
	if err := tb.WriteFile("/etc/quadlaunch/containers/plugin.yml", buildSecretConfig(base, false), 0o600); err != nil {
		return err
	}
	buildOut, err := tb.Run("quadlaunch", "build", "plugin")
	if err != nil {
		return fmt.Errorf("build plugin: %w\n%s", err, lastLines(buildOut, 20))
	}
	sums, err := tb.Run("podman", "run", "--rm", "--pull=never", "localhost/quadlaunch/plugin:current", "cat", "/tmp/t1", "/tmp/t2", "/tmp/t3")
	if err != nil {
		return err
	}
	want := sha256hex(buildSecretCanary+"\n") + "  -"
	if lines := strings.Fields(strings.ReplaceAll(sums, "  -", "__")); len(lines) != 3 || strings.Count(sums, want) != 3 {
		return fmt.Errorf("the build steps saw other values than the secret (want 3 x %s):\n%s", want, sums)
	}
	if strings.Contains(buildOut, buildSecretCanary) {
		return fmt.Errorf("the secret is in the build's output")
	}
	var where []string
	ids, err := tb.Exec("podman", "images", "-a", "-q", "--no-trunc")
	if err != nil {
		return err
	}
	for _, id := range strings.Fields(ids) {
		for _, args := range [][]string{{"podman", "image", "inspect", id}, {"podman", "history", "--no-trunc", id}} {
			out, err := tb.Exec(args...)
			if err != nil {
				return fmt.Errorf("%v: %w", args, err)
			}
			if strings.Contains(out, buildSecretCanary) {
				where = append(where, strings.Join(args, " "))
			}
		}
	}
	journal, _ := tb.Exec("journalctl", "-b", "--no-pager", "-q", "-o", "cat")
	if strings.Contains(journal, buildSecretCanary) {
		where = append(where, "the journal")
	}
	grep, err := tb.Exec("grep", "-r", "-a", "-l", "-F", "-e", buildSecretCanary, "/var/lib/containers/storage/db.sql",
		"/var/lib/containers/storage/overlay-images", "/var/lib/containers/storage/overlay-containers")
	if err != nil && ExitCode(err) != 1 {
		return fmt.Errorf("grep storage: %w", err)
	}
	where = append(where, strings.Fields(grep)...)
	if len(where) > 0 {
		return fmt.Errorf("the build secret is in: %s", strings.Join(where, ", "))
	}
	if out, err := tb.Exec("podman", "secret", "ls", "--format", "{{.Name}}"); err != nil || !strings.Contains(out, "quadlaunch-plugin-GITHUB_TOKEN") {
		return fmt.Errorf("podman secret ls: %v %q, want quadlaunch-plugin-GITHUB_TOKEN", err, out)
	}
	fmt.Printf("build secret: 3/3 steps got it; absent from %d image inspects/histories, the journal, db.sql and image/container storage\n", 2*len(strings.Fields(ids)))
	return nil
}

// errText is a command error's output (CmdError keeps stderr apart).
func errText(err error) string {
	var ce *CmdError
	if errors.As(err, &ce) {
		return ce.Stderr + ce.Stdout
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// scenarioDiscourseDiffHistory: an operator's look at the real configs
// (Discourse's data.yml as it is, and web): nothing for a deploy to change
// right after the bootstrap, and the bootstrap in the audit trail.
func scenarioDiscourseDiffHistory(tb *Testbed) error {
	for _, app := range []string{"data", "web"} {
		out, err := tb.RunTimeout(2*time.Minute, "quadlaunch", "diff", app)
		if err != nil || !strings.Contains(out, app+": none:") {
			return fmt.Errorf("diff %s after its bootstrap: %v\n%s", app, err, out)
		}
		hist, err := tb.Run("quadlaunch", "history", app, "--json")
		if err != nil || !strings.Contains(hist, `"command": "bootstrap"`) || !strings.Contains(hist, `"result": "ok"`) {
			return fmt.Errorf("history %s: %v\n%s", app, err, hist)
		}
	}
	return nil
}
