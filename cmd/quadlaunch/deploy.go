package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime"
	"github.com/quadlaunch/quadlaunch/units"
)

func init() { commands = append(commands, deployCommand()) }

func deployCommand() *cli.Command {
	return &cli.Command{
		Name:  "deploy",
		Usage: "build and roll out a new version health-gated, with no failed request behind the proxy; roll back on any failure",
		Description: "Steps: pre-build hook, build, pre-deploy hook, migrate (skipping post-deployment migrations) while the\n" +
			"old version serves, configure, then the swap: with `proxy:` the new version starts in APP-web-next beside\n" +
			"APP-web, the proxy switches to it once healthy, old requests drain, APP-web restarts on the new version and\n" +
			"takes the traffic back. The other roles restart only once web is healthy on the new version. Then the\n" +
			"post-deployment migration and the post-deploy hook. Standalone apps (database in the container) stop first\n" +
			"(the proxy shows its offline page). A failure before the post-deployment migration rolls back: current\n" +
			"returns to the previous version, the roles run it, the post-rollback hook runs; volumes are untouched.",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-cache", Usage: "ignore the layer cache and run every build step"},
			lockTimeoutFlag(),
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			s, err := openSession(ctx, cmd, sessionOpts{podman: true, lock: true})
			if err != nil {
				return err
			}
			defer s.Close()
			d, err := newDeployRun(ctx, s, cmd.Bool("no-cache"))
			if err != nil {
				return err
			}
			return d.run(ctx)
		},
	}
}

// deployRun is one deploy in progress.
type deployRun struct {
	op       string          // "deploy", or "rollback" (rollbackCommand, slots mode)
	target   runtime.Version // rollback: the version made current again
	s        *session
	sd       *runtime.Systemd
	full     bool
	mode     runtime.DeployMode
	plan     []runtime.DeployStep
	old      runtime.Tags
	info     runtime.HookInfo
	proxy    *runtime.ProxyControl
	deadline time.Duration
	web      string   // primary role unit
	next     string   // second web slot unit (slots mode)
	others   []string // other role units
	dir      string   // config root: where hooks run
	t0       time.Time
	bridged  bool   // the proxy asks the old web for assets the new one lacks
	health   string // health check results of a container that missed the deadline
}

func newDeployRun(ctx context.Context, s *session, full bool) (*deployRun, error) {
	app := s.App
	d := &deployRun{op: "deploy", s: s, full: full, t0: time.Now(), dir: filepath.Dir(filepath.Dir(app.ConfigPath))}
	var err error
	if d.deadline, err = runtime.HealthDeadline(app.DeployTimeout); err != nil {
		return nil, err
	}
	if d.sd, err = s.Systemd(ctx); err != nil {
		return nil, err
	}
	primary := primaryRole(app)
	for _, r := range app.Roles {
		d.info.Roles = append(d.info.Roles, r.Name)
		if r.Name != primary {
			d.others = append(d.others, units.RoleUnit(app.Name, r.Name))
		}
	}
	if len(d.info.Roles) == 0 {
		d.info.Roles = []string{primary}
	}
	d.web = units.RoleUnit(app.Name, primary)
	d.next = units.RoleUnit(app.Name, units.NextSlotRole(primary))
	d.mode = runtime.ChooseMode(standalone(app), app.Proxy != nil)
	d.plan = runtime.PlanDeploy(d.mode, len(d.others) > 0)
	d.info.App = app.Name
	vs, err := runtime.ListVersions(s.Podman, app.Name)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v.Current {
			d.info.Previous = v.Version
		}
	}
	if app.Proxy != nil {
		// Before anything changes: a proxy that cannot start stops the deploy here.
		if d.proxy, err = runtime.NewProxyControl(app, d.sd); err != nil {
			return nil, cli.Exit(fmt.Sprintf("%s: proxy: %v", app.ConfigPath, err), 1)
		}
		if err := d.proxy.Ensure(ctx); err != nil {
			return nil, cli.Exit(fmt.Sprintf("%s: the proxy does not answer (did systemctl daemon-reload run after proxy: was added?): %v\n%s",
				d.proxy.Unit, err, runtime.JournalExcerpt(d.proxy.Unit, s.User, d.t0.Add(-time.Minute), 10)), 1)
		}
	}
	if app.Healthcheck == nil && d.mode != runtime.ModeStandalone {
		s.Log.Infof("%s: no healthcheck: a role counts as healthy as soon as its container runs", app.Name)
	}
	return d, nil
}

// primaryRole is the role a deploy gates on and puts behind the proxy.
func primaryRole(app *generator.App) string {
	for _, r := range app.Roles {
		if r.Primary {
			return r.Name
		}
	}
	return "web"
}

