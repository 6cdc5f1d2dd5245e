package pass

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/pups"
)

// Phase is which of launcher2's three passes a set of pups steps belongs to.
type Phase string

const (
	PhaseBuild     Phase = "build"
	PhaseMigrate   Phase = "migrate"
	PhaseConfigure Phase = "configure"
)

// PlannedStep is one pups step after tag filtering, hook injection and $param
// substitution (generator.App.RunWithTags): exactly what will run.
type PlannedStep struct {
	Step    generator.Step // params and $$ENV_ values of the env the pass runs with
	Summary string         // "exec: cd /x && make", for progress lines
	// public is Step expanded with the non-secret env only: what summaries, cache
	// keys and labels are made of, so no secret reaches output or a digest.
	public generator.Step
}

// Plan is what a build, migrate or configure pass will run, decided without
// touching Podman.
type Plan struct {
	App          string
	Phase        Phase
	BaseImage    string
	Steps        []PlannedStep
	Env          []string // NAME=value; build: non-secret values only
	EnvDigest    string   // part of every cache key: env can change what a step does
	BootCommand  []string // nil: keep the base image's cmd
	ConfigDigest string

	buildSecrets []EnvSecret // build: secrets its exec steps use, given as env secrets
	refused      error       // build: steps that would write a secret into a layer
}

// BuildSecrets are the secrets a build's exec steps use: the work container
// gets them as Podman env secrets (never env, never in a layer).
func (p *Plan) BuildSecrets() []EnvSecret { return p.buildSecrets }

// Refused is why a build must not run at all (steps that would write a secret
// into a layer), nil when it may.
func (p *Plan) Refused() error { return p.refused }

// phaseTags are launcher2's pups --tags / --skip-tags for each pass.
func phaseTags(phase Phase) (tags, skip []string) {
	switch phase {
	case PhaseMigrate:
		return generator.MigrateTags, nil
	case PhaseConfigure:
		return generator.ConfigureTags, nil
	}
	return nil, generator.BuildSkipTags
}

// PlanPhase computes the steps of one phase for app with pups' semantics
// (generator.App.RunWithTags). Summaries, cache keys and labels come from the
// steps expanded with the non-secret env only. Migrate and configure expand
// $$ENV_ from env (NAME=value, the env the pass runs with; nil: the config's
// public env); the build from the config's env.
//
// A secret reaches a step only where Podman keeps no record of it:
//   - exec cmd and cd: $$ENV_X of a secret X becomes pups.SecretPlaceholder(X),
//     which the exec session replaces with the value of its env secret X
//     (pups.ExecArgv); the exec argv Podman stores holds the placeholder;
//   - exec stdin: the value itself (it travels on the attach stream only);
//   - file, replace, merge in migrate/configure: the value (written through
//     the archive API, as pups writes it); in a build these are refused
//     (generator.App.BuildSecretProblems: they would write it into a layer).
//
// The build's work container gets the secrets its exec steps name ($$ENV_X,
// $X or ${X}) as Podman env secrets, as configure's does; commit leaves them out.
func PlanPhase(app *generator.App, phase Phase, env ...string) *Plan {
	tags, skip := phaseTags(phase)
	public := withEnv(app, PublicEnv(app)).RunWithTags(tags, skip)
	if phase == PhaseBuild {
		env = FullEnv(app, nil)
	}
	steps := public
	if len(env) > 0 {
		real := withEnv(app, env).RunWithTags(tags, skip)
		refs := withEnv(app, secretRefs(app, env)).RunWithTags(tags, skip)
		steps = make([]generator.Step, len(public))
		for i := range public {
			switch {
			case real[i].Kind == generator.StepExec:
				steps[i] = refs[i]
				steps[i].Stdin = real[i].Stdin
			case phase == PhaseBuild:
				steps[i] = public[i]
			default:
				steps[i] = real[i]
			}
		}
	}
	p := &Plan{App: app.Name, Phase: phase, BaseImage: app.BaseImage, ConfigDigest: ConfigDigest(app)}
	for i := range public {
		p.Steps = append(p.Steps, PlannedStep{Step: steps[i], Summary: Summarize(public[i]), public: public[i]})
	}
	p.Env = PublicEnv(app)
	p.EnvDigest = digestStrings(p.Env)
	p.BootCommand = ImageCommand(app)
	if phase == PhaseBuild {
		p.buildSecrets = buildSecrets(app, env, p.Steps)
		p.refused = errors.Join(app.BuildSecretProblems()...)
	}
	return p
}

// buildSecrets are the secrets the build's exec steps use: by placeholder
// ($$ENV_X) or as shell variables ($X, ${X}).
func buildSecrets(app *generator.App, env []string, steps []PlannedStep) []EnvSecret {
	all := SplitEnv(app, env).Secrets
	var used []EnvSecret
	for _, sec := range all {
		ref := regexp.MustCompile(`\$\{?` + regexp.QuoteMeta(sec.Env) + `\b`)
		for _, st := range steps {
			if st.Step.Kind != generator.StepExec {
				continue
			}
			text := st.Step.Cd + "\n" + strings.Join(st.Step.Cmd, "\n")
			if strings.Contains(text, pups.SecretPlaceholder(sec.Env)) || ref.MatchString(text) {
				used = append(used, sec)
				break
			}
		}
	}
	return used
}

