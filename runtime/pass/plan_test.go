package pass

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/pups"
)

func execStep(tag string, cmd ...string) generator.Step {
	return generator.Step{Kind: generator.StepExec, Tag: tag, Cmd: cmd, RaiseOnFail: true}
}

func cmds(steps []PlannedStep) []string {
	var out []string
	for _, s := range steps {
		out = append(out, strings.Join(s.Step.Cmd, ";"))
	}
	return out
}

func testApp() *generator.App {
	code := execStep("", "git pull")
	code.Hook = "code"
	return &generator.App{
		Name:       "demo",
		BaseImage:  "localhost/base:1",
		Params:     map[string]string{"home": "/var/www", "home_dir": "/srv", "version": "2"},
		ParamOrder: []string{"home_dir", "home", "version"},
		Env: []generator.EnvVar{
			{Name: "LANG", Value: "C.UTF-8"},
			{Name: "DB_PASSWORD", Value: "qlcanary", Secret: true},
			{Name: "API_KEY", Value: "qlcanary2"},
		},
		Secrets: []string{"API_KEY"},
		Run: []generator.Step{
			execStep("", "echo $version > $home/VERSION"),
			code,
			execStep("db", "start postgres"),
			execStep("migrate", "rake db:migrate"),
			execStep("precompile", "rake assets:precompile"),
			execStep("build", "bundle install --path $home_dir"),
			execStep("precompile", "use $$ENV_DB_PASSWORD and $$ENV_LANG"),
		},
		Hooks: map[string][]generator.Step{
			"before_code": {execStep("", "before code")},
			"after_code":  {execStep("migrate", "after code migrate")},
		},
		BootCommand: "/sbin/boot",
	}
}

// pups filters tags before it injects hooks: a hook hangs on a step that
// survived the filter and is never filtered itself (after_code, tagged
// migrate, runs in the build because the untagged code step does; migrate does
// not see it because the code step is filtered out there).
func TestPlanPhaseTagFilters(t *testing.T) {
	app := testApp()
	cases := map[Phase][]string{
		PhaseBuild:     {"echo 2 > /var/www/VERSION", "before code", "git pull", "after code migrate", "bundle install --path /srv"},
		PhaseMigrate:   {"start postgres", "rake db:migrate"},
		PhaseConfigure: {"start postgres", "rake assets:precompile", "use $$ENV_DB_PASSWORD and C.UTF-8"},
	}
	for phase, want := range cases {
		if got := cmds(PlanPhase(app, phase).Steps); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", phase, got, want)
		}
	}
}

// $$ENV_X expands from the env the pass runs with, but summaries and cache keys
// only ever see the public env.
func TestPlanPhaseEnvParamsKeepSecretsOutOfSummaries(t *testing.T) {
	app := testApp()
	env := FullEnv(app, nil)
	p := PlanPhase(app, PhaseConfigure, env...)
	last := p.Steps[len(p.Steps)-1]
	// The exec command is stored with its exec session in Podman's database: the
	// secret stays a placeholder there, the public value is substituted.
	if got := strings.Join(last.Step.Cmd, ""); got != "use "+pups.SecretPlaceholder("DB_PASSWORD")+" and C.UTF-8" {
		t.Errorf("configure step runs %q", got)
	}
	if strings.Contains(last.Summary, "qlcanary") {
		t.Errorf("summary leaks the secret: %q", last.Summary)
	}
	if ConfigureKey("", p) != ConfigureKey("", PlanPhase(app, PhaseConfigure)) {
		t.Error("configure key depends on a secret value")
	}
	b := PlanPhase(app, PhaseBuild, env...)
	for _, s := range b.Steps {
		if strings.Contains(strings.Join(s.Step.Cmd, ""), "qlcanary") {
			t.Errorf("build step got a secret: %q", s.Step.Cmd)
		}
	}
}

