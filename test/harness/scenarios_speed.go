package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The speed scenario (issue "deploys as fast as the app allows"): the demo
// app boots in B = 10 s (DEMO_BOOT_DELAY); a deploy boots the new version
// once, so it takes build + migrate + B plus little; a rollback inside the
// keep_previous window is a proxy switch, outside it one boot.

const speedBoot = 10 * time.Second

var (
	phasesLine   = regexp.MustCompile(`deploy-phases: .*total ([0-9.]+) s`)
	phaseSecs    = func(name string) *regexp.Regexp { return regexp.MustCompile(`(?:: |, )` + name + ` ([0-9.]+) s`) }
	rollbackLine = regexp.MustCompile(`rollback took ([0-9.]+) s \((window|boot)\)`)
)

func (d depSetup) speedConfig(version string, keep bool) string {
	cfg := d.config(version, "yes")
	cfg = strings.Replace(cfg, "  DEMO_HEARTBEAT: \"1s\"\n", "  DEMO_HEARTBEAT: \"1s\"\n  DEMO_BOOT_DELAY: \""+speedBoot.String()+"\"\n", 1)
	// The boot's failing checks must not count against the new container.
	cfg = strings.Replace(cfg, "  retries: 2\n", "  retries: 2\n  start_period: 60s\n", 1)
	cfg = strings.Replace(cfg, "asset_path: /assets\n", "", 1) // no asset bridge wait: time the boot alone
	if keep {
		cfg = strings.Replace(cfg, "  asset_bridge: 2s\n", "  asset_bridge: 2s\n  keep_previous: 2m\n", 1)
	}
	return cfg
}

func secsOf(re *regexp.Regexp, s string) float64 {
	m := re.FindStringSubmatch(s)
	if m == nil {
		return -1
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	return f
}

// measureBoot is how long the app's web takes to boot as systemd sees it, on
// this box and under its load: the idle slot started alone (container start,
// DEMO_BOOT_DELAY, the health check turning healthy), then stopped again.
func (d depSetup) measureBoot(tb *Testbed) (time.Duration, error) {
	// The idle slot may be the one proxy.keep_previous keeps: stop it first
	// (the deploy after this restarts it anyway).
	tb.Systemctl("stop", "dep-web-retire.service", "dep-web-next-retire.service")
	idle := "dep-web"
	if t, err := tb.Exec("readlink", "/etc/systemd/system/dep.target.wants/dep-web-next.service"); err != nil || strings.TrimSpace(t) == "/dev/null" {
		idle = "dep-web-next"
	}
	tb.Systemctl("stop", "--job-mode=ignore-dependencies", idle+".service")
	t0 := time.Now()
	out, err := tb.Systemctl("start", "--job-mode=ignore-dependencies", idle+".service")
	took := time.Since(t0)
	tb.Systemctl("stop", "--job-mode=ignore-dependencies", idle+".service")
	if err != nil {
		return 0, fmt.Errorf("start %s alone: %v: %s", idle, err, out)
	}
	return took, nil
}

// timedDeploy deploys under load and checks S <= build + migrate + B + 3 s,
// S when the new version serves every request ("serving after"), B the app's
// boot delay (speedBoot, fixed). The boot as systemd sees it on this box is
// measured first and printed beside: what container start and health
// detection add to it is part of the 3 s.
func (d depSetup) timedDeploy(tb *Testbed, version string, keep bool) error {
	if err := d.writeConfig(tb, d.speedConfig(version, keep)); err != nil {
		return err
	}
	boot, err := d.measureBoot(tb)
	if err != nil {
		return err
	}
	fmt.Printf("boot measured before deploy %s: %.1f s (the idle slot started alone; DEMO_BOOT_DELAY %.0f s)\n", version, boot.Seconds(), speedBoot.Seconds())
	l, err := startLoad(tb, d, "speed-deploy-"+version)
	if err != nil {
		return err
	}
	out, derr := d.quadlaunch(tb, "deploy", "dep")
	_, lerr := l.finish(tb)
	if derr != nil {
		return fmt.Errorf("deploy: %v: %s", derr, out)
	}
	line := phasesLine.FindString(out)
	if line == "" {
		return fmt.Errorf("no deploy-phases line:\n%s", out)
	}
	fmt.Printf("%s (boot %.0f s)\n", line, speedBoot.Seconds())
	if lerr != nil {
		return lerr
	}
	// The bound covers the deploy until the new version serves every request
	// (switch and drain done): the other roles' restart and the
	// post-deployment migration must wait for that (README: Deploy speed).
	total, build, migrate := secsOf(phasesLine, line), secsOf(phaseSecs("build"), line), secsOf(phaseSecs("migrate"), line)
	serving := secsOf(phaseSecs("serving after"), line)
	limit := build + migrate + speedBoot.Seconds() + 3
	fmt.Printf("deploy %s: serving after %.1f s, bound build + migrate + B + 3 s = %.1f s (B = %.0f s); command done after %.1f s\n",
		version, serving, limit, speedBoot.Seconds(), total)
	if serving < 0 {
		return fmt.Errorf("no serving figure in %q", line)
	}
	if serving > limit {
		return fmt.Errorf("the new version served after %.1f s, more than build + migrate + B + 3 s = %.1f s (B = %.0f s; the boot measured alone took %.1f s)",
			serving, limit, speedBoot.Seconds(), boot.Seconds())
	}
	return d.serves(tb, "build-"+version, 5*time.Second)
}

// timedRollback rolls back under load and checks how and how fast.
func (d depSetup) timedRollback(tb *Testbed, wantHow string, limit float64, wantServes string) error {
	l, err := startLoad(tb, d, "speed-rollback-"+wantHow)
	if err != nil {
		return err
	}
	out, rerr := d.quadlaunch(tb, "rollback", "dep")
	_, lerr := l.finish(tb)
	if rerr != nil {
		return fmt.Errorf("rollback: %v: %s", rerr, out)
	}
	m := rollbackLine.FindStringSubmatch(out)
	if m == nil {
		return fmt.Errorf("no rollback took line:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "rollback took") || strings.Contains(l, "rollback-phases") {
			fmt.Println(strings.TrimSpace(l))
		}
	}
	if lerr != nil {
		return lerr
	}
	if m[2] != wantHow {
		return fmt.Errorf("rollback went by %s, want %s:\n%s", m[2], wantHow, out)
	}
	// The figure counts from the command's start; the bound leaves out its
	// setup (config, lock, connecting to Podman, whose API service may start on
	// demand, and systemd, the proxy answering, the versions), printed beside.
	took, _ := strconv.ParseFloat(m[1], 64)
	setup := 0.0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "rollback-phases:") {
			setup = max(secsOf(phaseSecs("setup"), l), 0)
		}
	}
	fmt.Printf("rollback (%s): %.1f s after its setup (%.1f s), %.1f s from the command's start; bound %.1f s\n", wantHow, took-setup, setup, took, limit)
	if took-setup > limit {
		return fmt.Errorf("rollback took %.1f s after its setup, want at most %.1f s", took-setup, limit)
	}
	return d.serves(tb, wantServes, 5*time.Second)
}

