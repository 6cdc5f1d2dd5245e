package rollout

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/units"
)

func TestChooseMode(t *testing.T) {
	for _, c := range []struct {
		standalone, proxy bool
		want              Mode
	}{{true, true, ModeStandalone}, {true, false, ModeStandalone}, {false, true, ModeSlots}, {false, false, ModeRestart}} {
		if got := ChooseMode(c.standalone, c.proxy); got != c.want {
			t.Errorf("ChooseMode(%v, %v) = %s, want %s", c.standalone, c.proxy, got, c.want)
		}
	}
}

func TestPlanDeployOrder(t *testing.T) {
	slots := PlanDeploy(ModeSlots, true).Steps
	idx := func(s Step) int { return slices.Index(slots, s) }
	// The order the issue asks for: build, migrate skipping post-deployment
	// migrations, configure, swap, post-deployment migrate; others only after
	// web is healthy on the new version.
	order := []Step{StepPreBuild, StepBuild, StepPreDeploy, StepMigrateSkip, StepConfigure, StepStartNew, StepSwitchToNew,
		StepMakeLive, StepRetireOld, StepRestartOthers, StepPostMigrate, StepPostDeploy}
	for i := 1; i < len(order); i++ {
		if idx(order[i-1]) < 0 || idx(order[i-1]) >= idx(order[i]) {
			t.Fatalf("%q must come before %q in %q", order[i-1], order[i], slots)
		}
	}
	// One boot per deploy: web never restarts in place behind the proxy.
	if slices.Contains(slots, StepRestartWeb) {
		t.Errorf("a slots deploy restarts web in place: %q", slots)
	}
	if s := PlanDeploy(ModeSlots, false).Steps; slices.Contains(s, StepRestartOthers) {
		t.Errorf("no other roles, yet %q", s)
	}
	st := PlanDeploy(ModeStandalone, true).Steps
	if slices.Contains(st, StepMigrateSkip) || slices.Contains(st, StepPostMigrate) || slices.Index(st, StepStopRoles) > slices.Index(st, StepMigrate) {
		t.Errorf("standalone stops first and migrates fully once: %q", st)
	}
	if r := PlanDeploy(ModeRestart, true).Steps; slices.Contains(r, StepStartNew) || slices.Index(r, StepRestartWeb) > slices.Index(r, StepRestartOthers) {
		t.Errorf("restart mode: %q", r)
	}
}

func TestPlanRollback(t *testing.T) {
	want := []Step{StepPromote, StepConfigure, StepStartNew, StepSwitchToNew, StepMakeLive, StepRetireOld, StepRestartOthers}
	if got := PlanRollback(true).Steps; !slices.Equal(got, want) {
		t.Errorf("PlanRollback(true) = %q, want %q", got, want)
	}
	// Inside the keep_previous window: no boot, no configure.
	want = []Step{StepReuseKept, StepSwitchToNew, StepPromote, StepMakeLive, StepRetireOld, StepRestartOthers}
	if got := PlanRollbackWindow(true); !slices.Equal(got.Steps, want) || !got.Window || !got.Gated {
		t.Errorf("PlanRollbackWindow(true) = %+v, want steps %q", got, want)
	}
	if got := PlanRollback(false).Steps; slices.Contains(got, StepRestartOthers) || slices.ContainsFunc(got, func(s Step) bool {
		return s == StepMigrate || s == StepMigrateSkip || s == StepPreDeploy || s == StepPostDeploy
	}) {
		t.Errorf("PlanRollback(false) = %q: no other roles, no migration, no hook", got)
	}
}

func TestPlanRebuildHoldsForcedPasses(t *testing.T) {
	if p := PlanRebuild(false, false); len(p.Hold) != 0 {
		t.Errorf("rebuild without --full-build holds %v", p.Hold)
	}
	if p := PlanRebuild(true, true); len(p.Hold) != 2 || p.Hold[0].Pass != PassMigrate || p.Hold[1].Pass != PassConfigure {
		t.Errorf("rebuild --full-build holds %v, want both passes forced", p.Hold)
	}
}

