package preview

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/pups"
	"github.com/quadlaunch/quadlaunch/units"
)

// Loaded is what loading and planning found.
type Loaded struct {
	Apps     []*generator.App // the selected apps that loaded, in discovery order
	All      []*generator.App // every app that loaded: planning sees them all, since links reach across apps
	Errors   []string         // in the generator's words, of the selected apps
	Warnings []string
	Failed   map[string]bool // selected apps with an error: the generator writes no unit for them
	// Options plans as the generator would: every config's name (loaded or
	// not) and the host's packaged units for the naming checks.
	Options units.Options
	Plan    *units.PlanResult
}

// NoConfigError is a name given to Load without a config.
type NoConfigError struct{ Name, Dir string }

func (e *NoConfigError) Error() string {
	return fmt.Sprintf("no config for app %q in %s", e.Name, e.Dir)
}

// Load loads the configs under root (only names, if given), plans their
// units for this host's quadlet (quadlet is QuadletBinary()), and collects
// every error and warning.
func Load(root string, names []string, user bool) (*Loaded, error) {
	paths, err := generator.Discover(root)
	if err != nil {
		return nil, fmt.Errorf("discover configs in %s: %w", root, err)
	}
	l := &Loaded{Failed: map[string]bool{}}
	selected := func(name string) bool { return len(names) == 0 || slices.Contains(names, name) }
	seen := map[string]bool{}
	for _, p := range paths {
		name := appName(p)
		seen[name] = true
		a, err := generator.LoadApp(root, p)
		if err != nil {
			if selected(name) {
				l.Errors = append(l.Errors, err.Error())
				l.Failed[name] = true
			}
			continue
		}
		l.All = append(l.All, a)
	}
	for _, n := range names {
		if !seen[n] {
			return nil, &NoConfigError{Name: n, Dir: filepath.Join(root, "containers")}
		}
	}
	qver := "" // no app, no unit to plan: quadlet is not asked (a process start)
	if len(l.All) > 0 {
		qver = hostQuadletVersion()
	}
	l.Options = units.Options{User: user, QuadletVersion: qver, PrivateDir: PrivateDir(user),
		ConfigNames: units.ConfigNames(paths), UnitExists: units.VendorUnits(user), CheckCalendar: units.CalendarChecker(units.DefaultSystemdAnalyze)}
	if l.Plan, err = units.Plan(l.All, l.Options); err != nil {
		return nil, err
	}
	for _, a := range l.All {
		if !selected(a.Name) {
			continue
		}
		l.Apps = append(l.Apps, a)
		for _, e := range append(a.BuildSecretProblems(), pups.PatternProblems(a)...) {
			l.Errors = append(l.Errors, e.Error())
			l.Failed[a.Name] = true
		}
		for _, w := range a.Warnings {
			l.Warnings = append(l.Warnings, w.String())
		}
	}
	for _, d := range l.Plan.Diagnostics {
		if !selected(d.App) {
			continue
		}
		if d.Severity == units.Error {
			l.Errors = append(l.Errors, d.Diagnostic.String())
			l.Failed[d.App] = true
		} else {
			l.Warnings = append(l.Warnings, d.Diagnostic.String())
		}
	}
	return l, nil
}

// Fail records an error of app found after planning (a deploy's own checks).
func (l *Loaded) Fail(app string, err error) {
	l.Errors = append(l.Errors, app+": "+err.Error())
	l.Failed[app] = true
}

// App is the loaded app called name, or nil.
func (l *Loaded) App(name string) *generator.App {
	for _, a := range l.All {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// appName is the app a config file defines: its file stem.
func appName(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(strings.TrimSuffix(base, ".yml"), ".yaml")
}

// QuadletBinary is the quadlet the generator would run: $QUADLAUNCH_QUADLET,
// else the host's.
func QuadletBinary() string {
	if b := os.Getenv("QUADLAUNCH_QUADLET"); b != "" {
		return b
	}
	return units.DefaultQuadlet
}

// hostQuadletVersion is the version of the quadlet the generator would use,
// or "" (units' tested default) when there is none, as on a build host.
func hostQuadletVersion() string {
	v, err := units.QuadletVersion(QuadletBinary())
	if err != nil {
		return ""
	}
	return v
}

// PrivateDir is where the generator puts env files on a running system.
func PrivateDir(user bool) string {
	if user {
		return filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "systemd", "generator", units.PrivateDirName)
	}
	return filepath.Join("/run/systemd/generator", units.PrivateDirName)
}
