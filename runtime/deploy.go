package runtime

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// A deploy (issue #6) as data: which steps run in which order (PlanDeploy) and
// what undoing a failure at a step means (RollbackFor). cmd/quadlaunch/deploy.go
// runs them; keeping the decisions here makes them testable without systemd.

// DeployMode is how the new version replaces the old one.
type DeployMode string

const (
	// ModeSlots: web behind the proxy. The new version starts in the second
	// slot beside the old, traffic moves once it is healthy; no request fails.
	ModeSlots DeployMode = "slots"
	// ModeRestart: no proxy, external database. The old roles serve while the
	// new image is migrated and configured; then web restarts (a short gap),
	// the other roles once web is healthy on the new version.
	ModeRestart DeployMode = "restart"
	// ModeStandalone: the database lives in the container, so nothing of the
	// old version may run during the migration: stop, migrate, configure,
	// start. With a proxy, clients get its offline page meanwhile.
	ModeStandalone DeployMode = "standalone"
)

// ChooseMode picks the deploy mode: standalone apps always stop first.
func ChooseMode(standalone, proxy bool) DeployMode {
	switch {
	case standalone:
		return ModeStandalone
	case proxy:
		return ModeSlots
	}
	return ModeRestart
}

// DeployStep is one step of a deploy.
type DeployStep string

const (
	StepPreBuild      DeployStep = "pre-build hook"
	StepBuild         DeployStep = "build"
	StepPreDeploy     DeployStep = "pre-deploy hook"
	StepStopRoles     DeployStep = "stop roles" // standalone
	StepMigrateSkip   DeployStep = "migrate (skip post-deployment migrations)"
	StepMigrate       DeployStep = "migrate" // standalone: the full migration
	StepConfigure     DeployStep = "configure"
	StepStartNext     DeployStep = "start next slot" // slots: new version beside the old, until healthy
	StepToNext        DeployStep = "switch proxy to next slot"
	StepRestartWeb    DeployStep = "restart web" // until healthy on the new version
	StepToWeb         DeployStep = "switch proxy to web"
	StepStopNext      DeployStep = "stop next slot"
	StepRestartOthers DeployStep = "restart other roles" // the barrier: only after web is healthy on the new version
	StepPostMigrate   DeployStep = "post-deployment migrate"
	StepPostDeploy    DeployStep = "post-deploy hook"
	StepPromote       DeployStep = "make the version current" // rollback
)

// PlanDeploy lists the steps of a deploy in order. hasOthers: the app has
// roles besides the primary.
func PlanDeploy(mode DeployMode, hasOthers bool) []DeployStep {
	steps := []DeployStep{StepPreBuild, StepBuild, StepPreDeploy}
	switch mode {
	case ModeStandalone:
		steps = append(steps, StepStopRoles, StepMigrate, StepConfigure, StepRestartWeb)
	case ModeSlots:
		steps = append(steps, StepMigrateSkip, StepConfigure, StepStartNext, StepToNext, StepRestartWeb, StepToWeb, StepStopNext)
	default:
		steps = append(steps, StepMigrateSkip, StepConfigure, StepRestartWeb)
	}
	if hasOthers {
		steps = append(steps, StepRestartOthers)
	}
	if mode != ModeStandalone {
		steps = append(steps, StepPostMigrate)
	}
	return append(steps, StepPostDeploy)
}

// PlanRollback lists the steps of `quadlaunch rollback` for an app behind the
// proxy: the version made current again starts in the second slot, traffic
// moves to it, web restarts on it and takes the traffic back, like a deploy's
// swap, so no request fails. No migration (the schema already has the older
// version's) and no hook; configure runs, as it would on a restart.
func PlanRollback(hasOthers bool) []DeployStep {
	steps := []DeployStep{StepPromote, StepConfigure, StepStartNext, StepToNext, StepRestartWeb, StepToWeb, StepStopNext}
	if hasOthers {
		steps = append(steps, StepRestartOthers)
	}
	return steps
}

// Rollback is what undoing a deploy that failed at one step takes.
type Rollback struct {
	// RestoreTags puts current (and previous) back where they were.
	RestoreTags bool
	// StopNext stops the second slot (it runs, or ran, the new version).
	StopNext bool
	// RestartWeb starts web again on the restored current; with the proxy,
	// traffic goes back to it once healthy.
	RestartWeb bool
	// SwitchToWeb points the proxy at web again.
	SwitchToWeb bool
	// RestartOthers starts the other roles again on the restored current.
	RestartOthers bool
	// Hook: the post-rollback hook runs (a real rollback, not an abort).
	Hook bool
}

