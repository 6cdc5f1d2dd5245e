package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// world is a recording fake of every Backend interface: image tags, which
// image each unit runs ("" = stopped), where the proxy points, the hooks
// that ran, the overrides in place. A failure is injected at one call key
// ("build", "promote", "hook pre-deploy", "oneshot a-migrate.service",
// "gate start a-web-next.service", "switch 10081", "restart roles"...) and
// fails that call once; the rollback's calls then succeed, as they would
// after a transient failure.
type world struct {
	tags     Tags
	running  map[string]string
	upstream int
	hooks    []string
	calls    []string
	active   map[OverrideKind]int
	lines    []string
	live     int                      // the web slot recorded live (0: a-web, 1: a-web-next)
	retiring map[string]time.Duration // units with a pending retirement, and its delay

	failAt   string
	failNth  int    // the failAt call that fails: 1 = the first
	failWith error  // the error the failing call returns
	health   string // gate failures: the health report returned with it
	cancel   context.CancelFunc
}

var errInjected = errors.New("injected failure")

func newWorld(current, previous string, units ...string) *world {
	w := &world{tags: Tags{Current: current, Previous: previous}, running: map[string]string{}, upstream: 10080, active: map[OverrideKind]int{},
		retiring: map[string]time.Duration{}}
	for _, u := range units {
		w.running[u] = current
	}
	return w
}

func (w *world) backend(proxy bool) Backend {
	b := Backend{Units: w, Images: w, Hooks: w, Overrides: w, Report: w}
	if proxy {
		b.Proxy, b.Slots = w, w
	}
	return b
}

// failing reports whether call is the one to fail (once).
func (w *world) failing(call string) bool {
	w.calls = append(w.calls, call)
	if w.failAt != call {
		return false
	}
	if w.failNth > 1 {
		w.failNth--
		return false
	}
	w.failAt = ""
	return true
}

func (w *world) failErr(ctx context.Context) error {
	if w.cancel != nil {
		w.cancel() // a signal arrives while the call runs
		return ctx.Err()
	}
	if w.failWith != nil {
		return w.failWith
	}
	return errInjected
}

// Units

func (w *world) RunOneshot(ctx context.Context, unit string, alone bool) error {
	call := "oneshot " + unit
	if w.active[OverrideSkipPostDeployment] > 0 {
		w.calls = append(w.calls, call+" skipping post-deployment migrations")
	}
	if w.failing(call) {
		return w.failErr(ctx)
	}
	return nil
}

func (w *world) Together(ctx context.Context, op string, units []string) error {
	if w.failing(op + " together") {
		return w.failErr(ctx)
	}
	for _, u := range units {
		w.job(op, u)
	}
	return nil
}

func (w *world) job(op, unit string) {
	switch {
	case op == "stop":
		w.running[unit] = ""
	case op == "start" && w.running[unit] != "":
		// systemd: starting a running unit does nothing; it keeps its version.
	default:
		w.running[unit] = w.tags.Current
	}
}

func (w *world) StartAlone(ctx context.Context, units []string) error {
	if w.failing("start alone") {
		for _, u := range units {
			w.running[u] = ""
		}
		return w.failErr(ctx)
	}
	for _, u := range units {
		w.job("start", u)
	}
	return nil
}

func (w *world) RestartRoles(ctx context.Context, roles []string) error {
	if w.failing("restart roles") {
		for _, u := range roles {
			w.running[u] = "" // stopped, the new start failed
		}
		return w.failErr(ctx)
	}
	for _, u := range roles {
		w.job("restart", u)
	}
	return nil
}

func (w *world) StopAlone(ctx context.Context, unit string) error {
	if w.failing("stop " + unit) {
		return w.failErr(ctx)
	}
	w.running[unit] = ""
	return nil
}

func (w *world) HealthGated(ctx context.Context, op, unit string, deadline time.Duration) (string, error) {
	if w.failing("gate " + op + " " + unit) {
		w.running[unit] = "" // the gate stops a unit that missed it
		return w.health, w.failErr(ctx)
	}
	w.job(op, unit)
	return "", nil
}

func (w *world) ResetFailed(context.Context, string) {}

// Images

func (w *world) Build(ctx context.Context, noCache bool) (Built, error) {
	if w.failing("build") {
		return Built{}, w.failErr(ctx)
	}
	return Built{Version: "v2", ImageID: "v2"}, nil
}

func (w *world) Promote(ctx context.Context, id string) (Tags, error) {
	before := w.tags
	if before.Current != "" && before.Current != id {
		w.tags.Previous = before.Current
	}
	if w.failing("promote") {
		return before, w.failErr(ctx) // half-way: previous moved, current not
	}
	w.tags.Current = id
	return before, nil
}

func (w *world) RestoreTags(ctx context.Context, t Tags) error {
	w.calls = append(w.calls, "restore tags")
	w.tags = t
	return nil
}

// Proxy

func (w *world) Unit() string       { return "a-proxy.service" }
func (w *world) SlotPort(i int) int { return 10080 + i }

func (w *world) Switch(ctx context.Context, upstream, bridge int) error {
	if w.failing(fmt.Sprintf("switch %d", upstream)) {
		return w.failErr(ctx)
	}
	w.upstream = upstream
	return nil
}

func (w *world) Drain(context.Context) (time.Duration, error) { return 0, nil }

func (w *world) WaitSlot(ctx context.Context, port int, limit time.Duration) error {
	if w.failing(fmt.Sprintf("wait slot %d", port)) {
		return w.failErr(ctx)
	}
	return nil
}

// Slots

func (w *world) SetLive(ctx context.Context, slot int) error {
	if w.failing(fmt.Sprintf("set live %d", slot)) {
		return w.failErr(ctx)
	}
	w.live = slot
	return nil
}

func (w *world) Retire(ctx context.Context, unit string, after time.Duration) error {
	if w.failing("retire " + unit) {
		w.running[unit] = "" // half done: the stop went through, its result did not come back
		return w.failErr(ctx)
	}
	if after == 0 {
		w.running[unit] = ""
		return nil
	}
	w.retiring[unit] = after
	return nil
}

func (w *world) CancelRetire(ctx context.Context, unit string) error {
	w.calls = append(w.calls, "cancel retire "+unit)
	delete(w.retiring, unit)
	return nil
}

// Hooks

func (w *world) Run(ctx context.Context, name string, info HookInfo) error {
	w.hooks = append(w.hooks, name)
	if w.failing("hook " + name) {
		return w.failErr(ctx)
	}
	return nil
}

// Overrides

func (w *world) Apply(ctx context.Context, os ...Override) (func(context.Context) error, string, error) {
	for _, o := range os {
		w.active[o.Kind]++
	}
	return func(context.Context) error {
		for _, o := range os {
			w.active[o.Kind]--
		}
		return nil
	}, "", nil
}

func (w *world) overridesLeft() []OverrideKind {
	var left []OverrideKind
	for k, n := range w.active {
		if n != 0 {
			left = append(left, k)
		}
	}
	slices.Sort(left)
	return left
}

// Reporter

func (w *world) Printf(format string, a ...any) { w.lines = append(w.lines, fmt.Sprintf(format, a...)) }
func (w *world) Infof(format string, a ...any)  { w.lines = append(w.lines, fmt.Sprintf(format, a...)) }
func (w *world) Errorf(format string, a ...any) { w.lines = append(w.lines, fmt.Sprintf(format, a...)) }
func (w *world) SetVersion(string)              {}
func (w *world) Journal(unit string, _ time.Time, _ int) string {
	return "last lines of " + unit
}
