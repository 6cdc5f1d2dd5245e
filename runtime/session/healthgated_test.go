package session

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quadlaunch/quadlaunch/runtime/systemd"
)

// fakeJobs: JobAlone ends with result after delay (0: never, until its ctx ends).
type fakeJobs struct {
	mu      sync.Mutex
	calls   []string
	delay   time.Duration
	result  error
	stopped bool
}

func (f *fakeJobs) log(s string)                               { f.mu.Lock(); f.calls = append(f.calls, s); f.mu.Unlock() }
func (f *fakeJobs) ResetFailed(_ context.Context, unit string) { f.log("reset-failed " + unit) }
func (f *fakeJobs) Stop(_ context.Context, unit string) error {
	f.log("stop " + unit)
	f.mu.Lock()
	f.stopped = true
	f.mu.Unlock()
	return nil
}
func (f *fakeJobs) JobAlone(ctx context.Context, op, unit string) error {
	f.log(op + " " + unit)
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
			return f.result
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	<-ctx.Done()
	return ctx.Err()
}

// fakeHealth: the container before the job is old; after the first look it
// is a new container with health now.
type fakeHealth struct {
	mu      sync.Mutex
	looks   int
	now     string
	removed time.Time // from then on the container is gone (zero: never)
	// goneAfter: after this many reports the container is gone (0: never).
	reports, goneAfter int
}

func (f *fakeHealth) HealthOf(_ context.Context, name string) (string, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.looks++
	if f.looks == 1 {
		return "old-" + name, "unhealthy" // the old container's state never counts
	}
	return "new-" + name, f.now
}
func (f *fakeHealth) HealthReport(_ context.Context, name string) string {
	f.mu.Lock()
	f.reports++
	gone := f.goneAfter > 0 && f.reports > f.goneAfter
	f.mu.Unlock()
	if gone || !f.removed.IsZero() && time.Now().After(f.removed) {
		return ""
	}
	return "health of " + name + ": " + f.now + ", 1 failed checks in a row"
}

