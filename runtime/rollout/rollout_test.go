package rollout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quadlaunch/quadlaunch/units"
)

const (
	web    = "a-web.service"
	worker = "a-worker.service"
	next   = "a-web-next.service"
	mig    = "a-migrate.service"
	conf   = "a-configure.service"
)

func target(proxy, standalone bool) Target {
	u := units.AppUnitNames{Target: "a.target", Migrate: mig, Configure: conf, Roles: []string{web, worker},
		Primary: web, Others: []string{worker}}
	if proxy {
		u.Proxy, u.NextSlot = "a-proxy.service", next
	}
	return Target{App: "a", Roles: []string{"web", "worker"}, Units: u, HealthDeadline: time.Minute, Standalone: standalone, Proxy: proxy}
}

// final is the state a run leaves: the tags, the image each role unit runs
// ("" = stopped), where the proxy sends traffic, the hooks that ran, and the
// error (a substring; "" = success).
type final struct {
	current, previous string
	web, worker, next string
	upstream          int
	live              int // the web slot recorded live: boot starts it, the proxy's boot config points at it
	hooks             string
	err               string
}

type plan struct {
	name       string
	plan       Plan
	proxy      bool
	standalone bool
	rollback   bool // a rollback to v0 (the others deploy a new build, v2)
}

var (
	deployProxy   = plan{name: "deploy with proxy", plan: PlanDeploy(ModeSlots, true), proxy: true}
	deployRestart = plan{name: "deploy without proxy", plan: PlanDeploy(ModeRestart, true)}
	deployAlone   = plan{name: "standalone deploy", plan: PlanDeploy(ModeStandalone, true), proxy: true, standalone: true}
	rebuildAlone  = plan{name: "rebuild standalone", plan: PlanRebuild(true, false), standalone: true}
	rebuildExtDB  = plan{name: "rebuild external-db", plan: PlanRebuild(false, true)}
	bootstrap     = plan{name: "bootstrap", plan: PlanBootstrap()}
	rollbackSlot  = plan{name: "rollback via proxy slot", plan: PlanRollback(true), proxy: true, rollback: true}
	rollbackPlace = plan{name: "rollback in place", plan: PlanRollbackInPlace(), rollback: true}
)

// Final states used by many rows.
var (
	// Nothing changed: v1 current and serving everywhere.
	untouched = final{current: "v1", previous: "v0", web: "v1", worker: "v1", upstream: 10080}
	// The new build serves everywhere (web restarted in place).
	deployed = final{current: "v2", previous: "v1", web: "v2", worker: "v2", upstream: 10080}
	// The new build serves everywhere, from the second slot, booted once; the
	// first slot is stopped.
	deployedSlots = final{current: "v2", previous: "v1", next: "v2", worker: "v2", upstream: 10081, live: 1}
	// Rolled back to v0 everywhere (in place).
	rolledBack = final{current: "v0", previous: "v1", web: "v0", worker: "v0", upstream: 10080}
	// Rolled back to v0 everywhere, through the second slot.
	rolledBackSlots = final{current: "v0", previous: "v1", next: "v0", worker: "v0", upstream: 10081, live: 1}
)

func with(f final, hooks, err string) final { f.hooks, f.err = hooks, err; return f }

const (
	allHooks  = "pre-build pre-deploy post-deploy"
	undoHooks = "pre-build pre-deploy post-rollback"
)