// settle leaves the live slot (the record) alone running and no retirement
// pending: what the scenarios after this one start from, also after a failure
// left a slot kept by proxy.keep_previous.
func (d depSetup) settle(tb *Testbed) {
	live, idle := "dep-web", "dep-web-next"
	if t, err := tb.Exec("readlink", "/etc/systemd/system/dep.target.wants/dep-web-next.service"); err == nil && strings.TrimSpace(t) != "/dev/null" {
		live, idle = idle, live
	}
	tb.Systemctl("stop", "dep-web-retire.service", "dep-web-next-retire.service")
	tb.Systemctl("stop", "--job-mode=ignore-dependencies", idle+".service")
	tb.Systemctl("start", "--job-mode=ignore-dependencies", live+".service")
}

func speedScenario(d depSetup) Scenario {
	return Scenario{Name: "speed: one boot per deploy (DEMO_BOOT_DELAY 10 s), rollback in the keep_previous window by switch, outside by one boot", Run: func(tb *Testbed) error {
		defer d.settle(tb)
		// Start from build-4 live, so the deploys below have a known previous.
		if err := d.timedDeploy(tb, "4", false); err != nil {
			return err
		}
		if err := d.timedDeploy(tb, "5", true); err != nil {
			return err
		}
		// build-4's slot still runs: the rollback is a switch.
		if err := d.timedRollback(tb, "window", 1, "build-4"); err != nil {
			return err
		}
		// Outside any window: build-6 replaces build-4, whose slot stops.
		if err := d.timedDeploy(tb, "6", false); err != nil {
			return err
		}
		boot, err := d.measureBoot(tb)
		if err != nil {
			return err
		}
		fmt.Printf("boot measured before the rollback: %.1f s\n", boot.Seconds())
		return d.timedRollback(tb, "boot", max(boot, speedBoot).Seconds()+2, "build-4")
	}}
}
