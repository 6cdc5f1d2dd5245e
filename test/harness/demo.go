package main

import (
	"fmt"
	"strings"
	"time"
)

// runDemo is `make demo`: boot a testbed, start the demo app through systemd,
// show what an operator would look at, shut down.
func runDemo(env *runEnv) error {
	tb := env.newTestbed("demo")
	track(tb, true)
	defer func() { tb.Destroy(); track(tb, false) }()
	logf("demo: booting %s", tb.Name)
	if err := tb.Boot(true); err != nil {
		return err
	}
	if err := installDemo(tb, false); err != nil {
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
	fmt.Printf("\n# /etc/quadlaunch/containers/demo.yml (from test/demo) and the demo image are in place\n")
	out, err := tb.Systemctl("daemon-reload")
	show("systemctl daemon-reload", out, err)
	out, err = tb.Systemctl("list-unit-files", "demo*")
	show("systemctl list-unit-files 'demo*'", out, err)
	if out, err = tb.Systemctl("start", "demo.target"); err != nil {
		show("systemctl start demo.target", out, err)
		fmt.Println(err)
	} else {
		show("systemctl start demo.target", out, nil)
	}
	werr := waitServes(tb, 90*time.Second)
	out, err = tb.Systemctl("status", "demo-web.service")
	show("systemctl status demo-web", out, err)
	out, err = tb.Journal("demo-migrate.service")
	show("journalctl -u demo-migrate", out, err)
	out, err = tb.Run("curl", "-sS", "-i", "--max-time", "5", fmt.Sprintf("http://127.0.0.1:%d/", demoPort))
	show(fmt.Sprintf("curl -i http://127.0.0.1:%d/", demoPort), out, err)
	fmt.Println()
	if werr != nil {
		tb.Collect()
		return fmt.Errorf("the demo did not serve: %w", werr)
	}
	logf("demo: shutting down")
	return nil
}