// TestFailureMatrix runs every plan with a failure injected at every step that
// can fail, and checks the final state: tags, what each role runs, where the
// proxy points, which hooks ran, the error.
func TestFailureMatrix(t *testing.T) {
	unhealthy := errors.New("a-web-next.service became unhealthy")
	timeout := errors.New("did not become healthy within 1m0s (deploy_timeout)")
	rows := []struct {
		p      plan
		failAt string // "" = no failure
		cause  error  // the injected error (nil: errInjected)
		cancel bool   // a signal cancels the context during the failing call
		want   final
	}{
		// deploy with proxy: every failure ends with v1 live in a-web and the proxy on it
		{p: deployProxy, want: with(deployedSlots, allHooks, "")},
		{p: deployProxy, failAt: "hook pre-build", want: with(untouched, "pre-build", "deploy failed at pre-build hook")},
		{p: deployProxy, failAt: "build", want: with(untouched, "pre-build", "deploy failed at build")},
		// The tags bug: previous moved, current did not, and nobody put it back.
		{p: deployProxy, failAt: "promote", want: with(untouched, "pre-build", "deploy failed at build")},
		{p: deployProxy, failAt: "hook pre-deploy", want: with(untouched, "pre-build pre-deploy", "deploy failed at pre-deploy hook")},
		{p: deployProxy, failAt: "oneshot " + mig, want: with(untouched, "pre-build pre-deploy post-rollback", "deploy failed at migrate (skip post-deployment migrations)")},
		{p: deployProxy, failAt: "oneshot " + conf, want: with(untouched, undoHooks, "deploy failed at configure")},
		{p: deployProxy, failAt: "gate restart " + next, cause: timeout, want: with(untouched, undoHooks, "deploy failed at start new slot: did not become healthy")},
		{p: deployProxy, failAt: "gate restart " + next, cause: unhealthy, want: with(untouched, undoHooks, "became unhealthy")},
		{p: deployProxy, failAt: "wait slot 10081", want: with(untouched, undoHooks, "deploy failed at start new slot")},
		{p: deployProxy, failAt: "switch 10081", want: with(untouched, undoHooks, "deploy failed at switch proxy to new slot")},
		{p: deployProxy, failAt: "set live 1", want: with(untouched, undoHooks, "deploy failed at make new slot live")},
		// The old slot's stop half went through: it boots v1 again before it gets the traffic back.
		{p: deployProxy, failAt: "retire " + web, want: with(untouched, undoHooks, "deploy failed at stop old slot")},
		{p: deployProxy, failAt: "gate restart " + worker, cause: timeout, want: with(untouched, undoHooks, "deploy failed at restart other roles")},
		{p: deployProxy, failAt: "oneshot " + mig, cancel: true, want: with(untouched, undoHooks, "context canceled")},
		{p: deployProxy, failAt: "gate restart " + next, cancel: true, want: with(untouched, undoHooks, "context canceled")},
		// Post-deployment migration and post-deploy hook: reported, not rolled back.
		{p: deployProxy, failAt: "oneshot " + mig + "#2", want: with(deployedSlots, "pre-build pre-deploy", "deploy failed at post-deployment migrate")},
		{p: deployProxy, failAt: "hook post-deploy", want: with(deployedSlots, allHooks, "deploy failed at post-deploy hook")},

		// deploy without proxy
		{p: deployRestart, want: with(deployed, allHooks, "")},
		{p: deployRestart, failAt: "build", want: with(untouched, "pre-build", "deploy failed at build")},
		{p: deployRestart, failAt: "promote", want: with(untouched, "pre-build", "deploy failed at build")},
		{p: deployRestart, failAt: "hook pre-deploy", want: with(untouched, "pre-build pre-deploy", "pre-deploy hook")},
		{p: deployRestart, failAt: "oneshot " + mig, want: with(untouched, undoHooks, "deploy failed at migrate")},
		{p: deployRestart, failAt: "oneshot " + conf, want: with(untouched, undoHooks, "deploy failed at configure")},
		{p: deployRestart, failAt: "gate restart " + web, cause: timeout, want: with(untouched, undoHooks, "deploy failed at restart web: did not become healthy")},
		{p: deployRestart, failAt: "gate restart " + worker, cause: unhealthy, want: with(untouched, undoHooks, "deploy failed at restart other roles")},
		{p: deployRestart, failAt: "gate restart " + web, cancel: true, want: with(untouched, undoHooks, "context canceled")},
		{p: deployRestart, failAt: "oneshot " + mig + "#2", want: with(deployed, "pre-build pre-deploy", "deploy failed at post-deployment migrate")},

		// standalone deploy (behind a proxy: it still stops first)
		{p: deployAlone, want: with(deployed, allHooks, "")},
		{p: deployAlone, failAt: "build", want: with(untouched, "pre-build", "deploy failed at build")},
		{p: deployAlone, failAt: "promote", want: with(untouched, "pre-build", "deploy failed at build")},
		{p: deployAlone, failAt: "hook pre-deploy", want: with(untouched, "pre-build pre-deploy", "pre-deploy hook")},
		{p: deployAlone, failAt: "oneshot " + mig, want: with(untouched, undoHooks, "deploy failed at migrate")},
		{p: deployAlone, failAt: "oneshot " + conf, want: with(untouched, undoHooks, "deploy failed at configure")},
		{p: deployAlone, failAt: "gate restart " + web, cause: timeout, want: with(untouched, undoHooks, "deploy failed at restart web")},
		{p: deployAlone, failAt: "gate restart " + worker, cause: unhealthy, want: with(untouched, undoHooks, "deploy failed at restart other roles")},
		{p: deployAlone, failAt: "oneshot " + mig, cancel: true, want: with(untouched, undoHooks, "context canceled")},

		// rebuild, standalone
		{p: rebuildAlone, want: deployed},
		{p: rebuildAlone, failAt: "build", want: with(untouched, "", "injected")},
		{p: rebuildAlone, failAt: "promote", want: with(untouched, "", "injected")},
		{p: rebuildAlone, failAt: "oneshot " + mig, want: with(untouched, "", "injected")},
		{p: rebuildAlone, failAt: "oneshot " + conf, want: with(untouched, "", "injected")},
		{p: rebuildAlone, failAt: "start alone", want: with(untouched, "", "injected")},
		{p: rebuildAlone, failAt: "oneshot " + mig, cancel: true, want: with(untouched, "", "context canceled")},

		// rebuild, external database
		{p: rebuildExtDB, want: deployed},
		{p: rebuildExtDB, failAt: "build", want: with(untouched, "", "injected")},
		{p: rebuildExtDB, failAt: "promote", want: with(untouched, "", "injected")},
		{p: rebuildExtDB, failAt: "oneshot " + mig, want: with(untouched, "", "injected")},
		{p: rebuildExtDB, failAt: "oneshot " + conf, want: with(untouched, "", "injected")},
		{p: rebuildExtDB, failAt: "restart roles", want: with(untouched, "", "injected")},
		{p: rebuildExtDB, failAt: "restart roles", cancel: true, want: with(untouched, "", "context canceled")},

		// bootstrap: the roles are not touched
		{p: bootstrap, want: final{current: "v2", previous: "v1", web: "v1", worker: "v1", upstream: 10080}},
		{p: bootstrap, failAt: "build", want: with(untouched, "", "injected")},
		{p: bootstrap, failAt: "promote", want: with(untouched, "", "injected")},
		{p: bootstrap, failAt: "oneshot " + mig, want: with(untouched, "", "injected")},
		{p: bootstrap, failAt: "oneshot " + conf, want: with(untouched, "", "injected")},
		{p: bootstrap, failAt: "oneshot " + conf, cancel: true, want: with(untouched, "", "context canceled")},

		// rollback through the proxy's idle slot: no hook ever runs
		{p: rollbackSlot, want: rolledBackSlots},
		{p: rollbackSlot, failAt: "promote", want: with(untouched, "", "rollback failed at make the version current")},
		{p: rollbackSlot, failAt: "oneshot " + conf, want: with(untouched, "", "rollback failed at configure")},
		{p: rollbackSlot, failAt: "gate restart " + next, cause: unhealthy, want: with(untouched, "", "rollback failed at start new slot")},
		{p: rollbackSlot, failAt: "switch 10081", want: with(untouched, "", "rollback failed at switch proxy to new slot")},
		{p: rollbackSlot, failAt: "set live 1", want: with(untouched, "", "rollback failed at make new slot live")},
		{p: rollbackSlot, failAt: "retire " + web, want: with(untouched, "", "rollback failed at stop old slot")},
		{p: rollbackSlot, failAt: "gate restart " + worker, cause: timeout, want: with(untouched, "", "rollback failed at restart other roles")},
		{p: rollbackSlot, failAt: "gate restart " + next, cancel: true, want: with(untouched, "", "context canceled")},

		// rollback in place
		{p: rollbackPlace, want: rolledBack},
		// The tags bug again: a half-done promote left previous moved.
		{p: rollbackPlace, failAt: "promote", want: with(untouched, "", "injected")},
		// The restart failed: current goes back; the roles are left for the
		// operator (a restart of them failed already), as before.
		{p: rollbackPlace, failAt: "restart roles", want: final{current: "v1", previous: "v0", upstream: 10080, err: "injected"}},
	}
	for _, row := range rows {
		name := row.p.name + "/ok"
		if row.failAt != "" {
			name = fmt.Sprintf("%s/%s fails", row.p.name, row.failAt)
			if row.cancel {
				name += " (signal)"
			}
			if row.cause != nil {
				name += fmt.Sprintf(" (%v)", row.cause)
			}
		}
		t.Run(name, func(t *testing.T) {
			w := newWorld("v1", "v0", web, worker)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			failAt, nth := row.failAt, 1
			if at, n, ok := strings.Cut(failAt, "#"); ok {
				failAt = at
				fmt.Sscan(n, &nth)
			}
			w.failWith = row.cause
			if row.cancel {
				w.cancel = cancel
			}
			if row.cause == unhealthy {
				w.health = "health of a-web-next: unhealthy"
			}
			tgt := target(row.p.proxy, row.p.standalone)
			opts := Options{Previous: "v1"}
			if row.p.rollback {
				opts.Version, opts.ImageID = "v0", "v0"
			}
			w.failAt = failAt
			w.failNth = nth
			err := Run(ctx, w.backend(row.p.proxy), tgt, row.p.plan, opts)
			got := final{current: w.tags.Current, previous: w.tags.Previous, web: w.running[web], worker: w.running[worker],
				next: w.running[next], upstream: w.upstream, live: w.live, hooks: strings.Join(w.hooks, " ")}
			if err != nil {
				got.err = err.Error()
			}
			want := row.want
			if (want.err == "") != (err == nil) || (err != nil && !strings.Contains(got.err, want.err)) {
				t.Errorf("error = %v, want one containing %q", err, want.err)
			}
			got.err, want.err = "", ""
			if got != want {
				t.Errorf("final state\n got %+v\nwant %+v\ncalls: %s", got, want, strings.Join(w.calls, ", "))
			}
			if len(w.retiring) > 0 {
				t.Errorf("retirements pending without keep_previous: %v", w.retiring)
			}
			checkPhases(t, w, row.p.plan, err)
			if left := w.overridesLeft(); len(left) > 0 {
				t.Errorf("overrides left in place: %v", left)
			}
			if w.failAt != "" {
				t.Fatalf("the plan never reached %q: calls %s", w.failAt, strings.Join(w.calls, ", "))
			}
			if row.cause == unhealthy && row.p.plan.Gated && !strings.Contains(err.Error(), "health of a-web-next: unhealthy") {
				t.Errorf("the failure report lacks the health checks: %v", err)
			}
			if row.p.plan.Op == OpRollback && slices.Contains(w.hooks, "post-rollback") {
				t.Errorf("a rollback ran the post-rollback hook")
			}
		})
	}
}

