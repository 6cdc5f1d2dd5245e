package session

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/quadlaunch/quadlaunch/runtime/proxy"
	"github.com/quadlaunch/quadlaunch/runtime/rollout"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
	"github.com/quadlaunch/quadlaunch/units"
)

// systemdSlots records the live web slot (LiveSlots, then a daemon-reload so
// that A.target wants it now, not only from the next boot) and retires the
// old slot through a transient unit, so that a keep_previous window outlives
// the command.
type systemdSlots struct{ s Session }

// Slots is the rollout's slot record of the session's app.
func (s Session) Slots() rollout.Slots { return systemdSlots{s} }

func (l systemdSlots) record() proxy.LiveSlots {
	return proxy.NewLiveSlots(l.s.App, l.s.User, systemd.RuntimeDir(l.s.User))
}

func (l systemdSlots) SetLive(ctx context.Context, slot int) error {
	names := units.AppUnits(l.s.App)
	unit := names.Primary
	if slot == 1 {
		unit = names.NextSlot
	}
	if err := l.started(ctx, unit); err != nil {
		return err
	}
	if err := l.record().Set(slot); err != nil {
		return err
	}
	return l.s.Systemd.Reload(ctx)
}

// slotStartLimit bounds how long a slot Podman has marked healthy may take to
// finish starting: Podman looks at the health every 250 ms, then tells systemd.
const slotStartLimit = 30 * time.Second

// started waits until unit's start job has ended with the unit active. A web
// slot counts as healthy, and gets traffic, once Podman has marked it so
// (HealthGated); the job that started it ends a moment later, and a slot
// whose start failed after all must not be recorded as the live one.
func (l systemdSlots) started(ctx context.Context, unit string) error {
	deadline := time.Now().Add(slotStartLimit)
	for {
		st, err := l.s.Systemd.State(ctx, unit)
		if err != nil {
			return err
		}
		switch st.ActiveState {
		case "active", "reloading":
			return nil
		case "activating":
		default:
			return fmt.Errorf("%s is %s (%s) after it was healthy: its start failed (journalctl -u %s)", unit, st.ActiveState, st.SubState, unit)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still starting %s after it was healthy (journalctl -u %s)", unit, slotStartLimit, unit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// retireUnit is the transient unit that stops unit later.
func retireUnit(unit string) string { return strings.TrimSuffix(unit, ".service") + "-retire.service" }

func (l systemdSlots) Retire(ctx context.Context, unit string, after time.Duration) error {
	if err := l.CancelRetire(ctx, unit); err != nil {
		return err
	}
	if after <= 0 {
		return l.s.Systemd.JobAlone(ctx, "stop", unit)
	}
	scope := ""
	if l.s.User {
		scope = "--user "
	}
	// A sleeping transient service rather than a timer: go-systemd cannot
	// create the timer's service beside it, and stopping this one (a new
	// deploy, a rollback into the window) cancels the stop with it.
	cmd := fmt.Sprintf("sleep %d && exec systemctl %sstop --no-block %s", int(after.Round(time.Second).Seconds()), scope, unit)
	desc := fmt.Sprintf("stop %s, the previous version kept by proxy.keep_previous (quadlaunch)", unit)
	if err := l.s.Systemd.RunTransient(ctx, retireUnit(unit), desc, []string{"/bin/sh", "-c", cmd}); err != nil {
		return fmt.Errorf("keep %s for %s: %w", unit, after, err)
	}
	return nil
}

func (l systemdSlots) CancelRetire(ctx context.Context, unit string) error {
	name := retireUnit(unit)
	st, err := l.s.Systemd.State(ctx, name)
	if err != nil || st.LoadState != "loaded" || st.ActiveState == "inactive" || st.ActiveState == "failed" {
		return nil // nothing pending
	}
	return l.s.Systemd.Stop(ctx, name)
}

// SlotRuns reports whether the slot unit's container runs image imageID (a
// full ID or a prefix of one): whether a rollback can reuse the kept slot.
func (s Session) SlotRuns(unit, imageID string) bool {
	state, _, image := s.Engine.ContainerHealth(s.Podman, strings.TrimSuffix(unit, ".service"))
	if state != "running" || imageID == "" || image == "" {
		return false
	}
	return strings.HasPrefix(image, imageID) || strings.HasPrefix(imageID, image)
}
