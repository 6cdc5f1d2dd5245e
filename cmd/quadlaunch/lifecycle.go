package main

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
)

func init() {
	commands = append(commands, lifecycleCommand("start"), lifecycleCommand("stop"), lifecycleCommand("restart"))
}

// lifecycleCommand drives the app's role units over D-Bus. Start and restart pull
// in migrate and configure through the units' Requires=.
func lifecycleCommand(op string) *cli.Command {
	return &cli.Command{
		Name:      op,
		Usage:     op + " the app's roles (systemd units, over D-Bus)",
		ArgsUsage: "APP",
		Flags:     []cli.Flag{lockTimeoutFlag()},
		Action: withSession(session.Options{Lock: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			return s.Lifecycle(ctx, op)
		}),
	}
}