// checkPhases checks the phases line every run reports: once (progress) and
// once more (journal), with the plan's phases and the total, and for a
// rollback how long it took and how.
func checkPhases(t *testing.T, w *world, p Plan, runErr error) {
	t.Helper()
	prefix := string(p.Op) + "-phases: "
	var lines []string
	for _, l := range w.lines {
		if _, rest, ok := strings.Cut(l, prefix); ok {
			lines = append(lines, strings.TrimSpace(rest))
		}
	}
	if len(lines) != 2 || lines[0] != lines[1] {
		t.Fatalf("want the %sline in the output and the journal, got %q", prefix, lines)
	}
	line := lines[0]
	if !strings.Contains(line, "total ") || strings.Contains(line, "(failed at") != (runErr != nil) {
		t.Errorf("phases line %q (run error %v)", line, runErr)
	}
	if runErr == nil && p.Op == OpDeploy && p.Mode == ModeSlots {
		for _, ph := range []Phase{PhaseBuild, PhaseMigrate, PhaseConfigure, PhaseNewSlot, PhaseSwitch, PhaseDrain, PhaseOthers, PhasePostMigrate} {
			if !strings.Contains(line, string(ph)+" ") {
				t.Errorf("phases line lacks %q: %q", ph, line)
			}
		}
	}
	if p.Op == OpRollback && runErr == nil {
		how := map[bool]string{true: "(window)", false: "(boot)"}[p.Window]
		if p.Mode != ModeSlots {
			how = "(in place)"
		}
		if !slices.ContainsFunc(w.lines, func(l string) bool { return strings.Contains(l, "rollback took ") && strings.Contains(l, how) }) {
			t.Errorf("no %q rollback line in %q", how, w.lines)
		}
	}
}

