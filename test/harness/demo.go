package main

import (
	"fmt"
	"strings"
	"time"
)

// runDemo is `make demo`: boot a testbed and run the topology of the e2e
// `discourse` group through quadlaunch and systemd: Discourse's own
// samples/data.yml (postgres 18 + redis under runit, on a Discourse-like base
// image built from Debian packages) and a web_only-like app linked to it; show
// what an operator would look at, shut down.
func runDemo(env *runEnv) error {
	t0 := time.Now()
	tb := env.newTestbed("demo")
	track(tb, true)
	defer func() { tb.Destroy(); track(tb, false) }()
	// The base image is the slow part of a first run: build it (with progress
	// lines) before booting, so the testbed does not idle meanwhile.
	if _, err := ensureDiscourseBase(env.repo); err != nil {
		return err
	}
	logf("demo: booting %s", tb.Name)
	if err := tb.Boot(true); err != nil {
		return err
	}
	logf("demo: importing the base image, writing data.yml (corpus, unchanged) and web.yml")
	if err := setupDiscourse(tb); err != nil {
		return err
	}
	show := func(title string, out string, err error) {
		fmt.Printf("\n$ %s\n%s", title, out)
		if !strings.HasSuffix(out, "\n") {
			fmt.Println()
		}
		if err != nil && ExitCode(err) < 0 {
			fmt.Printf("(%v)\n", err)
		}
	}
	fail := func(err error) error {
		tb.Collect()
		return err
	}
	run := func(args ...string) error {
		logf("demo: %s", strings.Join(args, " "))
		out, err := tb.RunTimeout(slowPass, args...)
		show(strings.Join(args, " "), lastLines(out, 25), err)
		return err
	}
	fmt.Printf("\n# /etc/quadlaunch/containers/data.yml is discourse_docker's samples/data.yml as it is;\n# web.yml is a web_only-like app linked to it (DISCOURSE_DB_HOST: data)\n")
	out, err := tb.Systemctl("list-unit-files", "data*", "web*")
	show("systemctl list-unit-files 'data*' 'web*'", out, err)
	if err := run("quadlaunch", "bootstrap", "data"); err != nil {
		return fail(fmt.Errorf("bootstrap data: %w", err))
	}
	if out, err := tb.Systemctl("start", "data.target"); err != nil {
		show("systemctl start data.target", out, err)
		return fail(err)
	}
	show("systemctl start data.target", "", nil)
	if err := waitDataServes(tb); err != nil {
		return fail(err)
	}
	if err := run("quadlaunch", "bootstrap", "web"); err != nil {
		return fail(fmt.Errorf("bootstrap web: %w", err))
	}
	if out, err := tb.Systemctl("start", "web.target"); err != nil {
		show("systemctl start web.target", out, err)
		return fail(err)
	}
	show("systemctl start web.target", "", nil)
	out, err = tb.Systemctl("status", "data-web.service", "web-web.service")
	show("systemctl status data-web web-web", out, err)
	out, err = tb.Journal("data-migrate.service")
	show("journalctl -u data-migrate", lastLines(out, 40), err)
	out, err = tb.Run("podman", "exec", "data-web", "sv", "status", "postgres", "redis", "cron")
	show("podman exec data-web sv status postgres redis cron", out, err)
	var answer string
	werr := tb.WaitFor(60*time.Second, "web's /db", func() error {
		out, err := dbGet(tb, dbWebPort, "note=hello-from-the-demo")
		answer = out
		if err == nil && !dbAnswer.MatchString(out) {
			err = fmt.Errorf("/db answered %q", out)
		}
		return err
	})
	show(fmt.Sprintf("curl http://127.0.0.1:%d/db?note=hello-from-the-demo   (a row to postgres, a key to redis, read back)", dbWebPort), answer, werr)
	fmt.Println()
	if werr != nil {
		return fail(fmt.Errorf("the demo did not serve: %w", werr))
	}
	// An operator's next look: what a deploy would change now (nothing: exit
	// 0), and what was done to the apps (the audit trail in the journal).
	out, err = tb.Run("quadlaunch", "diff", "web")
	show("quadlaunch diff web", lastLines(out, 30), err)
	out, err = tb.Run("quadlaunch", "history", "data")
	show("quadlaunch history data", out, err)
	out, err = tb.Run("quadlaunch", "history", "web")
	show("quadlaunch history web", out, err)
	fmt.Println()
	logf("demo: done in %.0fs, shutting down", time.Since(t0).Seconds())
	return nil
}
