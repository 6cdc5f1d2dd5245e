package main

import (
	"context"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
	"github.com/quadlaunch/quadlaunch/runtime/versions"
)

func init() { commands = append(commands, versionsCommand(), rollbackCommand(), cleanupCommand()) }

func versionsCommand() *cli.Command {
	return &cli.Command{
		Name:      "versions",
		Usage:     "list the app's built versions (newest last), marking current and previous",
		ArgsUsage: "APP",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: withSession(session.Options{Podman: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			vs, err := s.Versions()
			if err != nil {
				return err
			}
			if cmd.Bool("json") {
				return printJSON(vs)
			}
			return versions.WriteTable(os.Stdout, vs)
		}),
	}
}

func rollbackCommand() *cli.Command {
	return &cli.Command{
		Name:      "rollback",
		Usage:     "make VERSION (default: previous) current again and restart the roles (behind the proxy: through the second web slot, no request fails)",
		ArgsUsage: "APP [VERSION]",
		Flags:     []cli.Flag{lockTimeoutFlag()},
		Action: withSession(session.Options{Podman: true, Lock: true, Systemd: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			return s.Rollback(ctx, cmd.Args().Get(1))
		}),
	}
}

func cleanupCommand() *cli.Command {
	return &cli.Command{
		Name:      "cleanup",
		Usage:     "remove old versions, keeping the newest N and never current, previous or one a container uses",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "keep", Value: 3, Usage: "newest versions to keep"},
			lockTimeoutFlag(),
		},
		Action: withSession(session.Options{Podman: true, Lock: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			return s.Cleanup(int(cmd.Int("keep")), os.Stdout)
		}),
	}
}