// TestPhasesLine checks the format the e2e and operators read.
func TestPhasesLine(t *testing.T) {
	var p phases
	p.add(PhaseBuild, 1200*time.Millisecond)
	p.add(PhaseNewSlot, 10*time.Second)
	p.add(PhaseBuild, 100*time.Millisecond)
	if got, want := p.String(0, 12*time.Second), "build 1.3 s, new slot healthy 10.0 s, total 12.0 s"; got != want {
		t.Errorf("phases = %q, want %q", got, want)
	}
	if got, want := p.String(11500*time.Millisecond, 12*time.Second), "build 1.3 s, new slot healthy 10.0 s, serving after 11.5 s, total 12.0 s"; got != want {
		t.Errorf("phases = %q, want %q", got, want)
	}
}

// TestSecondDeploySwapsBack: the second deploy boots the new version in a-web
// (idle since the first) and makes it live; a failure leaves a-web-next live.
func TestSecondDeploySwapsBack(t *testing.T) {
	for _, failAt := range []string{"", "switch 10080", "retire " + next} {
		w := newWorld("v1", "v0", worker, next)
		w.live, w.upstream = 1, 10081
		w.failAt = failAt
		tgt := target(true, false).WithLiveSlot(1)
		err := Run(context.Background(), w.backend(true), tgt, PlanDeploy(ModeSlots, true), Options{Previous: "v1"})
		want := final{current: "v2", previous: "v1", web: "v2", worker: "v2", upstream: 10080, live: 0}
		if failAt != "" {
			want = final{current: "v1", previous: "v0", next: "v1", worker: "v1", upstream: 10081, live: 1}
		}
		got := final{current: w.tags.Current, previous: w.tags.Previous, web: w.running[web], worker: w.running[worker],
			next: w.running[next], upstream: w.upstream, live: w.live}
		if got != want || (err != nil) != (failAt != "") {
			t.Errorf("fail at %q: err %v\n got %+v\nwant %+v\ncalls: %s", failAt, err, got, want, strings.Join(w.calls, ", "))
		}
	}
}

