package rollout

// Mode is how the new version replaces the old one.
type Mode string

const (
	// ModeSlots: web behind the proxy, in two slots (blue/green). The new
	// version starts once, in the idle slot beside the live one; traffic moves
	// once it is healthy, and that slot becomes the live one; no request fails.
	ModeSlots Mode = "slots"
	// ModeRestart: no proxy, external database. The old roles serve while the
	// new image is migrated and configured; then web restarts (a short gap),
	// the other roles once web is healthy on the new version.
	ModeRestart Mode = "restart"
	// ModeStandalone: the database lives in the container, so nothing of the
	// old version may run during the migration: stop, migrate, configure,
	// start. With a proxy, clients get its offline page meanwhile.
	ModeStandalone Mode = "standalone"
)

// ChooseMode picks the deploy mode: standalone apps always stop first.
func ChooseMode(standalone, proxy bool) Mode {
	switch {
	case standalone:
		return ModeStandalone
	case proxy:
		return ModeSlots
	}
	return ModeRestart
}

// Step is one step of a plan; its text is what progress lines and failure
// reports show.
type Step string

const (
	StepPreBuild      Step = "pre-build hook"
	StepBuild         Step = "build" // build and make the new version current
	StepPreDeploy     Step = "pre-deploy hook"
	StepStopRoles     Step = "stop roles" // standalone
	StepMigrateSkip   Step = "migrate (skip post-deployment migrations)"
	StepMigrate       Step = "migrate" // standalone, bootstrap: the full migration
	StepConfigure     Step = "configure"
	StepStartNew      Step = "start new slot"           // slots: the idle web slot, on the new version, until healthy
	StepReuseKept     Step = "reuse kept slot"          // rollback in the keep_previous window: the idle slot still runs the old version
	StepSwitchToNew   Step = "switch proxy to new slot" // and drain the old slot's connections
	StepMakeLive      Step = "make new slot live"       // boot, start and rebuild bring it up from now on
	StepRetireOld     Step = "stop old slot"            // now, or after proxy.keep_previous
	StepRestartWeb    Step = "restart web"              // restart, standalone: in place, until healthy on the new version
	StepRestartOthers Step = "restart other roles"      // the barrier: only after web is healthy on the new version
	StepPostMigrate   Step = "post-deployment migrate"
	StepPostDeploy    Step = "post-deploy hook"
	StepPromote       Step = "make the version current" // rollback
	StepStartRoles    Step = "start roles"              // rebuild, standalone: every role at once, without migrate/configure again
	StepRestartRoles  Step = "restart roles"            // rebuild, in-place rollback: every role at once
)

// Op is what a plan does, as its reports name it.
type Op string

const (
	OpDeploy    Op = "deploy"
	OpRollback  Op = "rollback"
	OpRebuild   Op = "rebuild"
	OpBootstrap Op = "bootstrap"
	OpBuild     Op = "build"
	OpMigrate   Op = "migrate"
	OpConfigure Op = "configure"
)

// Plan is one rollout: its steps in order, and how it reports.
type Plan struct {
	Op    Op
	Mode  Mode
	Steps []Step
	// Gated: a health-gated rollout (deploy, rollback through the proxy):
	// numbered progress lines, a failure report with the failed unit's
	// journal, and a rollback that brings the old version back everywhere.
	Gated bool
	// Hold are overrides kept for the whole run (rebuild --full-build forces
	// the passes, including the runs a restart of the roles triggers).
	Hold []Override
	// Window: a rollback that reuses the slot kept by proxy.keep_previous.
	Window bool
}

// PlanDeploy is `quadlaunch deploy`. hasOthers: the app has roles besides
// the primary.
func PlanDeploy(mode Mode, hasOthers bool) Plan {
	steps := []Step{StepPreBuild, StepBuild, StepPreDeploy}
	switch mode {
	case ModeStandalone:
		steps = append(steps, StepStopRoles, StepMigrate, StepConfigure, StepRestartWeb)
	case ModeSlots:
		steps = append(steps, StepMigrateSkip, StepConfigure, StepStartNew, StepSwitchToNew, StepMakeLive, StepRetireOld)
	default:
		steps = append(steps, StepMigrateSkip, StepConfigure, StepRestartWeb)
	}
	if hasOthers {
		steps = append(steps, StepRestartOthers)
	}
	if mode != ModeStandalone {
		steps = append(steps, StepPostMigrate)
	}
	return Plan{Op: OpDeploy, Mode: mode, Steps: append(steps, StepPostDeploy), Gated: true}
}

