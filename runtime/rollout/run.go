package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Run executes plan p on target t: each step in order; at the first failure
// the rollback RollbackFor decides, then the report. It is the one place a
// rollout's steps are run and undone.
func Run(ctx context.Context, b Backend, t Target, p Plan, o Options) (err error) {
	r := &run{b: b, t: t, p: p, o: o, t0: o.Start}
	if r.t0.IsZero() {
		r.t0 = time.Now()
	}
	r.info = HookInfo{App: t.App, Previous: o.Previous, Roles: t.Roles}
	if !o.Start.IsZero() {
		r.phases.add(PhaseSetup, time.Since(o.Start))
	}
	if len(p.Hold) > 0 {
		undo, note, err := b.Overrides.Apply(ctx, p.Hold...)
		if err != nil {
			return err
		}
		if note != "" {
			b.Report.Printf("%s: %s\n", t.App, note)
		}
		defer func() {
			if uerr := undo(context.WithoutCancel(ctx)); err == nil && uerr != nil {
				err = uerr
			}
		}()
	}
	switch {
	case p.Op == OpRollback && p.Gated:
		b.Report.Printf("%s: rollback to %s (%s mode, current version %s)\n", t.App, o.Version, p.Mode, dash(o.Previous))
	case p.Op == OpDeploy:
		b.Report.Printf("%s: deploy (%s mode, previous version %s)\n", t.App, p.Mode, dash(o.Previous))
	}
	for i, step := range p.Steps {
		if r.background(step) {
			// Off the critical path: the new slot already serves every request.
			if p.Gated {
				b.Report.Printf("%s: [%d/%d] %s (beside the next steps)\n", t.App, i+1, len(p.Steps), step)
			}
			r.goBackground(ctx, step)
			continue
		}
		if step == StepPostDeploy || step == StepPostMigrate {
			// Hooks and post-deployment migrations see the deploy's end state.
			if bstep, err := r.join(); err != nil {
				r.undoAt = r.after(bstep)
				return r.fail(ctx, bstep, err)
			}
		}
		started, inner := time.Now(), r.phases.inner
		if p.Gated {
			b.Report.Printf("%s: [%d/%d] %s\n", t.App, i+1, len(p.Steps), step)
		}
		err := r.do(ctx, step)
		r.last = step
		if err == nil && step == StepSwitchToNew {
			r.servingAfter = time.Since(r.t0) // the new (or rolled-back-to) version serves every request from now
		}
		// The switch, drain and asset bridge inside a step are phases of their own.
		r.phases.add(phaseOf(step), time.Since(started)-(r.phases.inner-inner))
		if o.StepDone != nil {
			o.StepDone(step, time.Since(started), err)
		}
		if err != nil {
			if bstep, berr := r.join(); berr != nil {
				err = fmt.Errorf("%w; %s: %v", err, bstep, berr)
			}
			return r.fail(ctx, step, err)
		}
		if p.Gated && time.Since(started) > time.Second {
			b.Report.Printf("%s: [%d/%d] %s done in %s\n", t.App, i+1, len(p.Steps), step, since(started))
		}
	}
	if bstep, err := r.join(); err != nil {
		r.undoAt = r.after(bstep)
		return r.fail(ctx, bstep, err)
	}
	r.reportPhases("")
	switch p.Op {
	case OpRollback:
		b.Report.Infof("%s: rolled back to %s (%s)", t.App, r.info.Version, since(r.t0))
	case OpDeploy:
		b.Report.Infof("%s: deployed version %s (previous %s) in %s", t.App, r.info.Version, dash(o.Previous), since(r.t0))
		b.Report.Printf("%s: deployed version %s in %s\n", t.App, r.info.Version, since(r.t0))
	}
	return nil
}

// reportPhases writes the run's phases, to the operator and the journal:
// where a deploy's time went. failed is the step a failed run stopped at.
func (r *run) reportPhases(failed Step) {
	line := fmt.Sprintf("%s-phases: %s", r.p.Op, r.phases.String(r.servingAfter, time.Since(r.t0)))
	if failed != "" {
		line += fmt.Sprintf(" (failed at %s)", failed)
	}
	r.b.Report.Printf("%s: %s\n", r.t.App, line)
	r.b.Report.Infof("%s: %s", r.t.App, line)
	if r.p.Op == OpRollback && failed == "" {
		how := "in place"
		switch {
		case r.p.Window:
			how = "window"
		case r.p.Mode == ModeSlots:
			how = "boot"
		}
		took := time.Since(r.t0)
		if r.servingAfter > 0 {
			took = r.servingAfter
		}
		// Until traffic is on the older version; the other roles follow.
		line = fmt.Sprintf("rollback took %.1f s (%s); command done after %.1f s", took.Seconds(), how, time.Since(r.t0).Seconds())
		r.b.Report.Printf("%s: %s\n", r.t.App, line)
		r.b.Report.Infof("%s: %s", r.t.App, line)
	}
}

