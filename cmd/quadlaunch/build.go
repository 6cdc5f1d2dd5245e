package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/generator"
)

func init() { commands = append(commands, buildCommand()) }

func buildCommand() *cli.Command {
	return &cli.Command{
		Name:      "build",
		Usage:     "build the app's image from base_image and its run steps (skipping db/migrate/precompile); moves current on success",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-cache", Usage: "ignore the layer cache and run every step"},
			lockTimeoutFlag(),
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			s, err := openSession(ctx, cmd, sessionOpts{podman: true, lock: true, build: true})
			if err != nil {
				return err
			}
			defer s.Close()
			return s.Rollout().Build(ctx, cmd.Bool("no-cache"))
		},
	}
}

// requireBaseImage fails a build of an app without base_image, naming the config
// file and the key. The loader only warns (units need no build); a build cannot
// go on, and a pull of "" would say nothing useful.
func requireBaseImage(app *generator.App) error {
	if app.BaseImage != "" {
		return nil
	}
	return cli.Exit(fmt.Sprintf("%s: base_image: not set, in the app file or any of its templates: `quadlaunch build %s` has no image to build from", app.ConfigPath, app.Name), 1)
}
