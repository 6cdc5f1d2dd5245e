package main

import (
	"context"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
)

func init() { commands = append(commands, historyCommand(), notifyCommand()) }

func historyCommand() *cli.Command {
	return &cli.Command{
		Name:  "history",
		Usage: "what was done to APP: every command that changed it, who ran it, the versions, the result (the journal's audit trail)",
		Description: "Each command that changes an app (deploy, rollback, build, bootstrap, rebuild, migrate, configure,\n" +
			"start/stop/restart, cleanup, maintenance) writes one journal entry when it ends (MESSAGE_ID=" + "4c8a0d1e9b7f4f36a2e5c0d3b1a69e72,\n" +
			"SYSLOG_IDENTIFIER=quadlaunch-audit, QUADLAUNCH_* fields); history reads them back, oldest first.",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the records as JSON"},
			&cli.IntFlag{Name: "lines", Aliases: []string{"n"}, Usage: "only the last N records (0: all)"},
		},
		Action: withSession(session.Options{}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			records, err := s.History(int(cmd.Int("lines")))
			if err != nil {
				return err
			}
			if cmd.Bool("json") {
				return printJSON(records)
			}
			session.WriteHistory(os.Stdout, records)
			return nil
		}),
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
