package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
)

// What an operator looks at: the app's state, its journal, its audit trail.
func init() {
	commands = append(commands, statusCommand(), logsCommand(), historyCommand())
}

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show the app's units, their states, the current version and container health",
		ArgsUsage: "APP",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: withSession(session.Options{Podman: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			rep, err := s.Status(ctx)
			if err != nil {
				return err
			}
			if cmd.Bool("json") {
				return printJSON(rep)
			}
			return rep.WriteText(os.Stdout)
		}),
	}
}

// printJSON is every --json: indented, on stdout.
func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

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
			return s.ExecJournal(cmd.String("unit"), cmd.Bool("follow"))
		}),
	}
}

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
