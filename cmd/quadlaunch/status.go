package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
)

func init() { commands = append(commands, statusCommand()) }

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