// ImageCommand is the CMD a version image gets (generator.App.ImageCommand).
func ImageCommand(app *generator.App) []string { return app.ImageCommand() }

// secretRefs is env with each secret value (see SplitEnv) replaced by its
// placeholder (pups.SecretPlaceholder), which the exec session fills in.
func secretRefs(app *generator.App, env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if app.AsPodmanSecret(k, v) {
			kv = k + "=" + pups.SecretPlaceholder(k)
		}
		out = append(out, kv)
	}
	return out
}

// withEnv is a shallow copy of app whose env is the NAME=value list given, so
// RunWithTags expands $$ENV_X from exactly that env.
func withEnv(app *generator.App, env []string) *generator.App {
	c := *app
	c.Env = make([]generator.EnvVar, 0, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		c.Env = append(c.Env, generator.EnvVar{Name: k, Value: v})
	}
	return &c
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// Summarize is the one-line description of a step in progress output.
func Summarize(s generator.Step) string {
	var what string
	switch s.Kind {
	case generator.StepExec:
		what = strings.Join(s.Cmd, " && ")
		if s.Cd != "" {
			what = "cd " + s.Cd + " && " + what
		}
	case generator.StepFile:
		what = s.Path
	case generator.StepReplace:
		what = s.Filename
	case generator.StepMerge:
		what = s.Path
	}
	what = strings.Join(strings.Fields(what), " ")
	if len(what) > 70 {
		what = what[:67] + "..."
	}
	return fmt.Sprintf("%s: %s", s.Kind, what)
}

// PublicEnv is the app's non-secret env as NAME=value, sorted: what a build may see.
func PublicEnv(app *generator.App) []string {
	var env []string
	for _, e := range app.Env {
		if !e.Secret && !contains(app.Secrets, e.Name) {
			env = append(env, e.Name+"="+e.Value)
		}
	}
	sort.Strings(env)
	return env
}

// FullEnv is the app's whole env (secrets included), for migrate/configure. A value
// set in the process environment wins: under systemd it comes from the unit's
// EnvironmentFile, the same file the roles read.
func FullEnv(app *generator.App, lookup func(string) (string, bool)) []string {
	var env []string
	for _, e := range app.Env {
		v := e.Value
		if lookup != nil {
			if pv, ok := lookup(e.Name); ok {
				v = pv
			}
		}
		env = append(env, e.Name+"="+v)
	}
	sort.Strings(env)
	return env
}

// CacheKey identifies a step layer: the same step on the same parent image with the
// same env gives the same result, so its committed layer can be reused. It is
// made of the step as expanded with the public env (a digest of a secret is
// world-readable in a label and can be brute-forced when the secret is weak). Positions
// are left out: moving a step within a file does not change what it does.
func CacheKey(parentID string, s PlannedStep, envDigest string) string {
	st := s.public
	st.Pos = generator.Pos{}
	b, err := json.Marshal(st)
	if err != nil {
		// MergeData comes from YAML and always marshals; keep the key unique anyway.
		b = []byte(fmt.Sprintf("%#v", st))
	}
	return digestStrings([]string{"step/v1", parentID, envDigest, string(b)})
}

// FinalKey identifies a version image: its last layer, how it boots and the config
// it came from. A rebuild with the same final key reuses the version.
func FinalKey(lastLayerID string, boot []string, configDigest string) string {
	return digestStrings(append([]string{"final/v1", lastLayerID, configDigest}, boot...))
}

// ConfigureKey identifies the result of a configure pass on a built image.
func ConfigureKey(builtID string, p *Plan) string {
	parts := []string{"configure/v1", builtID}
	for _, s := range p.Steps {
		parts = append(parts, CacheKey("", s, ""))
	}
	return digestStrings(parts)
}

// ConfigDigest summarizes the merged config. Secret values are left out (a digest
// of a weak secret can be brute-forced, and labels are world-readable).
func ConfigDigest(app *generator.App) string {
	type envName struct{ Name, Value string }
	view := struct {
		BaseImage, BootCommand string
		Params                 map[string]string
		Env                    []envName
		Run                    []generator.Step
		Hooks                  map[string][]generator.Step
		Roles                  []generator.Role
		Migrate, Configure     *generator.Command
	}{BaseImage: app.BaseImage, BootCommand: app.BootCommand, Params: app.Params,
		Run: stripPos(app.Run), Roles: app.Roles, Migrate: app.Migrate, Configure: app.Configure}
	view.Hooks = map[string][]generator.Step{}
	for k, v := range app.Hooks {
		view.Hooks[k] = stripPos(v)
	}
	for _, e := range app.Env {
		v := e.Value
		if e.Secret || contains(app.Secrets, e.Name) {
			v = "(secret)"
		}
		view.Env = append(view.Env, envName{e.Name, v})
	}
	if view.Migrate != nil {
		m := *view.Migrate
		m.Pos = generator.Pos{}
		view.Migrate = &m
	}
	if view.Configure != nil {
		c := *view.Configure
		c.Pos = generator.Pos{}
		view.Configure = &c
	}
	b, _ := json.Marshal(view)
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func stripPos(steps []generator.Step) []generator.Step {
	out := make([]generator.Step, len(steps))
	for i, s := range steps {
		s.Pos = generator.Pos{}
		out[i] = s
	}
	return out
}

func digestStrings(parts []string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s\n", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}
