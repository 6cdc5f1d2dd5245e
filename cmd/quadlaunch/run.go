package main

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
)

func init() { commands = append(commands, runCommand(), enterCommand()) }

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a command in a one-off container of current with the app's env, volumes and network",
		ArgsUsage: "APP -- CMD [ARG...]",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() < 2 {
				return cli.Exit("usage: quadlaunch run APP -- CMD [ARG...]", 2)
			}
			s, err := openSession(ctx, cmd, session.Options{Podman: true})
			if err != nil {
				return err
			}
			defer s.Close()
			return exitCode(s.RunOneOff(cmd.Args().Tail()))
		},
	}
}

func enterCommand() *cli.Command {
	return &cli.Command{
		Name:      "enter",
		Usage:     "open a shell (or run CMD) in the app's running web container",
		ArgsUsage: "APP [-- CMD...]",
		Flags:     []cli.Flag{&cli.StringFlag{Name: "role", Value: "web", Usage: "role whose container to enter"}},
		Action: withSession(session.Options{Podman: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			return exitCode(s.Enter(cmd.String("role"), cmd.Args().Tail()))
		}),
	}
}

// exitCode makes a command's exit code quadlaunch's own.
func exitCode(code int, err error) error {
	if err == nil && code != 0 {
		return cli.Exit("", code)
	}
	return err
}
