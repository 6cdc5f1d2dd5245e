package versions

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLockSecondWaitsWithMessageAndTimesOut(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	first, err := AcquireLock(ctx, dir, "demo", "build demo", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var msg bytes.Buffer
	start := time.Now()
	_, err = AcquireLock(ctx, dir, "demo", "rebuild demo", 300*time.Millisecond, &msg)
	if !errors.Is(err, ErrLockTimeout) {
		t.Fatalf("second lock: got %v, want timeout", err)
	}
	if time.Since(start) < 250*time.Millisecond {
		t.Fatalf("second lock gave up too early: %v", time.Since(start))
	}
	if !strings.Contains(msg.String(), "waiting") || !strings.Contains(msg.String(), "build demo") {
		t.Fatalf("waiting message should name the holder, got %q", msg.String())
	}
	// Another app is independent.
	other, err := AcquireLock(ctx, dir, "other", "build other", 100*time.Millisecond, nil)
	if err != nil {
		t.Fatalf("lock of another app: %v", err)
	}
	other.Release()
	first.Release()
}

func TestLockWaiterGetsItAfterRelease(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	first, err := AcquireLock(ctx, dir, "demo", "a", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() { time.Sleep(200 * time.Millisecond); first.Release() }()
	second, err := AcquireLock(ctx, dir, "demo", "b", 5*time.Second, nil)
	if err != nil {
		t.Fatalf("waiter did not get the lock after release: %v", err)
	}
	second.Release()
}

func TestLockCancelledContext(t *testing.T) {
	dir := t.TempDir()
	first, _ := AcquireLock(context.Background(), dir, "demo", "a", 0, nil)
	defer first.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if _, err := AcquireLock(ctx, dir, "demo", "b", 0, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context error", err)
	}
}
