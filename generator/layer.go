package generator

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// layer is one document (a template or the app file) decoded into typed
// pieces, not yet merged. Templates are decoded once per LoadAll and shared,
// so a layer is never modified after decoding.
type layer struct {
	file string

	templates   []templateRef
	baseImage   optString
	bootCommand optString
	dockerArgs  optString
	readOnly    *bool
	// noBootCommand: launcher's no_boot_command (nil: not given)
	noBootCommand *bool

	params  []entry
	env     []entry
	labels  []entry
	secrets []entry

	expose  []Port
	volumes []Volume
	links   []Link
	run     []Step
	hooks   []hookEntry

	roles       []roleEntry
	migrate     *Command
	configure   *Command
	healthcheck *healthLayer
	podmanArgs  []string
	deploy      *deployLayer

	warnings []Diagnostic
	keyPos   map[string]Pos // top-level keys this document sets
	size     int            // bytes of keys and values the decode materialized
}

type optString struct {
	set bool
	v   string
}

type templateRef struct {
	name string
	pos  Pos
	key  string
}

// entry is one key of a map-valued key (env, labels, params).
type entry struct {
	name string
	pos  Pos
	null bool   // `KEY:` with no value: never overrides (pups deep_merge)
	text string // scalar text as written
	data any    // params only: a mapping or list value (merge data)
}

type hookEntry struct {
	name  string
	steps []Step // nil for `after_x:` with no list
}

type roleEntry struct {
	name string
	pos  Pos
	null bool // `web:` with no command: the default (boot_command for web)
	args []string
}

type healthLayer struct {
	pos                            Pos
	cmd                            []string
	interval, timeout, startPeriod optString
	retries                        *int
}

// keyDecoder decodes one top-level key into the layer.
type keyDecoder func(d *doc, l *layer, p pair) error

// topLevelKeys is the table of every key a config may have. Launcher keys
// that mean nothing here are listed in ineffectiveKeys; anything else warns.
var topLevelKeys map[string]keyDecoder

func init() {
	topLevelKeys = map[string]keyDecoder{
		"templates":       decodeTemplates,
		"base_image":      optStringKey(func(l *layer) *optString { return &l.baseImage }),
		"boot_command":    optStringKey(func(l *layer) *optString { return &l.bootCommand }),
		"docker_args":     optStringKey(func(l *layer) *optString { return &l.dockerArgs }),
		"no_boot_command": decodeNoBootCommand,
		"params":          decodeParams,
		"env":             decodeEnv,
		"labels":          decodeLabels,
		"expose":          decodeExpose,
		"volumes":         decodeVolumes,
		"links":           decodeLinks,
		"hooks":           decodeHooks,
		"run":             decodeRun,
		"roles":           decodeRoles,
		"migrate":         commandKey(func(l *layer) **Command { return &l.migrate }),
		"configure":       commandKey(func(l *layer) **Command { return &l.configure }),
		"healthcheck":     decodeHealthcheck,
		"read_only":       decodeReadOnly,
		"podman_args":     decodePodmanArgs,
		"secrets":         decodeSecrets,
		"proxy":           decodeProxy,
		"asset_path":      decodeAssetPath,
		"deploy_timeout":  decodeDeployTimeout,
		"deploy_hooks":    decodeDeployHooks,
	}
}

// ineffectiveKeys are launcher keys quadlaunch accepts but does not act on.
var ineffectiveKeys = map[string]string{
	"update_pups":     "pups comes with the base image",
	"base_image_slim": "quadlaunch builds one image per app",
	"run_image":       "quadlaunch runs the image it builds",
	"hack":            "",
}

// decodeLayer decodes one parsed document. isApp is false for templates,
// whose `templates:` key launcher ignores (templates do not nest).
func decodeLayer(file string, root *yaml.Node, isApp bool) (*layer, error) {
	l := &layer{file: file}
	if root == nil {
		return l, nil
	}
	d := newDoc(file)
	ps, err := d.pairs(root, "")
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.key == "templates" && !isApp {
			l.warn(p.keyN, "templates", "templates listed in a template are ignored (launcher does not nest templates)")
			continue
		}
		dec, ok := topLevelKeys[p.key]
		if ok {
			if l.keyPos == nil {
				l.keyPos = make(map[string]Pos, len(ps))
			}
			l.keyPos[p.key] = posOf(file, p.keyN)
		}
		if !ok {
			if why, ok := ineffectiveKeys[p.key]; ok {
				if why != "" {
					l.warn(p.keyN, p.key, "launcher key has no effect in quadlaunch: "+why)
				}
				continue
			}
			l.warn(p.keyN, p.key, "unknown key, ignored")
			continue
		}
		if err := dec(d, l, p); err != nil {
			return nil, err
		}
	}
	l.size = byteBudget - d.bytes
	return l, nil
}

func (l *layer) warn(n *yaml.Node, key, msg string) {
	l.warnings = append(l.warnings, Diagnostic{Pos: posOf(l.file, n), Key: key, Msg: msg})
}

