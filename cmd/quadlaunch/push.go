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

func init() { commands = append(commands, autoUpdateCommand()) }

// autoUpdateCommand is what A-auto-update.service runs (auto_update:).
func autoUpdateCommand() *cli.Command {
	return &cli.Command{
		Name:      "auto-update",
		Usage:     "deploy a new image behind image: health-gated, rolled back on failure (what APP-auto-update.timer runs)",
		ArgsUsage: "APP",
		Flags:     []cli.Flag{lockTimeoutFlag()},
		Action: withSession(session.Options{Podman: true, Lock: true, Systemd: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			return s.AutoUpdate(ctx)
		}),
	}
}
