package main

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quadlaunch/quadlaunch/runtime/versions"
)

// The CLI is built and run for real: a command waiting for an app's lock (held
// here) gets SIGINT or SIGTERM, gives up cleanly and exits 130 or 143, the shell
// convention the units and scripts rely on.
func TestSignalExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "quadlaunch")
	build := exec.Command("go", "build", "-tags", "remote containers_image_openpgp exclude_graphdriver_btrfs", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(filepath.Join(root, "containers"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "containers", "sig.yml"), []byte("base_image: localhost/none:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lockDir := filepath.Join(dir, "locks")
	t.Setenv("QUADLAUNCH_LOCK_DIR", lockDir)
	lock, err := versions.AcquireLock(context.Background(), lockDir, "sig", "the test", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()

	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "--root", root, "migrate", "sig")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waiting := make(chan string, 1)
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					if strings.Contains(sc.Text(), "locked by another command") {
						waiting <- sc.Text()
					}
				}
			}()
			select {
			case <-waiting:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatal("the command never said it waits for the lock")
			}
			if err := cmd.Process.Signal(c.sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("no exit 10s after %s", c.sig)
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != c.code {
				t.Fatalf("after %s: %v, want exit %d", c.sig, err, c.code)
			}
		})
	}
}
