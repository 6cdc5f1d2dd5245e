package versions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// LockDir is where per-app locks live: /run/quadlaunch, or
// $XDG_RUNTIME_DIR/quadlaunch in user mode.
func LockDir(user bool) string {
	if d := os.Getenv("QUADLAUNCH_LOCK_DIR"); d != "" {
		return d
	}
	if user {
		dir := os.Getenv("XDG_RUNTIME_DIR")
		if dir == "" {
			dir = fmt.Sprintf("/run/user/%d", os.Getuid())
		}
		return filepath.Join(dir, "quadlaunch")
	}
	return "/run/quadlaunch"
}

// Lock is a held per-app lock (flock: released by the kernel if the process dies).
type Lock struct{ f *os.File }

// ErrLockTimeout is returned when the lock was not free within the timeout.
var ErrLockTimeout = errors.New("timed out waiting for the lock")

// AcquireLock takes the exclusive lock of app. When another command holds it, it
// says so once on msg and waits until it is free, ctx is done or timeout (0 =
// forever) passes. what describes this command, shown to the next waiter.
func AcquireLock(ctx context.Context, dir, app, what string, timeout time.Duration, msg io.Writer) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, app+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			_ = f.Truncate(0)
			_, _ = f.WriteAt([]byte(what+"\n"), 0)
			return &Lock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !told && msg != nil {
			holder, _ := os.ReadFile(path)
			fmt.Fprintf(msg, "quadlaunch: %s is locked by another command (%s), waiting...\n", app, strings.TrimSpace(string(holder)))
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-deadline:
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", app, ErrLockTimeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Release drops the lock.
func (l *Lock) Release() {
	if l != nil && l.f != nil {
		_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		l.f.Close()
		l.f = nil
	}
}
