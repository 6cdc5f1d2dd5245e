package main

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/proxy"
	"github.com/quadlaunch/quadlaunch/runtime/session"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
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
		Action: func(ctx context.Context, cmd *cli.Command) error {
			s, err := openSession(ctx, cmd, session.Options{Lock: true})
			if err != nil {
				return err
			}
			defer s.Close()
			sd, err := s.Manager(ctx)
			if err != nil {
				return err
			}
			// With the proxy, the live web slot (A-web or A-web-next) is the one started.
			names := proxy.LiveAppUnits(s.App, sd.User, systemd.RuntimeDir(sd.User))
			if op == "restart" {
				return session.RestartRoles(ctx, sd, s.App, names.Roles)
			}
			unitNames := names.Roles
			if op == "start" {
				unitNames = append(unitNames, names.Target)
			}
			return sd.JobsTogether(ctx, op, unitNames)
		},
	}
}