func (d *deployRun) run(ctx context.Context) error {
	app := d.s.App.Name
	if d.op == "rollback" {
		fmt.Printf("%s: rollback to %s (%s mode, current version %s)\n", app, d.target.Version, d.mode, dash(d.info.Previous))
	} else {
		fmt.Printf("%s: deploy (%s mode, previous version %s)\n", app, d.mode, dash(d.info.Previous))
	}
	for i, step := range d.plan {
		t := time.Now()
		fmt.Printf("%s: [%d/%d] %s\n", app, i+1, len(d.plan), step)
		if err := d.do(ctx, step); err != nil {
			return d.fail(ctx, step, err)
		}
		if time.Since(t) > time.Second {
			fmt.Printf("%s: [%d/%d] %s done in %s\n", app, i+1, len(d.plan), step, since(t))
		}
	}
	if d.op == "rollback" {
		d.s.Log.Infof("%s: rolled back to %s (%s)", app, d.info.Version, since(d.t0))
		return nil
	}
	d.s.Log.Infof("%s: deployed version %s (previous %s) in %s", app, d.info.Version, dash(d.info.Previous), since(d.t0))
	fmt.Printf("%s: deployed version %s in %s\n", app, d.info.Version, since(d.t0))
	return nil
}

func (d *deployRun) hook(ctx context.Context, name string) error {
	env := runtime.HookEnviron(os.Environ(), d.info)
	return runtime.RunHook(ctx, d.s.App, name, d.dir, env, os.Stdout)
}

