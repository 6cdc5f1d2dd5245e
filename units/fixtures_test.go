package units

import (
	"path/filepath"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
)

// casesDir holds the generator's golden cases (one config root per folder,
// with the tree the generator writes for it in expected/; see its README.md).
// The tests here plan the same YAML for what a folder case cannot show:
// systemd-analyze verify, quadlet's parser round trip, systemd's argv split.
const casesDir = "../cmd/quadlaunch-generator/testdata/cases"

// caseApps loads the apps of a case folder the way the generator does.
func caseApps(t testing.TB, name string) []*generator.App {
	t.Helper()
	root, err := filepath.Abs(filepath.Join(casesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	apps, errs := generator.LoadAll(root)
	if len(errs) != 0 {
		t.Fatalf("case %s: %v", name, errs)
	}
	return apps
}

// caseApp is app name of case folder c.
func caseApp(t testing.TB, c, name string) *generator.App {
	t.Helper()
	for _, a := range caseApps(t, c) {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("case %s has no app %s", c, name)
	return nil
}

// planCase is a set of case apps with the options it is planned for.
type planCase struct {
	name string
	apps func(t testing.TB) []*generator.App
	opts Options
}

// richApps: roles, volumes, health check, escaping (roles-volumes-health),
// per-app links (links) and secrets (secrets), planned together. (The proxy
// case is left out: its unit runs /usr/sbin/nginx, which systemd-analyze
// verify wants installed; proxy_test.go covers it.)
func richApps(t testing.TB) []*generator.App {
	var apps []*generator.App
	for _, c := range []string{"roles-volumes-health", "links", "secrets"} {
		for _, a := range caseApps(t, c) {
			if c == "links" && a.Name == "forum" {
				continue // roles-volumes-health has a forum
			}
			apps = append(apps, a)
		}
	}
	return apps
}

func planCases() []planCase {
	return []planCase{
		{"system", richApps, Options{PrivateDir: "/run/systemd/generator/quadlaunch.private"}},
		{"user", func(t testing.TB) []*generator.App { return caseApps(t, "rootless") },
			Options{User: true, PrivateDir: "/run/user/1000/systemd/generator/quadlaunch.private"}},
	}
}

func mustPlan(t *testing.T, c planCase) *PlanResult {
	t.Helper()
	p, err := Plan(c.apps(t), c.opts)
	if err != nil {
		t.Fatalf("plan %s: %v", c.name, err)
	}
	for _, d := range p.Diagnostics {
		if d.Severity == Error {
			t.Fatalf("plan %s: unexpected error: %s", c.name, d)
		}
	}
	return p
}

// minimalApp has nothing but a name: every default applies.
func minimalApp(name string) *generator.App {
	return &generator.App{Name: name, ConfigPath: "/etc/quadlaunch/containers/" + name + ".yml"}
}

// Canary secrets for the env file encoding: one multi-line, one with every
// character the env file escapes.
const (
	canaryMultiline = "-----BEGIN KEY-----\nQ0FOQVJZ 1\n  indented \"quoted\" line\n-----END KEY-----\n"
	canaryQuoted    = `CANARY2"$%\` + "`" + `$HOME ${X} %n end`
)
