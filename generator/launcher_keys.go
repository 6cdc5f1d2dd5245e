package generator

// The decoders of the bash launcher's own keys (layer.go's table lists every
// key): templates, params, env, labels, secrets, expose, volumes, links,
// hooks and run, with launcher's and pups' meaning.

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

func decodeNoBootCommand(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	b, err := d.boolean(p.value, p.key)
	if err != nil {
		return err
	}
	l.noBootCommand = &b
	return nil
}

func decodeTemplates(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	// bash launcher prints `templates` with puts, so a single string works too.
	items := []*yaml.Node{p.value}
	if p.value.Kind != yaml.ScalarNode {
		var err error
		if items, err = d.items(p.value, p.key); err != nil {
			return err
		}
	}
	for i, it := range items {
		key := fmt.Sprintf("templates[%d]", i)
		s, err := d.scalar(it, key)
		if err != nil {
			return err
		}
		if strings.TrimSpace(s) == "" {
			return errAt(d.file, it, key, "empty template name")
		}
		l.templates = append(l.templates, templateRef{name: s, pos: posOf(d.file, it), key: key})
	}
	return nil
}

// decodeEntries decodes a mapping of name -> scalar (or null).
func decodeEntries(d *doc, p pair, allowData bool, check func(name string, n *yaml.Node) error) ([]entry, error) {
	if isNull(p.value) {
		return nil, nil
	}
	ps, err := d.pairs(p.value, p.key)
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(ps))
	for _, q := range ps {
		key := joinKey(p.key, q.key)
		if check != nil {
			if err := check(q.key, q.keyN); err != nil {
				return nil, err
			}
		}
		e := entry{name: q.key, pos: posOf(d.file, q.keyN)}
		switch {
		case isNull(q.value):
			e.null = true
		case q.value.Kind == yaml.ScalarNode:
			e.text, err = d.scalar(q.value, key)
		case allowData:
			e.data, err = d.toAny(q.value, key)
		default:
			err = errAt(d.file, q.value, key, "must be a single value, not a %s", kindName(q.value))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func decodeParams(d *doc, l *layer, p pair) (err error) {
	l.params, err = decodeEntries(d, p, true, nil)
	return err
}

func checkEnvName(d *doc, key string) func(string, *yaml.Node) error {
	return func(name string, n *yaml.Node) error {
		if !isEnvName(name) {
			return errAt(d.file, n, joinKey(key, name), "not a valid environment variable name (letters, digits and _, not starting with a digit)")
		}
		return nil
	}
}

func decodeEnv(d *doc, l *layer, p pair) (err error) {
	l.env, err = decodeEntries(d, p, false, checkEnvName(d, p.key))
	return err
}

func decodeLabels(d *doc, l *layer, p pair) (err error) {
	l.labels, err = decodeEntries(d, p, false, func(name string, n *yaml.Node) error {
		if name == "" || strings.ContainsAny(name, "=\n") {
			return errAt(d.file, n, joinKey(p.key, name), "not a valid label name")
		}
		return nil
	})
	return err
}

func decodeSecrets(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	names, _, err := d.strList(p.value, p.key)
	if err != nil {
		return err
	}
	items := []*yaml.Node{p.value}
	if p.value.Kind == yaml.SequenceNode {
		items = p.value.Content
	}
	for i, name := range names {
		if !isEnvName(name) {
			return errAt(d.file, items[i], fmt.Sprintf("secrets[%d]", i), "%q is not a valid environment variable name", name)
		}
		l.secrets = append(l.secrets, entry{name: name, pos: posOf(d.file, items[i])})
	}
	return nil
}

func decodeExpose(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	items, err := d.items(p.value, p.key)
	if err != nil {
		return err
	}
	for i, it := range items {
		key := fmt.Sprintf("expose[%d]", i)
		s, err := d.scalar(it, key)
		if err != nil {
			return err
		}
		port, err := parsePort(s)
		if err != nil {
			return errAt(d.file, it, key, "%v", err)
		}
		port.Pos = posOf(d.file, it)
		l.expose = append(l.expose, port)
	}
	return nil
}

func decodeVolumes(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	items, err := d.items(p.value, p.key)
	if err != nil {
		return err
	}
	for i, it := range items {
		key := fmt.Sprintf("volumes[%d]", i)
		vn, err := d.wrapped(it, key, "volume")
		if err != nil {
			return err
		}
		f, err := d.fields(l, vn, key+".volume", "host", "guest", "options")
		if err != nil {
			return err
		}
		var v Volume
		v.Pos = posOf(d.file, it)
		for _, fd := range []struct {
			name string
			dst  *string
		}{{"host", &v.Host}, {"guest", &v.Guest}, {"options", &v.Options}} {
			if n := f[fd.name]; n != nil {
				if *fd.dst, err = d.scalar(n, key+".volume."+fd.name); err != nil {
					return err
				}
			}
		}
		// launcher pastes host:guest into `docker run -v`, so `guest: /x:ro` works there.
		if g, opts, ok := strings.Cut(v.Guest, ":"); ok && v.Options == "" {
			v.Guest, v.Options = g, opts
		}
		switch {
		case v.Host == "":
			return errAt(d.file, vn, key+".volume.host", "missing host path or volume name")
		case !strings.HasPrefix(v.Guest, "/"):
			return errAt(d.file, vn, key+".volume.guest", "guest must be an absolute path in the container")
		case v.Named() && !isVolumeName(v.Host):
			return errAt(d.file, vn, key+".volume.host", "%q is neither an absolute path nor a valid volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)", v.Host)
		case strings.ContainsAny(v.Host+v.Guest+v.Options, "\n\x00"):
			return errAt(d.file, vn, key+".volume", "newlines are not allowed in volumes")
		}
		l.volumes = append(l.volumes, v)
	}
	return nil
}

func decodeLinks(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	items, err := d.items(p.value, p.key)
	if err != nil {
		return err
	}
	for i, it := range items {
		key := fmt.Sprintf("links[%d]", i)
		ln, err := d.wrapped(it, key, "link")
		if err != nil {
			return err
		}
		f, err := d.fields(l, ln, key+".link", "name", "alias")
		if err != nil {
			return err
		}
		var k Link
		k.Pos = posOf(d.file, it)
		if n := f["name"]; n != nil {
			if k.Name, err = d.scalar(n, key+".link.name"); err != nil {
				return err
			}
		}
		if n := f["alias"]; n != nil {
			if k.Alias, err = d.scalar(n, key+".link.alias"); err != nil {
				return err
			}
		}
		if k.Name == "" {
			return errAt(d.file, ln, key+".link.name", "missing the linked app's name")
		}
		if err := validateName(k.Name); err != nil {
			return errAt(d.file, ln, key+".link.name", "%v", err)
		}
		if k.Alias == "" {
			k.Alias = k.Name
		}
		if !isHostname(k.Alias) {
			return errAt(d.file, ln, key+".link.alias", "%q is not a valid host name", k.Alias)
		}
		l.links = append(l.links, k)
	}
	return nil
}

func decodeHooks(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	ps, err := d.pairs(p.value, p.key)
	if err != nil {
		return err
	}
	for _, q := range ps {
		key := joinKey(p.key, q.key)
		h := hookEntry{name: q.key}
		if !strings.HasPrefix(q.key, "before_") && !strings.HasPrefix(q.key, "after_") {
			l.warn(q.keyN, key, "hook names start with before_ or after_; this one never runs")
		}
		if !isNull(q.value) {
			if h.steps, err = d.steps(l, q.value, key); err != nil {
				return err
			}
		}
		l.hooks = append(l.hooks, h)
	}
	return nil
}

func decodeRun(d *doc, l *layer, p pair) (err error) {
	if isNull(p.value) {
		return nil
	}
	l.run, err = d.steps(l, p.value, p.key)
	return err
}
