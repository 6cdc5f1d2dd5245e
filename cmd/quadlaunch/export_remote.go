//go:build remote

package main

import (
	"context"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
)

// exportAction is `quadlaunch export` in the build that links package
// export (and k8s.io/api with it).
func exportAction(ctx context.Context, cmd *cli.Command) error {
	if cmd.Args().Len() != 2 {
		return cli.Exit("usage: quadlaunch export kube|compose APP [--out DIR]", 2)
	}
	app, err := session.LoadApp(rootDir(cmd), cmd.Args().Get(1))
	if err != nil {
		return err
	}
	return session.WriteExport(app, session.ExportRequest{Format: cmd.Args().Get(0), Out: cmd.String("out"), Image: cmd.String("image"),
		Namespace: cmd.String("namespace"), Replicas: int(cmd.Int("replicas"))}, os.Stdout, os.Stderr)
}
