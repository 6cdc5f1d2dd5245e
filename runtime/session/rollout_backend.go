package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/pass"
	"github.com/quadlaunch/quadlaunch/runtime/podman"
	"github.com/quadlaunch/quadlaunch/runtime/proxy"
	"github.com/quadlaunch/quadlaunch/runtime/rollout"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
	"github.com/quadlaunch/quadlaunch/runtime/versions"
	"github.com/quadlaunch/quadlaunch/units"
)

// Backend returns the rollout interfaces over systemd, Podman (s.Engine) and the host;
// without a proxy (see ConnectProxy).
func (s Session) Backend() rollout.Backend {
	return rollout.Backend{
		Units:     systemdUnits{s},
		Images:    podmanImages{s},
		Hooks:     hostHooks{s},
		Overrides: NewOverrides(s.App, s.User, s.Systemd),
		Report:    reporter{s},
	}
}

// ConnectProxy starts the app's proxy (a no-op when it runs) and returns its
// control: before anything changes, so that a proxy that cannot start stops
// a deploy with nothing changed.
func (s Session) ConnectProxy(ctx context.Context) (rollout.Proxy, error) {
	p, err := proxy.NewControl(s.App, s.Systemd)
	if err != nil {
		return nil, fmt.Errorf("%s: proxy: %v", s.App.ConfigPath, err)
	}
	if err := proxy.CheckTLSFiles(s.App, time.Now()); err != nil {
		return nil, fmt.Errorf("the proxy's TLS certificate: %w", err)
	}
	if err := p.Ensure(ctx); err != nil {
		return nil, fmt.Errorf("%s: the proxy does not answer (did systemctl daemon-reload run after proxy: was added?): %v\n%s",
			p.Unit(), err, systemd.JournalExcerpt(p.Unit(), s.User, s.Start.Add(-time.Minute), 10))
	}
	return p, nil
}

// CurrentVersion is the version current points to ("" = none).
func (s Session) CurrentVersion() (string, error) {
	vs, err := s.Engine.ListVersions(s.Podman, s.App.Name)
	if err != nil {
		return "", err
	}
	for _, v := range vs {
		if v.Current {
			return v.Version, nil
		}
	}
	return "", nil
}

// systemdUnits runs the rollout's unit jobs over D-Bus.
type systemdUnits struct{ s Session }

func (u systemdUnits) RunOneshot(ctx context.Context, unit string, alone bool) error {
	if alone && unit == units.AppUnits(u.s.App).Configure && u.s.App.Configure == nil && u.s.Engine != nil {
		// Launcher-style configure whose result current already is (or with
		// nothing to do): starting its unit would only find that out, in a
		// new process, a second or two later.
		plan := pass.PlanPhase(u.s.App, pass.PhaseConfigure, pass.FullEnv(u.s.App, nil)...)
		if ok, reason, err := u.s.Engine.Configured(u.s.Podman, u.s.App, plan); err == nil && ok {
			fmt.Fprintf(u.s.Out, "%s: %s skipped: %s\n", u.s.App.Name, unit, reason)
			u.s.Log.Infof("%s: %s skipped: %s", u.s.App.Name, unit, reason)
			return nil
		}
	}
	run := u.s.Systemd.RunUnit
	if alone {
		run = u.s.Systemd.RunUnitAlone
	}
	if err := run(ctx, unit, u.s.Out); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s stopped: %w", unit, ctx.Err())
		}
		return fmt.Errorf("%s failed: %w (%s)", unit, err, journalctlHint(unit, u.s.User))
	}
	u.s.Log.Infof("%s: %s succeeded", u.s.App.Name, unit)
	return nil
}

func journalctlHint(unit string, user bool) string {
	if user {
		return "journalctl --user -u " + unit
	}
	return "journalctl -u " + unit
}

func (u systemdUnits) Together(ctx context.Context, op string, unitNames []string) error {
	return u.s.Systemd.JobsTogether(ctx, op, unitNames)
}