// run is one rollout in progress.
type run struct {
	b       Backend
	t       Target
	p       Plan
	o       Options
	t0      time.Time
	info    HookInfo
	before  *Tags  // the tags before this run moved them; nil: not moved
	bridged bool   // the proxy asks the old web for assets the new one lacks
	health  string // health check results of a container that failed its gate
	phases  phases
	// servingAfter is when, since t0, the proxy's switch (and drain) to the
	// new slot was done: what a rollback's speed is to its users.
	servingAfter time.Duration
	// bg is the work that runs beside the steps after the switch (making the
	// new slot live, stopping the old one): joined before the post-deploy
	// steps, at the end and before any undo.
	bg   *bgWork
	last Step // the last step run in the foreground
	// undoAt is the step a failure is undone as of, when not the failed one
	// (a background step that failed while later steps ran).
	undoAt Step
}

// after is the step a background failure counts as: the last step run, when
// that came after the failed background step (what RollbackFor undoes).
func (r *run) after(bstep Step) Step {
	for _, s := range r.p.Steps {
		if s == bstep {
			return r.last
		}
		if s == r.last {
			return bstep
		}
	}
	return bstep
}

// bgWork is the background part of a run: its steps, in order, on a copy of
// the run (its own phases), and the outcome.
type bgWork struct {
	r     *run
	queue chan Step
	done  chan struct{}
	step  Step // the step that failed
	err   error
}

// background reports whether step runs beside the following ones: in slots
// mode, once the proxy sends every request to the new slot, recording it as
// live (a daemon-reload) and stopping the old slot change nothing a request
// sees, so the other roles restart meanwhile.
func (r *run) background(step Step) bool {
	return backgroundSteps && r.p.Mode == ModeSlots && (step == StepMakeLive || step == StepRetireOld)
}

// backgroundSteps: tests whose fakes are not safe for concurrent use run every
// step in order (TestMain); one test runs them beside the others.
var backgroundSteps = true

func (r *run) goBackground(ctx context.Context, step Step) {
	if r.bg == nil {
		c := *r
		c.phases = phases{}
		w := &bgWork{r: &c, queue: make(chan Step, 8), done: make(chan struct{})}
		r.bg = w
		go func() {
			defer close(w.done)
			for st := range w.queue {
				if w.err != nil {
					continue
				}
				started, inner := time.Now(), w.r.phases.inner
				err := w.r.do(ctx, st)
				w.r.phases.add(phaseOf(st), time.Since(started)-(w.r.phases.inner-inner))
				if w.r.o.StepDone != nil {
					w.r.o.StepDone(st, time.Since(started), err)
				}
				if err != nil {
					w.step, w.err = st, err
				}
			}
		}()
	}
	r.bg.queue <- step
}

// join waits for the background steps; it returns the one that failed and
// its error. Their phases count to the run's (they overlapped other steps).
func (r *run) join() (Step, error) {
	w := r.bg
	if w == nil {
		return "", nil
	}
	r.bg = nil
	close(w.queue)
	<-w.done
	for ph, d := range w.r.phases.took {
		r.phases.add(ph, d)
	}
	r.bridged = w.r.bridged
	if w.err != nil && w.r.health != "" {
		r.health = w.r.health
	}
	return w.step, w.err
}

// Slots of a slots-mode run: the live one (old version) and the idle one,
// where the new version starts.
func (r *run) oldSlot() (unit string, port int) {
	return r.t.Units.Primary, r.b.Proxy.SlotPort(r.t.LiveSlot)
}

func (r *run) newSlot() (unit string, port int, slot int) {
	return r.t.Units.NextSlot, r.b.Proxy.SlotPort(1 - r.t.LiveSlot), 1 - r.t.LiveSlot
}

