package systemd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
)

// JobsTogether queues op on every unit at once and waits for all: systemd merges
// the start jobs of shared dependencies (migrate, configure), so they run once.
func (s *Manager) JobsTogether(ctx context.Context, op string, units []string) error {
	return s.jobsTogether(ctx, op, "replace", units)
}

// StartAlone starts units together without their Requires= (migrate,
// configure): for roles right after the command ran those itself.
func (s *Manager) StartAlone(ctx context.Context, units []string) error {
	return s.jobsTogether(ctx, "start", "ignore-dependencies", units)
}

func (s *Manager) jobsTogether(ctx context.Context, op, mode string, units []string) error {
	type res struct {
		unit string
		ch   chan string
	}
	var pending []res
	for _, u := range units {
		ch := make(chan string, 1)
		if err := s.queueJob(ctx, op, u, mode, ch); err != nil {
			return err
		}
		pending = append(pending, res{u, ch})
	}
	var errs []error
	for _, p := range pending {
		select {
		case r := <-p.ch:
			if r != "done" {
				errs = append(errs, &JobError{Unit: p.unit, Op: op, Result: r, Detail: s.failureDetail(context.WithoutCancel(ctx), p.unit)})
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return errors.Join(errs...)
}

// FailedDependency names the first of units that is in the failed state; used to
// say which unit made a role's start fail.
func (s *Manager) FailedDependency(ctx context.Context, units ...string) string {
	for _, u := range units {
		if st, err := s.State(ctx, u); err == nil && st.ActiveState == "failed" {
			return u
		}
	}
	return ""
}

// RunUnit starts a oneshot unit, copies its journal to out while it runs and
// returns its result. A cancelled ctx sends SIGTERM to the unit's processes
// and waits (bounded) for it to end failed. It is a kill, not a stop job: a stop
// of APP-migrate would propagate through Requires= and stop the roles, i.e.
// take down the old web that must keep serving.
func (s *Manager) RunUnit(ctx context.Context, unit string, out io.Writer) error {
	return s.runUnit(ctx, unit, "replace", out)
}

// RunUnitAlone is RunUnit without starting the unit's Requires= first: for
// APP-configure right after the command ran APP-migrate itself. A plain start
// would run APP-migrate again (a oneshot is inactive once done), and in full:
// the post-deployment migrations a deploy or rebuild holds back until the new
// version serves would run while the old one still does.
func (s *Manager) RunUnitAlone(ctx context.Context, unit string, out io.Writer) error {
	return s.runUnit(ctx, unit, "ignore-dependencies", out)
}

func (s *Manager) runUnit(ctx context.Context, unit, mode string, out io.Writer) error {
	s.ResetFailed(ctx, unit)
	f := FollowUnit(context.WithoutCancel(ctx), unit, s.User, time.Now(), out)
	ch := make(chan string, 1)
	jobID, err := s.conn.StartUnitContext(ctx, unit, mode, ch)
	if err != nil {
		f.Stop(0, 0)
		return fmt.Errorf("start %s: %w", unit, err)
	}
	var result string
	select {
	case result = <-ch:
	case <-ctx.Done():
		bg := context.WithoutCancel(ctx)
		_ = s.conn.KillUnitWithTarget(bg, unit, sd.All, int32(syscall.SIGTERM))
		select {
		case result = <-ch:
		case <-time.After(90 * time.Second):
			result = "timeout"
		}
		f.Stop(jobID, 2*time.Second)
		return fmt.Errorf("%s terminated (job %s, %s): %w", unit, result, s.failureDetail(bg, unit), ctx.Err())
	}
	f.Stop(jobID, 2*time.Second)
	if result != "done" {
		return &JobError{Unit: unit, Op: "start", Result: result, Detail: s.failureDetail(context.WithoutCancel(ctx), unit)}
	}
	return nil
}

// start and restart (a stop always replaces); the job's result arrives on ch.
func (s *Manager) queueJob(ctx context.Context, op, unit, mode string, ch chan<- string) error {
	var err error
	switch op {
	case "start":
		_, err = s.conn.StartUnitContext(ctx, unit, mode, ch)
	case "restart":
		_, err = s.conn.RestartUnitContext(ctx, unit, mode, ch)
	case "stop":
		_, err = s.conn.StopUnitContext(ctx, unit, "replace", ch)
	default:
		return fmt.Errorf("unknown job %s", op)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, unit, err)
	}
	return nil
}
