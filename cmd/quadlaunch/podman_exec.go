//go:build !remote

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/quadlaunch/quadlaunch/runtime/podman"
)

// The quadlaunch on PATH is this build, without the Podman bindings. Go runs
// the initialisation of every package linked into a binary at each start,
// used or not, and the bindings link about 750 (image signing, OpenAPI
// validators, protobuf registries): most of what a command cost before it
// did anything. So a command goes on in quadlaunch-podman, the same command
// built with the bindings (podman.go), at its first connection to Podman: the
// process re-executes itself there with the same arguments and environment
// (and PID: an in-unit migrate stays the unit's main process). Commands that
// never talk to Podman (help, validate, render, logs, status of an unknown
// app, ...) never pay for it. Nothing a command does before Connect has an
// effect that running it again would repeat (openSession connects before it
// takes the app's lock).
var engine podman.Engine = reexecEngine{}

// reexecEngine is the Engine of this build: Connect does not return on
// success, and every other method takes the context Connect returns, so
// only Connect is ever called (the embedded nil Engine is never used).
type reexecEngine struct{ podman.Engine }

func (reexecEngine) Connect(ctx context.Context, user bool) (context.Context, error) {
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
