package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// The demo app (test/demo): its binary is built once per harness run on the
// host, its image inside each testbed with plain podman (no registry).
const (
	demoApp     = "demo"
	demoImage   = "localhost/quadlaunch/demo:current"
	demoVersion = "1.0.0"
	demoPort    = 8080
	// canaryMark is in every secret test value of containers/demo.yml; the
	// secrets scenario greps for it with a bracket so no command line holds it.
	canaryMark = "qlcanary"
)

// demoUnits are the units the generator makes from containers/demo.yml.
var demoUnits = []string{"demo-web.service", "demo-worker.service", "demo-migrate.service", "demo-configure.service", "demo.target"}

var demoBuild struct {
	once sync.Once
	path string
	err  error
}

// demoBinary builds test/demo/app statically (once per run) and returns its path.
func demoBinary(repo string) (string, error) {
	demoBuild.once.Do(func() {
		dir := filepath.Join(cacheDir, "build", strconv.Itoa(os.Getpid()))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			demoBuild.err = err
			return
		}
		out := filepath.Join(dir, "demo")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+demoVersion, "-o", out, "./test/demo/app")
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			demoBuild.err = fmt.Errorf("build demo app: %v: %s", err, b)
			return
		}
		demoBuild.path = out
	})
	return demoBuild.path, demoBuild.err
}

// demoRoot is the config root the generator reads: /etc/quadlaunch, or the
// test user's ~/.config/quadlaunch.
func demoRoot(rootless bool) string {
	if rootless {
		return testHome + "/.config/quadlaunch"
	}
	return "/etc/quadlaunch"
}

func demoConfigPath(rootless bool) string {
	return demoRoot(rootless) + "/containers/demo.yml"
}

// installDemo copies the demo configs into the testbed (the app file 0600: it
// holds secrets) and builds the demo image for root or the test user.
func installDemo(tb *Testbed, rootless bool) error {
	uid, gid := 0, 0
	if rootless {
		uid, gid = testUID, testUID
	}
	root := demoRoot(rootless)
	for _, f := range []struct {
		src, dst string
		mode     os.FileMode
	}{
		{"test/demo/templates/demo.template.yml", root + "/templates/demo.template.yml", 0o644},
		{"test/demo/containers/demo.yml", root + "/containers/demo.yml", 0o600},
	} {
		data, err := os.ReadFile(filepath.Join(tb.Repo, f.src))
		if err != nil {
			return err
		}
		if err := tb.WriteFileOwned(f.dst, string(data), f.mode, uid, gid); err != nil {
			return err
		}
	}
	return buildDemoImage(tb, rootless)
}

// buildDemoImage builds localhost/quadlaunch/demo:current FROM scratch: the
// static demo binary plus busybox (a shell for podman exec and debugging).
func buildDemoImage(tb *Testbed, rootless bool) error {
	bin, err := demoBinary(tb.Repo)
	if err != nil {
		return err
	}
	uid, gid, ctxDir := 0, 0, "/root/demo-image"
	if rootless {
		uid, gid, ctxDir = testUID, testUID, testHome+"/demo-image"
	}
	app, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	busybox, err := os.ReadFile(tb.Root() + "/usr/bin/busybox")
	if err != nil {
		return fmt.Errorf("busybox in testbed: %w", err)
	}
	files := map[string]struct {
		data string
		mode os.FileMode
	}{
		"/Containerfile":           {"FROM scratch\nCOPY rootfs/ /\nLABEL org.opencontainers.image.title=quadlaunch-demo org.opencontainers.image.version=" + demoVersion + "\nCMD [\"/usr/bin/demo\", \"serve\"]\n", 0o644},
		"/rootfs/usr/bin/demo":     {string(app), 0o755},
		"/rootfs/bin/busybox":      {string(busybox), 0o755},
		"/rootfs/tmp/.keep":        {"", 0o644},
		"/rootfs/etc/passwd":       {"root:x:0:0:root:/root:/bin/sh\n", 0o644},
		"/rootfs/data/.mountpoint": {"", 0o644},
	}
	for p, f := range files {
		if err := tb.WriteFileOwned(ctxDir+p, f.data, f.mode, uid, gid); err != nil {
			return err
		}
	}
	for _, a := range []string{"sh", "cat", "ls", "env", "printenv", "sleep", "id", "ps", "wget", "grep"} {
		link := tb.Root() + ctxDir + "/rootfs/bin/" + a
		os.Remove(link)
		if err := os.Symlink("busybox", link); err != nil {
			return err
		}
		os.Lchown(link, uid, gid)
	}
	run := tb.Run
	if rootless {
		run = tb.RunUser
	}
	t0 := time.Now()
	if _, err := run("podman", "build", "-q", "-t", demoImage, ctxDir); err != nil {
		return fmt.Errorf("podman build demo image: %w", err)
	}
	tb.logf("demo image %s built (rootless=%v) in %.1fs", demoImage, rootless, time.Since(t0).Seconds())
	return nil
}

