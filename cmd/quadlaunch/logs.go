package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
	"github.com/quadlaunch/quadlaunch/units"
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
		Action: func(ctx context.Context, cmd *cli.Command) error {
			s, err := openSession(ctx, cmd, session.Options{})
			if err != nil {
				return err
			}
			defer s.Close()
			unitNames := logUnits(units.AppUnits(s.App), s.App.Name, cmd.String("unit"))
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

// logUnits are the units `logs --unit` names: every unit of the app that runs
// something (migrate, configure, the roles) by default, a full unit name as
// given, migrate/configure, certificates (proxy.tls.acme), or a role.
func logUnits(names units.AppUnitNames, app, unit string) []string {
	switch {
	case unit == "":
		return append([]string{names.Migrate, names.Configure}, names.Roles...)
	case strings.Contains(unit, "."):
		return []string{unit}
	case unit == "migrate":
		return []string{names.Migrate}
	case unit == "configure":
		return []string{names.Configure}
	case unit == "certificates" && names.Certificates != "":
		// With proxy.tls.acme no role may be called so (units.appClaims).
		return []string{names.Certificates}
	}
	return []string{units.RoleUnit(app, unit)}
}
