package units

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/containers/podman/v5/pkg/systemd/parser"
)

// quadletBin is the real quadlet (Podman v5.4.2) that make tools builds.
func quadletBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("QUADLAUNCH_TEST_QUADLET")
	if bin == "" {
		t.Skip("QUADLAUNCH_TEST_QUADLET unset: run via make unit (builds bin/quadlet)")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("QUADLAUNCH_TEST_QUADLET: %v (run make tools)", err)
	}
	return bin
}

// podmanEnv makes quadlet write an executable that exists on this host into
// ExecStart=, so systemd-analyze verify does not fail on a missing /usr/bin/podman.
func podmanEnv() []string {
	if _, err := os.Stat("/usr/bin/podman"); err == nil {
		return nil
	}
	return []string{"PODMAN=/usr/bin/true"}
}

// converted is a plan written out the way the generator does it, with
// quadlet's output and the plain units in one normal dir.
type converted struct {
	normal  string
	private string
	quadlet string // staging dir
}

func convert(t *testing.T, bin string, p *PlanResult, user bool) converted {
	t.Helper()
	root := t.TempDir()
	c := converted{normal: filepath.Join(root, "normal"), quadlet: filepath.Join(root, "staging")}
	c.private = filepath.Join(c.normal, PrivateDirName)
	for dir, kinds := range map[string][]Kind{c.quadlet: {Quadlet}, c.normal: {Plain, Symlink}, c.private: {Private}} {
		var files []File
		for _, k := range kinds {
			files = append(files, Select(p.Files, k)...)
		}
		if err := WriteAtomic(dir, files); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PODMAN", "")
	for _, e := range podmanEnv() {
		k, v, _ := strings.Cut(e, "=")
		t.Setenv(k, v)
	}
	out, err := ConvertQuadlet(bin, c.quadlet, c.normal, user, Select(p.Files, Quadlet))
	if err != nil {
		t.Fatalf("quadlet: %v", err)
	}
	if strings.TrimSpace(out) != "" {
		t.Errorf("quadlet printed messages:\n%s", out)
	}
	return c
}

// dryrun runs quadlet -dryrun on the staging dir and returns its stderr.
func dryrun(t *testing.T, bin, staging string, user bool) (stdout, stderr string) {
	t.Helper()
	args := []string{"-dryrun"}
	if user {
		args = append(args, "-user")
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "QUADLET_UNIT_DIRS="+staging)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("quadlet -dryrun: %v\n%s", err, e.String())
	}
	return o.String(), e.String()
}

// dryrunNoise matches quadlet -dryrun's debug lines; anything else is a warning or error.
var dryrunNoise = regexp.MustCompile(`^quadlet-generator\[\d+\]: Loading source unit file `)

func TestQuadletConvertsWithoutWarnings(t *testing.T) {
	bin := quadletBin(t)
	for _, c := range planCases() {
		t.Run(c.name, func(t *testing.T) {
			p := mustPlan(t, c)
			conv := convert(t, bin, p, c.opts.User)
			stdout, stderr := dryrun(t, bin, conv.quadlet, c.opts.User)
			for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if line != "" && !dryrunNoise.MatchString(line) {
					t.Errorf("quadlet -dryrun: %s", line)
				}
			}
			// Every Quadlet file became a service.
			for _, f := range Select(p.Files, Quadlet) {
				svc := QuadletServiceName(f.Name)
				if !strings.Contains(stdout, "---"+svc+"---") {
					t.Errorf("quadlet -dryrun produced no %s for %s", svc, f.Name)
				}
				data, err := os.ReadFile(filepath.Join(conv.normal, svc))
				if err != nil {
					t.Errorf("quadlet wrote no %s: %v", svc, err)
					continue
				}
				unit := parser.NewUnitFile()
				if err := unit.Parse(string(data)); err != nil {
					t.Fatalf("parse %s: %v", svc, err)
				}
				// The operator sees the app's config, not the staging file.
				if f.Source != "" {
					if got := unit.LookupAll("Unit", "SourcePath"); len(got) != 1 || got[0] != f.Source {
						t.Errorf("%s: SourcePath=%v, want %s", svc, got, f.Source)
					}
				}
			}
		})
	}
}

func TestSystemdAnalyzeVerify(t *testing.T) {
	bin := quadletBin(t)
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	for _, c := range planCases() {
		if c.opts.User {
			continue // verify --user needs a user manager's search path; the system form covers the same text
		}
		t.Run(c.name, func(t *testing.T) {
			c.opts.QuadlaunchBin = "/usr/bin/true" // an executable that exists here
			c.opts.PodmanBin = "/usr/bin/true"
			p := mustPlan(t, c)
			conv := convert(t, bin, p, false)
			var units []string
			entries, err := os.ReadDir(conv.normal)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if n := e.Name(); strings.HasSuffix(n, ".service") || strings.HasSuffix(n, ".target") {
					units = append(units, n)
				}
			}
			sort.Strings(units)
			if len(units) < 10 {
				t.Fatalf("only %d units to verify: %v", len(units), units)
			}
			cmd := exec.Command(analyze, append([]string{"verify", "--man=no"}, units...)...)
			cmd.Dir = conv.normal
			out, err := cmd.CombinedOutput()
			if err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("systemd-analyze verify %v: %v\n%s", units, err, out)
			}
		})
	}
}

// unescapeSystemd undoes the %% and $$ doubling systemd applies to ExecStart=.
func unescapeSystemd(s string) string {
	return strings.NewReplacer("%%", "%", "$$", "$").Replace(s)
}
