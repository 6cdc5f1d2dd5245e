package generator

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
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

	BaseImage     string
	BaseImagePull bool              // base_image_pull: every build pulls a newer base_image first
	Image         *ImageSource      // image: a prebuilt image instead of a build (registry_keys.go)
	AutoUpdate    *AutoUpdate       // auto_update: a timer deploys a new image behind image: (registry_keys.go)
	BootCommand   string            // launcher's boot_command ("" = not set)
	Params        map[string]string // merged params, values as strings
	Env           []EnvVar          // merged env, sorted by name, {{config}} expanded
	Labels        []Label           // merged labels, sorted by name, {{config}} expanded
	Expose        []Port
	Volumes       []Volume
	Links         []Link
	DockerArgs    string   // launcher's docker_args, verbatim
	PodmanArgs    []string // our podman_args, one argument per element

	// NoBootCommand is launcher's no_boot_command: without boot_command the
	// web role runs the image's CMD instead of launcher's /sbin/boot.
	NoBootCommand bool

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
	Notify        *Notify                // notify: and timers: (operator_keys.go)
	Timers        []Timer

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
	Pos         Pos // where the role was named; the roles key or the file for the default web
	Name        string
	Command     []string     // nil = the image's default command
	Primary     bool         // the role a deploy gates on (web)
	Healthcheck *Healthcheck `json:",omitempty"` // its own (long form); nil: web has the app's, others none
}

// Command is a command run in a one-off container of the app's image.
type Command struct {
	Args []string
	Pos  Pos
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

// Facts about a loaded app. Every layer (the generator's units, the CLI, the
// rollout) asks these instead of working them out again, so that the units the
// generator writes and what the CLI drives cannot disagree.

// DefaultRoleName is the role an app without `roles:` runs: launcher's web
// container.
const DefaultRoleName = "web"

// LauncherBootCommand is launcher's default boot_command, what the web role
// runs when neither roles.web nor boot_command says otherwise.
const LauncherBootCommand = "/sbin/boot"

// Deploy defaults, for the keys that leave them out.
const (
	DefaultDeployTimeout = 10 * time.Minute // deploy_timeout
	DefaultAssetBridge   = 10 * time.Second // proxy.asset_bridge
	DefaultDrainTimeout  = 30 * time.Second // proxy.drain_timeout; the one default (nginx's worker_shutdown_timeout, the CLI's drain)
)

// RunningRoles are the roles the app runs: its own, or launcher's web.
func (a *App) RunningRoles() []Role {
	if len(a.Roles) > 0 {
		return a.Roles
	}
	return []Role{{Name: DefaultRoleName, Primary: true, Pos: Pos{File: a.ConfigPath}}}
}

// PrimaryRole is the role a deploy gates on and puts behind the proxy: the
// one the loader marked (web, else the first), the first role when none is
// marked (a hand-built App), launcher's web without roles.
func (a *App) PrimaryRole() Role {
	roles := a.RunningRoles()
	for _, r := range roles {
		if r.Primary {
			return r
		}
	}
	return roles[0]
}

// RoleNames are the names of RunningRoles, primary first when the loader
// sorted them so (it puts web first).
func (a *App) RoleNames() []string {
	var names []string
	for _, r := range a.RunningRoles() {
		names = append(names, r.Name)
	}
	return names
}

// RoleCommand is what a role's container runs: its own command; for launcher's
// web role without one, boot_command word-split (launcher passes it unquoted to
// docker run), else nothing with no_boot_command: true, else launcher's default
// /sbin/boot (bash launcher's set_boot_command). nil runs the image's CMD.
func (a *App) RoleCommand(role Role) []string {
	if role.Command != nil || role.Name != DefaultRoleName {
		return role.Command
	}
	if f := strings.Fields(a.BootCommand); len(f) > 0 {
		return f
	}
	if a.NoBootCommand {
		return nil
	}
	return []string{LauncherBootCommand}
}

// ImageCommand is the CMD a version image gets: the web role's argv as the
// loader decided it (roles.web, else boot_command split into words), so
// `podman run IMAGE` starts what APP-web.service starts. nil keeps the base
// image's CMD.
func (a *App) ImageCommand() []string {
	for _, r := range a.Roles {
		if r.Name == DefaultRoleName && len(r.Command) > 0 {
			return r.Command
		}
	}
	return nil
}

// Standalone reports whether the app carries its own database (a postgres
// template, or run steps tagged db): nothing of the old version may run while
// it migrates, so rebuilds and deploys stop it first, as launcher2 does.
func (a *App) Standalone() bool {
	for _, t := range a.Templates {
		if strings.Contains(filepath.Base(t), "postgres") {
			return true
		}
	}
	for _, st := range InjectHooks(a.Run, a.Hooks) {
		if st.Tag == "db" {
			return true
		}
	}
	return false
}

// SecretEnv reports whether the env var name holds a secret (a known secret
// key, or listed under secrets:).
func (a *App) SecretEnv(name string) bool {
	for _, n := range a.Secrets {
		if n == name {
			return true
		}
	}
	for _, e := range a.Env {
		if e.Name == name {
			return e.Secret
		}
	}
	return false
}

// AsPodmanSecret reports whether env var name with value reaches a container
// as a Podman secret rather than as env: Podman keeps every container's env in
// its database, which a fresh store leaves world-readable. An empty value
// cannot (Podman refuses an empty secret) and reveals nothing. The generator's
// units and the CLI's one-off containers both decide with this.
func (a *App) AsPodmanSecret(name, value string) bool {
	return value != "" && a.SecretEnv(name)
}

// DeployTimeoutDuration is how long a new web (or a restarted role) may take
// to become healthy in a deploy: deploy_timeout, default 10m.
func (a *App) DeployTimeoutDuration() (time.Duration, error) {
	return durationOr(a.DeployTimeout, "deploy_timeout", DefaultDeployTimeout)
}

// AssetBridgeDuration is how long both versions serve assets during a swap:
// proxy.asset_bridge, default 10s (0 without a proxy).
func (a *App) AssetBridgeDuration() (time.Duration, error) {
	if a.Proxy == nil {
		return 0, nil
	}
	return durationOr(a.Proxy.AssetBridge, "proxy.asset_bridge", DefaultAssetBridge)
}

// DrainTimeoutDuration bounds how long old connections may finish after a
// proxy switch: proxy.drain_timeout, default 30s (0 without a proxy).
func (a *App) DrainTimeoutDuration() (time.Duration, error) {
	if a.Proxy == nil {
		return 0, nil
	}
	return durationOr(a.Proxy.DrainTimeout, "proxy.drain_timeout", DefaultDrainTimeout)
}

func durationOr(configured, key string, def time.Duration) (time.Duration, error) {
	if configured == "" {
		return def, nil
	}
	d, err := time.ParseDuration(configured)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", key, configured, err)
	}
	return d, nil
}

// KeepPreviousDuration is how long the previous version's web slot keeps
// running after a deploy behind the proxy: proxy.keep_previous, default 0
// (stopped once traffic left it; 0 without a proxy).
func (a *App) KeepPreviousDuration() (time.Duration, error) {
	if a.Proxy == nil {
		return 0, nil
	}
	return durationOr(a.Proxy.KeepPrevious, "proxy.keep_previous", 0)
}
