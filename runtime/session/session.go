package session

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/podman"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
	"github.com/quadlaunch/quadlaunch/runtime/versions"
)

// Session is one command's hold on an app: its config, the connections to
// Podman and systemd, the per-app lock of a command that changes the app, and
// what the rollouts report to. Every command that changes what runs makes one
// call on it (rollouts.go); the implementations of package rollout's
// interfaces (rollout_backend.go, slots_backend.go, overrides_systemd.go) run
// over its fields.
type Session struct {
	App         *generator.App
	Root        string // the config root the app came from
	User        bool
	Engine      podman.Engine   // Podman (package runtime/podman)
	Podman      context.Context // carries the Podman connection (Engine.Connect)
	Systemd     *systemd.Manager
	Log         *systemd.Logger
	Out         io.Writer // progress lines and followed journals
	ToolVersion string    // labels of built images
	Start       time.Time // when the command started: journal excerpts begin here
	PullBase    bool      // --pull: builds pull a newer base_image first (also base_image_pull:)
	Image       string    // deploy --image REF: this prebuilt image instead of image:'s or a build

	lock  *versions.Lock
	audit *audit // the open audit record (BeginAudit), shared by the copies rollouts make
}

// Options say what a command needs before it may begin.
type Options struct {
	Root   string // config root holding containers/ and templates/
	App    string // the app's name: containers/<App>.yml
	User   bool   // the user's manager and Podman
	Engine podman.Engine

	Podman  bool // connect to Podman (Engine.Connect)
	Lock    bool // a command that changes the app: take the per-app lock
	Build   bool // builds an image: base_image is required before anything else
	Systemd bool // drives units: connect to the manager before anything changes

	LockTimeout time.Duration // 0: wait forever
	PullBase    bool          // builds pull a newer base_image first
	LockHolder  string        // who holds the lock, for the message of a command that waits for it
	ToolVersion string
	Out, Err    io.Writer // nil: os.Stdout, os.Stderr
}

// Open loads the app's config and takes what o asks for, in the order that
// keeps a command restartable: Podman before the lock (the quadlaunch on PATH
// goes on in quadlaunch-podman at its first connection, which must neither
// find the lock taken by the process it replaces nor repeat a wait), then the
// lock, then systemd. On error nothing is held.
func Open(ctx context.Context, o Options) (*Session, error) {
	app, err := LoadApp(o.Root, o.App)
	if err != nil {
		return nil, err
	}
	if o.Build {
		if err := RequireBaseImage(app); err != nil {
			return nil, err
		}
	}
	out, errOut := o.Out, o.Err
	if out == nil {
		out = os.Stdout
	}
	if errOut == nil {
		errOut = os.Stderr
	}
	s := &Session{App: app, Root: o.Root, User: o.User, Engine: o.Engine, Log: systemd.NewLogger(app.Name, errOut), Out: out,
		ToolVersion: o.ToolVersion, Start: time.Now(), PullBase: o.PullBase}
	if o.Podman {
		c, err := o.Engine.Connect(ctx, s.User)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.Podman = c
	}
	if o.Lock {
		l, err := versions.AcquireLock(ctx, versions.LockDir(s.User), app.Name, o.LockHolder, o.LockTimeout, errOut)
		if err != nil {
			return nil, err
		}
		s.lock = l
	}
	if o.Systemd {
		if _, err := s.Manager(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// imageSource is the prebuilt image a build takes instead ("" = build), and
// how to reach its registry (image:'s settings; --image alone: verified TLS,
// always pulled).
func (s *Session) imageSource() (string, podman.RegistryOptions) {
	o := podman.RegistryOptions{TLSVerify: true, Policy: "always"}
	ref := s.Image
	if src := s.App.Image; src != nil {
		o.TLSVerify, o.Policy = src.TLSVerify, src.Pull
		if ref == "" {
			ref = src.Ref
		}
	}
	return ref, o
}

// Manager is the session's systemd manager, connected on first use.
func (s *Session) Manager(ctx context.Context) (*systemd.Manager, error) {
	if s.Systemd == nil {
		sd, err := systemd.Connect(ctx, s.User)
		if err != nil {
			return nil, err
		}
		s.Systemd = sd
	}
	return s.Systemd, nil
}

// Close gives back the lock and the systemd connection.
func (s *Session) Close() {
	if s.Systemd != nil {
		s.Systemd.Close()
	}
	s.lock.Release()
}

// LoadApp loads <root>/containers/NAME.yml (or .yaml).
func LoadApp(root, name string) (*generator.App, error) {
	for _, ext := range []string{".yml", ".yaml"} {
		p := filepath.Join(root, "containers", name+ext)
		if _, err := os.Stat(p); err == nil {
			return generator.LoadApp(root, p)
		}
	}
	return nil, fmt.Errorf("no config for app %q in %s", name, filepath.Join(root, "containers"))
}

// RequireBaseImage fails a build of an app without base_image, naming the
// config file and the key. The loader only warns (units need no build); a
// build cannot go on, and a pull of "" would say nothing useful.
func RequireBaseImage(app *generator.App) error {
	if app.BaseImage != "" || app.Image != nil {
		return nil
	}
	return fmt.Errorf("%s: base_image: not set, in the app file or any of its templates: `quadlaunch build %s` has no image to build from", app.ConfigPath, app.Name)
}
