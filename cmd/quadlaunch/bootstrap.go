package main

import (
	"context"

	"github.com/quadlaunch/quadlaunch/runtime/session"
	"github.com/urfave/cli/v3"
)

func init() { commands = append(commands, bootstrapCommand()) }

func bootstrapCommand() *cli.Command {
	return &cli.Command{
		Name:      "bootstrap",
		Usage:     "build, migrate and configure the app (launcher2's bootstrap); roles are not started",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-cache", Usage: "ignore the layer cache and run every build step"},
			pullFlag(),
			lockTimeoutFlag(),
		},
		Action: withSession(session.Options{Podman: true, Lock: true, Build: true, Systemd: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			return s.Bootstrap(ctx, cmd.Bool("no-cache"))
		}),
	}
}
