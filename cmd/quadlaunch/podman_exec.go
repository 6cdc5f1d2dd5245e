//go:build !remote

package main

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/podman"
)

// engine of the quadlaunch on PATH, built without the Podman bindings: a
// command goes on in quadlaunch-podman at its first connection to Podman
// (podman.Reexec says why).
var engine podman.Engine = podman.Reexec{}

// exportAction goes on in quadlaunch-podman, the build that links package
// export (runtime/exportfiles says why): Reexec's Connect re-executes there.
func exportAction(ctx context.Context, cmd *cli.Command) error {
	_, err := engine.Connect(ctx, userMode(cmd))
	return err
}
