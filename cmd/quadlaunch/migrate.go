package main

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime"
	"github.com/quadlaunch/quadlaunch/units"
)

func init() { commands = append(commands, migrateCommand(), configureCommand()) }

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:      "migrate",
		Usage:     "run the app's migrations: starts APP-migrate over D-Bus and follows its journal",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "skip-post-deployment-migrations", Usage: "set SKIP_POST_DEPLOYMENT_MIGRATIONS=1 for this run"},
			&cli.BoolFlag{Name: "in-unit", Usage: "run the pups steps tagged db,migrate here (what APP-migrate.service runs)"},
			lockTimeoutFlag(),
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Bool("in-unit") {
				return migrateInUnit(ctx, cmd)
			}
			s, err := openSession(ctx, cmd, sessionOpts{lock: true})
			if err != nil {
				return err
			}
			defer s.Close()
			return runMigrateUnit(ctx, s, cmd.Bool("skip-post-deployment-migrations"))
		},
	}
}

// runMigrateUnit starts APP-migrate and reports its result, naming the unit.
func runMigrateUnit(ctx context.Context, s *session, skipPost bool) error {
	flag := skipPostDeployFlagFile(s.User, s.App.Name)
	if skipPost {
		if err := os.WriteFile(flag, nil, 0o600); err != nil {
			return fmt.Errorf("write %s: %w", flag, err)
		}
		defer os.Remove(flag)
	}
	return runOneshotUnit(ctx, s, units.MigrateUnit(s.App.Name))
}

func runOneshotUnit(ctx context.Context, s *session, unit string) error {
	sd, err := s.Systemd(ctx)
	if err != nil {
		return err
	}
	if err := sd.RunUnit(ctx, unit, os.Stdout); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s stopped: %w", unit, ctx.Err())
		}
		return cli.Exit(fmt.Sprintf("%s failed: %v (journalctl -u %s)", unit, err, unit), 1)
	}
	s.Log.Infof("%s: %s succeeded", s.App.Name, unit)
	return nil
}

// migrateInUnit runs inside APP-migrate.service: no lock (the command that started
// the unit holds it), env from the unit's EnvironmentFile over the config's.
func migrateInUnit(ctx context.Context, cmd *cli.Command) error {
	name, err := appArg(cmd)
	if err != nil {
		return err
	}
	app, err := loadApp(cmd, name)
	if err != nil {
		return err
	}
	pc, err := runtime.Connect(ctx, userMode(cmd))
	if err != nil {
		return err
	}
	env := runtime.FullEnv(app, os.LookupEnv)
	flag := skipPostDeployFlagFile(userMode(cmd), name)
	if _, err := os.Stat(flag); err == nil || cmd.Bool("skip-post-deployment-migrations") {
		env = append(env, "SKIP_POST_DEPLOYMENT_MIGRATIONS=1")
	}
	plan := runtime.PlanPhase(app, runtime.PhaseMigrate, env...)
	return runtime.RunMigrate(pc, app, plan, runtime.PassOptions{Out: os.Stdout, Env: env})
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
				return configureInUnit(ctx, cmd)
			}
			s, err := openSession(ctx, cmd, sessionOpts{lock: true})
			if err != nil {
				return err
			}
			defer s.Close()
			return runOneshotUnit(ctx, s, units.ConfigureUnit(s.App.Name))
		},
	}
}

func configureInUnit(ctx context.Context, cmd *cli.Command) error {
	name, err := appArg(cmd)
	if err != nil {
		return err
	}
	app, err := loadApp(cmd, name)
	if err != nil {
		return err
	}
	pc, err := runtime.Connect(ctx, userMode(cmd))
	if err != nil {
		return err
	}
	env := runtime.FullEnv(app, os.LookupEnv)
	plan := runtime.PlanPhase(app, runtime.PhaseConfigure, env...)
	_, err = runtime.RunConfigure(pc, app, plan, runtime.PassOptions{Out: os.Stdout, Env: env})
	return err
}
