package main

// Issue #4: the helper CLI (build, versions, rebuild, rollback, cleanup) against
// real Podman and systemd. App "cli" is launcher-style: run steps instead of
// migrate/configure commands, so its migrate/configure units run
// `quadlaunch migrate|configure --in-unit cli`. Its base image is the demo image
// (installDemo builds it), which carries busybox and the demo server.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

const cliSecret = "qlcanary-cli-7f3a9b"

// cliConfig is containers/cli.yml; version is what the web role answers, slow an
// extra build step's sleep (a miss in the layer cache when it changes).
func cliConfig(version, slow string) string {
	return cliConfigWith(cliOpts{version: version, slow: slow, port: "8090", migrate: "echo migrating with secret length ${#CLI_SECRET}"})
}

// cliOpts vary containers/cli.yml: migrate is the command of the step tagged
// migrate (make it fail or hang), port where the web role listens.
// extraEnv is more lines of the env: map (two-space indent).
type cliOpts struct{ version, slow, port, migrate, extraEnv, extraRun string }

func cliConfigWith(o cliOpts) string {
	return `base_image: localhost/quadlaunch/demo:current
params:
  version: "` + o.version + `"
  slow: "` + o.slow + `"
expose:
  - "` + o.port + `:` + o.port + `"
env:
  DEMO_PORT: "` + o.port + `"
  CLI_SECRET: ` + cliSecret + `
` + o.extraEnv + `secrets: [CLI_SECRET]
roles:
  web: ["/bin/sh", "-c", "DEMO_GREETING=$(cat /etc/cli-version) exec /usr/bin/demo serve"]
run:
  - exec: sleep 6
  - exec: sleep $slow
  - exec: echo build-$version > /etc/cli-version
  - exec:
      cmd: ` + o.migrate + `
      tag: migrate
  - exec:
      cmd: echo precompiled > /etc/cli-assets
      tag: precompile
` + o.extraRun
}

func writeCLIConfigWith(tb *Testbed, o cliOpts) error {
	if err := tb.WriteFile("/etc/quadlaunch/containers/cli.yml", cliConfigWith(o), 0o600); err != nil {
		return err
	}
	_, err := tb.Systemctl("daemon-reload")
	return err
}

var cliColdBuild time.Duration

func writeCLIConfig(tb *Testbed, version, slow string) error {
	if err := tb.WriteFile("/etc/quadlaunch/containers/cli.yml", cliConfig(version, slow), 0o600); err != nil {
		return err
	}
	_, err := tb.Systemctl("daemon-reload")
	return err
}

type cliVersion struct {
	Version  string `json:"version"`
	ImageID  string `json:"image_id"`
	Current  bool   `json:"current"`
	Previous bool   `json:"previous"`
	InUse    bool   `json:"in_use"`
}

func cliVersions(tb *Testbed) ([]cliVersion, error) {
	out, err := tb.Run("quadlaunch", "versions", "--json", "cli")
	if err != nil {
		return nil, fmt.Errorf("versions: %v: %s", err, out)
	}
	var vs []cliVersion
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		return nil, fmt.Errorf("versions --json: %v: %q", err, out)
	}
	return vs, nil
}

func cliCurrentID(tb *Testbed) string {
	out, _ := tb.Exec("podman", "image", "inspect", "--format", "{{.Id}}", "localhost/quadlaunch/cli:current")
	return strings.TrimSpace(out)
}

func cliWaitServes(tb *Testbed, want string, timeout time.Duration) (time.Duration, error) {
	t0 := time.Now()
	err := tb.WaitFor(timeout, "cli web answers "+want, func() error {
		out, err := tb.HTTPGet(8090)
		if err != nil {
			return err
		}
		if !strings.Contains(out, want) {
			return fmt.Errorf("got %q", out)
		}
		return nil
	})
	return time.Since(t0), err
}