func (u systemdUnits) StartAlone(ctx context.Context, unitNames []string) error {
	return u.s.Systemd.StartAlone(ctx, unitNames)
}

func (u systemdUnits) RestartRoles(ctx context.Context, roles []string) error {
	return RestartRoles(ctx, u.s.Systemd, u.s.App, roles)
}

// RestartRoles restarts every role at once (so migrate/configure run once) and
// names the failed dependency when a role could not start.
func RestartRoles(ctx context.Context, sd *systemd.Manager, app *generator.App, roles []string) error {
	err := sd.JobsTogether(ctx, "restart", roles)
	if err == nil {
		return nil
	}
	names := units.AppUnits(app)
	if dep := sd.FailedDependency(context.WithoutCancel(ctx), names.Migrate, names.Configure); dep != "" {
		return fmt.Errorf("%v: %s failed (journalctl -u %s)", err, dep, dep)
	}
	return err
}

func (u systemdUnits) StopAlone(ctx context.Context, unit string) error {
	return u.s.Systemd.JobAlone(ctx, "stop", unit)
}

func (u systemdUnits) ResetFailed(ctx context.Context, unit string) {
	u.s.Systemd.ResetFailed(ctx, unit)
}

// HealthGated runs a role job bounded by the deploy's health deadline. It
// fails early, like Kamal, once Podman calls the new container unhealthy
// (healthcheck.retries failed checks in a row after start_period). A web
// slot is healthy as soon as Podman has marked its new container healthy
// (promptHealth): the start job ends a moment later (Podman looks at the
// health every 250 ms before it tells systemd READY=1), and the slot's
// SetLive waits for that.
func (u systemdUnits) HealthGated(ctx context.Context, op, unit string, deadline time.Duration) (health string, err error) {
	healthy, stop := u.promptHealth(ctx, unit)
	defer stop()
	if u.s.App.Standalone() {
		// web restarts in place (no slots): nothing after this step waits
		// for its start job, so this does.
		healthy = nil
	}
	return healthGated(ctx, u.s.Systemd, u.s.Engine, u.s.Podman, op, unit, deadline, healthy)
}

// promptHealth runs a web slot's health check as soon as the new container
// answers HTTP on its slot port, rather than at the check timer's next tick
// (healthcheck.interval, each tick a new podman process): Podman still
// decides the health. The returned channel is closed once Podman has marked
// the new container healthy (nil: not a web slot with a health check); the
// returned func stops it.
func (u systemdUnits) promptHealth(ctx context.Context, unit string) (<-chan struct{}, func()) {
	app := u.s.App
	if app.Proxy == nil || app.Healthcheck == nil || u.s.Engine == nil {
		return nil, func() {}
	}
	p, err := proxy.NewControl(app, u.s.Systemd)
	if err != nil {
		return nil, func() {}
	}
	names := units.AppUnits(app)
	port := 0
	switch unit {
	case names.Primary:
		port = p.Setup.SlotPorts[0]
	case names.NextSlot:
		port = p.Setup.SlotPorts[1]
	default:
		return nil, func() {}
	}
	container := strings.TrimSuffix(unit, ".service")
	pc := context.WithoutCancel(u.s.Podman)
	before, _ := u.s.Engine.HealthOf(pc, container)
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	healthy := make(chan struct{})
	go func() {
		defer close(done)
		client := proxy.SlotClient(time.Second)
		url := fmt.Sprintf("http://127.0.0.1:%d/", port)
		wait := 50 * time.Millisecond
		newID := "" // the new container, once it exists: looked up while the app boots
		lastLook := time.Time{}
		for {
			select {
			case <-pctx.Done():
				return
			case <-time.After(wait):
			}
			wait = 50 * time.Millisecond
			if newID == "" && time.Since(lastLook) >= 250*time.Millisecond {
				lastLook = time.Now()
				if id, health := u.s.Engine.HealthOf(pc, container); id != "" && id != before {
					newID = id
					if health == "healthy" {
						close(healthy)
						return
					}
				}
			}
			req, _ := http.NewRequestWithContext(pctx, http.MethodGet, url, nil)
			resp, err := client.Do(req)
			if err != nil {
				continue
			}
			resp.Body.Close()
			if newID == "" {
				// The old container still answers, or the new one is not
				// there yet: look again now.
				lastLook = time.Time{}
				continue
			}
			// By name: the job's podman run --replace gave the name to newID.
			if st, err := u.s.Engine.RunHealthCheck(pc, container); err == nil && st == "healthy" {
				close(healthy)
				return
			}
			wait = 500 * time.Millisecond
		}
	}()
	return healthy, func() { cancel(); <-done }
}

