package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
)

func init() { commands = append(commands, logsCommand()) }

func logsCommand() *cli.Command {
	return &cli.Command{
		Name:      "logs",
		Usage:     "show the journal of the app's units (journalctl)",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "unit", Usage: "role, migrate, configure or certificates (default: every unit of the app)"},
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "follow new entries"},
		},
		Action: withSession(session.Options{}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			args := s.JournalctlArgv(cmd.String("unit"), cmd.Bool("follow"))
			bin, err := exec.LookPath("journalctl")
			if err != nil {
				return fmt.Errorf("journalctl: %w", err)
			}
			return syscall.Exec(bin, args, os.Environ())
		}),
	}
}
