package rollout

import (
	"fmt"
	"time"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/units"
)

// Target is what a rollout needs to know about the app, all of it from the
// loaded app's facts (generator.App, units.AppUnits).
type Target struct {
	App            string
	Roles          []string // role names, for QUADLAUNCH_ROLES
	Units          units.AppUnitNames
	HealthDeadline time.Duration // deploy_timeout
	AssetPath      string        // "" = no asset bridging during a swap
	AssetBridge    time.Duration // proxy.asset_bridge
	Standalone     bool
	Proxy          bool
	// LiveSlot is the web slot traffic goes to and boot starts (0: A-web, 1:
	// A-web-next). Units.Primary is that slot's unit, Units.NextSlot the idle one.
	LiveSlot     int
	KeepPrevious time.Duration // proxy.keep_previous: the old slot runs that long after a swap
}

// TargetOf reads the target from the loaded app.
func TargetOf(app *generator.App) (Target, error) {
	t := Target{App: app.Name, Roles: app.RoleNames(), Units: units.AppUnits(app), AssetPath: app.AssetPath,
		Standalone: app.Standalone(), Proxy: app.Proxy != nil}
	var err error
	if t.HealthDeadline, err = app.DeployTimeoutDuration(); err != nil {
		return Target{}, fmt.Errorf("%s: %w", app.ConfigPath, err)
	}
	if t.KeepPrevious, err = app.KeepPreviousDuration(); err != nil {
		return Target{}, fmt.Errorf("%s: %w", app.ConfigPath, err)
	}
	if t.AssetBridge, err = app.AssetBridgeDuration(); err != nil {
		return Target{}, fmt.Errorf("%s: %w", app.ConfigPath, err)
	}
	return t, nil
}

// WithLiveSlot is the target with slot live: the unit names swap so that
// Units.Primary is the live slot's unit (what rebuild, start and restart
// drive) and Units.NextSlot the idle one.
func (t Target) WithLiveSlot(slot int) Target {
	if slot == t.LiveSlot || t.Units.NextSlot == "" {
		return t
	}
	t.Units = t.Units.Swapped()
	t.LiveSlot = slot
	return t
}

// DeployMode is how a deploy of the target replaces the old version.
func (t Target) DeployMode() Mode { return ChooseMode(t.Standalone, t.Proxy) }

// Options are what one run is asked for beyond the plan.
type Options struct {
	NoCache  bool      // build: ignore the layer cache
	Previous string    // the version current is before the run ("" = none)
	Version  string    // rollback: the version made current
	ImageID  string    // rollback: its image
	Start    time.Time // when the command started (zero: now)
	// StepDone, when set, hears of each step that ran (in the plan's order;
	// one beside the next steps when it joins): the audit trail's steps.
	StepDone func(step Step, took time.Duration, err error)
}