// Changed reports whether anything has to be undone.
func (r Rollback) Changed() bool {
	return r.RestoreTags || r.StopNext || r.RestartWeb || r.RestartOthers
}

// RollbackFor decides the rollback for a failure at step, given the steps of
// the plan. Steps before the failure are done; the failed one may have half
// happened (a restart that stopped web before the new one failed its health).
func RollbackFor(plan []DeployStep, failed DeployStep) Rollback {
	done := map[DeployStep]bool{}
	for _, s := range plan {
		done[s] = true
		if s == failed {
			break
		}
	}
	var r Rollback
	switch failed {
	case StepPreBuild, StepBuild, StepPromote:
		return r // build and promote put the tags back themselves when they fail: nothing changed
	case StepPreDeploy:
		return Rollback{RestoreTags: true} // an abort: the new build is no longer current, nothing ran
	case StepPostMigrate, StepPostDeploy:
		// The new version serves and its post-deployment migrations may be half
		// applied: the old code may not run on that schema. Report, keep.
		return r
	}
	r.RestoreTags, r.Hook = true, true
	r.StopNext = done[StepStartNext]
	r.RestartWeb = done[StepRestartWeb] || done[StepStopRoles]
	r.SwitchToWeb = done[StepToNext] && !done[StepStopNext]
	r.RestartOthers = done[StepRestartOthers] || done[StepStopRoles]
	return r
}

// HealthDeadline is how long a new web may take to become healthy in a deploy.
func HealthDeadline(configured string) (time.Duration, error) {
	if configured == "" {
		return 10 * time.Minute, nil
	}
	d, err := time.ParseDuration(configured)
	if err != nil {
		return 0, fmt.Errorf("deploy_timeout %q: %w", configured, err)
	}
	return d, nil
}

// AssetBridgeTime is how long both versions serve assets during a swap.
func AssetBridgeTime(configured string) (time.Duration, error) {
	if configured == "" {
		return 10 * time.Second, nil
	}
	d, err := time.ParseDuration(configured)
	if err != nil {
		return 0, fmt.Errorf("proxy.asset_bridge %q: %w", configured, err)
	}
	return d, nil
}

// DeployFailure is a deploy that failed at a step, with what was done about it.
type DeployFailure struct {
	Op          string // "deploy" (default) or "rollback"
	Step        DeployStep
	Err         error
	Unit        string // the unit that failed, if one did
	Journal     string // its journal excerpt
	Health      string // the new container's health check results, when health was the problem
	RolledBack  bool   // current is back where it was and the old version serves
	RollbackErr error  // the rollback itself failed (needs a human)
}

func (f *DeployFailure) Error() string {
	var b strings.Builder
	op, undo, undone := "deploy", "ROLLBACK", "rolled back: the previous version is current and serving"
	if f.Op == "rollback" {
		op, undo, undone = "rollback", "UNDO", "undone: the version current before is current and serving"
	}
	fmt.Fprintf(&b, "%s failed at %s: %v", op, f.Step, f.Err)
	switch {
	case f.RollbackErr != nil:
		fmt.Fprintf(&b, "; %s FAILED: %v", undo, f.RollbackErr)
	case f.RolledBack:
		b.WriteString("; " + undone)
	}
	if f.Health != "" {
		fmt.Fprintf(&b, "\n%s", f.Health)
	}
	if f.Unit != "" {
		fmt.Fprintf(&b, "\n--- journal of %s (last lines) ---\n%s", f.Unit, strings.TrimRight(f.Journal, "\n"))
	}
	return b.String()
}

func (f *DeployFailure) Unwrap() error { return f.Err }

// podmanEvent matches Podman's event lines in a unit's journal
// ("2026-01-02 03:04:05.123 +0000 UTC m=+0.03 container create ...").
var podmanEvent = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ [+-]\d{4} \S+ m=\+\S+ (container|image|pod|volume) `)

// excerpt keeps the last n lines that are not Podman events or blank.
func excerpt(journal string, n int) string {
	var keep []string
	for _, l := range strings.Split(journal, "\n") {
		if strings.TrimSpace(l) == "" || podmanEvent.MatchString(l) {
			continue
		}
		keep = append(keep, l)
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	return strings.Join(keep, "\n")
}
