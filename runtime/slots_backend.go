package runtime

import (
	"context"
	"fmt"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/quadlaunch/quadlaunch/runtime/rollout"
)

// systemdSlots records the live web slot (LiveSlots, then a daemon-reload so
// that A.target wants it now, not only from the next boot) and retires the
// old slot through a transient unit, so that a keep_previous window outlives
// the command.
type systemdSlots struct{ s RolloutSession }

// Slots is the rollout's slot record of the session's app.
func (s RolloutSession) Slots() rollout.Slots { return systemdSlots{s} }

func (l systemdSlots) record() LiveSlots {
	return NewLiveSlots(l.s.App, l.s.User, RuntimeDir(l.s.User))
}

func (l systemdSlots) SetLive(ctx context.Context, slot int) error {
	if err := l.record().Set(slot); err != nil {
		return err
	}
	return l.s.Systemd.Reload(ctx)
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
	props := []sd.Property{
		sd.PropDescription(fmt.Sprintf("stop %s, the previous version kept by proxy.keep_previous (quadlaunch)", unit)),
		sd.PropExecStart([]string{"/bin/sh", "-c", cmd}, false),
		{Name: "CollectMode", Value: dbus.MakeVariant("inactive-or-failed")},
	}
	if _, err := l.s.Systemd.conn.StartTransientUnitContext(ctx, retireUnit(unit), "replace", props, nil); err != nil {
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
func (s RolloutSession) SlotRuns(unit, imageID string) bool {
	state, _, image := s.Engine.ContainerHealth(s.Podman, strings.TrimSuffix(unit, ".service"))
	if state != "running" || imageID == "" || image == "" {
		return false
	}
	return strings.HasPrefix(image, imageID) || strings.HasPrefix(imageID, image)
}