func (r *run) do(ctx context.Context, step Step) error {
	u := r.t.Units
	switch step {
	case StepPreBuild:
		return r.hook(ctx, "pre-build")
	case StepBuild:
		return r.buildAndPromote(ctx)
	case StepPreDeploy:
		return r.hook(ctx, "pre-deploy")
	case StepPromote:
		return r.promote(ctx, r.o.ImageID, r.o.Version)
	case StepStopRoles:
		if r.p.Op == OpRebuild {
			r.b.Report.Printf("%s: standalone: stopping %s\n", r.t.App, strings.Join(u.Roles, " "))
		}
		return r.b.Units.Together(ctx, "stop", u.Roles)
	case StepMigrateSkip:
		return r.withOverride(ctx, Override{Kind: OverrideSkipPostDeployment}, func() error {
			return r.b.Units.RunOneshot(ctx, u.Migrate, false)
		})
	case StepMigrate, StepPostMigrate:
		return r.b.Units.RunOneshot(ctx, u.Migrate, false)
	case StepConfigure:
		return r.b.Units.RunOneshot(ctx, u.Configure, true)
	case StepConfigureWithMigrate:
		return r.b.Units.RunOneshot(ctx, u.Configure, false)
	case StepStartNew:
		unit, port, _ := r.newSlot()
		// The idle slot may be the one a keep_previous window keeps: it must not
		// be retired once it runs the new version. Restart, not start: it may run.
		if err := r.b.Slots.CancelRetire(ctx, unit); err != nil {
			return err
		}
		if err := r.healthy(ctx, "restart", unit); err != nil {
			return err
		}
		return r.b.Proxy.WaitSlot(ctx, port, r.t.HealthDeadline)
	case StepReuseKept:
		unit, port, _ := r.newSlot()
		if err := r.b.Slots.CancelRetire(ctx, unit); err != nil {
			return err
		}
		// It ran until now; it still has to answer before it gets traffic.
		return r.b.Proxy.WaitSlot(ctx, port, 5*time.Second)
	case StepSwitchToNew:
		return r.toNew(ctx)
	case StepMakeLive:
		_, _, slot := r.newSlot()
		return r.b.Slots.SetLive(ctx, slot)
	case StepRetireOld:
		unit, _ := r.oldSlot()
		if r.bridged {
			// No connection of the proxy may point at a container being stopped
			// (a stopped rootful container's forwarded connections get no RST:
			// requests on them hang): end the bridge and drain first.
			_, port, _ := r.newSlot()
			if err := r.switchTo(ctx, port, 0); err != nil {
				return err
			}
			r.bridged = false
		}
		if r.t.KeepPrevious > 0 {
			r.b.Report.Printf("%s: %s keeps running the previous version for %s (proxy.keep_previous): a rollback until then is a proxy switch\n",
				r.t.App, unit, r.t.KeepPrevious)
		}
		return r.b.Slots.Retire(ctx, unit, r.t.KeepPrevious)
	case StepRestartWeb:
		if err := r.healthy(ctx, "restart", u.Primary); err != nil || r.b.Proxy == nil {
			return err
		}
		return r.b.Proxy.WaitSlot(ctx, r.b.Proxy.SlotPort(r.t.LiveSlot), r.t.HealthDeadline)
	case StepRestartOthers:
		for _, unit := range u.Others {
			if err := r.healthy(ctx, "restart", unit); err != nil {
				return err
			}
		}
		return nil
	case StepPostDeploy:
		return r.hook(ctx, "post-deploy")
	case StepStartRoles:
		// Alone: migrate and configure just ran; a plain start would run them again.
		return r.withOverride(ctx, Override{Kind: OverrideOnBootOff, Forced: r.forced()}, func() error {
			return r.b.Units.StartAlone(ctx, u.Roles)
		})
	case StepRestartRoles:
		if r.p.Op != OpRebuild {
			return r.b.Units.RestartRoles(ctx, u.Roles)
		}
		r.b.Report.Printf("%s: restarting %s\n", r.t.App, strings.Join(u.Roles, " "))
		return r.withOverride(ctx, Override{Kind: OverrideOnBootOff, Forced: r.forced()}, func() error {
			return r.b.Units.RestartRoles(ctx, u.Roles)
		})
	}
	return fmt.Errorf("unknown rollout step %q", step)
}

// forced reports whether the plan forces the launcher-style passes.
func (r *run) forced() bool {
	for _, o := range r.p.Hold {
		if o.Kind == OverrideForcePass {
			return true
		}
	}
	return false
}

