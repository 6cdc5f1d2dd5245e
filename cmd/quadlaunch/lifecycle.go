package main

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
)

// The app's units and its proxy driven over D-Bus, the image untouched.
func init() {
	commands = append(commands, lifecycleCommand("start"), lifecycleCommand("stop"), lifecycleCommand("restart"), maintenanceCommand())
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

func maintenanceCommand() *cli.Command {
	return &cli.Command{
		Name:  "maintenance",
		Usage: "on: the proxy answers every request with the maintenance page (503, Retry-After), the app untouched; off: traffic back",
		Description: "Both switch the proxy's config with a graceful reload: every request gets the app or the page, none fails.\n" +
			"A deploy or rollback meanwhile keeps the page up; a reboot ends maintenance.",
		ArgsUsage: "APP on|off",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "message", Usage: "the page's text (HTML-escaped)"},
			lockTimeoutFlag(),
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			state := cmd.Args().Get(1)
			if state != "on" && state != "off" || cmd.Args().Len() != 2 {
				return cli.Exit("usage: quadlaunch maintenance APP on|off [--message TEXT]", 2)
			}
			return withSession(session.Options{Lock: true, Systemd: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
				return s.Maintenance(ctx, state == "on", cmd.String("message"))
			})(ctx, cmd)
		},
	}
}