func init() {
	register(Group{
		Name:  "cli",
		Order: 110,
		Setup: func(tb *Testbed) error {
			if err := installDemo(tb, false); err != nil {
				return err
			}
			return writeCLIConfig(tb, "1", "0")
		},
		Scenarios: []Scenario{
			{Name: "build then versions lists 1", Run: func(tb *Testbed) error {
				t0 := time.Now()
				if out, err := tb.Run("quadlaunch", "build", "cli"); err != nil {
					return fmt.Errorf("build: %v: %s", err, out)
				}
				cliColdBuild = time.Since(t0)
				vs, err := cliVersions(tb)
				if err != nil {
					return err
				}
				if len(vs) != 1 || !vs[0].Current {
					return fmt.Errorf("want 1 current version, got %+v", vs)
				}
				return nil
			}},
			{Name: "start serves the built version", Run: func(tb *Testbed) error {
				if out, err := tb.Run("quadlaunch", "start", "cli"); err != nil {
					return fmt.Errorf("start: %v: %s", err, out)
				}
				_, err := cliWaitServes(tb, "build-1", 30*time.Second)
				return err
			}},
			{Name: "no-op rebuild is near-instant", Run: func(tb *Testbed) error {
				t0 := time.Now()
				out, err := tb.Run("quadlaunch", "build", "cli")
				if err != nil {
					return fmt.Errorf("build: %v: %s", err, out)
				}
				noop := time.Since(t0)
				ratio := noop.Seconds() / cliColdBuild.Seconds()
				fmt.Printf("noop/cold ratio: %.3f (noop %.2fs, cold %.2fs)\n", ratio, noop.Seconds(), cliColdBuild.Seconds())
				if !strings.Contains(out, "(cached)") {
					return fmt.Errorf("no cached step in %q", out)
				}
				if ratio > 0.05 {
					return fmt.Errorf("noop/cold ratio %.3f > 0.05", ratio)
				}
				return nil
			}},
			{Name: "changed config rebuild serves the new version", Run: func(tb *Testbed) error {
				if err := writeCLIConfig(tb, "2", "0"); err != nil {
					return err
				}
				if out, err := tb.Run("quadlaunch", "rebuild", "cli"); err != nil {
					return fmt.Errorf("rebuild: %v: %s", err, out)
				}
				if _, err := cliWaitServes(tb, "build-2", 30*time.Second); err != nil {
					return err
				}
				vs, err := cliVersions(tb)
				if err != nil {
					return err
				}
				if len(vs) != 2 {
					return fmt.Errorf("want 2 versions, got %+v", vs)
				}
				return nil
			}},
			{Name: "rollback answers with the old version within 3s", Run: func(tb *Testbed) error {
				t0 := time.Now()
				if out, err := tb.Run("quadlaunch", "rollback", "cli"); err != nil {
					return fmt.Errorf("rollback: %v: %s", err, out)
				}
				if _, err := cliWaitServes(tb, "build-1", 10*time.Second); err != nil {
					return err
				}
				d := time.Since(t0)
				fmt.Printf("rollback: old version answered after %.2fs\n", d.Seconds())
				if d > 3*time.Second {
					return fmt.Errorf("rollback took %.2fs > 3s", d.Seconds())
				}
				if out, err := tb.Run("quadlaunch", "rollback", "cli", "no-such-version"); err == nil {
					return fmt.Errorf("rollback to an unknown version succeeded: %s", out)
				}
				return nil
			}},
			{Name: "SIGTERM during build leaves no container and current unchanged", Run: func(tb *Testbed) error {
				before := cliCurrentID(tb)
				if err := writeCLIConfig(tb, "3", "60"); err != nil {
					return err
				}
				if out, err := tb.Exec("systemd-run", "--unit", "cli-build-term", "quadlaunch", "build", "cli"); err != nil {
					return fmt.Errorf("systemd-run: %v: %s", err, out)
				}
				if err := tb.WaitFor(30*time.Second, "build container running", func() error {
					out, _ := tb.Exec("podman", "ps", "--format", "{{.Names}}")
					if !strings.Contains(out, "quadlaunch-build-cli") {
						return fmt.Errorf("containers: %q", out)
					}
					return nil
				}); err != nil {
					return err
				}
				if out, err := tb.Systemctl("kill", "-s", "TERM", "--kill-whom=main", "cli-build-term"); err != nil {
					return fmt.Errorf("kill: %v: %s", err, out)
				}
				if err := tb.WaitFor(20*time.Second, "build unit ended", func() error {
					out, _ := tb.Systemctl("show", "-p", "ActiveState", "--value", "cli-build-term")
					if s := strings.TrimSpace(out); s == "active" || s == "deactivating" {
						return fmt.Errorf("state %s", s)
					}
					return nil
				}); err != nil {
					return err
				}
				status, _ := tb.Systemctl("show", "-p", "ExecMainStatus", "--value", "cli-build-term")
				if strings.TrimSpace(status) != "143" {
					return fmt.Errorf("exit status %q, want 143", strings.TrimSpace(status))
				}
				if out, _ := tb.Exec("podman", "ps", "-a", "--format", "{{.Names}}"); strings.Contains(out, "quadlaunch-build") {
					return fmt.Errorf("build container left behind: %q", out)
				}
				if after := cliCurrentID(tb); after != before {
					return fmt.Errorf("current moved from %s to %s", before, after)
				}
				_, _ = tb.Systemctl("reset-failed", "cli-build-term")
				return nil
			}},
			{Name: "two rebuilds at once are serialized", Run: func(tb *Testbed) error {
				if err := writeCLIConfig(tb, "4", "0"); err != nil {
					return err
				}
				for _, u := range []string{"cli-rb1", "cli-rb2"} {
					if out, err := tb.Exec("systemd-run", "--unit", u, "-p", "RemainAfterExit=yes", "quadlaunch", "rebuild", "cli"); err != nil {
						return fmt.Errorf("systemd-run %s: %v: %s", u, err, out)
					}
					time.Sleep(300 * time.Millisecond)
				}
				for _, u := range []string{"cli-rb1", "cli-rb2"} {
					if err := tb.WaitFor(120*time.Second, u+" finished", func() error {
						out, _ := tb.Systemctl("show", "-p", "SubState", "--value", u)
						if s := strings.TrimSpace(out); s != "exited" && s != "failed" {
							return fmt.Errorf("state %s", s)
						}
						return nil
					}); err != nil {
						return err
					}
					status, _ := tb.Systemctl("show", "-p", "ExecMainStatus", "--value", u)
					if strings.TrimSpace(status) != "0" {
						j, _ := tb.Journal(u)
						return fmt.Errorf("%s exit status %s: %s", u, strings.TrimSpace(status), j)
					}
				}
				j, _ := tb.Journal("cli-rb2")
				if !strings.Contains(j, "locked by another command") {
					return fmt.Errorf("second rebuild did not wait for the lock: %s", j)
				}
				_, err := cliWaitServes(tb, "build-4", 30*time.Second)
				return err
			}},
			{Name: "canary secret in no image inspect or history", Run: func(tb *Testbed) error {
				ids, err := tb.Exec("podman", "images", "-a", "-q", "--no-trunc", "--filter", "label=io.quadlaunch.app=cli")
				if err != nil {
					return err
				}
				n := 0
				for _, id := range strings.Fields(ids) {
					for _, args := range [][]string{{"podman", "image", "inspect", id}, {"podman", "history", "--no-trunc", id}} {
						out, err := tb.Exec(args...)
						if err != nil {
							return fmt.Errorf("%v: %v", args, err)
						}
						if strings.Contains(out, cliSecret) {
							return fmt.Errorf("secret found in %v", args)
						}
					}
					n++
				}
				if n == 0 {
					return fmt.Errorf("no images of cli found")
				}
				return nil
			}},
			{Name: "cleanup --keep 1 keeps current, previous and in-use", Run: func(tb *Testbed) error {
				before, err := cliVersions(tb)
				if err != nil {
					return err
				}
				if out, err := tb.Run("quadlaunch", "cleanup", "--keep", "1", "cli"); err != nil {
					return fmt.Errorf("cleanup: %v: %s", err, out)
				}
				after, err := cliVersions(tb)
				if err != nil {
					return err
				}
				kept := map[string]bool{}
				for _, v := range after {
					kept[v.Version] = true
				}
				for _, v := range before {
					if (v.Current || v.Previous || v.InUse) && !kept[v.Version] {
						return fmt.Errorf("cleanup removed %+v", v)
					}
				}
				if len(after) >= len(before) {
					return fmt.Errorf("cleanup removed nothing: before %d after %d", len(before), len(after))
				}
				_, err = cliWaitServes(tb, "build-4", 5*time.Second)
				return err
			}},
			{Name: "configure on a configured current is a no-op under 1s", Run: scenarioCLIConfigureNoop},
			{Name: "rebuild with a failing new migration keeps the old web serving", Run: scenarioCLIFailingMigration},
			{Name: "SIGTERM during migrate fails the unit and the old web serves", Run: scenarioCLIMigrateTerm},
			{Name: "secret env reaches migrate steps and run byte-exact, never Podman's store", Run: scenarioCLISecretEnv},
			{Name: "rootless build, start, versions and rollback", Run: scenarioCLIRootless},
			{Name: "MIGRATE_ON_BOOT defers the migrate pass; rebuild --full-build runs it", Run: scenarioCLIMigrateOnBoot},
			{Name: "standalone rebuild: roles stop, migrate runs once, the new version serves", Run: scenarioCLIStandaloneRebuild},
		},
	})
}