// healthy runs a role job bounded by the deploy's health deadline.
// It fails early, like Kamal, once Podman calls the new container unhealthy
// (healthcheck.retries failed checks in a row after start_period).
func (d *deployRun) healthy(ctx context.Context, op, unit string) error {
	d.sd.ResetFailed(ctx, unit)
	container := strings.TrimSuffix(unit, ".service")
	pc := context.WithoutCancel(d.s.Podman)
	before, _ := runtime.HealthOf(pc, container)
	tctx, cancelT := context.WithTimeout(ctx, d.deadline)
	defer cancelT()
	hctx, cancel := context.WithCancelCause(tctx)
	defer cancel(nil)
	errUnhealthy := fmt.Errorf("%s became unhealthy (its health check failed healthcheck.retries times in a row)", unit)
	go func() {
		for {
			select {
			case <-hctx.Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
			if id, health := runtime.HealthOf(pc, container); id != "" && id != before && health == "unhealthy" {
				cancel(errUnhealthy)
				return
			}
		}
	}()
	err := d.sd.JobAlone(hctx, op, unit)
	if err != nil && hctx.Err() != nil && ctx.Err() == nil {
		// The health check's own results say why; read them before the stop removes the container.
		d.health = runtime.HealthReport(pc, container)
		_ = d.sd.Stop(context.WithoutCancel(ctx), unit)
		if context.Cause(hctx) == errUnhealthy {
			return errUnhealthy
		}
		return fmt.Errorf("%s did not become healthy within %s (deploy_timeout)", unit, d.deadline)
	}
	return err
}

func (d *deployRun) do(ctx context.Context, step runtime.DeployStep) error {
	s := d.s
	switch step {
	case runtime.StepPreBuild:
		return d.hook(ctx, "pre-build")
	case runtime.StepBuild:
		old, err := buildAndPromote(s, d.full)
		d.old = old
		d.info.Version = s.Log.Version
		return err
	case runtime.StepPreDeploy:
		return d.hook(ctx, "pre-deploy")
	case runtime.StepPromote:
		old, err := runtime.Promote(s.Podman, s.App.Name, d.target.ImageID)
		if err != nil {
			if old.Current != "" { // previous may have moved before current failed
				_ = runtime.RestoreTags(s.Podman, s.App.Name, old)
			}
			return err
		}
		d.old = old
		d.info.Version = d.target.Version
		s.Log.Version = d.target.Version
		return nil
	case runtime.StepStopRoles:
		return d.sd.JobsTogether(ctx, "stop", append([]string{d.web}, d.others...))
	case runtime.StepMigrateSkip:
		return runMigrateUnit(ctx, s, true)
	case runtime.StepMigrate, runtime.StepPostMigrate:
		return runMigrateUnit(ctx, s, false)
	case runtime.StepConfigure:
		return runConfigureUnit(ctx, s)
	case runtime.StepStartNext:
		if err := d.healthy(ctx, "start", d.next); err != nil {
			return err
		}
		return d.proxy.WaitSlot(ctx, d.proxy.Setup.SlotPorts[1], d.deadline)
	case runtime.StepToNext:
		bridge := 0
		if s.App.AssetPath != "" {
			bridge = d.proxy.Setup.SlotPorts[0] // the old version's assets, while it runs
		}
		d.bridged = bridge != 0
		if err := d.switchTo(ctx, d.proxy.Setup.SlotPorts[1], bridge); err != nil || !d.bridged {
			return err
		}
		// Pages the old version served just before the switch still load their
		// assets from it for a while: keep both running that long.
		hold, err := runtime.AssetBridgeTime(s.App.Proxy.AssetBridge)
		if err != nil {
			return err
		}
		fmt.Printf("%s: bridging %s between both versions for %s\n", s.App.Name, s.App.AssetPath, hold)
		select {
		case <-time.After(hold):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	case runtime.StepRestartWeb:
		if d.bridged {
			// No connection of the proxy may point at a container being stopped
			// (a stopped rootful container's forwarded connections get no RST:
			// requests on them hang): end the bridge, drain, then restart.
			if err := d.switchTo(ctx, d.proxy.Setup.SlotPorts[1], 0); err != nil {
				return err
			}
			d.bridged = false
		}
		if err := d.healthy(ctx, "restart", d.web); err != nil || d.proxy == nil {
			return err
		}
		return d.proxy.WaitSlot(ctx, d.proxy.Setup.SlotPorts[0], d.deadline)
	case runtime.StepToWeb:
		return d.switchTo(ctx, d.proxy.Setup.SlotPorts[0], 0)
	case runtime.StepStopNext:
		return d.sd.JobAlone(ctx, "stop", d.next)
	case runtime.StepRestartOthers:
		for _, u := range d.others {
			if err := d.healthy(ctx, "restart", u); err != nil {
				return err
			}
		}
		return nil
	case runtime.StepPostDeploy:
		return d.hook(ctx, "post-deploy")
	}
	return fmt.Errorf("unknown deploy step %q", step)
}

func (d *deployRun) switchTo(ctx context.Context, upstream, bridge int) error {
	if err := d.proxy.Switch(ctx, upstream, bridge); err != nil {
		return err
	}
	took, err := d.proxy.Drain(ctx)
	if err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	fmt.Printf("%s: proxy sends traffic to 127.0.0.1:%d; old connections drained in %.1fs\n", d.s.App.Name, upstream, took.Seconds())
	return nil
}

// failedUnit is the unit whose journal explains a failure at step.
func (d *deployRun) failedUnit(step runtime.DeployStep, err error) string {
	var je *runtime.JobError
	if errors.As(err, &je) {
		return je.Unit
	}
	app := d.s.App.Name
	switch step {
	case runtime.StepMigrateSkip, runtime.StepMigrate, runtime.StepPostMigrate:
		return units.MigrateUnit(app)
	case runtime.StepConfigure:
		return units.ConfigureUnit(app)
	case runtime.StepStartNext:
		return d.next
	case runtime.StepRestartWeb:
		return d.web
	case runtime.StepToNext, runtime.StepToWeb:
		return d.proxy.Unit
	}
	return ""
}

// fail rolls back what the failed step and the ones before it changed, and
// returns the report.
func (d *deployRun) fail(ctx context.Context, step runtime.DeployStep, err error) error {
	app := d.s.App.Name
	f := &runtime.DeployFailure{Op: d.op, Step: step, Err: err, Unit: d.failedUnit(step, err), Health: d.health}
	if f.Unit != "" {
		f.Journal = runtime.JournalExcerpt(f.Unit, d.s.User, d.t0, 20)
	}
	rb := runtime.RollbackFor(d.plan, step)
	if d.op == "rollback" {
		rb.Hook = false // the post-rollback hook is for a failed deploy
	}
	if rb.Changed() {
		fmt.Printf("%s: %s failed, rolling back\n", app, step)
		f.RollbackErr = d.rollback(context.WithoutCancel(ctx), rb)
		f.RolledBack = f.RollbackErr == nil
	}
	if step == runtime.StepPreDeploy && f.RollbackErr == nil {
		d.s.Log.Errorf("%s: deploy aborted by the pre-deploy hook; current is back to %s, nothing else changed", app, dash(d.info.Previous))
	}
	d.s.Log.Errorf("%s: %v", app, err)
	if ctx.Err() != nil {
		return f
	}
	return cli.Exit(f.Error(), 1)
}

func (d *deployRun) rollback(ctx context.Context, rb runtime.Rollback) error {
	var errs []error
	if rb.RestoreTags {
		if err := runtime.RestoreTags(d.s.Podman, d.s.App.Name, d.old); err != nil {
			return fmt.Errorf("restore tags: %w", err)
		}
	}
	if rb.RestartWeb {
		if err := d.healthy(ctx, "restart", d.web); err != nil {
			errs = append(errs, err)
		}
	}
	if rb.SwitchToWeb {
		err := d.proxy.WaitSlot(ctx, d.proxy.Setup.SlotPorts[0], d.deadline)
		if err == nil {
			err = d.switchTo(ctx, d.proxy.Setup.SlotPorts[0], 0)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if rb.StopNext {
		if err := d.sd.JobAlone(ctx, "stop", d.next); err != nil {
			errs = append(errs, err)
		}
		d.sd.ResetFailed(ctx, d.next)
	}
	if rb.RestartOthers {
		for _, u := range d.others {
			if err := d.healthy(ctx, "restart", u); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if rb.Hook {
		// Same env as the deploy's: QUADLAUNCH_VERSION is the version that failed,
		// QUADLAUNCH_PREVIOUS_VERSION the one current again.
		if err := d.hook(ctx, "post-rollback"); err != nil {
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
