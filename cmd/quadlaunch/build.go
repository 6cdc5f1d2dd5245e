package main

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
)

func init() { commands = append(commands, buildCommand()) }

func buildCommand() *cli.Command {
	return &cli.Command{
		Name:      "build",
		Usage:     "build the app's image from base_image and its run steps (skipping db/migrate/precompile); moves current on success",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-cache", Usage: "ignore the layer cache and run every step"},
			pullFlag(),
			lockTimeoutFlag(),
		},
		Action: withSession(session.Options{Podman: true, Lock: true, Build: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			return s.Build(ctx, cmd.Bool("no-cache"))
		}),
	}
}