// TestKeepPreviousWindow: with proxy.keep_previous the old slot keeps running
// (no traffic) after a deploy; a rollback inside the window switches back to
// it without a boot, and cancels its retirement first.
func TestKeepPreviousWindow(t *testing.T) {
	w := newWorld("v1", "v0", web, worker)
	tgt := target(true, false)
	tgt.KeepPrevious = time.Minute
	if err := Run(context.Background(), w.backend(true), tgt, PlanDeploy(ModeSlots, true), Options{Previous: "v1"}); err != nil {
		t.Fatal(err)
	}
	if w.running[web] != "v1" || w.running[next] != "v2" || w.upstream != 10081 || w.live != 1 || w.retiring[web] != time.Minute {
		t.Fatalf("after the deploy: running %v, upstream %d, live %d, retiring %v", w.running, w.upstream, w.live, w.retiring)
	}
	// The rollback inside the window: a-web still runs v1.
	w.calls = nil
	tgt = tgt.WithLiveSlot(1)
	err := Run(context.Background(), w.backend(true), tgt, PlanRollbackWindow(true), Options{Previous: "v2", Version: "v1", ImageID: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range w.calls {
		if strings.HasPrefix(c, "gate") && strings.Contains(c, "-web") || strings.HasPrefix(c, "oneshot") {
			t.Errorf("a window rollback booted or configured: %s", c)
		}
	}
	if w.tags.Current != "v1" || w.running[web] != "v1" || w.upstream != 10080 || w.live != 0 {
		t.Errorf("after the window rollback: tags %+v, running %v, upstream %d, live %d", w.tags, w.running, w.upstream, w.live)
	}
	if _, ok := w.retiring[web]; ok {
		t.Errorf("the live slot is still to be retired: %v", w.retiring)
	}
	if w.retiring[next] != time.Minute || w.running[next] != "v2" {
		t.Errorf("the slot left keeps v2 for the window: running %v, retiring %v", w.running, w.retiring)
	}

	// A failed deploy after a window: the kept slot is reused for the new
	// version; the failure must not leave the live slot retiring.
	w.failAt = "switch 10081"
	tgt = tgt.WithLiveSlot(0)
	if err := Run(context.Background(), w.backend(true), tgt, PlanDeploy(ModeSlots, true), Options{Previous: "v1"}); err == nil {
		t.Fatal("no error")
	}
	if w.live != 0 || w.upstream != 10080 || w.running[web] != "v1" {
		t.Errorf("after the failed deploy: running %v, upstream %d, live %d", w.running, w.upstream, w.live)
	}
	if _, ok := w.retiring[web]; ok {
		t.Errorf("the live slot is to be retired: %v", w.retiring)
	}
}

func TestMain(m *testing.M) {
	// The recording fake is not safe for concurrent use: steps run in order,
	// but in TestBackgroundSteps.
	backgroundSteps = false
	os.Exit(m.Run())
}

// TestBackgroundSteps: after the switch, making the new slot live and
// stopping the old one run beside the other roles' restart, and are done
// when the deploy returns; a failure of either is undone like a failure of
// the last step run.
func TestBackgroundSteps(t *testing.T) {
	backgroundSteps = true
	defer func() { backgroundSteps = false }()
	for _, failAt := range []string{"", "retire a-web.service"} {
		w := newWorld("v1", "v0", web, worker)
		w.failAt = failAt
		var mu sync.Mutex
		b := lockedBackend(w.backend(true), &mu)
		err := Run(context.Background(), b, target(true, false), PlanDeploy(ModeSlots, true), Options{Previous: "v1"})
		mu.Lock()
		if failAt == "" {
			if err != nil || w.live != 1 || w.running[web] != "" || w.running[next] == "" {
				t.Errorf("deploy: err %v, live %d, running %v", err, w.live, w.running)
			}
		} else if err == nil || w.upstream != 10080 || w.tags.Current != "v1" {
			t.Errorf("failed retire: err %v, upstream %d, tags %+v", err, w.upstream, w.tags)
		}
		mu.Unlock()
	}
}

// locked is the world behind a mutex for the calls a deploy makes while
// background steps run (the rest are promoted unlocked: they come before).
type locked struct {
	*world
	mu *sync.Mutex
}

func lockedBackend(b Backend, mu *sync.Mutex) Backend {
	l := locked{b.Units.(*world), mu}
	return Backend{Units: l, Images: l, Hooks: l, Overrides: l, Report: l, Proxy: l, Slots: l}
}

func (l locked) HealthGated(ctx context.Context, op, unit string, d time.Duration) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.world.HealthGated(ctx, op, unit, d)
}

func (l locked) RunOneshot(ctx context.Context, unit string, alone bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.world.RunOneshot(ctx, unit, alone)
}

func (l locked) StopAlone(ctx context.Context, unit string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.world.StopAlone(ctx, unit)
}

func (l locked) Run(ctx context.Context, name string, info HookInfo) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.world.Run(ctx, name, info)
}

