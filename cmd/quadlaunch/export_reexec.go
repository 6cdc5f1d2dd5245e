//go:build !remote

package main

import (
	"context"

	"github.com/urfave/cli/v3"
)

// exportAction goes on in quadlaunch-podman, the build that links package
// export (podman.Reexec's Connect re-executes this process there).
func exportAction(ctx context.Context, cmd *cli.Command) error {
	_, err := engine.Connect(ctx, userMode(cmd))
	return err
}
