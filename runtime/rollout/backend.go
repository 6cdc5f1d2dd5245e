package rollout

import (
	"context"
	"time"
)

// Backend is everything a rollout changes or asks, one interface per concern.
// package runtime implements them over systemd's D-Bus API, Podman and nginx;
// the tests implement them with a recording fake.
type Backend struct {
	Units     Units
	Images    Images
	Proxy     Proxy // nil: the app has no proxy (or a plan that does not use it)
	Slots     Slots // nil with Proxy
	Hooks     Hooks
	Overrides Overrides
	Report    Reporter
}

// Units runs systemd jobs on the app's units and waits for them.
type Units interface {
	// RunOneshot starts a oneshot unit (migrate, configure), follows its
	// journal and returns its result. alone: without its Requires= (the
	// rollout ran APP-migrate itself just before).
	RunOneshot(ctx context.Context, unit string, alone bool) error
	// Together queues op ("start", "stop") on every unit at once and waits
	// for all: systemd merges the jobs of shared dependencies.
	Together(ctx context.Context, op string, units []string) error
	// StartAlone starts units together without their Requires=.
	StartAlone(ctx context.Context, units []string) error
	// RestartRoles restarts every role at once (so migrate and configure run
	// once) and names a failed migrate/configure when a role could not start.
	RestartRoles(ctx context.Context, roles []string) error
	// StopAlone stops one unit without touching what depends on it.
	StopAlone(ctx context.Context, unit string) error
	// HealthGated runs op ("start", "restart") on unit alone and waits until
	// it is healthy, at most deadline; a container the engine calls unhealthy
	// fails early. On failure the unit is stopped and health describes the
	// container's last health checks ("" when it has none).
	HealthGated(ctx context.Context, op, unit string, deadline time.Duration) (health string, err error)
	// ResetFailed clears a unit's failed state.
	ResetFailed(ctx context.Context, unit string)
}

// Tags is where the app's current and previous tags point ("" = absent).
type Tags struct{ Current, Previous string }

// Built is a version image the build produced.
type Built struct {
	Version, ImageID string
	Steps, Cached    int
}

// Images builds version images and moves the current/previous tags.
type Images interface {
	Build(ctx context.Context, noCache bool) (Built, error)
	// Promote makes imageID current, the old current previous, and returns
	// the tags as they were. It can fail half-way: previous moved, current not.
	Promote(ctx context.Context, imageID string) (before Tags, err error)
	RestoreTags(ctx context.Context, t Tags) error
}

// Proxy moves the app's traffic between its two web slots.
type Proxy interface {
	Unit() string
	// SlotPort is the loopback port of web slot i (0: A-web, 1: A-web-next).
	// Which slot is live is Target.LiveSlot.
	SlotPort(i int) int
	// Switch sends new traffic to port upstream; bridge (0 = none) is the
	// other slot, asked for assets the upstream lacks.
	Switch(ctx context.Context, upstream, bridge int) error
	// Drain waits until the connections of the config before the switch end.
	Drain(ctx context.Context) (time.Duration, error)
	// WaitSlot waits until the slot's port answers HTTP, at most limit.
	WaitSlot(ctx context.Context, port int, limit time.Duration) error
}

// Slots records which web slot is live and retires the other one.
type Slots interface {
	// SetLive records slot i (0: A-web, 1: A-web-next) as the live one, the
	// way systemctl enable would: boot, start, rebuild and the proxy's boot
	// config follow it.
	SetLive(ctx context.Context, slot int) error
	// Retire stops unit after the delay (0: now), without waiting for the
	// delay; a pending retirement of unit is replaced.
	Retire(ctx context.Context, unit string, after time.Duration) error
	// CancelRetire drops a pending retirement of unit (none: no-op).
	CancelRetire(ctx context.Context, unit string) error
}

// HookInfo is what a deploy hook learns through its environment.
type HookInfo struct {
	App      string
	Version  string // the version being deployed ("" in pre-build: not built yet)
	Previous string // the version current was before the deploy ("" on a first deploy)
	Roles    []string
}

// Hooks runs the app's deploy_hooks (nothing for a hook the app has not).
type Hooks interface {
	Run(ctx context.Context, name string, info HookInfo) error
}

// Pass is a launcher-style pass run inside its unit.
type Pass string

const (
	PassMigrate   Pass = "migrate"
	PassConfigure Pass = "configure"
)

// OverrideKind is one of the transient changes a rollout makes to how units
// run, each undone right after the step (or run) it is for.
type OverrideKind string

const (
	// OverrideForcePass: the launcher-style Pass runs although MIGRATE_ON_BOOT
	// / PRECOMPILE_ON_BOOT defers it to the container's boot.
	OverrideForcePass OverrideKind = "force-pass"
	// OverrideSkipPostDeployment: the next APP-migrate run sees
	// SKIP_POST_DEPLOYMENT_MIGRATIONS=1.
	OverrideSkipPostDeployment OverrideKind = "skip-post-deployment-migrations"
	// OverrideOnBootOff: the next start of the roles sees *_ON_BOOT=0 for the
	// passes that ran although the config defers them (as launcher2 starts
	// its container). Forced: the passes were forced (--full-build).
	OverrideOnBootOff OverrideKind = "on-boot-off"
)

// Override is one transient change.
type Override struct {
	Kind   OverrideKind
	Pass   Pass // OverrideForcePass
	Forced bool // OverrideOnBootOff
}

// Overrides applies transient changes (runtime drop-ins, flag files).
type Overrides interface {
	// Apply makes the changes and returns their undo; note is a line for the
	// operator ("" when there is nothing to say, e.g. nothing to override).
	Apply(ctx context.Context, o ...Override) (undo func(context.Context) error, note string, err error)
}

// Reporter is where a rollout says what it does.
type Reporter interface {
	// Printf writes a progress line for the operator (stdout).
	Printf(format string, a ...any)
	// Infof and Errorf log, to the journal under systemd.
	Infof(format string, a ...any)
	Errorf(format string, a ...any)
	// SetVersion is the version later log lines are about.
	SetVersion(v string)
	// Journal is the last lines of unit's journal since t.
	Journal(unit string, since time.Time, lines int) string
}
