package pass

import (
	"sort"
	"strings"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/units"
)

// EnvSecret is one secret env var of a one-off container: its value goes to
// Podman's secret store (0600) under Secret, and the container references it as
// an env secret named Env. Podman keeps the env of every container and exec
// session in its database (storage/db.sql), which a fresh store can leave
// world-readable, so a secret value never travels as env.
type EnvSecret struct {
	Env    string // variable name inside the container
	Secret string // Podman secret name: units.SecretName, the one A-migrate also stores
	Value  string
}

// Env is the env a one-off container runs with, split by how it reaches
// Podman: Public as NAME=value on each exec session, Secrets as env secrets of
// the container (exec sessions inherit those: Podman adds a container's env
// secrets to every exec session it starts).
type Env struct {
	Public  []string
	Secrets []EnvSecret
}

// SplitEnv divides env (NAME=value, e.g. FullEnv plus extras) into what may be
// given to Podman as env and what must become a Podman secret, by the app's
// one rule (generator.App.AsPodmanSecret, which the generator's units follow
// too): a non-empty value of a name the app marks secret.
func SplitEnv(app *generator.App, env []string) Env {
	var p Env
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if app.AsPodmanSecret(k, v) {
			p.Secrets = append(p.Secrets, EnvSecret{Env: k, Secret: units.SecretName(app.Name, k), Value: v})
			continue
		}
		p.Public = append(p.Public, kv)
	}
	sort.Strings(p.Public)
	sort.Slice(p.Secrets, func(i, j int) bool { return p.Secrets[i].Env < p.Secrets[j].Env })
	return p
}

// EnvSecretRefs is the container spec's env secrets: target variable -> secret name.
func (p Env) EnvSecretRefs() map[string]string {
	if len(p.Secrets) == 0 {
		return nil
	}
	m := make(map[string]string, len(p.Secrets))
	for _, s := range p.Secrets {
		m[s.Env] = s.Secret
	}
	return m
}
