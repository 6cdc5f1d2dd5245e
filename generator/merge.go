package generator

import (
	"fmt"
	"slices"
	"strings"
)

// The merge follows pups' deep_merge with :merge_arrays, which is what the
// bash launcher and launcher2 feed pups (every template, then the app file,
// split by _FILE_SEPERATOR_):
//
//   - mappings merge key by key, recursively; a later document wins;
//   - lists are concatenated in document order (run, each hooks list,
//     expose, volumes, links, podman_args, list-valued params);
//   - a null never overrides: `KEY:` with no value keeps an earlier value.
//     A key that is only ever null is kept with the empty value, as pups
//     (nil.to_s == "") and both launchers (bash prints `KEY=`, launcher2
//     decodes null into "") do: DISCOURSE_DB_HOST stays set, and empty.
//   - an empty string is a value and does override (pups and bash launcher
//     agree; launcher2's mergo drops it, which we do not copy).
//
// Exceptions, for our own keys: a command (roles.X, migrate, configure,
// healthcheck.cmd) is replaced, not concatenated, since half of two commands
// is no command; secrets is a set.

// orderedEntries is a merged map that remembers first-appearance order, as a
// Ruby Hash does (pups substitutes params in that order).
type orderedEntries struct {
	names []string
	byKey map[string]*entry
}

func (o *orderedEntries) merge(src []entry) {
	if o.byKey == nil {
		o.byKey = map[string]*entry{}
	}
	for _, e := range src {
		cur, ok := o.byKey[e.name]
		if !ok {
			c := e
			o.byKey[e.name] = &c
			o.names = append(o.names, e.name)
			continue
		}
		if e.null {
			continue
		}
		if cur.data != nil && e.data != nil {
			e.data = mergeData(cur.data, e.data)
		}
		*cur = e
	}
}

// mergeData is pups' deep_merge on plain data, copying so that cached
// template layers are never modified.
func mergeData(a, b any) any {
	switch bv := b.(type) {
	case nil:
		return a
	case map[string]any:
		av, ok := a.(map[string]any)
		if !ok {
			return b
		}
		out := make(map[string]any, len(av)+len(bv))
		for k, v := range av {
			out[k] = v
		}
		for k, v := range bv {
			if old, ok := out[k]; ok {
				out[k] = mergeData(old, v)
			} else {
				out[k] = v
			}
		}
		return out
	case []any:
		if av, ok := a.([]any); ok {
			return append(slices.Clip(av), bv...)
		}
	}
	return b
}

