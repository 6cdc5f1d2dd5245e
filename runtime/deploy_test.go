package runtime

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestChooseMode(t *testing.T) {
	for _, c := range []struct {
		standalone, proxy bool
		want              DeployMode
	}{{true, true, ModeStandalone}, {true, false, ModeStandalone}, {false, true, ModeSlots}, {false, false, ModeRestart}} {
		if got := ChooseMode(c.standalone, c.proxy); got != c.want {
			t.Errorf("ChooseMode(%v, %v) = %s, want %s", c.standalone, c.proxy, got, c.want)
		}
	}
}

func TestPlanDeployOrder(t *testing.T) {
	slots := PlanDeploy(ModeSlots, true)
	idx := func(s DeployStep) int { return slices.Index(slots, s) }
	// The order the issue asks for: build, migrate skipping post-deployment
	// migrations, configure, swap, post-deployment migrate; others only after
	// web is healthy on the new version.
	order := []DeployStep{StepPreBuild, StepBuild, StepPreDeploy, StepMigrateSkip, StepConfigure, StepStartNext, StepToNext,
		StepRestartWeb, StepToWeb, StepStopNext, StepRestartOthers, StepPostMigrate, StepPostDeploy}
	for i := 1; i < len(order); i++ {
		if idx(order[i-1]) < 0 || idx(order[i-1]) >= idx(order[i]) {
			t.Fatalf("%q must come before %q in %q", order[i-1], order[i], slots)
		}
	}
	if s := PlanDeploy(ModeSlots, false); slices.Contains(s, StepRestartOthers) {
		t.Errorf("no other roles, yet %q", s)
	}
	st := PlanDeploy(ModeStandalone, true)
	if slices.Contains(st, StepMigrateSkip) || slices.Contains(st, StepPostMigrate) || slices.Index(st, StepStopRoles) > slices.Index(st, StepMigrate) {
		t.Errorf("standalone stops first and migrates fully once: %q", st)
	}
	if r := PlanDeploy(ModeRestart, true); slices.Contains(r, StepStartNext) || slices.Index(r, StepRestartWeb) > slices.Index(r, StepRestartOthers) {
		t.Errorf("restart mode: %q", r)
	}
}

func TestPlanRollback(t *testing.T) {
	want := []DeployStep{StepPromote, StepConfigure, StepStartNext, StepToNext, StepRestartWeb, StepToWeb, StepStopNext, StepRestartOthers}
	if got := PlanRollback(true); !slices.Equal(got, want) {
		t.Errorf("PlanRollback(true) = %q, want %q", got, want)
	}
	if got := PlanRollback(false); slices.Contains(got, StepRestartOthers) || slices.ContainsFunc(got, func(s DeployStep) bool {
		return s == StepMigrate || s == StepMigrateSkip || s == StepPreDeploy || s == StepPostDeploy
	}) {
		t.Errorf("PlanRollback(false) = %q: no other roles, no migration, no hook", got)
	}
}

func TestRollbackFor(t *testing.T) {
	slots := PlanDeploy(ModeSlots, true)
	for _, c := range []struct {
		plan   []DeployStep
		failed DeployStep
		want   Rollback
	}{
		{slots, StepPreBuild, Rollback{}},
		{slots, StepBuild, Rollback{}},
		{slots, StepPreDeploy, Rollback{RestoreTags: true}},
		{slots, StepMigrateSkip, Rollback{RestoreTags: true, Hook: true}},
		// Never healthy: the next slot goes, web and the others were never touched.
		{slots, StepStartNext, Rollback{RestoreTags: true, StopNext: true, Hook: true}},
		{slots, StepToNext, Rollback{RestoreTags: true, StopNext: true, SwitchToWeb: true, Hook: true}},
		{slots, StepRestartWeb, Rollback{RestoreTags: true, StopNext: true, RestartWeb: true, SwitchToWeb: true, Hook: true}},
		{slots, StepRestartOthers, Rollback{RestoreTags: true, StopNext: true, RestartWeb: true, RestartOthers: true, Hook: true}},
		{slots, StepPostMigrate, Rollback{}},
		{PlanDeploy(ModeRestart, true), StepRestartWeb, Rollback{RestoreTags: true, RestartWeb: true, Hook: true}},
		{PlanDeploy(ModeStandalone, true), StepMigrate, Rollback{RestoreTags: true, RestartWeb: true, RestartOthers: true, Hook: true}},
		// A manual rollback undone: current goes back to the version it left.
		{PlanRollback(true), StepPromote, Rollback{}},
		{PlanRollback(true), StepConfigure, Rollback{RestoreTags: true, Hook: true}},
		{PlanRollback(true), StepStartNext, Rollback{RestoreTags: true, StopNext: true, Hook: true}},
		{PlanRollback(true), StepRestartWeb, Rollback{RestoreTags: true, StopNext: true, RestartWeb: true, SwitchToWeb: true, Hook: true}},
	} {
		if got := RollbackFor(c.plan, c.failed); got != c.want {
			t.Errorf("failed at %q: rollback %+v, want %+v", c.failed, got, c.want)
		}
	}
}

func TestHealthDeadline(t *testing.T) {
	if d, err := HealthDeadline(""); err != nil || d.Minutes() != 10 {
		t.Errorf("default = %v, %v", d, err)
	}
	if d, err := HealthDeadline("45s"); err != nil || d.Seconds() != 45 {
		t.Errorf("45s = %v, %v", d, err)
	}
	if _, err := HealthDeadline("soon"); err == nil {
		t.Error("bad duration accepted")
	}
}

func TestAssetBridgeTime(t *testing.T) {
	if d, err := AssetBridgeTime(""); err != nil || d.Seconds() != 10 {
		t.Errorf("default = %v, %v", d, err)
	}
	if d, err := AssetBridgeTime("2s"); err != nil || d.Seconds() != 2 {
		t.Errorf("2s = %v, %v", d, err)
	}
}

func TestDeployFailureReport(t *testing.T) {
	f := &DeployFailure{Step: StepStartNext, Err: errors.New("not healthy within 20s"), Unit: "shop-web-next.service",
		Journal: "healthcheck failed\n", RolledBack: true}
	msg := f.Error()
	for _, want := range []string{"deploy failed at start next slot: not healthy within 20s", "rolled back", "journal of shop-web-next.service", "healthcheck failed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("report lacks %q:\n%s", want, msg)
		}
	}
	f.RollbackErr = errors.New("tag failed")
	if !strings.Contains(f.Error(), "ROLLBACK FAILED") {
		t.Errorf("a failed rollback must say so: %s", f.Error())
	}
	r := &DeployFailure{Op: "rollback", Step: StepStartNext, Err: errors.New("unhealthy"), RolledBack: true}
	if msg := r.Error(); !strings.HasPrefix(msg, "rollback failed at start next slot: unhealthy; undone") {
		t.Errorf("rollback report: %s", msg)
	}
}

func TestExcerptDropsPodmanEvents(t *testing.T) {
	j := "Starting shop-web-next.service...\n" +
		"2026-11-22 00:04:30.596573713 +0000 UTC m=+0.031810850 container create 31d1 (image=x, name=shop-web-next)\n" +
		"demo serve: listening\n\n" +
		"2026-11-22 00:04:30.587386651 +0000 UTC m=+0.022623798 image pull fa6b localhost/quadlaunch/shop:current\n" +
		"line a\nline b\n"
	if got, want := excerpt(j, 3), "demo serve: listening\nline a\nline b"; got != want {
		t.Errorf("excerpt = %q, want %q", got, want)
	}
}
