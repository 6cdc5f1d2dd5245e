package generator

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeRoot creates a config root holding files (path -> content), 0600.
func writeRoot(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, c := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func loadOne(t *testing.T, files map[string]string) *App {
	t.Helper()
	root := writeRoot(t, files)
	app, err := LoadApp(root, filepath.Join(root, "containers", "app.yml"))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return app
}

func env(a *App) map[string]string {
	m := map[string]string{}
	for _, e := range a.Env {
		m[e.Name] = e.Value
	}
	return m
}

func TestMergeRules(t *testing.T) {
	const base = "base_image: img\n"
	tests := []struct {
		name  string
		files map[string]string
		check func(t *testing.T, a *App)
	}{
		{"null never overrides, later wins, only-null is empty", map[string]string{
			"templates/a.yml": base + "env:\n  A: one\n  B: one\n  C:\n  D: one\n",
			"templates/b.yml": "env:\n  A: two\n  B:\n",
			"containers/app.yml": "templates: [templates/a.yml, templates/b.yml]\n" +
				"env:\n  A: three\n  D: ''\n",
		}, func(t *testing.T, a *App) {
			want := map[string]string{"A": "three", "B": "one", "C": "", "D": ""}
			if got := env(a); !mapsEqual(got, want) {
				t.Errorf("env %v, want %v", got, want)
			}
		}},
		{"lists concatenate in template order", map[string]string{
			"templates/a.yml": base + "expose: ['1:1']\nvolumes:\n  - volume: {host: /a, guest: /a}\n" +
				"links:\n  - link: {name: x, alias: x}\nrun:\n  - exec: a\nhooks:\n  after_h:\n    - exec: ha\n",
			"templates/b.yml": "expose: ['2:2']\nvolumes:\n  - volume: {host: /b, guest: /b}\n" +
				"links:\n  - link: {name: y}\nrun:\n  - exec: {cmd: b, hook: h}\nhooks:\n  after_h:\n    - exec: hb\n",
			"containers/app.yml": "templates: [templates/a.yml, templates/b.yml]\nexpose: ['3:3']\n" +
				"volumes:\n  - volume: {host: /c, guest: /c}\nrun:\n  - exec: c\nhooks:\n  after_h:\n    - exec: hc\n",
		}, func(t *testing.T, a *App) {
			var ports, vols, links, run []string
			for _, p := range a.Expose {
				ports = append(ports, p.HostPort)
			}
			for _, v := range a.Volumes {
				vols = append(vols, v.Host)
			}
			for _, l := range a.Links {
				links = append(links, l.Name+":"+l.Alias)
			}
			for _, s := range a.ExpandedRun() {
				run = append(run, s.Cmd[0])
			}
			for _, c := range []struct{ got, want []string }{
				{ports, []string{"1", "2", "3"}}, {vols, []string{"/a", "/b", "/c"}},
				{links, []string{"x:x", "y:y"}}, {run, []string{"a", "b", "ha", "hb", "hc", "c"}},
			} {
				if !slices.Equal(c.got, c.want) {
					t.Errorf("got %v, want %v", c.got, c.want)
				}
			}
		}},
		{"params deep merge, first-appearance order, numbers literal", map[string]string{
			"templates/a.yml":    base + "params:\n  home: /a\n  n: 10\n  v:\n",
			"containers/app.yml": "templates: [templates/a.yml]\nparams:\n  x: 1.50\n  home: /b\n",
		}, func(t *testing.T, a *App) {
			if !slices.Equal(a.ParamOrder, []string{"home", "n", "v", "x"}) {
				t.Errorf("order %v", a.ParamOrder)
			}
			want := map[string]string{"home": "/b", "n": "10", "v": "", "x": "1.50"}
			if !mapsEqual(a.Params, want) {
				t.Errorf("params %v, want %v", a.Params, want)
			}
		}},
		{"{{config}} in env and labels; numbers and bools as written", map[string]string{
			"containers/app.yml": base + "env:\n  DB: '{{config}}_db'\n  W: 3\n  F: 1.50\n  B: true\n  Y: yes\n  E: 1e3\n" +
				"labels:\n  app: 'x-{{config}}-{{config}}'\n",
		}, func(t *testing.T, a *App) {
			want := map[string]string{"DB": "app_db", "W": "3", "F": "1.50", "B": "true", "Y": "yes", "E": "1e3"}
			if got := env(a); !mapsEqual(got, want) {
				t.Errorf("env %v, want %v", got, want)
			}
			if len(a.Labels) != 1 || a.Labels[0].Value != "x-app-app" {
				t.Errorf("labels %v", a.Labels)
			}
		}},
		{"multiline env byte-exact", map[string]string{
			"containers/app.yml": base + "env:\n  KEEP: |\n    line 1\n      \"indented\" $HOME \\n\n    \n    last\n" +
				"  STRIP: |-\n    a\n    b\n  FOLD: >\n    a\n    b\n\n    c\n  Q: \"tab\\there\\nnl\"\n",
		}, func(t *testing.T, a *App) {
			want := map[string]string{
				"KEEP":  "line 1\n  \"indented\" $HOME \\n\n\nlast\n",
				"STRIP": "a\nb",
				"FOLD":  "a b\nc\n",
				"Q":     "tab\there\nnl",
			}
			if got := env(a); !mapsEqual(got, want) {
				t.Errorf("env %q, want %q", got, want)
			}
		}},
		{"roles, commands and our keys", map[string]string{
			"templates/a.yml": base + "boot_command: /sbin/boot --x\nroles:\n  worker: [sidekiq, -q, 'a b']\n  web:\n" +
				"podman_args: --cap-add=NET_ADMIN\nhealthcheck:\n  cmd: [curl, -f, http://localhost/]\n  interval: 30s\n",
			"containers/app.yml": "templates: [templates/a.yml]\nroles:\n  worker: sidekiq -q 'x y'\n  cron: [cron, -f]\n" +
				"migrate: rake db:migrate\nread_only: true\npodman_args: [--memory, 1g]\nhealthcheck:\n  retries: 3\n" +
				"secrets: [MY_TOKENISH, PLAIN]\nenv:\n  PLAIN: x\n  MY_TOKENISH: y\n  OTHER: z\n",
		}, func(t *testing.T, a *App) {
			var got []string
			for _, r := range a.Roles {
				got = append(got, r.Name+"="+strings.Join(r.Command, "|"))
				if r.Primary != (r.Name == "web") {
					t.Errorf("primary %v", r)
				}
			}
			if want := []string{"web=/sbin/boot|--x", "cron=cron|-f", "worker=sidekiq|-q|x y"}; !slices.Equal(got, want) {
				t.Errorf("roles %v, want %v", got, want)
			}
			if a.Migrate == nil || !slices.Equal(a.Migrate.Args, []string{"rake", "db:migrate"}) || a.Configure != nil {
				t.Errorf("migrate %v configure %v", a.Migrate, a.Configure)
			}
			if !a.ReadOnly || !slices.Equal(a.PodmanArgs, []string{"--cap-add=NET_ADMIN", "--memory", "1g"}) {
				t.Errorf("read_only %v podman_args %v", a.ReadOnly, a.PodmanArgs)
			}
			if h := a.Healthcheck; h == nil || h.Retries != 3 || h.Interval != "30s" || len(h.Cmd) != 3 {
				t.Errorf("healthcheck %+v", h)
			}
			if !slices.Equal(a.Secrets, []string{"MY_TOKENISH", "PLAIN"}) {
				t.Errorf("secrets %v", a.Secrets)
			}
		}},
		{"templates as one string, named volumes", map[string]string{
			"templates/a.yml":    base,
			"containers/app.yml": "templates: templates/a.yml\nvolumes:\n  - volume: {host: data, guest: '/shared:ro'}\n",
		}, func(t *testing.T, a *App) {
			if len(a.Templates) != 1 || len(a.Volumes) != 1 || !a.Volumes[0].Named() || a.Volumes[0].Guest != "/shared" || a.Volumes[0].Options != "ro" {
				t.Errorf("templates %v volumes %+v", a.Templates, a.Volumes)
			}
		}},
		{"no base image warns (only the build needs one)", map[string]string{
			"containers/app.yml": "env: {A: 1}\n",
		}, func(t *testing.T, a *App) {
			if len(a.Warnings) != 1 || a.Warnings[0].Key != "base_image" {
				t.Errorf("warnings %v", a.Warnings)
			}
		}},
		{"a template's own templates key is ignored with a warning", map[string]string{
			"templates/a.yml":    base + "templates: [templates/nope.yml]\n",
			"containers/app.yml": "templates: [templates/a.yml]\n",
		}, func(t *testing.T, a *App) {
			if len(a.Warnings) != 1 || a.Warnings[0].Key != "templates" {
				t.Errorf("warnings %v", a.Warnings)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, loadOne(t, tt.files)) })
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		file    string // error file, relative to root
		line    int
		key     string
		msgPart string
	}{
		{"bad yaml", map[string]string{"containers/app.yml": "base_image: x\nenv:\n  A: [1\n  B: 2\n"},
			"containers/app.yml", 2, "", "invalid YAML"}, // yaml.v3 names the line of the enclosing mapping
		{"tab indentation", map[string]string{"containers/app.yml": "base_image: x\nenv:\n\tA: 1\n"},
			"containers/app.yml", 3, "", "invalid YAML"},
		{"env is a list", map[string]string{"containers/app.yml": "base_image: x\nenv:\n  - A=1\n"},
			"containers/app.yml", 3, "env", "must be a mapping"},
		{"expose is a map", map[string]string{"containers/app.yml": "base_image: x\nexpose:\n  http: 80\n"},
			"containers/app.yml", 3, "expose", "must be a list"},
		{"env value is a map", map[string]string{"containers/app.yml": "base_image: x\nenv:\n  A:\n    b: c\n"},
			"containers/app.yml", 4, "env.A", "single value"},
		{"unknown run step", map[string]string{"containers/app.yml": "base_image: x\nrun:\n  - exec: ok\n  - shell: rm -rf /\n"},
			"containers/app.yml", 4, "run[1].shell", "unknown run step"},
		{"bad port", map[string]string{"containers/app.yml": "base_image: x\nexpose:\n  - \"80:http\"\n"},
			"containers/app.yml", 3, "expose[0]", "not a port"},
		{"missing template", map[string]string{"containers/app.yml": "base_image: x\ntemplates:\n  - templates/ok.yml\n  - templates/missing.yml\n",
			"templates/ok.yml": "env: {A: 1}\n"},
			"containers/app.yml", 4, "templates[1]", "not found"},
		{"bad yaml in a template", map[string]string{"containers/app.yml": "templates: [templates/t.yml]\n",
			"templates/t.yml": "base_image: x\nrun:\n  - exec: a\n - exec: b\n"},
			"templates/t.yml", 3, "", "invalid YAML"},
		{"wrong type in a template", map[string]string{"containers/app.yml": "templates: [templates/t.yml]\n",
			"templates/t.yml": "base_image: x\nhooks:\n  after_code: echo\n"},
			"templates/t.yml", 3, "hooks.after_code", "must be a list"},
		{"shell syntax in a string command", map[string]string{"containers/app.yml": "base_image: x\nmigrate: rake a && rake b\n"},
			"containers/app.yml", 2, "migrate", "needs a shell"},
		{"reserved role", map[string]string{"containers/app.yml": "base_image: x\nroles:\n  migrate: [x]\n"},
			"containers/app.yml", 3, "roles.migrate", "reserved"},
		{"bad env name", map[string]string{"containers/app.yml": "base_image: x\nenv:\n  A-B: 1\n"},
			"containers/app.yml", 3, "env.A-B", "not a valid environment variable name"},
		{"read_only not a bool", map[string]string{"containers/app.yml": "base_image: x\nread_only: maybe\n"},
			"containers/app.yml", 2, "read_only", "true or false"},
		{"merge param not a map", map[string]string{"containers/app.yml": "base_image: x\nparams: {m: 1}\nrun:\n  - merge: /f.yml $m\n"},
			"containers/app.yml", 4, "merge", "must be a mapping"},
		{"bad volume name", map[string]string{"containers/app.yml": "base_image: x\nvolumes:\n  - volume:\n      host: 'my vol'\n      guest: /x\n"},
			"containers/app.yml", 4, "volumes[0].volume.host", "valid volume name"},
		{"file not a mapping", map[string]string{"containers/app.yml": "[1, 2]\n"},
			"containers/app.yml", 1, "", "must be a YAML mapping"},
		{"duplicate key", map[string]string{"containers/app.yml": "base_image: x\nenv:\n  A: 1\n  A: 2\n"},
			"containers/app.yml", 4, "env.A", "duplicate key"},
		{"unknown notify key", map[string]string{"containers/app.yml": "base_image: x\nnotify:\n  command: page-ops\n  when: always\n"},
			"containers/app.yml", 4, "notify.when", "unknown key"},
		{"unknown notify event", map[string]string{"containers/app.yml": "base_image: x\nnotify:\n  command: page-ops\n  on: [deploy-failed, deploy-exploded]\n"},
			"containers/app.yml", 4, "notify.on", "unknown event \"deploy-exploded\""},
		{"unknown timer key", map[string]string{"containers/app.yml": "base_image: x\ntimers:\n  cleanup:\n    schedule: daily\n    command: [rake, x]\n    every: 5m\n"},
			"containers/app.yml", 6, "timers.cleanup.every", "unknown key"},
		{"timer without a schedule", map[string]string{"containers/app.yml": "base_image: x\ntimers:\n  cleanup:\n    command: [rake, x]\n"},
			"containers/app.yml", 4, "timers.cleanup.schedule", "required"},
		{"timer named like a reserved unit", map[string]string{"containers/app.yml": "base_image: x\ntimers:\n  migrate:\n    schedule: daily\n    command: [rake, x]\n"},
			"containers/app.yml", 3, "timers.migrate", "reserved"},
		{"image without a tag", map[string]string{"containers/app.yml": "image: registry.example/shop\n"},
			"containers/app.yml", 1, "image", "no tag or digest"},
		{"image with an unknown pull policy", map[string]string{"containers/app.yml": "image:\n  ref: registry.example/shop:1\n  pull: sometimes\n"},
			"containers/app.yml", 3, "image.pull", "use one of always, missing, newer"},
		{"image with an unknown key", map[string]string{"containers/app.yml": "image:\n  ref: registry.example/shop:1\n  auth: hunter2\n"},
			"containers/app.yml", 3, "image.auth", "unknown key"},
		{"notify without a command", map[string]string{"containers/app.yml": "base_image: x\nnotify:\n  on: [deploy-failed]\n"},
			"containers/app.yml", 3, "notify.command", "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeRoot(t, tt.files)
			_, err := LoadApp(root, filepath.Join(root, "containers", "app.yml"))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T), want *ConfigError", err, err)
			}
			if !strings.Contains(ce.Msg, tt.msgPart) {
				t.Errorf("msg %q, want it to contain %q", ce.Msg, tt.msgPart)
			}
			if want := filepath.Join(root, tt.file); ce.Pos.File != want || ce.Pos.Line != tt.line || ce.Key != tt.key {
				t.Errorf("at %s key %q, want %s:%d key %q (%v)", ce.Pos, ce.Key, want, tt.line, tt.key, err)
			}
			if tt.line > 0 && !strings.HasPrefix(err.Error(), ce.Pos.File+":") {
				t.Errorf("error text %q does not start with file:line", err)
			}
		})
	}
}

