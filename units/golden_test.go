package units

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

// planCase is one representative app set with the options it is planned for.
type planCase struct {
	name string
	apps func() []*generator.App
	opts Options
}

func planCases() []planCase {
	apps := func() []*generator.App { return []*generator.App{discourseApp(), dataApp(), minimalApp("launcher")} }
	return []planCase{
		{"system", apps, Options{PrivateDir: "/run/systemd/generator/quadlaunch.private"}},
		{"user", apps, Options{User: true, PrivateDir: "/run/user/1000/systemd/generator/quadlaunch.private"}},
		// Before NetworkAlias (5.2), StopTimeout and Notify=healthy (5.0): PodmanArgs fallbacks.
		{"quadlet-4.7", apps, Options{QuadletVersion: "4.7.0", PrivateDir: "/run/systemd/generator/quadlaunch.private"}},
	}
}

func mustPlan(t *testing.T, c planCase) *PlanResult {
	t.Helper()
	p, err := Plan(c.apps(), c.opts)
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

// renderPlan is the golden form of a plan: every file with its kind, then the diagnostics.
func renderPlan(p *PlanResult) []byte {
	var b bytes.Buffer
	for _, f := range p.Files {
		kind := f.Kind.String()
		if f.Source != "" {
			kind += ", service SourcePath=" + f.Source
		}
		fmt.Fprintf(&b, "==> %s (%s)\n%s", f.Name, kind, f.Content)
		if f.Kind == Symlink {
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	for _, d := range p.Diagnostics {
		fmt.Fprintf(&b, "==> diagnostic\n%s\n", d)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	for _, c := range planCases() {
		t.Run(c.name, func(t *testing.T) {
			got := renderPlan(mustPlan(t, c))
			path := filepath.Join("testdata", "golden", c.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./units -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the plan; rerun with -update and review the diff", path)
			}
		})
	}
}