// unitJobs are the jobs HealthGated runs (systemd.Manager's).
type unitJobs interface {
	ResetFailed(ctx context.Context, unit string)
	JobAlone(ctx context.Context, op, unit string) error
	Stop(ctx context.Context, unit string) error
}

// containerHealth is what HealthGated asks of the engine (Engine's).
type containerHealth interface {
	HealthOf(ctx context.Context, name string) (id, health string)
	HealthReport(ctx context.Context, name string) string
}

// healthGated is HealthGated over sd and eng; podman carries the engine's
// connection. It returns when the job ends, or once healthy (nil: never) is
// closed: the job then goes on in systemd and ends by itself.
func healthGated(ctx context.Context, sd unitJobs, eng containerHealth, podman context.Context, op, unit string, deadline time.Duration, healthy <-chan struct{}) (health string, err error) {
	sd.ResetFailed(ctx, unit)
	container := strings.TrimSuffix(unit, ".service")
	pc := context.WithoutCancel(podman)
	before, _ := eng.HealthOf(pc, container)
	tctx, cancelT := context.WithTimeout(ctx, deadline)
	defer cancelT()
	hctx, cancel := context.WithCancelCause(tctx)
	defer cancel(nil)
	errUnhealthy := fmt.Errorf("%s became unhealthy (its health check failed healthcheck.retries times in a row)", unit)
	var checked atomic.Bool               // the new container has a health check
	var lastReport atomic.Pointer[string] // its health as last polled
	go func() {
		for {
			select {
			case <-hctx.Done():
				return
			case <-time.After(250 * time.Millisecond):
			}
			id, health := eng.HealthOf(pc, container)
			if id != "" && id != before && health != "" {
				checked.Store(true)
				// Kept for the report: a container that HealthOnFailure=kill
				// stopped is removed before the failed job returns.
				if r := eng.HealthReport(pc, container); r != "" {
					lastReport.Store(&r)
				}
			}
			if id != "" && id != before && health == "unhealthy" {
				cancel(errUnhealthy)
				return
			}
		}
	}()
	jobc := make(chan error, 1)
	go func() { jobc <- sd.JobAlone(hctx, op, unit) }()
	select {
	case err = <-jobc:
	case <-healthy:
		return "", nil
	}
	var je *systemd.JobError
	if err != nil && ctx.Err() == nil && checked.Load() && errors.As(err, &je) && strings.Contains(je.Detail, "exit status 137") {
		// HealthOnFailure=kill: Podman killed the container the moment its
		// check failed, often before the poll above saw "unhealthy".
		report := eng.HealthReport(pc, container)
		if last := lastReport.Load(); report == "" && last != nil {
			report = killedHealthReport(container, *last)
		}
		return report, fmt.Errorf("%s became unhealthy (its health check failed healthcheck.retries times in a row; HealthOnFailure=kill stopped it)", unit)
	}
	if err != nil && hctx.Err() != nil && ctx.Err() == nil {
		// The health check's own results say why; read them before the stop removes the container.
		health = eng.HealthReport(pc, container)
		_ = sd.Stop(context.WithoutCancel(ctx), unit)
		if context.Cause(hctx) == errUnhealthy {
			// HealthOnFailure=kill may have had Podman kill and remove it
			// between the poll that saw "unhealthy" and this report.
			if last := lastReport.Load(); health == "" && last != nil {
				health = killedHealthReport(container, *last)
			}
			return health, errUnhealthy
		}
		if last := lastReport.Load(); health == "" && last != nil {
			health = *last
		}
		return health, fmt.Errorf("%s did not become healthy within %s (deploy_timeout)", unit, deadline)
	}
	return "", err
}

