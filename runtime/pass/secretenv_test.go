package pass

import (
	"reflect"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/pups"
)

// Secret names (marked by the loader or listed in secrets:) become Podman
// secrets named as the units name them; everything else, extras included,
// stays public. A multiline value is kept byte for byte.
func TestSplitEnvSecretsBecomePodmanSecrets(t *testing.T) {
	app := testApp()
	app.Env = append(app.Env, generator.EnvVar{Name: "EMPTY_TOKEN", Value: "", Secret: true})
	env := append(FullEnv(app, func(n string) (string, bool) {
		if n == "DB_PASSWORD" {
			return "line1\nline2 \"q\" $x\n", true
		}
		return "", false
	}), "SKIP_POST_DEPLOYMENT_MIGRATIONS=1")
	p := SplitEnv(app, env)
	wantPublic := []string{"EMPTY_TOKEN=", "LANG=C.UTF-8", "SKIP_POST_DEPLOYMENT_MIGRATIONS=1"}
	if !reflect.DeepEqual(p.Public, wantPublic) {
		t.Errorf("public %q, want %q", p.Public, wantPublic)
	}
	wantSecrets := []EnvSecret{
		{Env: "API_KEY", Secret: "quadlaunch-demo-API_KEY", Value: "qlcanary2"},
		{Env: "DB_PASSWORD", Secret: "quadlaunch-demo-DB_PASSWORD", Value: "line1\nline2 \"q\" $x\n"},
	}
	if !reflect.DeepEqual(p.Secrets, wantSecrets) {
		t.Errorf("secrets %+v, want %+v", p.Secrets, wantSecrets)
	}
	for _, kv := range p.Public {
		if strings.Contains(kv, "qlcanary") || strings.Contains(kv, "line1") {
			t.Errorf("secret value in public env: %q", kv)
		}
	}
	refs := p.EnvSecretRefs()
	wantRefs := map[string]string{"API_KEY": "quadlaunch-demo-API_KEY", "DB_PASSWORD": "quadlaunch-demo-DB_PASSWORD"}
	if !reflect.DeepEqual(refs, wantRefs) {
		t.Errorf("env secret refs %v, want %v", refs, wantRefs)
	}
	if r := SplitEnv(app, PublicEnv(app)).EnvSecretRefs(); r != nil {
		t.Errorf("public env only: refs %v, want none", r)
	}
}

// A secret $$ENV_ param reaches an exec command as a placeholder the exec
// session fills in (the command is stored by Podman), a file step's contents
// as the value (written through the archive API, never stored by Podman).
func TestPlanPhaseSecretParamsStayOutOfExecCommands(t *testing.T) {
	app := testApp()
	app.Run = []generator.Step{
		execStep("migrate", "psql -c 'x' \"$$ENV_DB_PASSWORD\" $$ENV_LANG"),
		{Kind: generator.StepFile, Tag: "migrate", Path: "/etc/db.conf", Contents: "pw=$$ENV_DB_PASSWORD\n"},
	}
	p := PlanPhase(app, PhaseMigrate, FullEnv(app, nil)...)
	if got := strings.Join(p.Steps[0].Step.Cmd, ""); got != "psql -c 'x' \""+pups.SecretPlaceholder("DB_PASSWORD")+"\" C.UTF-8" {
		t.Errorf("exec step runs %q", got)
	}
	if got := p.Steps[1].Step.Contents; got != "pw=qlcanary\n" {
		t.Errorf("file step writes %q", got)
	}
}
