package pass

import (
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/pups"
)

// buildSecretApp clones a private plugin with a token, the usual reason for a
// secret in a build step, both pups-style and shell-style.
func buildSecretApp() *generator.App {
	app := testApp()
	app.Env = append(app.Env, generator.EnvVar{Name: "GITHUB_TOKEN", Value: "qlcanary-build", Secret: true})
	app.Run = append(app.Run,
		execStep("", "git clone https://x-access-token:$$ENV_GITHUB_TOKEN@github.com/acme/plugin.git"),
		execStep("", `curl -H "Authorization: token ${GITHUB_TOKEN}" https://api.github.com/`),
		generator.Step{Kind: generator.StepExec, Cmd: []string{"su app -c 'git config --global url.https://$$ENV_GITHUB_TOKEN@github.com/.insteadOf https://github.com/'"}, RaiseOnFail: true},
	)
	return app
}

// Everything Podman keeps about a build (commit changes, labels, cache keys,
// exec argv) and everything it prints is made of what this test inspects; the
// token reaches the steps only as an env secret of the work container.
func TestBuildSecretsReachExecSessionsOnly(t *testing.T) {
	app := buildSecretApp()
	p := PlanPhase(app, PhaseBuild)
	if p.refused != nil {
		t.Fatalf("refused: %v", p.refused)
	}
	const canary = "qlcanary-build"
	var records []string
	parent := "sha256:parent"
	for _, st := range p.Steps {
		key := CacheKey(parent, st, p.EnvDigest)
		records = append(records, st.Summary, key, "LABEL io.quadlaunch.cache-key="+key)
		for _, c := range st.Step.Cmd {
			records = append(records, pups.ExecArgv(pups.Script(st.Step, c), false, "")...)
			records = append(records, pups.ExecArgv(pups.Script(st.Step, c), true, "/dev/shm/x.pid")...)
		}
	}
	records = append(records, p.Env...)
	records = append(records, p.EnvDigest, p.ConfigDigest, FinalKey("sha256:last", p.BootCommand, p.ConfigDigest))
	for _, r := range records {
		if strings.Contains(r, canary) {
			t.Errorf("a record Podman keeps or the build prints holds the secret: %q", r)
		}
	}
	// The token is given to the work container as an env secret, by name.
	var given []string
	for _, s := range p.buildSecrets {
		given = append(given, s.Env)
		if s.Secret != "quadlaunch-demo-GITHUB_TOKEN" && s.Env == "GITHUB_TOKEN" {
			t.Errorf("secret stored as %q", s.Secret)
		}
	}
	if strings.Join(given, ",") != "GITHUB_TOKEN" {
		t.Errorf("build secrets %q, want only the one the exec steps use (GITHUB_TOKEN)", given)
	}
	// $$ENV_GITHUB_TOKEN is a placeholder the exec session fills in, also
	// inside single quotes; ${GITHUB_TOKEN} stays the shell's.
	var joined []string
	for _, st := range p.Steps {
		joined = append(joined, strings.Join(st.Step.Cmd, "\n"))
	}
	all := strings.Join(joined, "\n")
	for _, want := range []string{
		"x-access-token:" + pups.SecretPlaceholder("GITHUB_TOKEN") + "@github.com",
		"'git config --global url.https://" + pups.SecretPlaceholder("GITHUB_TOKEN") + "@github.com/",
		"token ${GITHUB_TOKEN}",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("build steps lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "$$ENV_GITHUB_TOKEN") {
		t.Error("$$ENV_GITHUB_TOKEN left as text: the shell would read $$ as its pid")
	}
}

// A build step that writes text into the image cannot carry a secret: the
// config is refused (validate, and build before anything runs).
func TestBuildRefusesSecretWrittenIntoALayer(t *testing.T) {
	app := buildSecretApp()
	app.Run = append(app.Run, generator.Step{Kind: generator.StepFile, Path: "/etc/netrc",
		Contents: "password $$ENV_GITHUB_TOKEN\n", Pos: generator.Pos{File: "/etc/quadlaunch/containers/demo.yml", Line: 42}})
	p := PlanPhase(app, PhaseBuild)
	if p.refused == nil {
		t.Fatal("a file step with $$ENV_GITHUB_TOKEN in a build was accepted")
	}
	for _, want := range []string{"demo.yml:42", "file.contents", "GITHUB_TOKEN"} {
		if !strings.Contains(p.refused.Error(), want) {
			t.Errorf("error %q lacks %q", p.refused, want)
		}
	}
	if strings.Contains(p.refused.Error(), "qlcanary") {
		t.Errorf("error shows the value: %v", p.refused)
	}
	// The same step tagged db runs in migrate/configure, where it is allowed.
	app.Run[len(app.Run)-1].Tag = "db"
	if p := PlanPhase(app, PhaseBuild); p.refused != nil {
		t.Errorf("a db step refused for the build: %v", p.refused)
	}
}

// stdin travels on the attach stream, which Podman does not store: it gets
// the value, so `psql` reads the real password.
func TestMigrateStdinGetsTheSecretValue(t *testing.T) {
	app := testApp()
	app.Run = append(app.Run, generator.Step{Kind: generator.StepExec, Tag: "migrate", RaiseOnFail: true,
		Cmd: []string{"su - postgres -c 'psql discourse'"}, Stdin: "alter user discourse with password '$$ENV_DB_PASSWORD';\n"})
	p := PlanPhase(app, PhaseMigrate, FullEnv(app, nil)...)
	last := p.Steps[len(p.Steps)-1].Step
	if last.Stdin != "alter user discourse with password 'qlcanary';\n" {
		t.Errorf("stdin %q", last.Stdin)
	}
	if strings.Contains(p.Steps[len(p.Steps)-1].Summary, "qlcanary") {
		t.Error("summary holds the secret")
	}
}
