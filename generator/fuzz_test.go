package generator

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad loads arbitrary bytes as an app file (templates resolve against
// the discourse_docker corpus when present) and runs everything the runtime
// calls on the result. Nothing may panic; a failure must be a ConfigError.
func FuzzLoad(f *testing.F) {
	wd, _ := os.Getwd()
	root := filepath.Join(wd, "..", "..", "shared", "corpus", "discourse_docker")
	if _, err := os.Stat(root); err != nil {
		root = f.TempDir()
	}
	seeds, _ := filepath.Glob(filepath.Join(root, "samples", "*.yml"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"", "null", "[]", "base_image: x\n", "base_image: &a x\nenv: {A: *a}\n",
		"base_image: x\nbase: &b {A: 1}\nenv:\n  <<: *b\n  B: 2\n",
		"base_image: x\nparams: {m: {a: 1}}\nrun:\n  - merge: /f $m\n  - exec: {cmd: [a, $m], hook: h}\nhooks:\n  after_h: [{exec: b}]\n",
		"base_image: x\nroles: {web: , w: [a]}\nhealthcheck: {cmd: a, retries: 1}\nexpose: ['[::1]:1:1/udp', 90]\n",
	} {
		f.Add([]byte(s))
	}
	// One loader for all inputs: templates are parsed once, as in LoadAll,
	// which keeps each exec cheap (input minimization runs many of them).
	ld := newLoader(root)
	f.Fuzz(func(t *testing.T, data []byte) {
		app, err := ld.loadBytes(filepath.Join(root, "containers", "fuzz.yml"), data, 0o600)
		if err != nil {
			if _, ok := err.(*ConfigError); !ok {
				t.Fatalf("error %v is a %T, not *ConfigError", err, err)
			}
			_ = err.Error()
			return
		}
		_ = app.ExpandedRun()
		_ = app.RunWithTags(MigrateTags, nil)
		_ = app.RunWithTags(nil, BuildSkipTags)
		for _, w := range app.Warnings {
			_ = w.String()
		}
		_ = fmt.Sprint(app.Roles)
	})
}

// BenchmarkLoadAll loads 100 apps sharing the web template, as the generator
// does at boot.
func BenchmarkLoadAll(b *testing.B) {
	files := map[string]string{}
	wd, _ := os.Getwd()
	tmpl, err := os.ReadFile(filepath.Join(wd, "..", "..", "shared", "corpus", "discourse_docker", "templates", "web.template.yml"))
	if err != nil {
		tmpl = []byte("base_image: img\nparams: {home: /h}\nenv: {A: 1}\nrun:\n  - exec: {cmd: echo $home, hook: code}\n")
	}
	files["templates/web.template.yml"] = string(tmpl)
	for i := range 100 {
		files[fmt.Sprintf("containers/app%03d.yml", i)] = fmt.Sprintf(`templates:
  - templates/web.template.yml
expose: ["%d:80"]
env:
  DISCOURSE_HOSTNAME: app%d.example.com
  DISCOURSE_DB_PASSWORD: secret%d
volumes:
  - volume: {host: /var/discourse/shared/app%d, guest: /shared}
hooks:
  after_code:
    - exec: {cd: $home/plugins, cmd: [git clone https://github.com/discourse/docker_manager.git]}
`, 8000+i, i, i, i)
	}
	root := writeRoot(b, files)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		apps, errs := LoadAll(root)
		if len(apps) != 100 || len(errs) != 0 {
			b.Fatalf("apps %d errs %v", len(apps), errs)
		}
	}
}

// BenchmarkExpandedRun is the cost of computing standalone's pups steps.
func BenchmarkExpandedRun(b *testing.B) {
	root := corpusDir(b)
	app, err := LoadApp(root, filepath.Join(root, "samples", "standalone.yml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = app.ExpandedRun()
	}
}
