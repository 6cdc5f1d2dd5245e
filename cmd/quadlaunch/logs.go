package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime"
	"github.com/quadlaunch/quadlaunch/units"
)

func init() { commands = append(commands, logsCommand()) }

func logsCommand() *cli.Command {
	return &cli.Command{
		Name:      "logs",
		Usage:     "show the journal of the app's units (journalctl)",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "unit", Usage: "role, migrate or configure (default: every unit of the app)"},
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "follow new entries"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			s, err := openSession(ctx, cmd, sessionOpts{})
			if err != nil {
				return err
			}
			defer s.Close()
			app := s.App.Name
			var unitNames []string
			switch u := cmd.String("unit"); {
			case u == "":
				unitNames = append([]string{units.MigrateUnit(app), units.ConfigureUnit(app)}, runtime.RoleUnits(s.App)...)
			case strings.Contains(u, "."):
				unitNames = []string{u}
			case u == "migrate":
				unitNames = []string{units.MigrateUnit(app)}
			case u == "configure":
				unitNames = []string{units.ConfigureUnit(app)}
			default:
				unitNames = []string{units.RoleUnit(app, u)}
			}
			args := []string{"journalctl", "--no-pager"}
			if s.User {
				args = append(args, "--user")
			}
			for _, u := range unitNames {
				args = append(args, "-u", u)
			}
			if cmd.Bool("follow") {
				args = append(args, "-f")
			}
			bin, err := exec.LookPath("journalctl")
			if err != nil {
				return fmt.Errorf("journalctl: %w", err)
			}
			return syscall.Exec(bin, args, os.Environ())
		},
	}
}
