package units

import (
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
)

// A secret env var with an empty value (a template's `DISCOURSE_SMTP_PASSWORD: ""`)
// must not become a Podman secret: `podman secret create` refuses empty data, and
// A-migrate, which every role needs, would fail.
func TestEmptySecretIsPlainEnv(t *testing.T) {
	app := &generator.App{Name: "a", ConfigPath: "/etc/quadlaunch/containers/a.yml",
		Env: []generator.EnvVar{
			{Name: "DB_PASSWORD", Value: "s3cret", Secret: true},
			{Name: "SMTP_PASSWORD", Value: "", Secret: true},
		}}
	plan, err := Plan([]*generator.App{app}, Options{PrivateDir: "/run/x"})
	if err != nil {
		t.Fatal(err)
	}
	web, ok := plan.File(Quadlet, RoleContainerFile("a", "web"))
	if !ok {
		t.Fatalf("no web container in plan: %v", plan.Diagnostics)
	}
	migrate, _ := plan.File(Plain, MigrateUnit("a"))
	w, m := string(web.Content), string(migrate.Content)
	if !strings.Contains(w, "Secret="+SecretName("a", "DB_PASSWORD")+",type=env,target=DB_PASSWORD") {
		t.Errorf("non-empty secret is not a Podman secret:\n%s", w)
	}
	if strings.Contains(w, SecretName("a", "SMTP_PASSWORD")) || strings.Contains(m, SecretName("a", "SMTP_PASSWORD")) {
		t.Errorf("empty secret became a Podman secret:\n%s\n%s", w, m)
	}
	if !strings.Contains(w, "--env SMTP_PASSWORD") {
		t.Errorf("empty secret not passed as --env:\n%s", w)
	}
	if !strings.Contains(m, "secret create --replace --env "+SecretName("a", "DB_PASSWORD")+" DB_PASSWORD") {
		t.Errorf("A-migrate does not create the secret:\n%s", m)
	}
}