func scenarioCLIConfigureNoop(tb *Testbed) error {
	if out, err := tb.Run("quadlaunch", "configure", "cli"); err != nil {
		return fmt.Errorf("configure: %v: %s", err, out)
	}
	t0 := time.Now()
	out, err := tb.Run("quadlaunch", "configure", "cli")
	d := time.Since(t0)
	if err != nil {
		return fmt.Errorf("configure: %v: %s", err, out)
	}
	fmt.Printf("configure no-op: %.2fs (systemd-run of the CLI included)\n", d.Seconds())
	if !strings.Contains(out, "already configured") {
		return fmt.Errorf("configure did work again: %q", out)
	}
	if d > time.Second {
		return fmt.Errorf("no-op configure took %.2fs > 1s", d.Seconds())
	}
	return nil
}

// cliPollWhile polls the web role over loopback until the transient unit ends
// (bounded by timeout) and fails on any answer other than want.
func cliPollWhile(tb *Testbed, unit, want string, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	polls := 0
	for {
		out, err := tb.HTTPGet(8090)
		polls++
		if err != nil || !strings.Contains(out, want) {
			return polls, fmt.Errorf("poll %d: web answered %q (%v), want %s", polls, out, err, want)
		}
		st, _ := tb.Systemctl("show", "-p", "SubState", "--value", unit)
		if s := strings.TrimSpace(st); s == "exited" || s == "failed" || s == "dead" {
			return polls, nil
		}
		if time.Now().After(deadline) {
			return polls, fmt.Errorf("%s still running after %s", unit, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func scenarioCLIFailingMigration(tb *Testbed) error {
	before := cliCurrentID(tb)
	if err := writeCLIConfigWith(tb, cliOpts{version: "5", slow: "0", port: "8090", migrate: "sleep 3; echo new migration fails; exit 1"}); err != nil {
		return err
	}
	defer writeCLIConfig(tb, "4", "0")
	if out, err := tb.Exec("systemd-run", "--unit", "cli-rb-fail", "-p", "RemainAfterExit=yes", "quadlaunch", "rebuild", "cli"); err != nil {
		return fmt.Errorf("systemd-run: %v: %s", err, out)
	}
	defer tb.Systemctl("stop", "cli-rb-fail")
	polls, err := cliPollWhile(tb, "cli-rb-fail", "build-4", 120*time.Second)
	fmt.Printf("failing migration: old web answered %d polls during the rebuild\n", polls)
	if err != nil {
		return err
	}
	status, _ := tb.Systemctl("show", "-p", "ExecMainStatus", "--value", "cli-rb-fail")
	j, _ := tb.Journal("cli-rb-fail")
	if strings.TrimSpace(status) == "0" {
		return fmt.Errorf("rebuild with a failing migration exited 0: %s", lastLines(j, 20))
	}
	if !strings.Contains(j, "cli-migrate.service failed") {
		return fmt.Errorf("message does not name cli-migrate.service: %s", lastLines(j, 20))
	}
	msg := ""
	for _, l := range strings.Split(j, "\n") {
		if strings.HasPrefix(l, "quadlaunch: ") {
			msg = l
		}
	}
	fmt.Printf("failing migration: exit status %s; %s\n", strings.TrimSpace(status), msg)
	if after := cliCurrentID(tb); after != before {
		return fmt.Errorf("current moved from %s to %s", before, after)
	}
	_, err = cliWaitServes(tb, "build-4", 2*time.Second)
	return err
}

func scenarioCLIMigrateTerm(tb *Testbed) error {
	if err := writeCLIConfigWith(tb, cliOpts{version: "4", slow: "0", port: "8090", migrate: "echo long migration; sleep 120"}); err != nil {
		return err
	}
	defer writeCLIConfig(tb, "4", "0")
	if out, err := tb.Exec("systemd-run", "--unit", "cli-mig-term", "quadlaunch", "migrate", "cli"); err != nil {
		return fmt.Errorf("systemd-run: %v: %s", err, out)
	}
	if err := tb.WaitFor(30*time.Second, "migration running", func() error {
		out, _ := tb.Exec("podman", "ps", "--format", "{{.Names}}")
		if !strings.Contains(out, "cli-migrate-") {
			return fmt.Errorf("containers: %q", out)
		}
		return nil
	}); err != nil {
		return err
	}
	t0 := time.Now()
	if out, err := tb.Systemctl("kill", "-s", "TERM", "--kill-whom=main", "cli-mig-term"); err != nil {
		return fmt.Errorf("kill: %v: %s", err, out)
	}
	if err := tb.WaitFor(60*time.Second, "migrate command ended", func() error {
		out, _ := tb.Systemctl("show", "-p", "ActiveState", "--value", "cli-mig-term")
		if s := strings.TrimSpace(out); s == "active" || s == "deactivating" {
			return fmt.Errorf("state %s", s)
		}
		return nil
	}); err != nil {
		return err
	}
	status, _ := tb.Systemctl("show", "-p", "ExecMainStatus", "--value", "cli-mig-term")
	state, _ := tb.Systemctl("show", "-p", "ActiveState", "--value", "cli-migrate.service")
	fmt.Printf("SIGTERM during migrate: CLI exit %s after %.1fs, cli-migrate.service %s\n", strings.TrimSpace(status), time.Since(t0).Seconds(), strings.TrimSpace(state))
	_, _ = tb.Systemctl("reset-failed", "cli-mig-term")
	if strings.TrimSpace(status) != "143" {
		return fmt.Errorf("exit status %q, want 143", strings.TrimSpace(status))
	}
	if s := strings.TrimSpace(state); s != "failed" && s != "inactive" {
		return fmt.Errorf("cli-migrate.service is %s", s)
	}
	if out, _ := tb.Exec("podman", "ps", "-a", "--format", "{{.Names}}"); strings.Contains(out, "cli-migrate-") {
		return fmt.Errorf("migrate container left behind: %q", out)
	}
	if st := unitValue(tb, false, "cli-web.service", "ActiveState"); st != "active" {
		return fmt.Errorf("cli-web.service is %s", st)
	}
	_, err := cliWaitServes(tb, "build-4", 2*time.Second)
	return err
}

// scenarioCLIRootless runs the CLI for the test user: its own Podman (the
// rootless socket, enabled here) and systemd --user, port 8091.
func scenarioCLIRootless(tb *Testbed) error {
	if out, err := tb.SystemctlUser("enable", "--now", "podman.socket"); err != nil {
		return fmt.Errorf("enable podman.socket for %s: %v: %s", testUser, err, out)
	}
	if err := buildDemoImage(tb, true); err != nil {
		return err
	}
	cfg := testHome + "/.config/quadlaunch/containers/cli.yml"
	write := func(version string) error {
		o := cliOpts{version: "r" + version, slow: "0", port: "8091", migrate: "echo rootless migration"}
		if err := tb.WriteFileOwned(cfg, cliConfigWith(o), 0o600, testUID, testUID); err != nil {
			return err
		}
		_, err := tb.SystemctlUser("daemon-reload")
		return err
	}
	serves := func(want string, d time.Duration) error {
		return tb.WaitFor(d, "rootless cli web answers "+want, func() error {
			out, err := tb.HTTPGet(8091)
			if err != nil || !strings.Contains(out, want) {
				return fmt.Errorf("got %q (%v)", out, err)
			}
			return nil
		})
	}
	ql := func(args ...string) (string, error) {
		out, err := tb.RunUser(append([]string{"quadlaunch", "--user"}, args...)...)
		if err != nil {
			return out, fmt.Errorf("quadlaunch --user %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return out, nil
	}
	versions := func() ([]cliVersion, error) {
		out, err := ql("versions", "--json", "cli")
		if err != nil {
			return nil, err
		}
		var vs []cliVersion
		return vs, json.Unmarshal([]byte(out), &vs)
	}
	if err := write("1"); err != nil {
		return err
	}
	if _, err := ql("build", "cli"); err != nil {
		return err
	}
	if vs, err := versions(); err != nil || len(vs) != 1 || !vs[0].Current {
		return fmt.Errorf("rootless versions after build: %+v %v", vs, err)
	}
	if _, err := ql("start", "cli"); err != nil {
		return err
	}
	if err := serves("build-r1", 60*time.Second); err != nil {
		return err
	}
	if err := write("2"); err != nil {
		return err
	}
	if _, err := ql("rebuild", "cli"); err != nil {
		return err
	}
	if err := serves("build-r2", 30*time.Second); err != nil {
		return err
	}
	vs, err := versions()
	if err != nil || len(vs) != 2 {
		return fmt.Errorf("rootless versions after rebuild: %+v %v", vs, err)
	}
	t0 := time.Now()
	if _, err := ql("rollback", "cli"); err != nil {
		return err
	}
	if err := serves("build-r1", 10*time.Second); err != nil {
		return err
	}
	fmt.Printf("rootless rollback: old version answered after %.2fs\n", time.Since(t0).Seconds())
	if ps, _ := tb.RunUser("podman", "ps", "--format", "{{.Names}}"); !strings.Contains(ps, "cli-web") {
		return fmt.Errorf("tester's podman does not run cli-web: %q", ps)
	}
	return nil
}

// cliCanary is a multiline secret value (a TOKEN name: secret without a
// secrets: entry) with characters that env files and shells like to change.
// cliCanaryLines are pieces of it a leak would contain verbatim.
const cliCanary = "qlcanary-ml-5d1e first line\nsecond line \"quoted\" $HOME \\n-literal 'single'\n"

var cliCanaryLines = []string{"qlcanary-ml-5d1e", `second line "quoted"`, "qlcanary-plain-8c2f"}

// cliPlainCanary is a multi-line secret without shell syntax: $$ENV_X is
// substituted into the command as text, as pups does, so the shell reads
// cliCanary's quotes and $HOME as syntax there; this one must arrive
// byte-exact, inside single quotes too.
const cliPlainCanary = "qlcanary-plain-8c2f first line\nsecond line\n"

// scenarioCLISecretEnv: a migrate step (run by `quadlaunch migrate --in-unit`
// inside cli-migrate.service) and `quadlaunch run` see the secret byte for byte,
// both as env and as a $$ENV_ param, and the value is nowhere in Podman's
// storage (db.sql included, binary-safe) nor in any podman inspect output.
func scenarioCLISecretEnv(tb *Testbed) error {
	sum := sha256.Sum256([]byte(cliCanary))
	want := hex.EncodeToString(sum[:])
	block := "  CLI_CANARY_TOKEN: |\n"
	for _, l := range strings.SplitAfter(strings.TrimSuffix(cliCanary, "\n"), "\n") {
		block += "    " + l
	}
	block += "\n  CLI_PLAIN_TOKEN: |\n"
	for _, l := range strings.SplitAfter(strings.TrimSuffix(cliPlainCanary, "\n"), "\n") {
		block += "    " + l
	}
	block += "\n"
	plainSum := sha256.Sum256([]byte(cliPlainCanary))
	wantParam := hex.EncodeToString(plainSum[:])
	o := cliOpts{version: "4", slow: "0", port: "8090", extraEnv: block,
		migrate: `printf %s "$CLI_CANARY_TOKEN" | sha256sum | sed s/^/canary-env=/; printf %s '$$ENV_CLI_PLAIN_TOKEN' | sha256sum | sed s/^/canary-param=/`}
	if err := writeCLIConfigWith(tb, o); err != nil {
		return err
	}
	defer writeCLIConfig(tb, "4", "0")
	out, err := tb.Run("quadlaunch", "migrate", "cli")
	if err != nil {
		return fmt.Errorf("migrate: %v: %s", err, out)
	}
	for k, w := range map[string]string{"canary-env=": want, "canary-param=": wantParam} {
		if !strings.Contains(out, k+w) {
			return fmt.Errorf("migrate step did not see the secret byte-exact (%s, want sha256 %s): %s", k, w, lastLines(out, 10))
		}
	}
	out, err = tb.Run("quadlaunch", "run", "cli", "--", "sh", "-c", `printf %s "$CLI_CANARY_TOKEN" | sha256sum`)
	if err != nil {
		return fmt.Errorf("run: %v: %s", err, out)
	}
	if !strings.HasPrefix(strings.TrimSpace(out), want) {
		return fmt.Errorf("run did not see the secret byte-exact: got %q, want sha256 %s", out, want)
	}
	// enter gives its exec session no secret: the web container has CLI_SECRET
	// as an env secret from its unit, and exec sessions inherit those.
	out, err = tb.Run("quadlaunch", "enter", "cli", "--", "sh", "-c", `printf %s "$CLI_SECRET"`)
	if err != nil {
		return fmt.Errorf("enter: %v: %s", err, out)
	}
	if out != cliSecret {
		return fmt.Errorf("enter saw CLI_SECRET=%q, want %q", out, cliSecret)
	}
	fmt.Printf("secret env: migrate step (env and $$ENV_ param) and run saw sha256 %s; enter saw the web's secret\n", want[:16])
	return cliCanaryAbsent(tb)
}

// cliCanaryAbsent checks Podman's storage and inspect output while a `quadlaunch
// run` container and its exec session exist (Podman drops both rows from its
// database when the container goes, so a scan afterwards proves nothing):
// no copy of the value in the database (db.sql and its -wal/-shm, binary-safe),
// none anywhere under the storage directories that a non-root user can read,
// none in any container's or the secret's inspect output.
func cliCanaryAbsent(tb *Testbed) error {
	if out, err := tb.Exec("systemd-run", "--unit", "cli-secret-run", "quadlaunch", "run", "cli", "--", "sh", "-c", "sleep 60"); err != nil {
		return fmt.Errorf("systemd-run: %v: %s", err, out)
	}
	defer func() {
		_, _ = tb.Systemctl("stop", "cli-secret-run")
		_, _ = tb.Systemctl("reset-failed", "cli-secret-run")
	}()
	var runCtr string
	if err := tb.WaitFor(30*time.Second, "run container with an exec session", func() error {
		out, _ := tb.Exec("podman", "ps", "--format", "{{.Names}} {{.ID}}")
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) == 2 && strings.HasPrefix(f[0], "cli-run-") {
				n, _ := tb.Exec("podman", "inspect", "--format", "{{len .ExecIDs}}", f[1])
				if strings.TrimSpace(n) != "0" {
					runCtr = f[1]
					return nil
				}
			}
		}
		return fmt.Errorf("containers: %q", out)
	}); err != nil {
		return err
	}
	grep := []string{"grep", "-r", "-a", "-l", "-F"}
	for _, l := range cliCanaryLines {
		grep = append(grep, "-e", l)
	}
	grep = append(grep, "/var/lib/containers/storage", "/run/containers/storage", "/run/libpod")
	out, err := tb.Exec(grep...)
	var ce *CmdError
	if err != nil && (!errors.As(err, &ce) || ce.Code != 1) {
		return fmt.Errorf("grep storage: %v", err)
	}
	var rootOnly []string
	for _, f := range strings.Fields(out) {
		if strings.Contains(f, "db.sql") || strings.HasSuffix(f, ".db") {
			return fmt.Errorf("secret value in Podman's database %s", f)
		}
		if _, err := tb.ExecUser("head", "-c", "1", f); err == nil {
			return fmt.Errorf("secret value in %s, readable by %s", f, testUser)
		}
		rootOnly = append(rootOnly, f)
	}
	ids, err := tb.Exec("podman", "ps", "-a", "-q", "--no-trunc")
	if err != nil {
		return err
	}
	inspects := [][]string{{"podman", "secret", "inspect", "quadlaunch-cli-CLI_CANARY_TOKEN"}}
	for _, id := range strings.Fields(ids) {
		inspects = append(inspects, []string{"podman", "inspect", id})
	}
	for _, args := range inspects {
		out, err := tb.Exec(args...)
		if err != nil {
			return fmt.Errorf("%v: %v", args, err)
		}
		for _, l := range cliCanaryLines {
			if strings.Contains(out, l) {
				return fmt.Errorf("secret value in %v", args)
			}
		}
	}
	fmt.Printf("secret env: with run container %.12s and its exec session alive, canary absent from Podman's database and %d inspect outputs; root-only copies: %q\n",
		runCtr, len(inspects), rootOnly)
	return nil
}

// cliWebEnv is the value of name in the running cli-web container ("unset" when absent).
func cliWebEnv(tb *Testbed, name string) (string, error) {
	out, err := tb.Exec("podman", "exec", "cli-web", "sh", "-c", `echo "${`+name+`-unset}"`)
	return strings.TrimSpace(out), err
}

// cliJournalText is what the given system units logged since t, one message a line.
func cliJournalText(tb *Testbed, t time.Time, units ...string) (string, error) {
	entries, err := tb.JournalSince(t, false, units...)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e.Message + "\n")
	}
	return b.String(), nil
}

// scenarioCLIMigrateOnBoot: with MIGRATE_ON_BOOT in the env (what the
// offline-page template sets) a rebuild leaves migration to the container's
// boot: cli-migrate logs the skip line and the migrate step never runs; the
// configure pass still runs. `rebuild --full-build` runs the migrate step and
// starts cli-web once with MIGRATE_ON_BOOT=0.
// The step prints onboot-42 only when it runs (its command text reads
// onboot-$((6*7)), so the progress line cannot fake it).
func scenarioCLIMigrateOnBoot(tb *Testbed) error {
	const ran, skipLine = "onboot-42", "MIGRATE_ON_BOOT is set: the web container migrates at boot"
	o := cliOpts{version: "4", slow: "0", port: "8090", migrate: "echo onboot-$((6*7))", extraEnv: "  MIGRATE_ON_BOOT: \"1\"\n"}
	if err := writeCLIConfigWith(tb, o); err != nil {
		return err
	}
	defer writeCLIConfig(tb, "4", "0")

	t0 := time.Now()
	out, err := tb.Run("quadlaunch", "rebuild", "cli")
	if err != nil {
		return fmt.Errorf("rebuild: %v: %s", err, lastLines(out, 20))
	}
	mig, err := cliJournalText(tb, t0, "cli-migrate.service")
	if err != nil {
		return err
	}
	if !strings.Contains(mig, skipLine) {
		return fmt.Errorf("rebuild: no skip line in journalctl -u cli-migrate: %s", lastLines(mig, 10))
	}
	if strings.Contains(mig, ran) || strings.Contains(out, ran) {
		return fmt.Errorf("rebuild ran the migrate step although MIGRATE_ON_BOOT is set: %s", lastLines(mig, 10))
	}
	conf, err := cliJournalText(tb, t0, "cli-configure.service")
	if err != nil {
		return err
	}
	if strings.Contains(conf, "skipping the configure pass") {
		return fmt.Errorf("configure pass skipped without PRECOMPILE_ON_BOOT: %s", lastLines(conf, 10))
	}
	if _, err := cliWaitServes(tb, "build-4", 30*time.Second); err != nil {
		return err
	}
	if v, err := cliWebEnv(tb, "MIGRATE_ON_BOOT"); err != nil || v != "1" {
		return fmt.Errorf("after a rebuild that left migration to boot, cli-web has MIGRATE_ON_BOOT=%q (%v), want 1", v, err)
	}

	t1 := time.Now()
	out, err = tb.Run("quadlaunch", "rebuild", "--full-build", "cli")
	if err != nil {
		return fmt.Errorf("rebuild --full-build: %v: %s", err, lastLines(out, 20))
	}
	mig, err = cliJournalText(tb, t1, "cli-migrate.service")
	if err != nil {
		return err
	}
	if !strings.Contains(mig, ran) {
		return fmt.Errorf("rebuild --full-build did not run the migrate step: %s", lastLines(mig, 10))
	}
	if strings.Contains(mig, skipLine) {
		return fmt.Errorf("rebuild --full-build still skipped a migrate pass: %s", lastLines(mig, 10))
	}
	if out, err := tb.Exec("ls", "/run/quadlaunch"); err == nil && (strings.Contains(out, ".force-") || strings.Contains(out, "on-boot-off")) {
		return fmt.Errorf("force flags or env file left behind: %q", out)
	}
	if out, _ := tb.Exec("ls", "/run/systemd/system.control"); strings.Contains(out, "cli-web") {
		return fmt.Errorf("runtime drop-in left behind: %q", out)
	}
	if _, err := cliWaitServes(tb, "build-4", 30*time.Second); err != nil {
		return err
	}
	// As launcher2: the start right after the forced pass sees MIGRATE_ON_BOOT=0,
	// a later restart the config's value again.
	if v, err := cliWebEnv(tb, "MIGRATE_ON_BOOT"); err != nil || v != "0" {
		return fmt.Errorf("after rebuild --full-build, cli-web has MIGRATE_ON_BOOT=%q (%v), want 0", v, err)
	}
	if out, err := tb.Systemctl("restart", "cli-web.service"); err != nil {
		return fmt.Errorf("restart cli-web: %v: %s", err, out)
	}
	if v, err := cliWebEnv(tb, "MIGRATE_ON_BOOT"); err != nil || v != "1" {
		return fmt.Errorf("after a plain restart, cli-web has MIGRATE_ON_BOOT=%q (%v), want 1", v, err)
	}
	fmt.Printf("MIGRATE_ON_BOOT: rebuild skipped the migrate pass (%q), rebuild --full-build ran it and started cli-web with MIGRATE_ON_BOOT=0\n", skipLine)
	_, err = cliWaitServes(tb, "build-4", 30*time.Second)
	return err
}

// scenarioCLIStandaloneRebuild: a step tagged db makes the app standalone, so
// rebuild stops the roles, migrates and configures, and starts them alone:
// starting them with their Requires= would run the migration a second time.
func scenarioCLIStandaloneRebuild(tb *Testbed) error {
	const migrated = "standalone-migrated"
	o := cliOpts{version: "5", slow: "0", port: "8090", migrate: "echo " + migrated,
		extraRun: "  - exec:\n      cmd: echo local database ready\n      tag: db\n"}
	if err := writeCLIConfigWith(tb, o); err != nil {
		return err
	}
	defer writeCLIConfig(tb, "4", "0")
	t0 := time.Now()
	out, err := tb.Run("quadlaunch", "rebuild", "cli")
	if err != nil {
		return fmt.Errorf("rebuild: %v: %s", err, lastLines(out, 20))
	}
	if !strings.Contains(out, "standalone: stopping") {
		return fmt.Errorf("not rebuilt as standalone: %s", lastLines(out, 20))
	}
	if _, err := cliWaitServes(tb, "build-5", 30*time.Second); err != nil {
		return err
	}
	entries, err := tb.JournalSince(t0, false, "cli-migrate.service")
	if err != nil {
		return err
	}
	if runs := countMessage(entries, migrated); runs != 1 {
		return fmt.Errorf("the migration ran %d times in a standalone rebuild, want 1", runs)
	}
	return nil
}