// PlanRollback is `quadlaunch rollback` for an app behind the proxy: the
// version made current again starts in the idle slot (one boot), traffic moves
// to it and it becomes the live slot, like a deploy's swap, so no request
// fails. No migration (the schema already has the older version's) and no
// hook; configure runs, as it would on a restart.
func PlanRollback(hasOthers bool) Plan {
	steps := []Step{StepPromote, StepConfigure, StepStartNew, StepSwitchToNew, StepMakeLive, StepRetireOld}
	if hasOthers {
		steps = append(steps, StepRestartOthers)
	}
	return Plan{Op: OpRollback, Mode: ModeSlots, Steps: steps, Gated: true}
}

// PlanRollbackWindow is a rollback inside the proxy.keep_previous window: the
// idle slot still runs the version made current again (the caller checked),
// so the rollback is a proxy switch and drain, no boot and no configure (that
// container was configured when it started).
//
// The tags move after the switch: traffic first (what "rollback took"
// measures); a promote that fails then switches back (RollbackFor).
func PlanRollbackWindow(hasOthers bool) Plan {
	steps := []Step{StepReuseKept, StepSwitchToNew, StepPromote, StepMakeLive, StepRetireOld}
	if hasOthers {
		steps = append(steps, StepRestartOthers)
	}
	return Plan{Op: OpRollback, Mode: ModeSlots, Steps: steps, Gated: true, Window: true}
}

// PlanRollbackInPlace is `quadlaunch rollback` without a proxy (or when it
// does not answer, or for a standalone app): make the version current and
// restart every role (which runs migrate and configure through Requires=).
func PlanRollbackInPlace() Plan {
	return Plan{Op: OpRollback, Mode: ModeRestart, Steps: []Step{StepPromote, StepRestartRoles}}
}

// PlanRebuild is launcher2's rebuild. Standalone: build, stop, migrate,
// configure, start. External database: build, migrate skipping
// post-deployment migrations while the old roles serve, configure, restart
// every role (which runs the full migration). fullBuild forces the
// launcher-style passes for the whole run.
func PlanRebuild(standalone, fullBuild bool) Plan {
	p := Plan{Op: OpRebuild, Mode: ModeRestart, Steps: []Step{StepBuild, StepMigrateSkip, StepConfigure, StepRestartRoles}}
	if standalone {
		p.Mode, p.Steps = ModeStandalone, []Step{StepBuild, StepStopRoles, StepMigrate, StepConfigure, StepStartRoles}
	}
	if fullBuild {
		p.Hold = []Override{{Kind: OverrideForcePass, Pass: PassMigrate}, {Kind: OverrideForcePass, Pass: PassConfigure}}
	}
	return p
}

// PlanBootstrap is launcher2's bootstrap: build, migrate, configure; the
// roles are not started.
func PlanBootstrap() Plan {
	return Plan{Op: OpBootstrap, Steps: []Step{StepBuild, StepMigrate, StepConfigure}}
}

// PlanMigrate is `quadlaunch migrate APP`: asked for by name, the pass runs
// although MIGRATE_ON_BOOT defers it in rebuilds.
func PlanMigrate(skipPostDeployment bool) Plan {
	step := StepMigrate
	if skipPostDeployment {
		step = StepMigrateSkip
	}
	return Plan{Op: OpMigrate, Steps: []Step{step}, Hold: []Override{{Kind: OverrideForcePass, Pass: PassMigrate}}}
}

// PlanConfigure is `quadlaunch configure APP`: asked for by name, the pass
// runs although PRECOMPILE_ON_BOOT defers it in rebuilds. Unlike a rollout's
// configure step it starts the unit with its Requires= (APP-migrate first).
func PlanConfigure() Plan {
	return Plan{Op: OpConfigure, Steps: []Step{StepConfigureWithMigrate}, Hold: []Override{{Kind: OverrideForcePass, Pass: PassConfigure}}}
}

