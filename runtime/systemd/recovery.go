package systemd

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Recovery from a failed dependency. A role's restart (Restart=on-failure)
// or its start at boot runs A-migrate first; when that fails because
// something it needs is down (the database app), systemd fails the role's
// job with "dependency" and never tries again: the app stays down after the
// database is back. So the failed run's report (dependency-failed, its
// ExecStopPost=) sees which roles were waiting for it (a queued start job:
// a stop or a deploy's own run of migrate has none) and starts A-recover, a
// transient service that starts them again on a backoff schedule, a bounded
// number of times, each attempt in the journal.

// Backoff is a recovery's schedule: Attempts tries, the first after First,
// each next one twice as long after, never longer than Max.
type Backoff struct {
	Attempts   int
	First, Max time.Duration
}

// DefaultBackoff: 10 s, 20 s, 40 s, 80 s, 160 s, then every 5 min: 8
// attempts, about 25 minutes in all.
var DefaultBackoff = Backoff{Attempts: 8, First: 10 * time.Second, Max: 5 * time.Minute}

// Delay is the wait before attempt (1-based).
func (b Backoff) Delay(attempt int) time.Duration {
	d := b.First
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// RecoverUnit is app's recovery service.
func RecoverUnit(app string) string { return app + "-recover.service" }

// WaitingToStart is those of units that have a start (or restart) job
// queued: what a failed dependency is about to fail.
func (s *Manager) WaitingToStart(ctx context.Context, units []string) ([]string, error) {
	jobs, err := s.conn.ListJobsContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	var out []string
	for _, j := range jobs {
		if slices.Contains(units, j.Unit) && (j.JobType == "start" || j.JobType == "restart") && !slices.Contains(out, j.Unit) {
			out = append(out, j.Unit)
		}
	}
	return out, nil
}

// Active reports whether unit runs (active or reloading). A unit whose
// restart failed by dependency can stay "activating" (auto-restart) with
// nothing left to start it: that is not running; a start job for a unit
// really starting just joins the one in progress.
func (s *Manager) Active(ctx context.Context, unit string) bool {
	st, err := s.State(ctx, unit)
	return err == nil && (st.ActiveState == "active" || st.ActiveState == "reloading")
}

// Orphans are the loaded units matching pattern whose unit file is gone
// (a timer removed from the config keeps firing until stopped).
func (s *Manager) Orphans(ctx context.Context, pattern string) ([]string, error) {
	list, err := s.conn.ListUnitsByPatternsContext(ctx, nil, []string{pattern})
	if err != nil {
		return nil, fmt.Errorf("list units %s: %w", pattern, err)
	}
	var out []string
	for _, u := range list {
		if u.LoadState == "not-found" && u.ActiveState != "inactive" {
			out = append(out, u.Name)
		}
	}
	return out, nil
}
