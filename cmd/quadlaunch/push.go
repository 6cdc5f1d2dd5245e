package main

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/podman"
	"github.com/quadlaunch/quadlaunch/runtime/session"
)

func init() { commands = append(commands, pushCommand()) }

func pushCommand() *cli.Command {
	return &cli.Command{
		Name:      "push",
		Usage:     "push a built version of APP (default: current) to a registry, to run it elsewhere with image:",
		ArgsUsage: "APP [VERSION]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "to", Required: true, Usage: "the reference to push to (registry.example/app:tag)"},
			&cli.BoolFlag{Name: "tls-verify", Value: true, Usage: "verify the registry's TLS certificate"},
			&cli.StringFlag{Name: "authfile", Usage: "Podman auth file with the registry's credentials (default: Podman's)"},
		},
		Action: withSession(session.Options{Podman: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			return s.Push(ctx, cmd.Args().Get(1), cmd.String("to"),
				podman.RegistryOptions{TLSVerify: cmd.Bool("tls-verify"), Authfile: cmd.String("authfile")})
		}),
	}
}