func optStringKey(field func(*layer) *optString) keyDecoder {
	return func(d *doc, l *layer, p pair) error {
		if isNull(p.value) {
			return nil
		}
		s, err := d.scalar(p.value, p.key)
		if err != nil {
			return err
		}
		*field(l) = optString{set: true, v: s}
		return nil
	}
}

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

// field looks up one key of a small fixed mapping (volume, link, healthcheck),
// warning about keys it does not know.
func (d *doc) fields(l *layer, n *yaml.Node, key string, known ...string) (map[string]*yaml.Node, error) {
	ps, err := d.pairs(n, key)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*yaml.Node, len(ps))
	for _, p := range ps {
		ok := false
		for _, k := range known {
			ok = ok || k == p.key
		}
		if !ok {
			l.warn(p.keyN, joinKey(key, p.key), "unknown key, ignored")
			continue
		}
		if !isNull(p.value) {
			m[p.key] = p.value
		}
	}
	return m, nil
}

// wrapped unpacks launcher's one-key wrappers (`- volume: {...}`, `- link: {...}`).
func (d *doc) wrapped(n *yaml.Node, key, wrapper string) (*yaml.Node, error) {
	ps, err := d.pairs(n, key)
	if err != nil || len(ps) != 1 || ps[0].key != wrapper || ps[0].value.Kind != yaml.MappingNode {
		return nil, errAt(d.file, n, key, "must be `- %s: {...}`", wrapper)
	}
	return ps[0].value, nil
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

func decodeRoles(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	ps, err := d.pairs(p.value, p.key)
	if err != nil {
		return err
	}
	for _, q := range ps {
		key := joinKey(p.key, q.key)
		if err := validateRoleName(q.key); err != nil {
			return errAt(d.file, q.keyN, key, "%v", err)
		}
		r := roleEntry{name: q.key, pos: posOf(d.file, q.keyN), null: isNull(q.value)}
		if !r.null {
			if r.args, err = d.command(q.value, key); err != nil {
				return err
			}
		}
		l.roles = append(l.roles, r)
	}
	return nil
}

// command decodes a command given as a list (exact argv) or a string (split
// like a shell would, without any expansion; shell operators are refused).
func (d *doc) command(n *yaml.Node, key string) ([]string, error) {
	args, isList, err := d.strList(n, key)
	if err != nil {
		return nil, err
	}
	if !isList {
		if args, err = splitCommand(args[0], true); err != nil {
			return nil, errAt(d.file, n, key, "%v", err)
		}
	}
	if len(args) == 0 {
		return nil, errAt(d.file, n, key, "empty command")
	}
	for _, a := range args {
		if strings.ContainsRune(a, 0) {
			return nil, errAt(d.file, n, key, "NUL byte in command")
		}
	}
	return args, nil
}

func commandKey(field func(*layer) **Command) keyDecoder {
	return func(d *doc, l *layer, p pair) error {
		if isNull(p.value) {
			return nil
		}
		args, err := d.command(p.value, p.key)
		if err != nil {
			return err
		}
		*field(l) = &Command{Args: args, Pos: posOf(d.file, p.keyN)}
		return nil
	}
}

func decodeHealthcheck(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	f, err := d.fields(l, p.value, p.key, "cmd", "interval", "timeout", "retries", "start_period")
	if err != nil {
		return err
	}
	h := &healthLayer{pos: posOf(d.file, p.keyN)}
	if n := f["cmd"]; n != nil {
		if h.cmd, err = d.command(n, "healthcheck.cmd"); err != nil {
			return err
		}
	}
	for _, fd := range []struct {
		name string
		dst  *optString
	}{{"interval", &h.interval}, {"timeout", &h.timeout}, {"start_period", &h.startPeriod}} {
		name, dst := fd.name, fd.dst
		n := f[name]
		if n == nil {
			continue
		}
		s, err := d.scalar(n, "healthcheck."+name)
		if err != nil {
			return err
		}
		if !durationRe.MatchString(s) {
			return errAt(d.file, n, "healthcheck."+name, "%q is not a duration like 30s, 1m30s or 500ms", s)
		}
		*dst = optString{set: true, v: s}
	}
	if n := f["retries"]; n != nil {
		s, err := d.scalar(n, "healthcheck.retries")
		if err != nil {
			return err
		}
		var r int
		if _, err := fmt.Sscanf(s, "%d", &r); err != nil || fmt.Sprint(r) != s || r < 0 {
			return errAt(d.file, n, "healthcheck.retries", "must be a whole number >= 0")
		}
		h.retries = &r
	}
	l.healthcheck = h
	return nil
}

func decodeReadOnly(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	b, err := d.boolean(p.value, p.key)
	if err != nil {
		return err
	}
	l.readOnly = &b
	return nil
}

func decodePodmanArgs(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	args, isList, err := d.strList(p.value, p.key)
	if err != nil {
		return err
	}
	if !isList {
		if args, err = splitCommand(args[0], false); err != nil {
			return errAt(d.file, p.value, p.key, "%v", err)
		}
	}
	for _, a := range args {
		if strings.ContainsAny(a, "\n\x00") {
			return errAt(d.file, p.value, p.key, "newlines are not allowed in podman arguments")
		}
	}
	l.podmanArgs = append(l.podmanArgs, args...)
	return nil
}