// merge builds the App from its layers, templates first and the app file last.
func merge(app *App, layers []*layer) error {
	appFile := layers[len(layers)-1].file // as given, like every other position
	var params, env, labels orderedEntries
	hookOrder := []string{}
	hooks := map[string][]Step{}
	roleOrder := []string{}
	roles := map[string]*roleEntry{}
	secrets := map[string]entry{}
	var hc *Healthcheck

	if err := checkLayerSizes(layers); err != nil {
		return err
	}
	app.KeyPos = map[string]Pos{}
	for _, l := range layers {
		app.Warnings = append(app.Warnings, l.warnings...)
		for k, p := range l.keyPos {
			app.KeyPos[k] = p
		}
		for _, s := range []struct {
			src optString
			dst *string
		}{{l.baseImage, &app.BaseImage}, {l.bootCommand, &app.BootCommand}, {l.dockerArgs, &app.DockerArgs}} {
			if s.src.set {
				*s.dst = s.src.v
			}
		}
		if l.readOnly != nil {
			app.ReadOnly = *l.readOnly
		}
		if l.baseImagePull != nil {
			app.BaseImagePull = *l.baseImagePull
		}
		if l.noBootCommand != nil {
			app.NoBootCommand = *l.noBootCommand
		}
		params.merge(l.params)
		env.merge(l.env)
		labels.merge(l.labels)
		app.Expose = append(app.Expose, l.expose...)
		app.Volumes = append(app.Volumes, l.volumes...)
		app.Links = append(app.Links, l.links...)
		app.Run = append(app.Run, l.run...)
		app.PodmanArgs = append(app.PodmanArgs, l.podmanArgs...)
		for _, h := range l.hooks {
			if _, ok := hooks[h.name]; !ok {
				hookOrder = append(hookOrder, h.name)
			}
			hooks[h.name] = append(hooks[h.name], h.steps...)
		}
		for _, r := range l.roles {
			cur, ok := roles[r.name]
			if !ok {
				c := r
				roles[r.name] = &c
				roleOrder = append(roleOrder, r.name)
			} else if !r.null {
				*cur = r
			} else if r.health != nil {
				cur.health = r.health
			}
		}
		for _, s := range l.secrets {
			if _, ok := secrets[s.name]; !ok {
				secrets[s.name] = s
			}
		}
		mergeDeploy(app, l)
		mergeOperator(app, l)
		if l.migrate != nil {
			app.Migrate = l.migrate
		}
		if l.configure != nil {
			app.Configure = l.configure
		}
		if h := l.healthcheck; h != nil {
			if hc == nil {
				hc = &Healthcheck{}
			}
			hc.Pos = h.pos
			if h.cmd != nil {
				hc.Cmd = h.cmd
			}
			for _, s := range []struct {
				src optString
				dst *string
			}{{h.interval, &hc.Interval}, {h.timeout, &hc.Timeout}, {h.startPeriod, &hc.StartPeriod}} {
				if s.src.set {
					*s.dst = s.src.v
				}
			}
			if h.retries != nil {
				hc.Retries = *h.retries
			}
		}
	}

	// params: scalars (and only-null keys, as "") in Params; data in ParamData.
	app.Params = make(map[string]string, len(params.names))
	for _, n := range params.names {
		e := params.byKey[n]
		if e.data != nil {
			if app.ParamData == nil {
				app.ParamData = map[string]any{}
			}
			app.ParamData[n] = e.data
			continue
		}
		app.Params[n] = e.text
		app.ParamOrder = append(app.ParamOrder, n)
	}

	// env and labels: {{config}} is the app name (bash launcher and launcher2).
	for _, n := range env.names {
		e := env.byKey[n]
		_, listed := secrets[n]
		app.Env = append(app.Env, EnvVar{
			Name:   n,
			Value:  strings.ReplaceAll(e.text, "{{config}}", app.Name),
			Secret: listed || IsSecretEnv(n),
			Pos:    e.pos,
		})
	}
	slices.SortFunc(app.Env, func(a, b EnvVar) int { return strings.Compare(a.Name, b.Name) })
	for _, v := range app.Env {
		if v.Secret {
			app.Secrets = append(app.Secrets, v.Name)
		}
	}
	for n, s := range secrets {
		if _, ok := env.byKey[n]; !ok {
			app.Warnings = append(app.Warnings, Diagnostic{Pos: s.pos, Key: "secrets", Msg: n + " is listed as secret but not set in env"})
		}
	}
	for _, n := range labels.names {
		app.Labels = append(app.Labels, Label{Name: n, Value: strings.ReplaceAll(labels.byKey[n].text, "{{config}}", app.Name)})
	}
	slices.SortFunc(app.Labels, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })

	if len(hookOrder) > 0 {
		app.Hooks = make(map[string][]Step, len(hookOrder))
		for _, n := range hookOrder {
			app.Hooks[n] = hooks[n]
		}
	}

	// roles: without `roles:`, one web role running boot_command.
	if len(roleOrder) == 0 {
		roleOrder = []string{DefaultRoleName}
		roles[DefaultRoleName] = &roleEntry{name: DefaultRoleName, null: true}
	}
	// web first, the others by name: the first is the primary role.
	slices.SortFunc(roleOrder, func(a, b string) int {
		if (a == DefaultRoleName) != (b == DefaultRoleName) {
			if a == DefaultRoleName {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	for i, n := range roleOrder {
		r := roles[n]
		cmd := r.args
		if r.null && n == DefaultRoleName && app.BootCommand != "" {
			args, err := splitCommand(app.BootCommand, true)
			if err != nil || len(args) == 0 {
				return &ConfigError{Diagnostic{Pos: Pos{File: appFile}, Key: "boot_command", Msg: "cannot split into a command: " + errString(err)}}
			}
			cmd = args
		}
		// Set here once (web if present, else the first role); everything
		// else asks App.PrimaryRole.
		primary := i == 0
		pos := r.pos
		if pos.File == "" {
			pos = app.PosOf("roles")
		}
		role := Role{Pos: pos, Name: n, Command: cmd, Primary: primary}
		if h := r.health; h != nil {
			role.Healthcheck = &Healthcheck{Cmd: h.cmd, Interval: h.interval.v, Timeout: h.timeout.v, StartPeriod: h.startPeriod.v, Pos: h.pos}
			if h.retries != nil {
				role.Healthcheck.Retries = *h.retries
			}
		}
		app.Roles = append(app.Roles, role)
	}
	app.Healthcheck = hc
	if hc != nil && len(hc.Cmd) == 0 {
		return &ConfigError{Diagnostic{Pos: hc.Pos, Key: "healthcheck.cmd", Msg: "a healthcheck needs cmd"}}
	}

	if err := checkCounts(app, len(layers)-1); err != nil {
		return err
	}

	// merge steps take their data from a param (pups: params[name]).
	if err := app.resolveMergeSteps(app.Run); err != nil {
		return err
	}
	for _, n := range hookOrder {
		steps := slices.Clone(app.Hooks[n])
		if err := app.resolveMergeSteps(steps); err != nil {
			return err
		}
		app.Hooks[n] = steps
	}

	// launcher2 refuses a config without base_image. Here only the image build
	// needs one: units run localhost/quadlaunch/<app>:current, which may be
	// provided another way, so the generator must still make the units.
	if app.BaseImage == "" && app.Image == nil {
		app.Warnings = append(app.Warnings, Diagnostic{Pos: Pos{File: appFile}, Key: "base_image",
			Msg: "no base image: `quadlaunch build` cannot build this app (set base_image: here or in a template)"})
	}
	return nil
}

func (a *App) resolveMergeSteps(steps []Step) error {
	for i := range steps {
		s := &steps[i]
		if s.Kind != StepMerge {
			continue
		}
		m, ok := a.ParamData[s.MergeParam].(map[string]any)
		if !ok {
			return &ConfigError{Diagnostic{Pos: s.Pos, Key: "merge", Msg: "param " + s.MergeParam + " must be a mapping (the YAML to merge)"}}
		}
		s.MergeData = m
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return "empty"
	}
	return err.Error()
}

// Limits on what one app may ask for after the merge. Each role's unit lists
// every volume, env name and argument, so the output grows with roles times
// the rest; these keep one app's units under a few MB whatever the config.
// A Discourse app has one or two of each.
const (
	maxTemplates = 32
	maxRoles     = 32
	maxVolumes   = 64
	maxLinks     = 32
	maxExpose    = 256
	maxEnv       = 2000
	maxLabels    = 500
	maxArgs      = 500
	maxSteps     = 2000 // run and hook steps; Discourse's templates together have under 200
	// maxAppBytes bounds what one app's documents together materialize:
	// each may reach byteBudget, and an app may list maxTemplates of them.
	maxAppBytes = 8 << 20
)

// checkLayerSizes refuses an app whose documents together are too big,
// before the merge copies them: lists concatenate, so 32 templates of 20000
// run steps each would make one app of 640000 steps.
func checkLayerSizes(layers []*layer) error {
	size, steps := 0, 0
	for _, l := range layers {
		size += l.size
		steps += len(l.run)
		for _, h := range l.hooks {
			steps += len(h.steps)
		}
		if steps > maxSteps {
			return &ConfigError{Diagnostic{Pos: Pos{File: l.file}, Key: "run", Msg: fmt.Sprintf(
				"more than %d run and hook steps with the templates merged (this file brings the total to %d)", maxSteps, steps)}}
		}
		if size > maxAppBytes {
			return &ConfigError{Diagnostic{Pos: Pos{File: l.file}, Msg: fmt.Sprintf(
				"the app's documents together hold more than %d bytes of keys and values (this file brings them to %d)", maxAppBytes, size)}}
		}
	}
	return nil
}

func checkCounts(app *App, templates int) error {
	over := func(key string, n, limit int, pos Pos) error {
		if pos.File == "" {
			pos = app.PosOf(key)
		}
		return &ConfigError{Diagnostic{Pos: pos, Key: key, Msg: fmt.Sprintf("%d entries after merging the templates; the limit is %d", n, limit)}}
	}
	switch {
	case templates > maxTemplates:
		return over("templates", templates, maxTemplates, Pos{})
	case len(app.Roles) > maxRoles:
		return over("roles", len(app.Roles), maxRoles, app.Roles[maxRoles].Pos)
	case len(app.Volumes) > maxVolumes:
		return over("volumes", len(app.Volumes), maxVolumes, app.Volumes[maxVolumes].Pos)
	case len(app.Links) > maxLinks:
		return over("links", len(app.Links), maxLinks, app.Links[maxLinks].Pos)
	case len(app.Expose) > maxExpose:
		return over("expose", len(app.Expose), maxExpose, app.Expose[maxExpose].Pos)
	case len(app.Env) > maxEnv:
		return over("env", len(app.Env), maxEnv, Pos{})
	case len(app.Labels) > maxLabels:
		return over("labels", len(app.Labels), maxLabels, Pos{})
	case len(app.PodmanArgs) > maxArgs:
		return over("podman_args", len(app.PodmanArgs), maxArgs, Pos{})
	}
	return nil
}
