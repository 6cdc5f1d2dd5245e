package generator

import (
	"slices"
	"sort"
	"strings"
)

// This file computes what pups would run, without running it. The facts come
// from pups' lib/pups/config.rb (filter_tags, inject_hooks, interpolate_params)
// and the command classes; launcher2 picks the tags (v2/config/config.go,
// v2/cli_build.go).

// Tag sets launcher2 passes to pups, reused by the runtime.
var (
	// BuildSkipTags: the image build runs every step except these.
	BuildSkipTags = []string{"precompile", "migrate", "db"}
	// MigrateTags: `launcher2 migrate` runs only these.
	MigrateTags = []string{"db", "migrate"}
	// ConfigureTags: `launcher2 configure` (precompile assets) runs only these.
	ConfigureTags = []string{"db", "precompile"}
)

// ExpandParams substitutes params in s the way pups does: for each param,
// every literal "$name" is replaced by its value, in plain text, with no word
// boundary ("$reqs_per_secondr/s" becomes "12r/s"), and params are applied
// one after the other to the result so far (a value may itself mention a
// later param). pups goes in the params' insertion order; a Go map has none,
// so this applies longer names first, which gives the same result unless one
// name is a prefix of another and the config relies on the shorter one
// winning. App.ExpandedRun uses the exact pups order (App.ParamOrder).
//
// As in Ruby's String#gsub, backslash sequences in a value are interpreted:
// `\\` is one backslash, `\&` and `\0` the matched "$name", `\1`..`\9`
// empty, "\`" the text before the match and `\'` the text after it.
//
// pups also has a param "$ENV_<VAR>" for every environment variable, so
// "$$ENV_DISCOURSE_ONION" becomes the env value; ExpandedRun supplies these
// from the app's env (variables from the image are unknown here and stay).
func ExpandParams(s string, params map[string]string) string {
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	sortLongestFirst(names)
	return expandOrdered(s, names, params)
}

func sortLongestFirst(names []string) {
	sort.Slice(names, func(i, j int) bool {
		if len(names[i]) != len(names[j]) {
			return len(names[i]) > len(names[j])
		}
		return names[i] < names[j]
	})
}

func expandOrdered(s string, names []string, params map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	for _, n := range names {
		if hasParamRef(s, n) {
			s = rubyGsub(s, "$"+n, params[n])
		}
	}
	return s
}

