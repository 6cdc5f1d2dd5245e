//go:build remote

package runtime

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/containers/podman/v5/pkg/bindings/containers"
)

// What a deploy needs from systemd and Podman beyond the other commands.

// ReloadUnit runs the unit's ExecReload= and waits for it.
func (s *Systemd) ReloadUnit(ctx context.Context, unit string) error {
	return s.job(ctx, "reload", s.conn.ReloadUnitContext, unit)
}

// JobAlone queues op ("start", "restart", "stop") on unit with job mode
// ignore-dependencies: a deploy has just run migrate and configure itself, so a
// role restart must not pull them in (Requires=) again. It waits for the job;
// when ctx ends first (the health deadline), the unit is stopped.
func (s *Systemd) JobAlone(ctx context.Context, op, unit string) error {
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

// ControlGroup is the unit's cgroup path below /sys/fs/cgroup.
func (s *Systemd) ControlGroup(ctx context.Context, unit string) (string, error) {
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

// HealthOf returns a container's ID and health status ("" when absent or
// without a health check).
func HealthOf(ctx context.Context, name string) (id, health string) {
	c, err := containers.Inspect(ctx, name, nil)
	if err != nil || c.State == nil {
		return "", ""
	}
	if c.State.Health != nil {
		health = c.State.Health.Status
	}
	return c.ID, health
}

// HealthReport describes a container's health check state and its last
// results, for a deploy's failure report ("" when it has no health check).
func HealthReport(ctx context.Context, name string) string {
	c, err := containers.Inspect(ctx, name, nil)
	if err != nil || c.State == nil || c.State.Health == nil {
		return ""
	}
	h := c.State.Health
	var b strings.Builder
	fmt.Fprintf(&b, "health of %s: %s, %d failed checks in a row", name, h.Status, h.FailingStreak)
	log := h.Log
	if len(log) > 3 {
		log = log[len(log)-3:]
	}
	for _, l := range log {
		fmt.Fprintf(&b, "\n  check at %s: exit %d %s", l.Start, l.ExitCode, strings.TrimSpace(l.Output))
	}
	return b.String()
}

// ContainerStarted returns a container's ID and start time ("" when absent):
// how a deploy shows a role was or was not restarted.
func ContainerStarted(ctx context.Context, name string) (id string, started time.Time) {
	c, err := containers.Inspect(ctx, name, nil)
	if err != nil || c.State == nil {
		return "", time.Time{}
	}
	return c.ID, c.State.StartedAt
}
