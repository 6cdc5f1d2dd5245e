package main

// Shared plumbing of the commands that act on one app (build, migrate, versions,
// ...): load its config, connect to Podman and systemd, take the per-app lock,
// and hand the rollout its session.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime"
)

// lockTimeoutFlag is accepted by every command that changes an app.
func lockTimeoutFlag() cli.Flag {
	return &cli.DurationFlag{Name: "lock-timeout", Usage: "give up when another command holds the app's lock this long (0: wait forever)"}
}

// appArg returns the single APP argument.
func appArg(cmd *cli.Command) (string, error) {
	if cmd.Args().Len() < 1 {
		return "", cli.Exit(fmt.Sprintf("usage: quadlaunch %s APP", cmd.Name), 2)
	}
	return cmd.Args().First(), nil
}

// loadApp loads <root>/containers/NAME.yml (or .yaml).
func loadApp(cmd *cli.Command, name string) (*generator.App, error) {
	root := rootDir(cmd)
	for _, ext := range []string{".yml", ".yaml"} {
		p := filepath.Join(root, "containers", name+ext)
		if _, err := os.Stat(p); err == nil {
			return generator.LoadApp(root, p)
		}
	}
	return nil, fmt.Errorf("no config for app %q in %s", name, filepath.Join(root, "containers"))
}

// session is one command's hold on an app.
type session struct {
	App    *generator.App
	User   bool
	Podman context.Context // carries the Podman connection
	Log    *runtime.Logger
	Start  time.Time // when the command started
	lock   *runtime.Lock
	sd     *runtime.Systemd
}

type sessionOpts struct {
	podman  bool
	lock    bool // a mutating command: take the per-app lock
	build   bool // builds an image: base_image is required before anything else
	systemd bool // drives units: connect to the manager before anything changes
}

func openSession(ctx context.Context, cmd *cli.Command, o sessionOpts) (*session, error) {
	name, err := appArg(cmd)
	if err != nil {
		return nil, err
	}
	app, err := loadApp(cmd, name)
	if err != nil {
		return nil, err
	}
	if o.build {
		if err := requireBaseImage(app); err != nil {
			return nil, err
		}
	}
	s := &session{App: app, User: userMode(cmd), Log: runtime.NewLogger(app.Name, os.Stderr), Start: time.Now()}
	// Podman before the lock: the quadlaunch on PATH goes on in
	// quadlaunch-podman at its first connection (podman_exec.go), which must
	// not find the lock taken by the process it replaces, nor repeat a wait.
	if o.podman {
		c, err := engine.Connect(ctx, s.User)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.Podman = c
	}
	if o.lock {
		what := fmt.Sprintf("pid %d: quadlaunch %s %s", os.Getpid(), cmd.Name, name)
		l, err := runtime.AcquireLock(ctx, runtime.LockDir(s.User), name, what, cmd.Duration("lock-timeout"), os.Stderr)
		if err != nil {
			return nil, err
		}
		s.lock = l
	}
	if o.systemd {
		if _, err := s.Systemd(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Rollout is the session as the rollouts (runtime/rollout) run on it: every
// command that changes what runs makes one call on it.
func (s *session) Rollout() runtime.RolloutSession {
	return runtime.RolloutSession{App: s.App, User: s.User, Engine: engine, Podman: s.Podman, Systemd: s.sd, Log: s.Log,
		Out: os.Stdout, ToolVersion: version, Start: s.Start}
}

// Systemd connects to the manager on first use.
func (s *session) Systemd(ctx context.Context) (*runtime.Systemd, error) {
	if s.sd == nil {
		sd, err := runtime.ConnectSystemd(ctx, s.User)
		if err != nil {
			return nil, err
		}
		s.sd = sd
	}
	return s.sd, nil
}

func (s *session) Close() {
	if s.sd != nil {
		s.sd.Close()
	}
	s.lock.Release()
}