func TestAppNames(t *testing.T) {
	good := []string{"app", "web_only", "mail-receiver", "a1", "app.v2", "0"}
	bad := []string{"App", "my app", "a/b", "a!", "a@b", "a#", "a$", "a%", "a^", "a&", "a*", "a(", "a)", "a+", "a~", "a`", "a=",
		"-app", "_app", "a:b", "a\\b", "é", "a..b", "app.", strings.Repeat("a", 129)}
	for _, n := range good {
		if err := validateName(n); err != nil {
			t.Errorf("%q: %v", n, err)
		}
	}
	for _, n := range bad {
		if err := validateName(n); err == nil {
			t.Errorf("%q accepted", n)
		}
	}
	// Through the loader: the error names the file.
	root := writeRoot(t, map[string]string{"containers/My App.yml": "base_image: x\n"})
	apps, errs := LoadAll(root)
	if len(apps) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "My App.yml: ") {
		t.Errorf("apps %v errs %v", apps, errs)
	}
}

func TestWarnings(t *testing.T) {
	root := writeRoot(t, map[string]string{"containers/app.yml": "base_image: x\nfrobnicate: 1\nenv: {A: 1}\nvolumes:\n  - volume: {host: /a, guest: /b, mode: rw}\n"})
	path := filepath.Join(root, "containers", "app.yml")
	app, err := LoadApp(root, path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range app.Warnings {
		got = append(got, w.String())
	}
	want := []string{path + ":2: frobnicate: unknown key, ignored", path + ":5: volumes[0].volume.mode: unknown key, ignored"}
	if !slices.Equal(got, want) {
		t.Errorf("warnings %q, want %q", got, want)
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	app, err = LoadApp(root, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(app.Warnings) != 3 || !strings.Contains(app.Warnings[0].Msg, "world-readable") {
		t.Errorf("warnings %v, want world-readable first", app.Warnings)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if app, _ = LoadApp(root, path); len(app.Warnings) != 2 {
		t.Errorf("0640 warned: %v", app.Warnings)
	}
}

func TestLoadAllIsolatesBrokenFiles(t *testing.T) {
	root := writeRoot(t, map[string]string{
		"templates/t.yml":           "base_image: img\nenv: {A: 1}\n",
		"containers/a.yml":          "templates: [templates/t.yml]\n",
		"containers/b.yaml":         "templates: [templates/t.yml]\nenv: {B: 2}\n",
		"containers/badyaml.yml":    "env: [\n",
		"containers/badtype.yml":    "base_image: x\nenv: [A]\n",
		"containers/missing.yml":    "templates: [templates/nope.yml]\n",
		"containers/Bad.yml":        "base_image: x\n",
		"containers/a.yaml":         "base_image: x\n", // same app as a.yml
		"containers/a.yml~":         "junk",
		"containers/.a.yml.swp":     "junk",
		"containers/a.yml.rpmnew":   "junk",
		"containers/c.dpkg-old.yml": "junk",
		"containers/notes.txt":      "junk",
	})
	apps, errs := LoadAll(root)
	var names []string
	for _, a := range apps {
		names = append(names, a.Name)
	}
	if !slices.Equal(names, []string{"a", "b"}) {
		t.Errorf("apps %v", names)
	}
	if len(errs) != 5 {
		t.Errorf("errs %d: %v", len(errs), errs)
	}
	for _, e := range errs {
		var ce *ConfigError
		if !errors.As(e, &ce) || !strings.HasPrefix(ce.Pos.File, filepath.Join(root, "containers")) {
			t.Errorf("error %v does not name its app file", e)
		}
	}
}

func TestDiscover(t *testing.T) {
	root := writeRoot(t, map[string]string{
		"containers/b.yml": "", "containers/a.yaml": "", "containers/c.yml.bak": "", "containers/#a.yml#": "",
		"containers/d.yml.dpkg-dist": "", "containers/e.yml.orig": "", "containers/x.json": "",
	})
	got, err := Discover(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(root, "containers", "a.yaml"), filepath.Join(root, "containers", "b.yml")}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got, err := Discover(t.TempDir()); err != nil || got != nil {
		t.Errorf("empty root: %v %v", got, err)
	}
}

func TestDefaultRoot(t *testing.T) {
	if got := DefaultRoot(false); got != "/etc/quadlaunch" {
		t.Errorf("system root %q", got)
	}
	t.Setenv("XDG_CONFIG_HOME", "/x/cfg")
	if got := DefaultRoot(true); got != "/x/cfg/quadlaunch" {
		t.Errorf("user root %q", got)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := DefaultRoot(true); got != "/home/u/.config/quadlaunch" {
		t.Errorf("user root without XDG %q", got)
	}
}

func TestSystemTemplateDir(t *testing.T) {
	sys := t.TempDir()
	old := systemTemplateDir
	systemTemplateDir = sys
	t.Cleanup(func() { systemTemplateDir = old })
	if err := os.WriteFile(filepath.Join(sys, "web.yml"), []byte("base_image: sys\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Found under the system dir, with or without the templates/ prefix.
	app := loadOne(t, map[string]string{"containers/app.yml": "templates: [templates/web.yml]\n"})
	if app.BaseImage != "sys" {
		t.Errorf("base image %q", app.BaseImage)
	}
	// The root wins over the system dir.
	app = loadOne(t, map[string]string{"containers/app.yml": "templates: [templates/web.yml]\n", "templates/web.yml": "base_image: root\n"})
	if app.BaseImage != "root" {
		t.Errorf("base image %q", app.BaseImage)
	}
}

// notify: a string is a shell command subscribed to every event; the long
// form picks events; a later layer wins and null turns it off.
func TestLoadNotify(t *testing.T) {
	root := writeRoot(t, map[string]string{
		"containers/a.yml": "base_image: x\nnotify: /usr/local/bin/page-ops --team web\n",
		"containers/b.yml": "base_image: x\ntemplates: [templates/t.yml]\nnotify:\n  command: [/bin/page, ops]\n  on: [deploy-failed, unit-failed]\n",
		"containers/c.yml": "base_image: x\ntemplates: [templates/t.yml]\nnotify: null\n",
		"templates/t.yml":  "notify: /bin/from-template\n",
	})
	load := func(name string) *Notify {
		a, err := LoadApp(root, filepath.Join(root, "containers", name+".yml"))
		if err != nil {
			t.Fatal(err)
		}
		return a.Notify
	}
	if n := load("a"); n == nil || n.Command.Shell != "/usr/local/bin/page-ops --team web" || !slices.Equal(n.Events, NotifyEvents) {
		t.Errorf("a: %+v", n)
	}
	if n := load("b"); n == nil || !slices.Equal(n.Command.Args, []string{"/bin/page", "ops"}) || !n.Wants("unit-failed") || n.Wants("deploy-succeeded") {
		t.Errorf("b: %+v", n)
	}
	if n := load("c"); n != nil {
		t.Errorf("c: notify: null kept %+v", n)
	}
}

func TestLoadTimers(t *testing.T) {
	root := writeRoot(t, map[string]string{
		"containers/a.yml": "base_image: x\ntimers:\n  cleanup:\n    schedule: '*-*-* 03:00:00'\n    command: rake cleanup\n  ping:\n    schedule: minutely\n    command: [/bin/ping, x]\n    persistent: false\n",
	})
	a, err := LoadApp(root, filepath.Join(root, "containers", "a.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Timers) != 2 || a.Timers[0].Name != "cleanup" || a.Timers[0].Schedule != "*-*-* 03:00:00" || !a.Timers[0].Persistent ||
		!slices.Equal(a.Timers[0].Command.Args, []string{"rake", "cleanup"}) || a.Timers[1].Persistent || a.Timers[0].SchedulePos.Line != 4 {
		t.Errorf("timers %+v", a.Timers)
	}
}

func TestLoadBaseImagePull(t *testing.T) {
	root := writeRoot(t, map[string]string{
		"containers/a.yml": "base_image: x\nbase_image_pull: true\n",
		"containers/b.yml": "base_image: x\n",
		"containers/c.yml": "base_image: x\nbase_image_pull: sometimes\n",
	})
	for name, want := range map[string]bool{"a": true, "b": false} {
		a, err := LoadApp(root, filepath.Join(root, "containers", name+".yml"))
		if err != nil || a.BaseImagePull != want {
			t.Errorf("%s: BaseImagePull %v, %v; want %v", name, a != nil && a.BaseImagePull, err, want)
		}
	}
	if _, err := LoadApp(root, filepath.Join(root, "containers", "c.yml")); err == nil || !strings.Contains(err.Error(), "c.yml:2: base_image_pull") {
		t.Errorf("c: %v, want an error naming c.yml:2 and the key", err)
	}
}

func TestLoadImage(t *testing.T) {
	root := writeRoot(t, map[string]string{
		"containers/a.yml": "image: 127.0.0.1:5000/shop:v1\n",
		"containers/b.yml": "image: {ref: 'registry.example:5000/team/shop@sha256:0123', pull: missing, tls_verify: false}\n",
	})
	a, err := LoadApp(root, filepath.Join(root, "containers", "a.yml"))
	if err != nil || a.Image == nil || a.Image.Ref != "127.0.0.1:5000/shop:v1" || a.Image.Pull != "always" || !a.Image.TLSVerify {
		t.Errorf("a: %+v %v", a, err)
	}
	for _, w := range a.Warnings {
		if w.Key == "base_image" {
			t.Errorf("an app with image: is warned it has no base_image: %s", w)
		}
	}
	b, err := LoadApp(root, filepath.Join(root, "containers", "b.yml"))
	if err != nil || b.Image.Pull != "missing" || b.Image.TLSVerify || !strings.HasSuffix(b.Image.Ref, "@sha256:0123") {
		t.Errorf("b: %+v %v", b.Image, err)
	}
}
