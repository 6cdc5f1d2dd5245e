package systemd

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// What a deploy needs from systemd beyond the other commands.

// ReloadUnit runs the unit's ExecReload= and waits for it.
func (s *Manager) ReloadUnit(ctx context.Context, unit string) error {
	return s.job(ctx, "reload", s.conn.ReloadUnitContext, unit)
}

// SignalMain sends sig to the unit's main process through the manager, as
// `systemctl kill --kill-whom=main` does: what an ExecReload=/bin/kill -HUP
// $MAINPID does, without a job and a process.
func (s *Manager) SignalMain(ctx context.Context, unit string, sig syscall.Signal) error {
	if err := s.conn.KillUnitWithTarget(ctx, unit, sd.Main, int32(sig)); err != nil {
		return fmt.Errorf("signal %s: %w", unit, err)
	}
	return nil
}

// JobAlone queues op ("start", "restart", "stop") on unit with job mode
// ignore-dependencies: a deploy has just run migrate and configure itself, so a
// role restart must not pull them in (Requires=) again. It waits for the job;
// when ctx ends first (the health deadline), the unit is stopped.
func (s *Manager) JobAlone(ctx context.Context, op, unit string) error {
	if op != "stop" {
		// Its other requirements (the volumes, the link networks of the apps
		// linking to it) must be there all the same: started first, as a
		// plain start would.
		if deps := s.requiresBesidesPasses(ctx, unit); len(deps) > 0 {
			if err := s.JobsTogether(ctx, "start", deps); err != nil {
				return err
			}
		}
	}
	ch := make(chan string, 1)
	if err := s.queueJob(ctx, op, unit, "ignore-dependencies", ch); err != nil {
		return err
	}
	select {
	case r := <-ch:
		if r != "done" {
			return &JobError{Unit: unit, Op: op, Result: r, Detail: s.failureDetail(context.WithoutCancel(ctx), unit)}
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// requiresBesidesPasses is unit's Requires= without the app's migrate and
// configure (what a deploy has just run itself).
func (s *Manager) requiresBesidesPasses(ctx context.Context, unit string) []string {
	p, err := s.conn.GetUnitPropertyContext(ctx, unit, "Requires")
	if err != nil {
		return nil
	}
	all, _ := p.Value.Value().([]string)
	var out []string
	for _, d := range all {
		if !strings.HasSuffix(d, "-migrate.service") && !strings.HasSuffix(d, "-configure.service") {
			out = append(out, d)
		}
	}
	return out
}

// ControlGroup is the unit's cgroup path below /sys/fs/cgroup.
func (s *Manager) ControlGroup(ctx context.Context, unit string) (string, error) {
	p, err := s.conn.GetUnitTypePropertyContext(ctx, unit, "Service", "ControlGroup")
	if err != nil {
		return "", fmt.Errorf("cgroup of %s: %w", unit, err)
	}
	cg, _ := p.Value.Value().(string)
	if cg == "" {
		return "", fmt.Errorf("%s has no cgroup (not running?)", unit)
	}
	return cg, nil
}

// JournalExcerpt returns the last lines of a unit's journal since t, without
// Podman's container event lines (each repeats every label of the image).
func JournalExcerpt(unit string, user bool, since time.Time, lines int) string {
	args := JournalctlArgs(unit, user, false, since.Add(-time.Second))
	out, err := exec.Command("journalctl", args...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return fmt.Sprintf("(journalctl: %v)", err)
	}
	return excerpt(string(out), lines)
}

// RunTransient starts a transient service running argv, as systemd-run
// would, and does not wait for it; the unit is collected when it ends, also
// when it fails.
func (s *Manager) RunTransient(ctx context.Context, name, description string, argv []string) error {
	props := []sd.Property{
		sd.PropDescription(description),
		sd.PropExecStart(argv, false),
		{Name: "CollectMode", Value: dbus.MakeVariant("inactive-or-failed")},
	}
	_, err := s.conn.StartTransientUnitContext(ctx, name, "replace", props, nil)
	return err
}
