package podman

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Reexec is the Engine of the quadlaunch on PATH, the build without the
// Podman bindings. Go runs the initialisation of every package linked into a
// binary at each start, used or not, and the bindings link about 750 (image
// signing, OpenAPI validators, protobuf registries): most of what a command
// cost before it did anything. So a command goes on in quadlaunch-podman, the
// same command built with the bindings (cmd/quadlaunch/podman.go), at its
// first connection to Podman: Connect re-executes the process there with the
// same arguments and environment (and PID: an in-unit migrate stays the
// unit's main process), and does not return on success. Every other method
// takes the context Connect returns, so only Connect is ever called (the
// embedded nil Engine is never used). Commands that never talk to Podman
// (help, validate, render, logs, ...) never pay for it. Nothing a command
// does before Connect may have an effect that running it again would repeat
// (session.Open connects before it takes the app's lock).
type Reexec struct{ Engine }

// Connect re-executes this process as quadlaunch-podman.
func (Reexec) Connect(ctx context.Context, user bool) (context.Context, error) {
	helper, err := podmanHelper()
	if err != nil {
		return nil, err
	}
	err = syscall.Exec(helper, os.Args, os.Environ())
	return nil, fmt.Errorf("run %s (quadlaunch with Podman): %w", helper, err)
}

// podmanHelper finds quadlaunch-podman relative to this executable, so the
// two always come from the same build: installed, in ../libexec/quadlaunch/
// (/usr/bin/quadlaunch, /usr/libexec/quadlaunch/quadlaunch-podman); built
// with make, beside it (bin/).
func podmanHelper() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find quadlaunch-podman: %w", err)
	}
	dir := filepath.Dir(exe)
	candidates := []string{
		filepath.Join(dir, "..", "libexec", "quadlaunch", "quadlaunch-podman"),
		filepath.Join(dir, "quadlaunch-podman"),
	}
	for _, p := range candidates {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return filepath.Clean(p), nil
		}
	}
	return "", fmt.Errorf("quadlaunch-podman (quadlaunch with Podman) is neither in %s nor in %s", filepath.Clean(candidates[0]), candidates[1])
}
