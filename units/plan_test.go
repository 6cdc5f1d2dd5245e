package units

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
)

func TestBadAppKeepsOthers(t *testing.T) {
	bad := minimalApp("broken")
	bad.Env = []generator.EnvVar{{Name: "HOME", Value: "s3cret", Secret: true, Pos: generator.Pos{File: bad.ConfigPath, Line: 7}}}
	bad.Volumes = []generator.Volume{{Host: "relative/dir", Guest: "/x", Pos: generator.Pos{File: bad.ConfigPath, Line: 9}}}
	good := append(caseApps(t, "roles-volumes-health"), caseApps(t, "links")[1:]...) // forum, pg, wiki
	p, err := Plan(append([]*generator.App{bad}, good...), Options{PrivateDir: "/run/q"})
	if err != nil {
		t.Fatal(err)
	}
	alone, _ := Plan(good, Options{PrivateDir: "/run/q"})
	if len(p.Files) != len(alone.Files) {
		t.Errorf("with a broken app: %d files, without: %d", len(p.Files), len(alone.Files))
	}
	for i := range alone.Files {
		if i < len(p.Files) && (p.Files[i].Name != alone.Files[i].Name || string(p.Files[i].Content) != string(alone.Files[i].Content)) {
			t.Errorf("file %d differs: %s vs %s", i, p.Files[i].Name, alone.Files[i].Name)
		}
	}
	for _, f := range p.Files {
		if f.App == "broken" || strings.Contains(string(f.Content), "s3cret") {
			t.Errorf("broken app's file in plan: %s", f.Name)
		}
	}
	if !p.Failed("broken") || p.Failed("forum") || p.Failed("pg") {
		t.Errorf("Failed: broken=%v forum=%v pg=%v", p.Failed("broken"), p.Failed("forum"), p.Failed("pg"))
	}
	var msgs []string
	for _, d := range p.Diagnostics {
		if d.App == "broken" {
			msgs = append(msgs, d.String())
		}
	}
	joined := strings.Join(msgs, "\n")
	for _, want := range []string{"broken.yml:7: env.HOME", "broken.yml:9: volumes[0]"} {
		if !strings.Contains(joined, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, joined)
		}
	}
}

func TestLinkToMissingAppWarns(t *testing.T) {
	a := minimalApp("web")
	a.Links = []generator.Link{{Name: "nowhere", Alias: "db"}}
	p, err := Plan([]*generator.App{a}, Options{PrivateDir: "/run/q"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Failed("web") || len(p.Diagnostics) != 1 || p.Diagnostics[0].Severity != Warning {
		t.Fatalf("diagnostics: %v", p.Diagnostics)
	}
	if _, ok := p.File(Quadlet, LinkNetworkFile("web")); !ok {
		t.Errorf("an app with links joins %s", LinkNetworkFile("web"))
	}
}

func TestNoLinksNoNetwork(t *testing.T) {
	p, _ := Plan([]*generator.App{minimalApp("a"), minimalApp("b")}, Options{PrivateDir: "/run/q"})
	for _, f := range p.Files {
		if strings.HasSuffix(f.Name, ".network") {
			t.Errorf("network %s planned without links", f.Name)
		}
	}
	web, _ := p.File(Quadlet, RoleContainerFile("a", "web"))
	if strings.Contains(string(web.Content), "Network=") {
		t.Errorf("unlinked app joins a network:\n%s", web.Content)
	}
}

// Every key the plan emits is known to the Quadlet version it is planned for.
func TestVersionGating(t *testing.T) {
	for _, v := range []string{"4.4.0", "4.7.0", "5.0.0", "5.2.0", "5.4.2"} {
		ver, _ := parseVersion(v)
		p, err := Plan(richApps(t), Options{QuadletVersion: v, PrivateDir: "/run/q"})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range Select(p.Files, Quadlet) {
			for _, line := range strings.Split(string(f.Content), "\n") {
				key, value, ok := strings.Cut(line, "=")
				if !ok || strings.HasPrefix(line, "#") {
					continue
				}
				group := groupOf(string(f.Content), line)
				id := group + "." + key
				if _, ok := quadletKeys[id+"="+value]; ok {
					id += "=" + value
				} else if _, ok := quadletKeys[id]; !ok {
					if group == "Container" || group == "Volume" || group == "Network" {
						t.Errorf("%s: %s emitted but not in quadletKeys", f.Name, id)
					}
					continue
				}
				if !ver.supports(id) {
					t.Errorf("quadlet %s: %s emits %s", v, f.Name, id)
				}
			}
		}
	}
	if _, err := Plan(nil, Options{QuadletVersion: "4.3.0", PrivateDir: "/run/q"}); err == nil {
		t.Errorf("quadlet 4.3 accepted")
	}
}

// groupOf finds the [Group] a line is in.
func groupOf(content, line string) string {
	group := ""
	for _, l := range strings.Split(content, "\n") {
		if strings.HasPrefix(l, "[") {
			group = strings.Trim(l, "[]")
		}
		if l == line {
			return group
		}
	}
	return group
}

func TestWriteAtomicModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "quadlaunch.private")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := []File{{Name: "a.env", Content: []byte("A=\"1\"\n"), Kind: Private}}
	if err := WriteAtomic(dir, files); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("private dir mode %v", st.Mode().Perm())
	}
	if st, _ := os.Stat(filepath.Join(dir, "a.env")); st.Mode().Perm() != 0o600 {
		t.Errorf("private file mode %v", st.Mode().Perm())
	}
	normal := t.TempDir()
	err := WriteAtomic(normal, []File{
		{Name: "x.target", Content: []byte("[Unit]\n"), Kind: Plain},
		{Name: "multi-user.target.wants/x.target", Content: []byte("../x.target"), Kind: Symlink},
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(normal, "x.target")); st.Mode().Perm() != 0o644 {
		t.Errorf("unit mode %v", st.Mode().Perm())
	}
	if l, err := os.Readlink(filepath.Join(normal, "multi-user.target.wants/x.target")); err != nil || l != "../x.target" {
		t.Errorf("symlink %q %v", l, err)
	}
	entries, _ := os.ReadDir(normal)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temp file left: %s", e.Name())
		}
	}
	if err := WriteAtomic(normal, []File{{Name: "../escape", Kind: Plain}}); err == nil {
		t.Errorf("name with .. accepted")
	}
}