// killedHealthReport is the report of a container Podman killed and removed
// on turning unhealthy, from its last polled report ("health of C: STATUS,
// ..." and the latest checks).
func killedHealthReport(container, last string) string {
	seen := strings.TrimPrefix(last, "health of "+container+": ")
	return "health of " + container + ": unhealthy, killed (HealthOnFailure=kill) and removed by Podman; last seen: " + seen
}

// podmanImages builds version images and moves the tags through Podman.
type podmanImages struct{ s Session }

func (i podmanImages) Build(ctx context.Context, noCache bool) (rollout.Built, error) {
	if ref, o := i.s.imageSource(); ref != "" {
		// image: (or deploy --image): the version is pulled, not built.
		res, err := i.s.Engine.ImportImage(i.s.Podman, i.s.App.Name, ref, o, podman.BuildOptions{Out: i.s.Out, ToolVersion: i.s.ToolVersion,
			ConfigDigest: pass.ConfigDigest(i.s.App)})
		if err != nil {
			return rollout.Built{}, fmt.Errorf("%s: %w", i.s.App.Name, err)
		}
		return rollout.Built{Version: res.Version, ImageID: res.ImageID}, nil
	}
	plan := pass.PlanPhase(i.s.App, pass.PhaseBuild)
	res, err := i.s.Engine.Build(i.s.Podman, plan, podman.BuildOptions{Out: i.s.Out, NoCache: noCache, ToolVersion: i.s.ToolVersion,
		Pull: i.s.PullBase || i.s.App.BaseImagePull})
	if err != nil {
		return rollout.Built{}, fmt.Errorf("build %s: %w", i.s.App.Name, err)
	}
	return rollout.Built{Version: res.Version, ImageID: res.ImageID, Steps: res.Steps, Cached: res.Cached}, nil
}

func (i podmanImages) Promote(ctx context.Context, imageID string) (rollout.Tags, error) {
	t, err := i.s.Engine.Promote(i.s.Podman, i.s.App.Name, imageID)
	return rollout.Tags(t), err
}

func (i podmanImages) RestoreTags(ctx context.Context, t rollout.Tags) error {
	return i.s.Engine.RestoreTags(i.s.Podman, i.s.App.Name, versions.Tags(t))
}

// hostHooks runs deploy_hooks on the host, in the config root.
type hostHooks struct{ s Session }

func (h hostHooks) Run(ctx context.Context, name string, info rollout.HookInfo) error {
	dir := filepath.Dir(filepath.Dir(h.s.App.ConfigPath))
	return RunHook(ctx, h.s.App, name, dir, HookEnviron(os.Environ(), info), h.s.Out)
}

// reporter prints progress lines and logs through the session's Logger.
type reporter struct{ s Session }

func (r reporter) Printf(format string, a ...any) { fmt.Fprintf(r.s.Out, format, a...) }
func (r reporter) Infof(format string, a ...any)  { r.s.Log.Infof(format, a...) }
func (r reporter) Errorf(format string, a ...any) { r.s.Log.Errorf(format, a...) }
func (r reporter) SetVersion(v string)            { r.s.Log.Version = v }
func (r reporter) Journal(unit string, since time.Time, lines int) string {
	return systemd.JournalExcerpt(unit, r.s.User, since, lines)
}
