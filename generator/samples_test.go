package generator

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// corpusDir is ../shared/corpus/discourse_docker next to the repo root; the
// test runs in <repo>/generator.
func corpusDir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(wd, "..", "..", "shared", "corpus", "discourse_docker")
	if _, err := os.Stat(filepath.Join(dir, "samples")); err != nil {
		t.Skipf("discourse_docker corpus not found at %s (needs ../shared next to the repo): %v", dir, err)
	}
	return dir
}

func loadSample(t *testing.T, name string) *App {
	t.Helper()
	root := corpusDir(t)
	app, err := LoadApp(root, filepath.Join(root, "samples", name+".yml"))
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return app
}

func TestSamplesLoad(t *testing.T) {
	root := corpusDir(t)
	want := map[string]struct {
		templates int
		warnings  []string // substrings, in order
	}{
		"data":          {2, nil},
		"mail-receiver": {0, []string{"update_pups: launcher key has no effect"}},
		"redis":         {1, nil},
		"standalone":    {4, nil},
		"web_only":      {2, nil},
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			app, err := LoadApp(root, filepath.Join(root, "samples", name+".yml"))
			if err != nil {
				t.Fatal(err)
			}
			if app.Name != name {
				t.Errorf("name %q", app.Name)
			}
			if len(app.Templates) != w.templates {
				t.Errorf("templates %v, want %d", app.Templates, w.templates)
			}
			var got []string
			for _, d := range app.Warnings {
				if !strings.Contains(d.Msg, "world-readable") {
					got = append(got, d.String())
				}
			}
			if len(got) != len(w.warnings) {
				t.Fatalf("warnings %q, want %q", got, w.warnings)
			}
			for i := range got {
				if !strings.Contains(got[i], w.warnings[i]) {
					t.Errorf("warning %q, want %q", got[i], w.warnings[i])
				}
			}
			if app.BaseImage == "" {
				t.Error("no base image")
			}
			_ = app.ExpandedRun()
		})
	}
}

// goldenView is what the golden files show: the merged app as pups sees it,
// positions relative to the corpus so the files do not depend on the machine.
type goldenView struct {
	Templates []string                `json:"templates"`
	BaseImage string                  `json:"base_image"`
	Env       []goldenEnv             `json:"env"`
	Params    []goldenParam           `json:"params"`
	Expose    []string                `json:"expose"`
	Volumes   []string                `json:"volumes"`
	Links     []string                `json:"links,omitempty"`
	Roles     []Role                  `json:"roles"`
	Hooks     map[string][]goldenStep `json:"hooks"`
	Run       []goldenStep            `json:"run_expanded"`
	Build     []string                `json:"build_steps"`
	Migrate   []string                `json:"migrate_steps"`
	Configure []string                `json:"configure_steps"`
}

type goldenEnv struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Secret bool   `json:"secret,omitempty"`
	At     string `json:"at"`
}

type goldenParam struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type goldenStep struct {
	At         string   `json:"at"`
	Kind       StepKind `json:"kind"`
	Tag        string   `json:"tag,omitempty"`
	Hook       string   `json:"hook,omitempty"`
	Cd         string   `json:"cd,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
	Stdin      string   `json:"stdin,omitempty"`
	Background bool     `json:"background,omitempty"`
	NoRaise    bool     `json:"raise_on_fail_false,omitempty"`
	StopSignal string   `json:"stop_signal,omitempty"`
	Path       string   `json:"path,omitempty"`
	Chmod      string   `json:"chmod,omitempty"`
	Chown      string   `json:"chown,omitempty"`
	Contents   string   `json:"contents,omitempty"`
	Filename   string   `json:"filename,omitempty"`
	From       string   `json:"from,omitempty"`
	To         *string  `json:"to,omitempty"`
	Global     bool     `json:"global,omitempty"`
}

func relPos(root string, p Pos) string {
	if r, err := filepath.Rel(root, p.File); err == nil {
		p.File = r
	}
	return p.String()
}

func viewStep(root string, s Step) goldenStep {
	g := goldenStep{At: relPos(root, s.Pos), Kind: s.Kind, Tag: s.Tag, Hook: s.Hook, Cd: s.Cd, Cmd: s.Cmd, Stdin: s.Stdin,
		Background: s.Background, NoRaise: !s.RaiseOnFail, StopSignal: s.StopSignal, Path: s.Path, Chmod: s.Chmod,
		Chown: s.Chown, Contents: s.Contents, Filename: s.Filename, From: s.From, Global: s.Global}
	if s.Kind == StepReplace {
		to := s.To
		g.To = &to
	}
	return g
}

func stepList(root string, steps []Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = relPos(root, s.Pos) + " " + string(s.Kind)
		if s.Tag != "" {
			out[i] += " tag=" + s.Tag
		}
		if s.Hook != "" {
			out[i] += " hook=" + s.Hook
		}
	}
	return out
}

func makeView(root string, a *App) goldenView {
	v := goldenView{BaseImage: a.BaseImage, Hooks: map[string][]goldenStep{}}
	// Positions are kept relative to the corpus so the golden file holds on any checkout path.
	for _, r := range a.Roles {
		if rel, err := filepath.Rel(root, r.Pos.File); err == nil {
			r.Pos.File = rel
		}
		v.Roles = append(v.Roles, r)
	}
	for _, t := range a.Templates {
		r, _ := filepath.Rel(root, t)
		v.Templates = append(v.Templates, r)
	}
	for _, e := range a.Env {
		v.Env = append(v.Env, goldenEnv{e.Name, e.Value, e.Secret, relPos(root, e.Pos)})
	}
	for _, n := range a.ParamOrder {
		v.Params = append(v.Params, goldenParam{n, a.Params[n]})
	}
	for _, p := range a.Expose {
		v.Expose = append(v.Expose, p.HostIP+"|"+p.HostPort+"|"+p.Container+"|"+p.Proto)
	}
	for _, vol := range a.Volumes {
		v.Volumes = append(v.Volumes, vol.Host+":"+vol.Guest)
	}
	for _, l := range a.Links {
		v.Links = append(v.Links, l.Name+":"+l.Alias)
	}
	for n, steps := range a.Hooks {
		for _, s := range steps {
			v.Hooks[n] = append(v.Hooks[n], viewStep(root, s))
		}
	}
	for _, s := range a.ExpandedRun() {
		v.Run = append(v.Run, viewStep(root, s))
	}
	v.Build = stepList(root, a.RunWithTags(nil, BuildSkipTags))
	v.Migrate = stepList(root, a.RunWithTags(MigrateTags, nil))
	v.Configure = stepList(root, a.RunWithTags(ConfigureTags, nil))
	return v
}

func TestGolden(t *testing.T) {
	root := corpusDir(t)
	for _, name := range []string{"standalone", "web_only"} {
		t.Run(name, func(t *testing.T) {
			app := loadSample(t, name)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(makeView(root, app)); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./generator/ -run TestGolden -update)", err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from the golden file; rerun with -update and review the diff", path)
			}
		})
	}
}