// buildAndPromote builds the new version and makes it current.
func (r *run) buildAndPromote(ctx context.Context) error {
	started := time.Now()
	built, err := r.b.Images.Build(ctx, r.o.NoCache)
	if err != nil {
		return err
	}
	if err := r.promote(ctx, built.ImageID, built.Version); err != nil {
		return err
	}
	r.b.Report.Infof("%s: version %s is current (%d steps, %d cached, %s)", r.t.App, built.Version, built.Steps, built.Cached, since(started))
	return nil
}

// promote makes imageID current. It is the only step that moves the tags, and
// it undoes itself: a promote that fails half-way (previous moved, current
// not) puts both back before it returns, so RollbackFor has nothing to restore
// for it. After a success, r.before is what a later failure restores.
func (r *run) promote(ctx context.Context, imageID, version string) error {
	before, err := r.b.Images.Promote(ctx, imageID)
	if err != nil {
		if rerr := r.b.Images.RestoreTags(context.WithoutCancel(ctx), before); rerr != nil {
			return fmt.Errorf("%w; restore tags: %v", err, rerr)
		}
		return err
	}
	r.before = &before
	r.info.Version = version
	r.b.Report.SetVersion(version)
	return nil
}

// withOverride runs f with override o in place and undoes it afterwards.
func (r *run) withOverride(ctx context.Context, o Override, f func() error) error {
	undo, note, err := r.b.Overrides.Apply(ctx, o)
	if err != nil {
		return err
	}
	if note != "" {
		r.b.Report.Printf("%s: %s\n", r.t.App, note)
	}
	err = f()
	if uerr := undo(context.WithoutCancel(ctx)); err == nil && uerr != nil {
		err = uerr
	}
	return err
}

func (r *run) hook(ctx context.Context, name string) error {
	return r.b.Hooks.Run(ctx, name, r.info)
}

// healthyErr is healthy for the undo: its health report does not replace the
// one of the failure being undone.
func (r *run) healthyErr(ctx context.Context, op, unit string) error {
	_, err := r.b.Units.HealthGated(ctx, op, unit, r.t.HealthDeadline)
	return err
}

// healthy runs a health-gated job; the health report of a failed gate goes
// into the failure report.
func (r *run) healthy(ctx context.Context, op, unit string) error {
	health, err := r.b.Units.HealthGated(ctx, op, unit, r.t.HealthDeadline)
	if err != nil && health != "" {
		r.health = health
	}
	return err
}

