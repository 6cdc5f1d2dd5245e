package rollout

import (
	"fmt"
	"strings"
	"time"
)

// Phase is a part of a rollout whose duration is reported: where the time of
// a deploy went (the build? the new version's boot? the drain?).
type Phase string

const (
	PhaseSetup       Phase = "setup" // from the command's start to the first step: config, lock, Podman, proxy
	PhaseHooks       Phase = "hooks"
	PhaseBuild       Phase = "build"
	PhaseTags        Phase = "tags" // a rollback's promote
	PhaseStopRoles   Phase = "stop roles"
	PhaseMigrate     Phase = "migrate"
	PhaseConfigure   Phase = "configure"
	PhaseNewSlot     Phase = "new slot healthy"
	PhaseSwitch      Phase = "switch"
	PhaseAssetBridge Phase = "asset bridge"
	PhaseDrain       Phase = "drain"
	PhaseMakeLive    Phase = "make live"
	PhaseStopOld     Phase = "stop old slot"
	PhaseRestartWeb  Phase = "restart web"
	PhaseOthers      Phase = "other roles"
	PhaseRoles       Phase = "roles"
	PhasePostMigrate Phase = "post-deployment migrate"
)

// phaseOrder is the order phases are reported in: a deploy's, roughly.
var phaseOrder = []Phase{PhaseSetup, PhaseBuild, PhaseTags, PhaseStopRoles, PhaseMigrate, PhaseConfigure, PhaseNewSlot, PhaseSwitch,
	PhaseAssetBridge, PhaseDrain, PhaseMakeLive, PhaseStopOld, PhaseRestartWeb, PhaseOthers, PhaseRoles, PhasePostMigrate, PhaseHooks}

// phaseOf is the phase a step's own time counts to.
func phaseOf(s Step) Phase {
	switch s {
	case StepPreBuild, StepPreDeploy, StepPostDeploy:
		return PhaseHooks
	case StepBuild:
		return PhaseBuild
	case StepPromote:
		return PhaseTags
	case StepStopRoles:
		return PhaseStopRoles
	case StepMigrateSkip, StepMigrate:
		return PhaseMigrate
	case StepConfigure, StepConfigureWithMigrate:
		return PhaseConfigure
	case StepStartNew, StepReuseKept:
		return PhaseNewSlot
	case StepSwitchToNew:
		return PhaseSwitch
	case StepMakeLive:
		return PhaseMakeLive
	case StepRetireOld:
		return PhaseStopOld
	case StepRestartWeb:
		return PhaseRestartWeb
	case StepRestartOthers:
		return PhaseOthers
	case StepPostMigrate:
		return PhasePostMigrate
	}
	return PhaseRoles
}

// phases sums the time of a run per phase. inner is the time already counted
// to phases inside a step (switch, drain, asset bridge), so that the step's
// own phase gets only the rest.
type phases struct {
	took  map[Phase]time.Duration
	inner time.Duration
}

func (p *phases) add(ph Phase, d time.Duration) {
	if p.took == nil {
		p.took = map[Phase]time.Duration{}
	}
	p.took[ph] += max(d, 0)
}

// addInner counts the time since t0 to phase ph, inside a step.
func (p *phases) addInner(ph Phase, t0 time.Time) {
	d := time.Since(t0)
	p.add(ph, d)
	p.inner += d
}

// String is "build 1.2 s, migrate 0.4 s, ..., serving after 9.0 s, total
// 13.0 s": every phase the run reached, in phaseOrder, then when the new
// version served every request (serving > 0: the proxy's switch and drain
// were done), then the total (which also counts what is in no phase: the
// lock, connecting to Podman and the proxy). Phases run beside others (make
// live, stop old slot) can make the sum exceed the total.
func (p *phases) String(serving, total time.Duration) string {
	var parts []string
	for _, ph := range phaseOrder {
		if d, ok := p.took[ph]; ok {
			parts = append(parts, fmt.Sprintf("%s %s", ph, secs(d)))
		}
	}
	if serving > 0 {
		parts = append(parts, "serving after "+secs(serving))
	}
	return strings.Join(append(parts, "total "+secs(total)), ", ")
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
