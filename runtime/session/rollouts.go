package session

import (
	"context"
	"fmt"

	"github.com/quadlaunch/quadlaunch/runtime/proxy"
	"github.com/quadlaunch/quadlaunch/runtime/rollout"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
	"github.com/quadlaunch/quadlaunch/runtime/versions"
	"github.com/quadlaunch/quadlaunch/units"
)

// The commands' rollouts: each picks its plan and runs it with the one
// executor (rollout.Run) over this package's implementations. Setup that
// must happen before anything changes (the proxy answers, the versions are
// known) happens here.

// Build builds the app and makes the result current.
func (s Session) Build(ctx context.Context, noCache bool) error {
	return s.run(ctx, s.Backend(), rollout.PlanBuild(), rollout.Options{NoCache: noCache})
}

// Bootstrap is launcher2's bootstrap: build, migrate, configure.
func (s Session) Bootstrap(ctx context.Context, noCache bool) error {
	return s.run(ctx, s.Backend(), rollout.PlanBootstrap(), rollout.Options{NoCache: noCache})
}

// Rebuild is launcher2's rebuild (rollout.PlanRebuild).
func (s Session) Rebuild(ctx context.Context, noCache, fullBuild bool) error {
	return s.run(ctx, s.Backend(), rollout.PlanRebuild(s.App.Standalone(), fullBuild), rollout.Options{NoCache: noCache})
}

// Migrate runs APP-migrate as asked for by name.
func (s Session) Migrate(ctx context.Context, skipPostDeployment bool) error {
	return s.run(ctx, s.Backend(), rollout.PlanMigrate(skipPostDeployment), rollout.Options{})
}

// Configure runs APP-configure as asked for by name.
func (s Session) Configure(ctx context.Context) error {
	return s.run(ctx, s.Backend(), rollout.PlanConfigure(), rollout.Options{})
}

// Deploy is `quadlaunch deploy`: health-gated, behind the proxy when the app
// has one, rolled back on failure.
func (s Session) Deploy(ctx context.Context, noCache bool) error {
	t, err := s.target()
	if err != nil {
		return err
	}
	// The proxy is asked while the versions are listed (both are setup).
	type connected struct {
		p   rollout.Proxy
		err error
	}
	proxy := make(chan connected, 1)
	if t.Proxy {
		go func() {
			p, err := s.ConnectProxy(ctx)
			proxy <- connected{p, err}
		}()
	}
	prev, err := s.CurrentVersion()
	b := s.Backend()
	if t.Proxy {
		c := <-proxy
		if err == nil {
			err = c.err
		}
		b.Proxy = c.p
		b.Slots = s.Slots()
	}
	if err != nil {
		return err
	}
	mode := t.DeployMode()
	if mode != rollout.ModeStandalone {
		s.noHealthcheckNote()
	}
	if err := rollout.Run(ctx, b, t, rollout.PlanDeploy(mode, len(t.Units.Others) > 0),
		s.rolloutOptions(rollout.Options{NoCache: noCache, Previous: prev, Start: s.Start})); err != nil {
		return err
	}
	return s.startTimers(ctx)
}

// startTimers starts the app's timers (timers:) after a deploy: a timer the
// deploy's daemon-reload brought has nothing else to start it before the
// next boot; a running one stays as it is. Timers the config no longer has
// are stopped.
func (s Session) startTimers(ctx context.Context) error {
	// One removed from the config keeps firing until stopped.
	if gone, err := s.Systemd.Orphans(ctx, s.App.Name+"-*.timer"); err == nil && len(gone) > 0 {
		if err := s.Systemd.JobsTogether(ctx, "stop", gone); err != nil {
			return fmt.Errorf("stop the removed timers: %w", err)
		}
		for _, u := range gone {
			s.Systemd.ResetFailed(ctx, u) // one that fired into its removed service
		}
	}
	timers := units.AppUnits(s.App).Timers
	if len(timers) == 0 {
		return nil
	}
	if err := s.Systemd.JobsTogether(ctx, "start", timers); err != nil {
		return fmt.Errorf("start the timers: %w", err)
	}
	return nil
}

// Rollback makes version want (default: previous) current again: behind the
// proxy through the second web slot, so no request fails; else, and when the
// proxy does not answer, by restarting the roles in place. A rollback is what
// an operator reaches for when things are broken: if the proxy does not
// answer, roll back in place rather than not at all.
func (s Session) Rollback(ctx context.Context, want string) error {
	// The proxy is asked while the versions are listed: a rollback inside the
	// keep_previous window is mostly this setup and a switch.
	type connected struct {
		p   rollout.Proxy
		err error
	}
	proxy := make(chan connected, 1)
	if s.App.Proxy != nil && !s.App.Standalone() {
		go func() {
			p, err := s.ConnectProxy(ctx)
			proxy <- connected{p, err}
		}()
	}
	vs, err := s.Engine.ListVersions(s.Podman, s.App.Name)
	if err != nil {
		return err
	}
	target, err := versions.RollbackTarget(vs, want)
	if err != nil {
		return fmt.Errorf("rollback %s: %v", s.App.Name, err)
	}
	t, err := s.target()
	if err != nil {
		return err
	}
	o := s.rolloutOptions(rollout.Options{Version: target.Version, ImageID: target.ImageID, Start: s.Start})
	for _, v := range vs {
		if v.Current {
			o.Previous = v.Version
		}
	}
	b := s.Backend()
	if t.Proxy && !t.Standalone {
		c := <-proxy
		if b.Proxy, err = c.p, c.err; err == nil {
			b.Slots = s.Slots()
			s.noHealthcheckNote()
			p := rollout.PlanRollback(len(t.Units.Others) > 0)
			// Inside the keep_previous window the idle slot still runs the
			// version asked for: switch to it, no boot.
			if t.KeepPrevious > 0 && s.SlotRuns(t.Units.NextSlot, target.ImageID) {
				p = rollout.PlanRollbackWindow(len(t.Units.Others) > 0)
			}
			return rollout.Run(ctx, b, t, p, o)
		}
		fmt.Fprintf(s.Out, "%s: %v\n%s: rolling back in place (the roles restart; clients may get errors meanwhile)\n",
			s.App.Name, err, s.App.Name)
	}
	return rollout.Run(ctx, b, t, rollout.PlanRollbackInPlace(), o)
}

func (s Session) run(ctx context.Context, b rollout.Backend, p rollout.Plan, o rollout.Options) error {
	t, err := s.target()
	if err != nil {
		return err
	}
	o.Start = s.Start
	return rollout.Run(ctx, b, t, p, s.rolloutOptions(o))
}

// target is the rollout target with the live web slot as the primary role's
// unit: a rebuild restarts the live slot, a deploy starts the idle one.
func (s Session) target() (rollout.Target, error) {
	t, err := rollout.TargetOf(s.App)
	if err != nil || !t.Proxy {
		return t, err
	}
	return t.WithLiveSlot(proxy.NewLiveSlots(s.App, s.User, systemd.RuntimeDir(s.User)).Live()), nil
}

func (s Session) noHealthcheckNote() {
	if s.App.Healthcheck == nil {
		s.Log.Infof("%s: no healthcheck: a role counts as healthy as soon as its container runs", s.App.Name)
	}
}