// demoEnv returns the env values of containers/demo.yml as written (the
// expected bytes inside the container).
func demoEnv(repo string) (map[string]string, error) {
	data, err := os.ReadFile(filepath.Join(repo, "test/demo/containers/demo.yml"))
	if err != nil {
		return nil, err
	}
	var cfg struct {
		Env map[string]string `yaml:"env"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("demo.yml: %w", err)
	}
	return cfg.Env, nil
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// editDemoConfig rewrites the demo app file inside the testbed with old -> new.
func editDemoConfig(tb *Testbed, rootless bool, old, new string) error {
	p := demoConfigPath(rootless)
	data, err := tb.ReadFile(p)
	if err != nil {
		return err
	}
	if !strings.Contains(data, old) {
		return fmt.Errorf("%s does not contain %q", p, old)
	}
	uid := 0
	if rootless {
		uid = testUID
	}
	return tb.WriteFileOwned(p, strings.Replace(data, old, new, 1), 0o600, uid, uid)
}

// ---------------------------------------------------------------- journal

// JournalEntry is one journal message.
type JournalEntry struct {
	Time    time.Time
	Unit    string // _SYSTEMD_UNIT or _SYSTEMD_USER_UNIT
	Message string
}

// JournalSince returns the current boot's messages since t (all units when
// none given), oldest first.
func (tb *Testbed) JournalSince(t time.Time, user bool, units ...string) ([]JournalEntry, error) {
	args := []string{"journalctl", "-b", "--no-pager", "-q", "-o", "json", "--since", fmt.Sprintf("@%d", t.Unix()-1)}
	for _, u := range units {
		if user {
			args = append(args, "_SYSTEMD_USER_UNIT="+withSuffix(u))
		} else {
			args = append(args, "-u", u)
		}
	}
	out, err := tb.Exec(args...)
	if err != nil {
		return nil, err
	}
	var entries []JournalEntry
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var raw map[string]any
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			continue
		}
		msg, _ := raw["MESSAGE"].(string)
		us, _ := raw["__REALTIME_TIMESTAMP"].(string)
		usec, _ := strconv.ParseInt(us, 10, 64)
		ts := time.UnixMicro(usec)
		if ts.Before(t) {
			continue
		}
		unit, _ := raw["_SYSTEMD_UNIT"].(string)
		if u, ok := raw["_SYSTEMD_USER_UNIT"].(string); ok {
			unit = u
		}
		entries = append(entries, JournalEntry{Time: ts, Unit: unit, Message: msg})
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Time.Before(entries[j].Time) })
	return entries, nil
}

// firstMatch returns the first entry whose message matches re.
func firstMatch(entries []JournalEntry, re string) (JournalEntry, bool) {
	r := regexp.MustCompile(re)
	for _, e := range entries {
		if r.MatchString(e.Message) {
			return e, true
		}
	}
	return JournalEntry{}, false
}

// assertOrder checks that the first message matching each pattern exists and
// that they appear in the given order.
// countMessage counts the entries whose message is exactly msg.
func countMessage(entries []JournalEntry, msg string) int {
	n := 0
	for _, e := range entries {
		if e.Message == msg {
			n++
		}
	}
	return n
}

func assertOrder(entries []JournalEntry, patterns ...string) error {
	var prev JournalEntry
	for i, p := range patterns {
		e, ok := firstMatch(entries, p)
		if !ok {
			return fmt.Errorf("journal has no message matching %q (%d messages:\n%s)", p, len(entries), formatEntries(entries, 40))
		}
		if i > 0 && e.Time.Before(prev.Time) {
			return fmt.Errorf("order: %q (%s, %s) came before %q (%s, %s)", e.Message, e.Unit, e.Time.Format("15:04:05.000000"),
				prev.Message, prev.Unit, prev.Time.Format("15:04:05.000000"))
		}
		prev = e
	}
	return nil
}

func formatEntries(entries []JournalEntry, max int) string {
	var b strings.Builder
	if len(entries) > max {
		entries = entries[len(entries)-max:]
	}
	for _, e := range entries {
		fmt.Fprintf(&b, "  %s %s: %s\n", e.Time.Format("15:04:05.000000"), e.Unit, e.Message)
	}
	return b.String()
}
