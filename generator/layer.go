package generator

import (
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
	// baseImagePull: base_image_pull (nil: not given)
	baseImagePull *bool
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

	roles         []roleEntry
	migrate       *Command
	configure     *Command
	healthcheck   *healthLayer
	podmanArgs    []string
	deploy        *deployLayer
	notify        *Notify
	notifySet     bool // notify: given (null turns off a template's)
	timers        []Timer
	image         *ImageSource
	imageSet      bool
	autoUpdate    *AutoUpdate
	autoUpdateSet bool
	timersSet     bool // timers: given: the later layer's replace a template's

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
	name   string
	pos    Pos
	null   bool // `web:` with no command: the default (boot_command for web)
	args   []string
	health *healthLayer // the long form's own health check
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
		"base_image_pull": decodeBaseImagePull,
		"podman_args":     decodePodmanArgs,
		"secrets":         decodeSecrets,
		"proxy":           decodeProxy,
		"asset_path":      decodeAssetPath,
		"deploy_timeout":  decodeDeployTimeout,
		"deploy_hooks":    decodeDeployHooks,
		"notify":          decodeNotify,
		"timers":          decodeTimers,
		"image":           decodeImage,
		"auto_update":     decodeAutoUpdate,
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