func TestHealthGated(t *testing.T) {
	const unit = "app-web.service"
	t.Run("healthy", func(t *testing.T) {
		jobs, h := &fakeJobs{delay: 10 * time.Millisecond}, &fakeHealth{now: "healthy"}
		health, err := healthGated(context.Background(), jobs, h, context.Background(), "restart", unit, time.Minute, nil)
		if err != nil || health != "" || jobs.stopped {
			t.Fatalf("health %q err %v stopped %v", health, err, jobs.stopped)
		}
		if want := []string{"reset-failed " + unit, "restart " + unit}; strings.Join(jobs.calls, ",") != strings.Join(want, ",") {
			t.Errorf("calls %q, want %q", jobs.calls, want)
		}
	})
	t.Run("killed by HealthOnFailure", func(t *testing.T) {
		// Podman kills the container when its check fails, before the poll
		// sees "unhealthy": the job fails with status 137 of a checked container.
		jobs := &fakeJobs{delay: 600 * time.Millisecond, result: &systemd.JobError{Unit: unit, Op: "restart", Result: "failed", Detail: "result exit-code, exit status 137"}}
		// Podman also removes it before the job returns: the report is the
		// one last polled.
		h := &fakeHealth{now: "starting", removed: time.Now().Add(500 * time.Millisecond)}
		health, err := healthGated(context.Background(), jobs, h, context.Background(), "restart", unit, time.Minute, nil)
		if err == nil || !strings.Contains(err.Error(), "became unhealthy") ||
			health != "health of app-web: unhealthy, killed (HealthOnFailure=kill) and removed by Podman; last seen: starting, 1 failed checks in a row" {
			t.Fatalf("health %q err %v, want became unhealthy with the last report", health, err)
		}
	})
	t.Run("job fails", func(t *testing.T) {
		jobs := &fakeJobs{delay: time.Millisecond, result: errors.New("start app-web.service: job failed")}
		health, err := healthGated(context.Background(), jobs, &fakeHealth{}, context.Background(), "start", unit, time.Minute, nil)
		if err == nil || err.Error() != "start app-web.service: job failed" || health != "" || jobs.stopped {
			t.Fatalf("health %q err %v stopped %v", health, err, jobs.stopped)
		}
	})
	t.Run("unhealthy fails early", func(t *testing.T) {
		jobs, h := &fakeJobs{}, &fakeHealth{now: "unhealthy"}
		t0 := time.Now()
		health, err := healthGated(context.Background(), jobs, h, context.Background(), "restart", unit, time.Minute, nil)
		if err == nil || !strings.Contains(err.Error(), "app-web.service became unhealthy") {
			t.Fatalf("err %v", err)
		}
		if health != "health of app-web: unhealthy, 1 failed checks in a row" || !jobs.stopped || time.Since(t0) > 10*time.Second {
			t.Errorf("health %q stopped %v after %s", health, jobs.stopped, time.Since(t0))
		}
	})
	t.Run("unhealthy, then removed before the report", func(t *testing.T) {
		// The poll saw "unhealthy"; HealthOnFailure=kill had Podman kill and
		// remove the container before the report after the job: the report is
		// the one the poll kept (CI's rootless never-healthy deploy had none).
		jobs, h := &fakeJobs{}, &fakeHealth{now: "unhealthy", goneAfter: 1}
		health, err := healthGated(context.Background(), jobs, h, context.Background(), "restart", unit, time.Minute, nil)
		if err == nil || !strings.Contains(err.Error(), "app-web.service became unhealthy") {
			t.Fatalf("err %v", err)
		}
		if health != "health of app-web: unhealthy, killed (HealthOnFailure=kill) and removed by Podman; last seen: unhealthy, 1 failed checks in a row" || !jobs.stopped {
			t.Errorf("health %q stopped %v", health, jobs.stopped)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		jobs, h := &fakeJobs{}, &fakeHealth{now: "starting"}
		health, err := healthGated(context.Background(), jobs, h, context.Background(), "restart", unit, 50*time.Millisecond, nil)
		if err == nil || err.Error() != "app-web.service did not become healthy within 50ms (deploy_timeout)" {
			t.Fatalf("err %v", err)
		}
		if health != "health of app-web: starting, 1 failed checks in a row" || !jobs.stopped {
			t.Errorf("health %q stopped %v", health, jobs.stopped)
		}
	})
	t.Run("healthy before the job ends", func(t *testing.T) {
		// Podman marked the new container healthy (promptHealth): the start
		// job, still waiting for Podman's READY, is left to end by itself.
		jobs, h := &fakeJobs{}, &fakeHealth{now: "healthy"}
		healthy := make(chan struct{})
		time.AfterFunc(20*time.Millisecond, func() { close(healthy) })
		t0 := time.Now()
		health, err := healthGated(context.Background(), jobs, h, context.Background(), "restart", unit, time.Minute, healthy)
		if err != nil || health != "" || jobs.stopped || time.Since(t0) > 5*time.Second {
			t.Fatalf("health %q err %v stopped %v after %s", health, err, jobs.stopped, time.Since(t0))
		}
	})
	t.Run("job fails before healthy", func(t *testing.T) {
		jobs := &fakeJobs{delay: time.Millisecond, result: errors.New("start app-web.service: job failed")}
		health, err := healthGated(context.Background(), jobs, &fakeHealth{now: "starting"}, context.Background(), "start", unit, time.Minute, make(chan struct{}))
		if err == nil || err.Error() != "start app-web.service: job failed" || health != "" {
			t.Fatalf("health %q err %v", health, err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		jobs, h := &fakeJobs{}, &fakeHealth{now: "starting"}
		time.AfterFunc(20*time.Millisecond, cancel)
		health, err := healthGated(ctx, jobs, h, context.Background(), "restart", unit, time.Minute, nil)
		if !errors.Is(err, context.Canceled) || health != "" || jobs.stopped {
			t.Fatalf("health %q err %v stopped %v: a cancelled deploy's unit is the rollout's to handle", health, err, jobs.stopped)
		}
	})
}
