package main

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
)

// Hidden commands that the generated units run (ExecStopPost=, OnFailure=,
// A-recover.service); an operator never types them.
func init() {
	commands = append(commands, dependencyFailedCommand(), recoverCommand(), notifyCommand())
}

// dependencyFailedCommand is what A-migrate/A-configure run as ExecStopPost=
// (runtime/systemd/dependency_failure.go says why); after a failed run it
// also has the roles that were waiting for it started again
// (runtime/systemd/recovery.go).
func dependencyFailedCommand() *cli.Command {
	return &cli.Command{
		Name:      "dependency-failed",
		Usage:     "(used by generated units) report a failed migrate/configure in the journal of the units that needed it, and have the waiting roles retried",
		ArgsUsage: "FAILED-UNIT DEPENDENT-UNIT...",
		Hidden:    true,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			args := cmd.Args().Slice()
			if len(args) < 2 {
				return cli.Exit("usage: quadlaunch dependency-failed FAILED-UNIT DEPENDENT-UNIT...", 2)
			}
			bin, err := os.Executable()
			if err != nil {
				return err
			}
			return session.DependencyFailed(ctx, args[0], args[1:], userMode(cmd), os.Getenv, bin, os.Stderr)
		},
	}
}

// recoverCommand is A-recover.service (session.ScheduleRecovery starts it).
func recoverCommand() *cli.Command {
	return &cli.Command{
		Name:      "recover",
		Usage:     "(used by A-recover.service) start the units again with backoff until they run, a bounded number of times",
		ArgsUsage: "APP UNIT...",
		Hidden:    true,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			args := cmd.Args().Slice()
			if len(args) < 2 {
				return cli.Exit("usage: quadlaunch recover APP UNIT...", 2)
			}
			if err := session.Recover(ctx, args[0], args[1:], userMode(cmd), systemd.DefaultBackoff, os.Stdout); err != nil {
				return cli.Exit(fmt.Sprint(err), 1)
			}
			return nil
		},
	}
}

// notifyCommand is what A-notify@.service runs (OnFailure= of the app's
// units): the notify: command hears of a unit systemd saw fail.
func notifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "notify",
		Usage:     "(used by generated units) run APP's notify: command for an event",
		ArgsUsage: "APP",
		Hidden:    true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "event", Value: "unit-failed"},
			&cli.StringFlag{Name: "unit", Usage: "the failed unit"},
		},
		Action: withSession(session.Options{}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			return s.NotifyUnitFailed(ctx, cmd.String("event"), cmd.String("unit"), os.Stdout)
		}),
	}
}