func (l locked) Switch(ctx context.Context, upstream, bridge int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.world.Switch(ctx, upstream, bridge)
}

func (l locked) SetLive(ctx context.Context, slot int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.world.SetLive(ctx, slot)
}

func (l locked) Retire(ctx context.Context, unit string, after time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.world.Retire(ctx, unit, after)
}

func (l locked) CancelRetire(ctx context.Context, unit string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.world.CancelRetire(ctx, unit)
}

func (l locked) Printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.world.Printf(format, a...)
}

func (l locked) Infof(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.world.Infof(format, a...)
}

func (l locked) Errorf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.world.Errorf(format, a...)
}

func (l locked) Journal(unit string, t time.Time, n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.world.Journal(unit, t, n)
}

// StepDone hears every step that ran, the failed one with its error, and
// none after it.
func TestStepDoneHearsEachStep(t *testing.T) {
	w := newWorld("v1", "v0", web, worker)
	w.failAt = "oneshot " + "a-configure.service"
	var heard []string
	o := Options{Previous: "v1", StepDone: func(step Step, _ time.Duration, err error) {
		heard = append(heard, fmt.Sprintf("%s:%v", step, err != nil))
	}}
	_ = Run(context.Background(), w.backend(true), target(true, false), PlanDeploy(ModeSlots, true), o)
	want := []string{"pre-build hook:false", "build:false", "pre-deploy hook:false",
		"migrate (skip post-deployment migrations):false", "configure:true"}
	if !slices.Equal(heard, want) {
		t.Errorf("heard %q\nwant  %q\ncalls %s", heard, want, strings.Join(w.calls, ", "))
	}
}
