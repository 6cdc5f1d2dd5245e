//go:build remote

package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/quadlaunch/quadlaunch/generator"
)

// Phase is which of launcher2's three passes a set of pups steps belongs to.
type Phase string

const (
	PhaseBuild     Phase = "build"
	PhaseMigrate   Phase = "migrate"
	PhaseConfigure Phase = "configure"
)

// Tag filters of launcher2: build skips the steps that need a database or the app's
// secrets; migrate and configure run only the steps tagged for them.
var (
	buildSkipTags = []string{"migrate", "precompile", "db"}
	migrateTags   = []string{"db", "migrate"}
	configureTags = []string{"db", "precompile"}
)

// PlannedStep is one pups step after hook injection, tag filtering and $param
// substitution: exactly what will run.
type PlannedStep struct {
	Step    generator.Step
	Summary string // "exec: cd /x && make", for progress lines
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
	BootCommand  []string // nil: keep the base image's entrypoint/cmd
	ConfigDigest string
}

// PlanPhase computes the steps of one phase for app. For PhaseBuild only
// non-secret env is included; migrate/configure get the full env at run time
// (see Runner), never in the plan's cache keys.
func PlanPhase(app *generator.App, phase Phase) *Plan {
	steps := ExpandHooks(app.Run, app.Hooks)
	switch phase {
	case PhaseBuild:
		steps = SkipTags(steps, buildSkipTags)
	case PhaseMigrate:
		steps = OnlyTags(steps, migrateTags)
	case PhaseConfigure:
		steps = OnlyTags(steps, configureTags)
	}
	p := &Plan{App: app.Name, Phase: phase, BaseImage: app.BaseImage, ConfigDigest: ConfigDigest(app)}
	for _, s := range steps {
		s = SubstituteParams(s, app.Params)
		p.Steps = append(p.Steps, PlannedStep{Step: s, Summary: Summarize(s)})
	}
	p.Env = PublicEnv(app)
	p.EnvDigest = digestStrings(p.Env)
	if app.BootCommand != "" {
		p.BootCommand = []string{"/bin/sh", "-c", app.BootCommand}
	}
	return p
}

// ExpandHooks injects hooks the way pups does: a step with `hook: X` is preceded
// by the before_X steps and followed by the after_X steps.
func ExpandHooks(run []generator.Step, hooks map[string][]generator.Step) []generator.Step {
	var out []generator.Step
	for _, s := range run {
		if s.Hook == "" {
			out = append(out, s)
			continue
		}
		out = append(out, hooks["before_"+s.Hook]...)
		out = append(out, s)
		out = append(out, hooks["after_"+s.Hook]...)
	}
	return out
}

// SkipTags drops steps whose tag is listed (pups --skip-tags).
func SkipTags(steps []generator.Step, tags []string) []generator.Step {
	var out []generator.Step
	for _, s := range steps {
		if !contains(tags, s.Tag) {
			out = append(out, s)
		}
	}
	return out
}

// OnlyTags keeps steps whose tag is listed (pups --tags); untagged steps are dropped.
func OnlyTags(steps []generator.Step, tags []string) []generator.Step {
	var out []generator.Step
	for _, s := range steps {
		if s.Tag != "" && contains(tags, s.Tag) {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// SubstituteParams replaces $name by the param's value in every string of the
// step, as pups does. Longer names go first so $home_dir is not cut by $home.
func SubstituteParams(s generator.Step, params map[string]string) generator.Step {
	if len(params) == 0 {
		return s
	}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if len(names[i]) != len(names[j]) {
			return len(names[i]) > len(names[j])
		}
		return names[i] < names[j]
	})
	pairs := make([]string, 0, 2*len(names))
	for _, k := range names {
		pairs = append(pairs, "$"+k, params[k])
	}
	r := strings.NewReplacer(pairs...)
	cmds := make([]string, len(s.Cmd))
	for i, c := range s.Cmd {
		cmds[i] = r.Replace(c)
	}
	s.Cmd = cmds
	for _, f := range []*string{&s.Cd, &s.Path, &s.Contents, &s.Chmod, &s.Chown, &s.Filename, &s.From, &s.To} {
		*f = r.Replace(*f)
	}
	return s
}

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
// same env gives the same result, so its committed layer can be reused. Positions
// are left out: moving a step within a file does not change what it does.
func CacheKey(parentID string, s PlannedStep, envDigest string) string {
	st := s.Step
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
