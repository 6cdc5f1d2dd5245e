package certificates

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lock takes an exclusive flock on NAME's certificate directory so that two
// renewals (the timer and an operator) do not both order a certificate; it
// waits until ctx ends.
func (s *Store) lock(ctx context.Context, name string) (func(), error) {
	dir := s.CertDir(name)
	if err := s.mkdirs(dir); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if err != syscall.EWOULDBLOCK {
			_ = f.Close()
			return nil, fmt.Errorf("certificates: lock %s: %w", dir, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("certificates: another renewal of %s holds %s: %w", name, dir, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