// StepConfigureWithMigrate starts APP-configure with its Requires=.
const StepConfigureWithMigrate Step = "configure (after migrate)"

// Rollback is what undoing a rollout that failed at one step takes.
type Rollback struct {
	// RestoreTags puts current (and previous) back where they were.
	RestoreTags bool
	// StopNew stops the new slot (it runs, or ran, the new version).
	StopNew bool
	// StartOld starts the old (live before) slot again on the restored
	// current, a no-op while it still runs, and cancels its retirement.
	StartOld bool
	// SwitchToOld points the proxy at the old slot again and makes it live.
	SwitchToOld bool
	// RestartWeb starts web again on the restored current (restart and
	// standalone modes: web restarts in place).
	RestartWeb bool
	// RestartOthers starts the other roles again on the restored current.
	RestartOthers bool
	// StartRoles starts every role again, together, on the restored current
	// (a rebuild that stopped them, or whose restart failed), when there was
	// a current before.
	StartRoles bool
	// RetireKept schedules the stop of the slot a window rollback reused
	// (its pending stop was cancelled when the rollback took it) again.
	RetireKept bool
	// Hook: the post-rollback hook runs (a failed deploy, not an abort).
	Hook bool
}

// Changed reports whether anything has to be undone.
func (r Rollback) Changed() bool {
	return r.RestoreTags || r.StopNew || r.StartOld || r.SwitchToOld || r.RestartWeb || r.RestartOthers || r.StartRoles || r.RetireKept
}

// RollbackFor decides the rollback for a failure at step failed of plan p.
// Steps before the failure are done; the failed one may have half happened (a
// restart that stopped web before the new one failed its health, a switch
// whose reload went through but was not confirmed).
func RollbackFor(p Plan, failed Step) Rollback {
	done := map[Step]bool{}
	for _, s := range p.Steps {
		done[s] = true
		if s == failed {
			break
		}
	}
	var r Rollback
	switch failed {
	case StepPreBuild, StepBuild:
		return r // build and promote put the tags back themselves when they fail: nothing changed
	case StepPromote:
		if !done[StepSwitchToNew] {
			return r
		}
		// A window rollback switches before it moves the tags: traffic goes
		// back, the kept slot is kept again.
		return Rollback{SwitchToOld: true, RetireKept: p.Window}
	case StepPreDeploy:
		return Rollback{RestoreTags: true} // an abort: the new build is no longer current, nothing ran
	case StepPostMigrate, StepPostDeploy:
		// The new version serves and its post-deployment migrations may be half
		// applied: the old code may not run on that schema. Report, keep.
		return r
	}
	if !done[StepBuild] && !done[StepPromote] && !done[StepReuseKept] {
		return r // migrate, configure asked for by name: no version moved
	}
	r.RestoreTags = done[StepBuild] || done[StepPromote] // a window rollback moves them after the switch
	if !p.Gated {
		// A rebuild that stopped the roles, or whose restart failed, starts the
		// old ones again; an in-place rollback leaves the roles to the operator.
		r.StartRoles = p.Op == OpRebuild && (done[StepStopRoles] || failed == StepRestartRoles)
		return r
	}
	r.Hook = p.Op == OpDeploy
	// The kept slot of a window rollback runs the version that is current
	// again after the undo: stopping it would only cost the next window.
	r.StopNew = done[StepStartNew]
	r.RetireKept = p.Window && done[StepReuseKept]
	r.StartOld = done[StepRetireOld]
	r.SwitchToOld = done[StepSwitchToNew]
	r.RestartWeb = done[StepRestartWeb] || done[StepStopRoles]
	r.RestartOthers = done[StepRestartOthers] || done[StepStopRoles]
	return r
}

// PlanBuild is `quadlaunch build`: build and make the result current.
func PlanBuild() Plan { return Plan{Op: OpBuild, Steps: []Step{StepBuild}} }
