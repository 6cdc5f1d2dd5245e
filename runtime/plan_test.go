//go:build remote

package runtime

import (
	"reflect"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
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
		Name:      "demo",
		BaseImage: "localhost/base:1",
		Params:    map[string]string{"home": "/var/www", "home_dir": "/srv", "version": "2"},
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
		},
		Hooks: map[string][]generator.Step{
			"before_code": {execStep("", "before code")},
			"after_code":  {execStep("migrate", "after code migrate")},
		},
		BootCommand: "/sbin/boot",
	}
}

func TestPlanPhaseTagFilters(t *testing.T) {
	app := testApp()
	cases := map[Phase][]string{
		PhaseBuild:     {"echo 2 > /var/www/VERSION", "before code", "git pull", "bundle install --path /srv"},
		PhaseMigrate:   {"after code migrate", "start postgres", "rake db:migrate"},
		PhaseConfigure: {"start postgres", "rake assets:precompile"},
	}
	for phase, want := range cases {
		if got := cmds(PlanPhase(app, phase).Steps); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", phase, got, want)
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

func TestSubstituteParamsLongestFirst(t *testing.T) {
	s := SubstituteParams(generator.Step{Kind: generator.StepFile, Path: "$home_dir/x", Contents: "$home and $homeless"},
		map[string]string{"home": "/h", "home_dir": "/d"})
	if s.Path != "/d/x" || s.Contents != "/h and /hless" {
		t.Fatalf("got path %q contents %q", s.Path, s.Contents)
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
	changed.Step.Cmd = []string{"echo 3 > /var/www/VERSION"}
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
