//go:build remote

package main

import (
	"context"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/exportfiles"
	"github.com/quadlaunch/quadlaunch/runtime/podman"
	"github.com/quadlaunch/quadlaunch/runtime/session"
)

// engine is Podman as the commands use it: the Podman adapter (package
// runtime/podman), the one part of quadlaunch built with the bindings' tags.
// This is the only file of the command that needs them.
var engine podman.Engine = podman.Bindings{}

// exportAction is `quadlaunch export` here, the build that links package
// export (and k8s.io/api with it): see runtime/exportfiles.
func exportAction(ctx context.Context, cmd *cli.Command) error {
	app, err := session.LoadApp(rootDir(cmd), cmd.Args().Get(1))
	if err != nil {
		return err
	}
	return exportfiles.WriteExport(app, exportfiles.ExportRequest{Format: cmd.Args().Get(0), Out: cmd.String("out"), Image: cmd.String("image"),
		Namespace: cmd.String("namespace"), Replicas: int(cmd.Int("replicas")), Target: cmd.String("for")}, os.Stdout, os.Stderr)
}