// Only the last step naming a hook anchors it (pups' inject_hooks).
func TestPlanPhaseLastHookAnchor(t *testing.T) {
	app := testApp()
	first := execStep("", "first code")
	first.Hook = "code"
	app.Run = append([]generator.Step{first}, app.Run...)
	got := cmds(PlanPhase(app, PhaseBuild).Steps)
	want := []string{"first code", "echo 2 > /var/www/VERSION", "before code", "git pull", "after code migrate", "bundle install --path /srv"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestImageCommandIsWebArgv(t *testing.T) {
	app := testApp()
	if c := ImageCommand(app); c != nil {
		t.Errorf("no roles: CMD %q, want the base image's", c)
	}
	app.Roles = []generator.Role{{Name: "web", Command: []string{"/bin/demo", "serve"}, Primary: true}, {Name: "worker", Command: []string{"w"}}}
	if c := PlanPhase(app, PhaseBuild).BootCommand; !reflect.DeepEqual(c, []string{"/bin/demo", "serve"}) {
		t.Errorf("CMD %q, want the web argv without a shell wrapper", c)
	}
}

// The standalone sample, loaded as the generator loads it: launcher2's migrate
// pass runs the db-tagged postgres start and the migrate steps, the build runs
// none of them.
func TestStandaloneSamplePhases(t *testing.T) {
	wd, _ := os.Getwd()
	root := filepath.Join(wd, "..", "..", "shared", "corpus", "discourse_docker")
	if _, err := os.Stat(filepath.Join(root, "samples")); err != nil {
		t.Skipf("discourse_docker corpus not found at %s: %v", root, err)
	}
	app, err := generator.LoadApp(root, filepath.Join(root, "samples", "standalone.yml"))
	if err != nil {
		t.Fatal(err)
	}
	mig := PlanPhase(app, PhaseMigrate, FullEnv(app, nil)...)
	if len(mig.Steps) == 0 {
		t.Fatal("no migrate steps")
	}
	hookAt := map[generator.Pos]bool{}
	for _, steps := range app.Hooks {
		for _, h := range steps {
			hookAt[h.Pos] = true
		}
	}
	var sawMigrate bool
	for _, s := range mig.Steps {
		// Hook steps are never filtered (they ride on a db step here, redis').
		if s.Step.Tag != "db" && s.Step.Tag != "migrate" && !hookAt[s.Step.Pos] {
			t.Errorf("migrate runs a step tagged %q: %s", s.Step.Tag, s.Summary)
		}
		if strings.Contains(strings.Join(s.Step.Cmd, " "), "db:migrate") {
			sawMigrate = true
		}
		if strings.Contains(s.Summary, "$home") {
			t.Errorf("param not substituted: %s", s.Summary)
		}
	}
	if first := strings.Join(mig.Steps[0].Step.Cmd, " "); !strings.Contains(first, "install_postgres") {
		t.Errorf("migrate starts with %q, want the postgres template's db step", first)
	}
	if !sawMigrate {
		t.Errorf("no db:migrate among %q", cmds(mig.Steps))
	}
	for _, s := range PlanPhase(app, PhaseBuild).Steps {
		if s.Step.Tag == "db" || s.Step.Tag == "migrate" || s.Step.Tag == "precompile" {
			t.Errorf("build runs %s step %s", s.Step.Tag, s.Summary)
		}
	}
}

func TestBuildPlanHasNoSecretEnv(t *testing.T) {
	p := PlanPhase(testApp(), PhaseBuild)
	if want := []string{"LANG=C.UTF-8"}; !reflect.DeepEqual(p.Env, want) {
		t.Fatalf("build env %q, want %q (secret: flag and secrets: list both excluded)", p.Env, want)
	}
	full := FullEnv(testApp(), func(k string) (string, bool) {
		if k == "DB_PASSWORD" {
			return "from-unit", true
		}
		return "", false
	})
	want := []string{"API_KEY=qlcanary2", "DB_PASSWORD=from-unit", "LANG=C.UTF-8"}
	if !reflect.DeepEqual(full, want) {
		t.Fatalf("full env %q, want %q (process env wins)", full, want)
	}
}

func TestCacheKeys(t *testing.T) {
	p := PlanPhase(testApp(), PhaseBuild)
	st := p.Steps[0]
	k := CacheKey("sha256:parent", st, p.EnvDigest)
	if k != CacheKey("sha256:parent", st, p.EnvDigest) {
		t.Fatal("cache key not deterministic")
	}
	moved := st
	moved.Step.Pos = generator.Pos{File: "x.yml", Line: 99}
	if CacheKey("sha256:parent", moved, p.EnvDigest) != k {
		t.Error("position must not change the cache key")
	}
	if CacheKey("sha256:other", st, p.EnvDigest) == k {
		t.Error("parent image must change the cache key")
	}
	if CacheKey("sha256:parent", st, "other-env") == k {
		t.Error("env must change the cache key")
	}
	changed := st
	changed.public.Cmd = []string{"echo 3 > /var/www/VERSION"}
	if CacheKey("sha256:parent", changed, p.EnvDigest) == k {
		t.Error("step content must change the cache key")
	}
	// A param change reaches the expanded step, hence the key.
	app := testApp()
	app.Params["version"] = "3"
	if CacheKey("sha256:parent", PlanPhase(app, PhaseBuild).Steps[0], p.EnvDigest) == k {
		t.Error("param change must change the cache key")
	}
}

func TestConfigDigestIgnoresSecretValuesAndPositions(t *testing.T) {
	a, b := testApp(), testApp()
	b.Env[1].Value = "another secret"
	b.Run[0].Pos = generator.Pos{File: "f", Line: 3}
	if ConfigDigest(a) != ConfigDigest(b) {
		t.Error("secret value or position changed the digest")
	}
	b.Env[0].Value = "en_US.UTF-8"
	if ConfigDigest(a) == ConfigDigest(b) {
		t.Error("a public env change must change the digest")
	}
	if strings.Contains(ConfigDigest(a), "qlcanary") {
		t.Error("digest leaks")
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize(generator.Step{Kind: generator.StepExec, Cd: "/app", Cmd: []string{"a", "b\n  c"}})
	if s != "exec: cd /app && a && b c" {
		t.Fatalf("got %q", s)
	}
	long := Summarize(generator.Step{Kind: generator.StepExec, Cmd: []string{strings.Repeat("x", 200)}})
	if len(long) > 80 || !strings.HasSuffix(long, "...") {
		t.Fatalf("long summary not cut: %q", long)
	}
}
