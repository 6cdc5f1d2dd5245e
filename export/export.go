package export

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/units"
)

// Export is one app exported. Main is the file to share (manifests or the
// compose file); Secrets holds the secret env values, which the caller writes
// with mode 0600 next to Main; Warnings name, as "file:line: key: message",
// what did not carry over.
type Export struct {
	Main     []byte
	Secrets  []byte
	Warnings []string
}

// The one-off steps of an app, named as quadlaunch's units name them.
const (
	stepMigrate   = "migrate"
	stepConfigure = "configure"
)

// launcherStopTimeout is launcher's `docker stop -t 600`, which quadlaunch's
// role units keep (units.launcherStopTimeout): Discourse's runit shuts its
// services down in order and needs the time.
const launcherStopTimeout = 600

// Podman's healthcheck defaults: what an app with a partial healthcheck: key
// has run with under quadlaunch, so the export keeps them rather than taking
// Kubernetes' or compose's own.
const (
	podmanHealthInterval = 30 * time.Second
	podmanHealthTimeout  = 30 * time.Second
	podmanHealthRetries  = 3
)

// exporter holds what both formats share: the app and the warnings so far.
type exporter struct {
	app      *generator.App
	warnings []string
	seen     map[string]bool
}

func newExporter(app *generator.App) (*exporter, error) {
	if app == nil {
		return nil, errors.New("no app to export")
	}
	if app.Name == "" {
		return nil, fmt.Errorf("app from %s has no name", app.ConfigPath)
	}
	return &exporter{app: app, seen: map[string]bool{}}, nil
}

// warn records one warning; the same warning twice (a key seen by every
// role) is reported once.
func (x *exporter) warn(pos generator.Pos, key, format string, args ...any) {
	if pos.File == "" {
		pos.File = x.app.ConfigPath
	}
	s := generator.Diagnostic{Pos: pos, Key: key, Msg: fmt.Sprintf(format, args...)}.String()
	if !x.seen[s] {
		x.seen[s] = true
		x.warnings = append(x.warnings, s)
	}
}

// image is the image every container of the export runs: the caller's, or
// the local one quadlaunch's units run, which a cluster or another host
// cannot pull (hence the warning).
func (x *exporter) image(configured, format string) string {
	if configured != "" {
		return configured
	}
	ref := units.ImageRef(x.app.Name, units.CurrentTag)
	x.warn(generator.Pos{File: x.app.ConfigPath}, "image",
		"%s is the image quadlaunch built on this host: push it to a registry the %s pulls from and export with that image", ref, format)
	return ref
}

// splitEnv separates secret env (generator.App.SecretEnv: a known secret
// name or one listed under secrets:) from the plain rest. Unlike on one host
// an empty secret stays secret: it costs nothing in a Secret or env file.
func splitEnv(app *generator.App) (plain, secret []generator.EnvVar) {
	for _, e := range app.Env {
		if app.SecretEnv(e.Name) {
			secret = append(secret, e)
		} else {
			plain = append(plain, e)
		}
	}
	return plain, secret
}

// oneOffCommand is what migrate or configure runs: the config's command or,
// for a launcher-style config, a placeholder that prints why it does nothing
// (doc.go), with a warning. what names the placeholder's kind ("Job").
func (x *exporter) oneOffCommand(step, what string) []string {
	cmd, tags := x.app.Migrate, generator.MigrateTags
	if step == stepConfigure {
		cmd, tags = x.app.Configure, generator.ConfigureTags
	}
	if cmd != nil {
		return cmd.Args
	}
	steps := x.app.RunWithTags(tags, nil)
	where := "none in this config"
	if len(steps) > 0 {
		where = "the first at " + steps[0].Pos.String()
	}
	tagList := strings.Join(tags, ",")
	x.warn(generator.Pos{File: x.app.ConfigPath}, step,
		"launcher-style (no %s: command): quadlaunch's helper runs the pups steps tagged %s (%d, %s) in a one-off container, which has no equivalent here; the %s only prints a note: bake those steps into the image at build (as the bash launcher's bootstrap does; quadlaunch's own build skips them) or set %s: to a command",
		step, tagList, len(steps), where, what, step)
	note := fmt.Sprintf("quadlaunch export: launcher-style %s (pups steps tagged %s) is expected to be baked into the image; nothing to run", step, tagList)
	return []string{"sh", "-c", "echo " + shellQuote(note) + " >&2"}
}

