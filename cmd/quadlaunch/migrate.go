package main

import (
	"context"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
)

func init() { commands = append(commands, migrateCommand(), configureCommand()) }

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:      "migrate",
		Usage:     "run the app's migrations: starts APP-migrate over D-Bus and follows its journal",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "skip-post-deployment-migrations", Usage: "set SKIP_POST_DEPLOYMENT_MIGRATIONS=1 for this run (launcher-style: a flag file the unit reads; migrate: command: a runtime drop-in giving the container the variable, removed after the run)"},
			&cli.BoolFlag{Name: "in-unit", Usage: "run the pups steps tagged db,migrate here (what APP-migrate.service runs)"},
			lockTimeoutFlag(),
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Bool("in-unit") {
				r, err := inUnit(cmd)
				if err != nil {
					return err
				}
				return session.MigrateInUnit(ctx, r)
			}
			return withSession(session.Options{Lock: true, Systemd: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
				return s.Migrate(ctx, cmd.Bool("skip-post-deployment-migrations"))
			})(ctx, cmd)
		},
	}
}

// inUnit is the request of a pass run inside its unit (session.InUnit).
func inUnit(cmd *cli.Command) (session.InUnit, error) {
	name, err := appArg(cmd)
	return session.InUnit{Root: rootDir(cmd), App: name, User: userMode(cmd), Engine: engine,
		SkipPostDeployment: cmd.Bool("skip-post-deployment-migrations"), Out: os.Stdout}, err
}

func configureCommand() *cli.Command {
	return &cli.Command{
		Name:      "configure",
		Usage:     "produce the final image (steps tagged db,precompile): starts APP-configure over D-Bus; a no-op when current is configured",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "in-unit", Usage: "run the pups steps tagged db,precompile here (what APP-configure.service runs)"},
			lockTimeoutFlag(),
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Bool("in-unit") {
				r, err := inUnit(cmd)
				if err != nil {
					return err
				}
				return session.ConfigureInUnit(ctx, r)
			}
			return withSession(session.Options{Lock: true, Podman: true, Systemd: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
				return s.ConfigureUnlessConfigured(ctx)
			})(ctx, cmd)
		},
	}
}