// toNew switches the proxy to the new slot, bridging assets to the old
// version for a while when the app has asset_path.
func (r *run) toNew(ctx context.Context) error {
	_, oldPort := r.oldSlot()
	_, newPort, _ := r.newSlot()
	bridge := 0
	if r.t.AssetPath != "" {
		bridge = oldPort // the old version's assets, while it runs
	}
	r.bridged = bridge != 0
	if err := r.switchTo(ctx, newPort, bridge); err != nil || !r.bridged {
		return err
	}
	// Pages the old version served just before the switch still load their
	// assets from it for a while: keep both running that long.
	r.b.Report.Printf("%s: bridging %s between both versions for %s\n", r.t.App, r.t.AssetPath, r.t.AssetBridge)
	defer r.phases.addInner(PhaseAssetBridge, time.Now())
	select {
	case <-time.After(r.t.AssetBridge):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *run) switchTo(ctx context.Context, upstream, bridge int) error {
	t0 := time.Now()
	err := r.b.Proxy.Switch(ctx, upstream, bridge)
	r.phases.addInner(PhaseSwitch, t0)
	if err != nil {
		return err
	}
	t0 = time.Now()
	took, err := r.b.Proxy.Drain(ctx)
	r.phases.addInner(PhaseDrain, t0)
	if err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	r.b.Report.Printf("%s: proxy sends traffic to 127.0.0.1:%d; old connections drained in %.1fs\n", r.t.App, upstream, took.Seconds())
	return nil
}

// unitFailure is an error that names the unit whose job failed.
type unitFailure interface{ FailedUnit() string }

// failedUnit is the unit whose journal explains a failure at step.
func (r *run) failedUnit(step Step, err error) string {
	var uf unitFailure
	if errors.As(err, &uf) {
		return uf.FailedUnit()
	}
	u := r.t.Units
	switch step {
	case StepMigrateSkip, StepMigrate, StepPostMigrate:
		return u.Migrate
	case StepConfigure:
		return u.Configure
	case StepStartNew, StepReuseKept:
		return u.NextSlot
	case StepRestartWeb:
		return u.Primary
	case StepSwitchToNew:
		return r.b.Proxy.Unit()
	}
	return ""
}

// fail undoes what the failed step and the ones before it changed, and
// returns the report.
func (r *run) fail(ctx context.Context, step Step, err error) error {
	app := r.t.App
	at := step
	if r.undoAt != "" {
		at = r.undoAt
	}
	rb := RollbackFor(r.p, at)
	defer r.reportPhases(step)
	if !r.p.Gated {
		if !rb.Changed() {
			return err
		}
		if rerr := r.rollback(context.WithoutCancel(ctx), rb); rerr != nil {
			err = fmt.Errorf("%w; undo FAILED: %v", err, rerr)
		}
		if r.p.Op == OpRebuild {
			r.b.Report.Errorf("%s: rebuild failed, current restored: %v", app, err)
		}
		return err
	}
	f := &Failure{Op: r.p.Op, Step: step, Err: err, Unit: r.failedUnit(step, err), Health: r.health}
	if f.Unit != "" {
		f.Journal = r.b.Report.Journal(f.Unit, r.t0, 20)
	}
	if rb.Changed() {
		r.b.Report.Printf("%s: %s failed, rolling back\n", app, step)
		f.RollbackErr = r.rollback(context.WithoutCancel(ctx), rb)
		f.RolledBack = f.RollbackErr == nil
	}
	if step == StepPreDeploy && f.RollbackErr == nil {
		r.b.Report.Errorf("%s: deploy aborted by the pre-deploy hook; current is back to %s, nothing else changed", app, dash(r.o.Previous))
	}
	r.b.Report.Errorf("%s: %v", app, err)
	return f
}

func (r *run) rollback(ctx context.Context, rb Rollback) error {
	var errs []error
	u := r.t.Units
	if rb.RestoreTags && r.before != nil {
		if err := r.b.Images.RestoreTags(ctx, *r.before); err != nil {
			return fmt.Errorf("restore tags: %w", err)
		}
	}
	if rb.RestartWeb {
		if err := r.healthy(ctx, "restart", u.Primary); err != nil {
			errs = append(errs, err)
		}
	}
	if rb.StartOld || rb.SwitchToOld {
		// The old slot was live when the run began: it gets the traffic and the
		// boot record back, and keeps running (a start is a no-op while it runs;
		// stopped, it boots the restored current, the old version).
		oldUnit, oldPort := r.oldSlot()
		err := r.b.Slots.CancelRetire(ctx, oldUnit)
		if err == nil && rb.StartOld {
			err = r.healthyErr(ctx, "start", oldUnit)
		}
		if err == nil {
			err = r.b.Proxy.WaitSlot(ctx, oldPort, r.t.HealthDeadline)
		}
		if err == nil {
			err = r.switchTo(ctx, oldPort, 0)
		}
		if err == nil {
			err = r.b.Slots.SetLive(ctx, r.t.LiveSlot)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if rb.StopNew {
		newUnit, _, _ := r.newSlot()
		if err := r.b.Units.StopAlone(ctx, newUnit); err != nil {
			errs = append(errs, err)
		}
		r.b.Units.ResetFailed(ctx, newUnit)
	}
	if rb.RetireKept {
		// Kept again, for proxy.keep_previous, as before the rollback took it.
		newUnit, _, _ := r.newSlot()
		if err := r.b.Slots.Retire(ctx, newUnit, r.t.KeepPrevious); err != nil {
			errs = append(errs, err)
		}
	}
	if rb.RestartOthers {
		for _, unit := range u.Others {
			if err := r.healthy(ctx, "restart", unit); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if rb.StartRoles && r.before != nil && r.before.Current != "" {
		if err := r.b.Units.Together(ctx, "start", u.Roles); err != nil {
			errs = append(errs, err)
		}
	}
	if rb.Hook {
		// Same env as the deploy's: QUADLAUNCH_VERSION is the version that failed,
		// QUADLAUNCH_PREVIOUS_VERSION the one current again.
		if err := r.hook(ctx, "post-rollback"); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// since formats the time since t for progress lines.
func since(t time.Time) string { return fmt.Sprintf("%.1fs", time.Since(t).Seconds()) }