func TestRollbackFor(t *testing.T) {
	slots := PlanDeploy(ModeSlots, true)
	for _, c := range []struct {
		plan   Plan
		failed Step
		want   Rollback
	}{
		{slots, StepPreBuild, Rollback{}},
		{slots, StepBuild, Rollback{}},
		{slots, StepPreDeploy, Rollback{RestoreTags: true}},
		{slots, StepMigrateSkip, Rollback{RestoreTags: true, Hook: true}},
		// Never healthy: the new slot goes, the old one and the others were never touched.
		{slots, StepStartNew, Rollback{RestoreTags: true, StopNew: true, Hook: true}},
		{slots, StepSwitchToNew, Rollback{RestoreTags: true, StopNew: true, SwitchToOld: true, Hook: true}},
		{slots, StepMakeLive, Rollback{RestoreTags: true, StopNew: true, SwitchToOld: true, Hook: true}},
		{slots, StepRetireOld, Rollback{RestoreTags: true, StopNew: true, StartOld: true, SwitchToOld: true, Hook: true}},
		{slots, StepRestartOthers, Rollback{RestoreTags: true, StopNew: true, StartOld: true, SwitchToOld: true, RestartOthers: true, Hook: true}},
		{slots, StepPostMigrate, Rollback{}},
		{PlanDeploy(ModeRestart, true), StepRestartWeb, Rollback{RestoreTags: true, RestartWeb: true, Hook: true}},
		{PlanDeploy(ModeStandalone, true), StepMigrate, Rollback{RestoreTags: true, RestartWeb: true, RestartOthers: true, Hook: true}},
		// A manual rollback undone: current goes back to the version it left; no hook.
		{PlanRollback(true), StepPromote, Rollback{}},
		{PlanRollback(true), StepConfigure, Rollback{RestoreTags: true}},
		{PlanRollback(true), StepStartNew, Rollback{RestoreTags: true, StopNew: true}},
		{PlanRollback(true), StepRetireOld, Rollback{RestoreTags: true, StopNew: true, StartOld: true, SwitchToOld: true}},
		// The kept slot is not stopped: it runs the previous version, still previous after the undo;
		// its stop after proxy.keep_previous is scheduled again.
		{PlanRollbackWindow(true), StepSwitchToNew, Rollback{SwitchToOld: true, RetireKept: true}},
		{PlanRollbackWindow(true), StepPromote, Rollback{SwitchToOld: true, RetireKept: true}},
		{PlanRollbackWindow(true), StepMakeLive, Rollback{RestoreTags: true, SwitchToOld: true, RetireKept: true}},
		{PlanRollbackInPlace(), StepRestartRoles, Rollback{RestoreTags: true}},
		{PlanRebuild(true, false), StepMigrate, Rollback{RestoreTags: true, StartRoles: true}},
		{PlanRebuild(false, false), StepMigrateSkip, Rollback{RestoreTags: true}},
		{PlanRebuild(false, false), StepRestartRoles, Rollback{RestoreTags: true, StartRoles: true}},
		{PlanBootstrap(), StepConfigure, Rollback{RestoreTags: true}},
		{PlanMigrate(true), StepMigrateSkip, Rollback{}},
	} {
		if got := RollbackFor(c.plan, c.failed); got != c.want {
			t.Errorf("%s failed at %q: rollback %+v, want %+v", c.plan.Op, c.failed, got, c.want)
		}
	}
}

func TestFailureReport(t *testing.T) {
	f := &Failure{Step: StepStartNew, Err: errors.New("not healthy within 20s"), Unit: "shop-web-next.service",
		Journal: "healthcheck failed\n", RolledBack: true}
	msg := f.Error()
	for _, want := range []string{"deploy failed at start new slot: not healthy within 20s", "rolled back", "journal of shop-web-next.service", "healthcheck failed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("report lacks %q:\n%s", want, msg)
		}
	}
	f.RollbackErr = errors.New("tag failed")
	if !strings.Contains(f.Error(), "ROLLBACK FAILED") {
		t.Errorf("a failed rollback must say so: %s", f.Error())
	}
	r := &Failure{Op: OpRollback, Step: StepStartNew, Err: errors.New("unhealthy"), RolledBack: true}
	if msg := r.Error(); !strings.HasPrefix(msg, "rollback failed at start new slot: unhealthy; undone") {
		t.Errorf("rollback report: %s", msg)
	}
}

// Describe says which unit each deploy step drives, in order: behind the
// proxy the idle slot first, the other roles only after web.
func TestDescribeDeployOrder(t *testing.T) {
	tgt := Target{App: "shop", Proxy: true, Units: units.AppUnitNames{Migrate: "shop-migrate.service", Configure: "shop-configure.service",
		Roles: []string{"shop-web.service", "shop-worker.service"}, Primary: "shop-web.service", Others: []string{"shop-worker.service"},
		NextSlot: "shop-web-next.service"}}
	got := Describe(PlanDeploy(ModeSlots, true), tgt, map[string]bool{"post-deploy": true})
	want := []string{
		"build: build the image, make it current",
		"migrate (skip post-deployment migrations): run shop-migrate.service",
		"configure: run shop-configure.service",
		"start new slot: restart shop-web-next.service until healthy",
		"switch proxy to new slot: proxy to shop-web-next.service, drain shop-web.service",
		"make new slot live: shop-web-next.service is the live slot",
		"stop old slot: stop shop-web.service",
		"restart other roles: restart shop-worker.service, each until healthy",
		"post-deployment migrate: run shop-migrate.service",
		"post-deploy hook: run deploy_hooks.post-deploy",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Describe =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
