package generator

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// steps decodes a pups run list (or a hook's list).
func (d *doc) steps(l *layer, n *yaml.Node, key string) ([]Step, error) {
	items, err := d.items(n, key)
	if err != nil {
		return nil, err
	}
	out := make([]Step, 0, len(items))
	for i, it := range items {
		s, err := d.step(l, it, fmt.Sprintf("%s[%d]", key, i))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// stepFields lists the keys pups reads for each kind of step; tag and hook
// are read by pups' tag filter and hook injection for every kind.
var stepFields = map[StepKind][]string{
	StepExec:    {"cmd", "cd", "tag", "hook", "background", "raise_on_fail", "stop_signal", "stdin"},
	StepFile:    {"path", "contents", "chmod", "chown", "tag", "hook"},
	StepReplace: {"filename", "from", "to", "global", "direction", "tag", "hook"},
}

// step decodes one pups step: a one-key mapping `exec:`, `file:`, `replace:`
// or `merge:`. pups would run every key of a multi-key item but filter and
// hook it by the first only; we refuse such items instead of guessing.
func (d *doc) step(l *layer, n *yaml.Node, key string) (Step, error) {
	ps, err := d.pairs(n, key)
	if err != nil {
		return Step{}, errAt(d.file, n, key, "a run step must be a mapping like `- exec: ...`, not a %s", kindName(n))
	}
	if len(ps) != 1 {
		return Step{}, errAt(d.file, n, key, "a run step has exactly one of exec, file, replace, merge (found %d keys)", len(ps))
	}
	p := ps[0]
	kind := StepKind(p.key)
	key = key + "." + p.key
	s := Step{Kind: kind, Pos: posOf(d.file, p.keyN), RaiseOnFail: true}
	switch kind {
	case StepExec:
		if isNull(p.value) {
			return s, nil // pups runs nothing for `- exec:`
		}
		if p.value.Kind == yaml.ScalarNode {
			c, err := d.scalar(p.value, key)
			if err != nil {
				return s, err
			}
			s.Cmd = []string{c}
			return s, nil
		}
	case StepMerge:
		// pups: `merge: <file> $<param>`, the param holding the data to merge.
		v, err := d.scalar(p.value, key)
		if err != nil {
			return s, err
		}
		f := strings.Fields(v)
		if len(f) < 2 || !strings.HasPrefix(f[len(f)-1], "$") || len(f[len(f)-1]) < 2 {
			return s, errAt(d.file, p.value, key, "must be `<file> $<param>`")
		}
		s.Path = strings.Join(f[:len(f)-1], " ")
		s.MergeParam = f[len(f)-1][1:]
		return s, nil
	case StepFile, StepReplace:
	default:
		return s, errAt(d.file, p.keyN, key, "unknown run step %q (want exec, file, replace or merge)", p.key)
	}
	if p.value.Kind != yaml.MappingNode {
		return s, errAt(d.file, p.value, key, "must be a mapping, not a %s", kindName(p.value))
	}
	f, err := d.fields(l, p.value, key, stepFields[kind]...)
	if err != nil {
		return s, err
	}
	str := func(name string, dst *string) error {
		if n := f[name]; n != nil {
			v, err := d.scalar(n, key+"."+name)
			*dst = v
			return err
		}
		return nil
	}
	flag := func(name string, dst *bool) error {
		if n := f[name]; n != nil {
			v, err := d.boolean(n, key+"."+name)
			*dst = v
			return err
		}
		return nil
	}
	if err := firstErr(str("tag", &s.Tag), str("hook", &s.Hook)); err != nil {
		return s, err
	}
	switch kind {
	case StepExec:
		if n := f["cmd"]; n != nil {
			if s.Cmd, _, err = d.strList(n, key+".cmd"); err != nil {
				return s, err
			}
		}
		err = firstErr(str("cd", &s.Cd), str("stdin", &s.Stdin), str("stop_signal", &s.StopSignal),
			flag("background", &s.Background), flag("raise_on_fail", &s.RaiseOnFail))
	case StepFile:
		err = firstErr(str("path", &s.Path), str("contents", &s.Contents), str("chmod", &s.Chmod), str("chown", &s.Chown))
		if err == nil && s.Path == "" {
			err = errAt(d.file, p.value, key+".path", "a file step needs a path")
		}
	case StepReplace:
		err = firstErr(str("filename", &s.Filename), str("from", &s.From), str("to", &s.To),
			flag("global", &s.Global), str("direction", &s.Direction))
		if err == nil && s.Filename == "" {
			err = errAt(d.file, p.value, key+".filename", "a replace step needs a filename")
		}
		if err == nil && f["from"] == nil {
			err = errAt(d.file, p.value, key+".from", "a replace step needs from")
		}
	}
	if err == nil {
		err = d.checkStepValues(f, key, s)
	}
	return s, err
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