// shellQuote quotes s for sh as one word.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// healthCommand is the healthcheck command as Podman runs it (units' health
// mapping): ok is false without a check (none, or NONE); shell reports that
// the one string in argv is for a shell (Podman's CMD-SHELL).
func healthCommand(h *generator.Healthcheck) (argv []string, shell, ok bool) {
	if h == nil || len(h.Cmd) == 0 || strings.EqualFold(h.Cmd[0], "NONE") {
		return nil, false, false
	}
	cmd := h.Cmd
	switch {
	case strings.EqualFold(cmd[0], "CMD-SHELL"):
		return []string{strings.Join(cmd[1:], " ")}, true, true
	case strings.EqualFold(cmd[0], "CMD") && len(cmd) > 2:
		return cmd[1:], false, true
	case strings.EqualFold(cmd[0], "CMD"):
		return []string{strings.Join(cmd[1:], " ")}, true, true
	case len(cmd) == 1:
		return cmd, true, true
	}
	return cmd, false, true
}

// healthTiming is a healthcheck's timing with Podman's defaults filled in.
type healthTiming struct {
	interval, timeout, startPeriod time.Duration
	retries                        int
}

func healthTimings(h *generator.Healthcheck) (healthTiming, error) {
	t := healthTiming{interval: podmanHealthInterval, timeout: podmanHealthTimeout, retries: podmanHealthRetries}
	for _, f := range []struct {
		key   string
		value string
		into  *time.Duration
	}{
		{"healthcheck.interval", h.Interval, &t.interval},
		{"healthcheck.timeout", h.Timeout, &t.timeout},
		{"healthcheck.start_period", h.StartPeriod, &t.startPeriod},
	} {
		if f.value == "" {
			continue
		}
		d, err := time.ParseDuration(f.value)
		if err != nil || d < 0 {
			return t, fmt.Errorf("%s: %s %q is not a duration", h.Pos, f.key, f.value)
		}
		*f.into = d
	}
	if h.Retries > 0 {
		t.retries = h.Retries
	}
	return t, nil
}

// seconds rounds d up to whole seconds, at least 1: Kubernetes counts probe
// periods in seconds and rejects 0, and rounding down could turn a patient
// check into an impatient one.
func seconds(d time.Duration) int32 {
	s := math.Ceil(d.Seconds())
	switch {
	case s < 1:
		return 1
	case s > math.MaxInt32:
		return math.MaxInt32
	}
	return int32(s)
}

// dollarEscaped doubles every '$': both Kubernetes (for $(VAR) in a
// container's command and args) and compose (for ${VAR} anywhere) read "$$"
// as one literal '$', and the app's values are byte-exact.
func dollarEscaped(s string) string { return strings.ReplaceAll(s, "$", "$$") }

func dollarEscapedAll(args []string) []string {
	if args == nil {
		return nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = dollarEscaped(a)
	}
	return out
}

// commentBlock renders lines as YAML comments; a line with control
// characters (a config path can hold a newline) is quoted like
// generator's diagnostics so that it cannot end the comment.
func commentBlock(lines ...string) string {
	var b strings.Builder
	for _, l := range lines {
		l = generator.Pos{File: l}.String()
		if l == "" {
			b.WriteString("#\n")
			continue
		}
		b.WriteString("# " + l + "\n")
	}
	return b.String()
}

// unsupportedArgs warns about the keys that carry raw Podman/Docker command
// line options: there is no general translation of them.
func (x *exporter) unsupportedArgs(format string) {
	a := x.app
	if len(a.PodmanArgs) > 0 {
		x.warn(a.PosOf("podman_args"), "podman_args", "%q has no %s equivalent and is left out", strings.Join(a.PodmanArgs, " "), format)
	}
	if strings.TrimSpace(a.DockerArgs) != "" {
		x.warn(a.PosOf("docker_args"), "docker_args", "%q has no %s equivalent and is left out", a.DockerArgs, format)
	}
	if a.Proxy != nil {
		x.warn(a.PosOf("proxy"), "proxy", "quadlaunch's proxy and slot deploys have no %s equivalent: put a reverse proxy (an Ingress or Gateway on Kubernetes) in front of the web role", format)
	}
	if a.AssetPath != "" {
		x.warn(a.PosOf("asset_path"), "asset_path", "the asset bridge of quadlaunch's deploys has no %s equivalent and is left out", format)
	}
	for _, name := range slices.Sorted(maps.Keys(a.DeployHooks)) {
		pos := a.PosOf("deploy_hooks")
		if h := a.DeployHooks[name]; h != nil && h.Pos.File != "" {
			pos = h.Pos
		}
		x.warn(pos, "deploy_hooks."+name, "host commands of `quadlaunch deploy` have no %s equivalent: run them from your deploy pipeline", format)
	}
}