// hasParamRef reports whether "$"+name occurs in s, hopping from '$' to '$'
// rather than scanning s once per param (file contents are long, '$' rare).
func hasParamRef(s, name string) bool {
	for i := strings.IndexByte(s, '$'); i >= 0; {
		if strings.HasPrefix(s[i+1:], name) {
			return true
		}
		j := strings.IndexByte(s[i+1:], '$')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// rubyGsub is Ruby's str.gsub(pattern, replacement) for a string pattern.
func rubyGsub(s, pat, repl string) string {
	if !strings.Contains(s, pat) {
		return s
	}
	var b strings.Builder
	last := 0
	for {
		i := strings.Index(s[last:], pat)
		if i < 0 {
			break
		}
		start, end := last+i, last+i+len(pat)
		b.WriteString(s[last:start])
		if strings.IndexByte(repl, '\\') < 0 {
			b.WriteString(repl)
		} else {
			writeRubyReplacement(&b, repl, s, start, end)
		}
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

func writeRubyReplacement(b *strings.Builder, repl, s string, start, end int) {
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != '\\' || i+1 == len(repl) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := repl[i]; {
		case e == '&' || e == '0':
			b.WriteString(s[start:end])
		case e >= '1' && e <= '9':
			// no capture groups in a string pattern: empty
		case e == '`':
			b.WriteString(s[:start])
		case e == '\'':
			b.WriteString(s[end:])
		case e == '\\':
			b.WriteByte('\\')
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
}

// FilterTags keeps the steps pups would keep for --tags and --skip-tags.
// With tags, only steps whose tag is one of them survive (untagged steps,
// including every `- exec: "string"`, are dropped); then steps whose tag is
// in skipTags are dropped (untagged steps stay). Empty lists filter nothing.
//
// pups filters before it injects hooks, so apply this to App.Run, not to
// the output of ExpandedRun: a hook runs only if the step it hangs on
// survived the filter, and hook steps are never filtered themselves.
// App.RunWithTags does it in that order.
func FilterTags(steps []Step, tags, skipTags []string) []Step {
	out := make([]Step, 0, len(steps))
	for _, s := range steps {
		if len(tags) > 0 && (s.Tag == "" || !slices.Contains(tags, s.Tag)) {
			continue
		}
		if len(skipTags) > 0 && s.Tag != "" && slices.Contains(skipTags, s.Tag) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// InjectHooks inserts hook steps as pups does: the steps of before_X go
// right before the step with `hook: X`, those of after_X right after it. If
// several steps name the same hook, the last one is the anchor. Hooks whose
// anchor is missing (or filtered out) are skipped. Hook steps do not anchor
// other hooks.
func InjectHooks(run []Step, hooks map[string][]Step) []Step {
	if len(hooks) == 0 {
		return slices.Clone(run)
	}
	anchor := map[string]int{}
	for i, s := range run {
		if s.Hook != "" {
			anchor[s.Hook] = i
		}
	}
	before := make(map[int][]Step)
	after := make(map[int][]Step)
	names := make([]string, 0, len(hooks))
	for n := range hooks {
		names = append(names, n)
	}
	slices.Sort(names) // lists at one anchor are disjoint (before/after): order cannot matter
	n := len(run)
	for _, h := range names {
		if name, ok := strings.CutPrefix(h, "before_"); ok {
			if i, ok := anchor[name]; ok {
				before[i] = append(before[i], hooks[h]...)
				n += len(hooks[h])
			}
		} else if name, ok := strings.CutPrefix(h, "after_"); ok {
			if i, ok := anchor[name]; ok {
				after[i] = append(after[i], hooks[h]...)
				n += len(hooks[h])
			}
		}
	}
	out := make([]Step, 0, n)
	for i, s := range run {
		out = append(out, before[i]...)
		out = append(out, s)
		out = append(out, after[i]...)
	}
	return out
}

// ExpandedRun is what a plain `pups` run of the merged config executes:
// all run steps, hooks injected, params substituted.
func (a *App) ExpandedRun() []Step { return a.RunWithTags(nil, nil) }

// RunWithTags is what `pups --tags=... --skip-tags=...` executes: steps
// filtered by tag (FilterTags), then hooks injected (InjectHooks), then
// params substituted (ExpandStep). E.g. the image build is
// RunWithTags(nil, BuildSkipTags) and launcher-style migrate is
// RunWithTags(MigrateTags, nil).
func (a *App) RunWithTags(tags, skipTags []string) []Step {
	steps := InjectHooks(FilterTags(a.Run, tags, skipTags), a.Hooks)
	names, values := a.pupsParams()
	for i := range steps {
		steps[i] = expandStep(steps[i], names, values)
	}
	return steps
}

// pupsParams is pups' params table: the merged params in order, then
// "$ENV_<VAR>" for the app's env (whose key, "$" + name, makes the pattern
// "$$ENV_<VAR>"). Values may be secret: keep the result out of logs.
func (a *App) pupsParams() ([]string, map[string]string) {
	values := make(map[string]string, len(a.Params)+len(a.Env))
	names := make([]string, 0, len(a.ParamOrder)+len(a.Env))
	for _, n := range a.ParamOrder {
		names = append(names, n)
		values[n] = a.Params[n]
	}
	envNames := make([]string, 0, len(a.Env))
	for _, e := range a.Env {
		k := "$ENV_" + e.Name
		if _, ok := values[k]; !ok {
			envNames = append(envNames, k)
		}
		values[k] = e.Value
	}
	sortLongestFirst(envNames)
	return append(names, envNames...), values
}

// expandStep substitutes params in exactly the fields pups interpolates:
// exec cmd, cd and stdin; file path and contents; replace to (not from, not
// filename); the merge file name. Everything else stays as written.
func expandStep(s Step, names []string, params map[string]string) Step {
	x := func(v string) string { return expandOrdered(v, names, params) }
	switch s.Kind {
	case StepExec:
		if s.Cmd != nil {
			cmd := make([]string, len(s.Cmd))
			for i, c := range s.Cmd {
				cmd[i] = x(c)
			}
			s.Cmd = cmd
		}
		s.Cd = x(s.Cd)
		s.Stdin = x(s.Stdin)
	case StepFile:
		s.Path = x(s.Path)
		s.Contents = x(s.Contents)
	case StepReplace:
		s.To = x(s.To)
	case StepMerge:
		s.Path = x(s.Path)
	}
	return s
}
