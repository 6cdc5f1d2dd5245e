package main

import (
	"context"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/systemd"
)

func init() { commands = append(commands, dependencyFailedCommand()) }

// dependencyFailedCommand is what A-migrate/A-configure run as ExecStopPost=
// (runtime/systemd/dependency_failure.go says why).
func dependencyFailedCommand() *cli.Command {
	return &cli.Command{
		Name:      "dependency-failed",
		Usage:     "(used by generated units) report a failed migrate/configure in the journal of the units that needed it",
		ArgsUsage: "FAILED-UNIT DEPENDENT-UNIT...",
		Hidden:    true,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			args := cmd.Args().Slice()
			if len(args) < 2 {
				return cli.Exit("usage: quadlaunch dependency-failed FAILED-UNIT DEPENDENT-UNIT...", 2)
			}
			return systemd.SendJournal(os.Stderr, systemd.DependencyFailedMessages(os.Getenv("SERVICE_RESULT"), os.Getenv("EXIT_CODE"), os.Getenv("EXIT_STATUS"), args[0], args[1:], userMode(cmd)))
		},
	}
}
