package generator

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Pos is a place in a config file, kept from yaml.Node so that every error and
// warning can say file:line.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string {
	if p.Line <= 0 {
		return printable(p.File)
	}
	return fmt.Sprintf("%s:%d", printable(p.File), p.Line)
}

// printable quotes text that holds control characters (a YAML key can hold a
// raw newline): every diagnostic is one log line, and a key must not forge a
// second one.
func printable(s string) string {
	if strings.ContainsFunc(s, unicode.IsControl) {
		q := strconv.Quote(s)
		return q[1 : len(q)-1]
	}
	return s
}

// Diagnostic is an error or warning about one config, tied to a position and a key.
type Diagnostic struct {
	Pos Pos
	Key string // dotted key path, e.g. "env.DB_PASSWORD" or "run[3].exec.cmd"
	Msg string
}

func (d Diagnostic) String() string {
	if d.Key == "" {
		return fmt.Sprintf("%s: %s", d.Pos, printable(d.Msg))
	}
	return fmt.Sprintf("%s: %s: %s", d.Pos, printable(d.Key), printable(d.Msg))
}

// ConfigError is a Diagnostic that stops one app from loading.
type ConfigError struct{ Diagnostic }

func (e *ConfigError) Error() string { return e.Diagnostic.String() }

// App is one fully merged config (templates first, the app file last).
type App struct {
	Name       string   // file stem of containers/<name>.yml
	ConfigPath string   // absolute path of the app file
	Templates  []string // absolute paths of the templates, in merge order

	BaseImage   string
	BootCommand string            // launcher's boot_command ("" = not set)
	Params      map[string]string // merged params, values as strings
	Env         []EnvVar          // merged env, sorted by name, {{config}} expanded
	Labels      []Label           // merged labels, sorted by name, {{config}} expanded
	Expose      []Port
	Volumes     []Volume
	Links       []Link
	DockerArgs  string   // launcher's docker_args, verbatim
	PodmanArgs  []string // our podman_args, one argument per element

	Run   []Step            // merged run steps, hooks not injected, params NOT substituted (see App.ExpandedRun)
	Hooks map[string][]Step // "before_code", "after_code", ... concatenated in template order

	// Our keys.
	Roles       []Role   // web first; defaults to web running BootCommand
	Migrate     *Command // nil: launcher-style, pups steps tagged db/migrate
	Configure   *Command // nil: launcher-style, pups steps tagged db/precompile
	Healthcheck *Healthcheck
	ReadOnly    bool
	Secrets     []string // env keys whose values are secret (config + known secret keys)

	// Deploy keys (deploy.go).
	Proxy         *Proxy                 // nil: no proxy; the web role publishes the expose ports itself
	AssetPath     string                 // URL prefix of fingerprinted assets ("/assets/"), bridged during a deploy
	DeployTimeout string                 // how long a new web may take to become healthy ("" = 10m)
	DeployHooks   map[string]*DeployHook // by name: pre-build, pre-deploy, post-deploy, post-rollback

	// ParamOrder lists Params' names in pups order (first appearance across
	// the merged documents); pups substitutes params in this order.
	ParamOrder []string
	// ParamData holds params whose value is a mapping or list (the data of
	// pups `merge:` steps); they are not in Params.
	ParamData map[string]any

	Warnings []Diagnostic // unknown keys, world-readable config, ...

	// KeyPos is where each top-level key was last set (the document that
	// wins the merge), so that a problem found later, while planning units,
	// still names a line.
	KeyPos map[string]Pos
}

// PosOf is where the top-level key of a dotted key path ("roles.web",
// "volumes[2]") was set, or the app file when it was not.
func (a *App) PosOf(key string) Pos {
	top := key
	if i := strings.IndexAny(top, ".["); i >= 0 {
		top = top[:i]
	}
	if p, ok := a.KeyPos[top]; ok {
		return p
	}
	return Pos{File: a.ConfigPath}
}

// EnvVar is one environment variable. Value is byte-exact (multiline allowed).
type EnvVar struct {
	Name   string
	Value  string
	Secret bool
	Pos    Pos
}

type Label struct {
	Name, Value string
}

// Port is one expose entry: "80:80", "127.0.0.1:80:80", "8080:80/udp" or a bare "90".
type Port struct {
	HostIP    string
	HostPort  string // "" for a bare exposed (not published) port
	Container string
	Proto     string // "" = tcp
	Pos       Pos
}

// Volume is one volume entry. Host is an absolute path (bind mount) or a name
// (named volume, rendered as a Quadlet .volume unit).
type Volume struct {
	Host    string
	Guest   string
	Options string // e.g. "ro", "Z"
	Pos     Pos
}

// Named reports whether the volume is a named volume rather than a bind mount.
func (v Volume) Named() bool {
	return v.Host != "" && v.Host[0] != '/' && v.Host[0] != '.' && v.Host[0] != '~'
}

// Link is launcher's `links: - link: {name: data, alias: data}`: the app reaches
// app Name under the host name Alias.
type Link struct {
	Name  string
	Alias string
	Pos   Pos
}

// Role is one long-running container of the app (web, worker, ...).
type Role struct {
	Pos     Pos // where the role was named; the roles key or the file for the default web
	Name    string
	Command []string // nil = the image's default command
	Primary bool     // the role a deploy gates on (web)
}

// Command is a command run in a one-off container of the app's image.
type Command struct {
	Args []string
	Pos  Pos
}

// Healthcheck maps to Podman health checks.
type Healthcheck struct {
	Cmd         []string
	Interval    string // Go/systemd duration strings, e.g. "2s"
	Timeout     string
	Retries     int
	StartPeriod string
	Pos         Pos
}

// StepKind is what a pups run step does.
type StepKind string

const (
	StepExec    StepKind = "exec"
	StepFile    StepKind = "file"
	StepReplace StepKind = "replace"
	StepMerge   StepKind = "merge"
)

// Step is one pups run step (or hook step).
type Step struct {
	Kind StepKind
	Pos  Pos
	Tag  string // pups tag (db, migrate, precompile, build, ...)
	Hook string // name: before_<hook>/after_<hook> hooks run around this step

	// exec
	Cmd         []string // one shell command per element
	Cd          string
	Background  bool
	RaiseOnFail bool // pups default: true
	StopSignal  string
	Stdin       string // written to the command's stdin (pups exec stdin:)

	// file
	Path     string
	Contents string
	Chmod    string
	Chown    string

	// replace
	Filename string
	From     string // a plain string, or a /regex/flags
	To       string
	Global   bool
	// Direction "reverse" replaces the last match instead of the first.
	Direction string

	// merge: merge YAML Data into the YAML file at Path
	MergeData  map[string]any
	MergeParam string // the param MergeData came from ("merge: $path $param")
}