func TestOrderingAndTarget(t *testing.T) {
	data := minimalApp("data") // launcher-style: no migrate/configure command
	p, _ := Plan([]*generator.App{data}, Options{User: true, PrivateDir: "/run/q"})
	mig, ok := p.File(Plain, MigrateUnit("data"))
	if !ok || !strings.Contains(string(mig.Content), "ExecStart=/usr/bin/quadlaunch --user migrate --in-unit data") {
		t.Errorf("launcher-style migrate unit:\n%s", mig.Content)
	}
	conf, _ := p.File(Plain, ConfigureUnit("data"))
	for _, want := range []string{"Requires=data-migrate.service", "After=data-migrate.service", "Type=oneshot"} {
		if !strings.Contains(string(conf.Content), want) {
			t.Errorf("configure lacks %s", want)
		}
	}
	if strings.Contains(string(conf.Content), "RemainAfterExit") {
		t.Errorf("configure must run again on every start")
	}
	web, _ := p.File(Quadlet, RoleContainerFile("data", "web"))
	for _, want := range []string{"Requires=data-migrate.service", "Requires=data-configure.service", "After=data-configure.service", "Exec=/sbin/boot"} {
		if !strings.Contains(string(web.Content), want) {
			t.Errorf("web lacks %s", want)
		}
	}
	if _, ok := p.File(Symlink, "default.target.wants/data.target"); !ok {
		t.Errorf("user target not linked from default.target")
	}
	target, _ := p.File(Plain, TargetUnit("data"))
	if !strings.Contains(string(target.Content), "Wants=data-web.service") {
		t.Errorf("target does not want web:\n%s", target.Content)
	}
}

// SameUnits is what lets the generator keep the plan it made for
// TestedQuadletVersion once the host's quadlet answers: where it says two
// versions give the same units, the plans are byte for byte the same, and
// where a version gate lies between them it says they differ (a re-plan,
// even when these apps use nothing behind that gate).
func TestSameUnits(t *testing.T) {
	versions := []string{"4.4.0", "4.6.2", "4.7.0", "4.9.4", "5.0.0", "5.1.2", "5.2.0", "5.4.2", "5.6.1", "6.0.0"}
	plans := map[string]*PlanResult{}
	for _, v := range versions {
		p, err := Plan(richApps(t), Options{QuadletVersion: v, PrivateDir: "/run/q"})
		if err != nil {
			t.Fatal(err)
		}
		plans[v] = p
	}
	samePlan := func(a, b *PlanResult) bool {
		if len(a.Files) != len(b.Files) || len(a.Diagnostics) != len(b.Diagnostics) {
			return false
		}
		for i := range a.Files {
			if a.Files[i].Name != b.Files[i].Name || !bytes.Equal(a.Files[i].Content, b.Files[i].Content) {
				return false
			}
		}
		return true
	}
	for _, a := range versions {
		for _, b := range versions {
			same, err := SameUnits(a, b)
			if err != nil {
				t.Fatal(err)
			}
			if same && !samePlan(plans[a], plans[b]) {
				t.Errorf("SameUnits(%s, %s) but the plans differ", a, b)
			}
		}
	}
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"5.4.2", "5.2.0", true}, {"5.4.2", "6.0.0", true}, {TestedQuadletVersion, "5.4.2-dev", true},
		{"5.4.2", "5.1.2", false}, {"5.4.2", "4.9.4", false}, {"4.6.2", "4.7.0", false}, {"4.3.0", "5.4.2", false},
	} {
		if same, err := SameUnits(c.a, c.b); err != nil || same != c.same {
			t.Errorf("SameUnits(%s, %s) = %v, %v; want %v", c.a, c.b, same, err, c.same)
		}
	}
	if _, err := SameUnits("5.4.2", "five"); err == nil {
		t.Errorf("SameUnits accepted a version that is none")
	}
}
