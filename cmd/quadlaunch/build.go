package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime"
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
			_, err = buildAndPromote(s, cmd.Bool("no-cache"))
			return err
		},
	}
}

// buildAndPromote builds the app and makes the result current; returns the tags as
// they were before, so a later failure can put them back.
func buildAndPromote(s *session, noCache bool) (runtime.Tags, error) {
	start := time.Now()
	if err := requireBaseImage(s.App); err != nil {
		return runtime.Tags{}, err
	}
	plan := runtime.PlanPhase(s.App, runtime.PhaseBuild)
	res, err := runtime.Build(s.Podman, plan, runtime.BuildOptions{Out: os.Stdout, NoCache: noCache, ToolVersion: version})
	if err != nil {
		return runtime.Tags{}, fmt.Errorf("build %s: %w", s.App.Name, err)
	}
	old, err := runtime.Promote(s.Podman, s.App.Name, res.ImageID)
	if err != nil {
		return old, err
	}
	s.Log.Version = res.Version
	s.Log.Infof("%s: version %s is current (%d steps, %d cached, %s)", s.App.Name, res.Version, res.Steps, res.Cached, since(start))
	return old, nil
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
