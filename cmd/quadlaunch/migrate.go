package main

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/pass"
	"github.com/quadlaunch/quadlaunch/runtime/podman"
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
				return migrateInUnit(ctx, cmd)
			}
			s, err := openSession(ctx, cmd, session.Options{Lock: true, Systemd: true})
			if err != nil {
				return err
			}
			defer s.Close()
			return s.Migrate(ctx, cmd.Bool("skip-post-deployment-migrations"))
		},
	}
}

// migrateInUnit runs inside APP-migrate.service: no lock (the command that started
// the unit holds it), env from the unit's EnvironmentFile over the config's.
func migrateInUnit(ctx context.Context, cmd *cli.Command) error {
	app, pc, err := inUnitSession(ctx, cmd)
	if err != nil {
		return err
	}
	if deferPass(cmd, app, session.PassMigrate) {
		return nil
	}
	env := pass.FullEnv(app, os.LookupEnv)
	flag := session.SkipPostDeployFlag(userMode(cmd), app.Name)
	if _, err := os.Stat(flag); err == nil || cmd.Bool("skip-post-deployment-migrations") {
		env = append(env, "SKIP_POST_DEPLOYMENT_MIGRATIONS=1")
	}
	plan := pass.PlanPhase(app, pass.PhaseMigrate, env...)
	return engine.RunMigrate(pc, app, plan, podman.PassOptions{Out: os.Stdout, Env: pass.SplitEnv(app, env)})
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
			s, err := openSession(ctx, cmd, session.Options{Lock: true, Podman: true, Systemd: true})
			if err != nil {
				return err
			}
			defer s.Close()
			// Launcher-style configure is a no-op on a configured current: say so
			// without starting the unit (which would run APP-migrate again first).
			if s.App.Configure == nil {
				// The config's env, as the unit would see it (not this shell's).
				plan := pass.PlanPhase(s.App, pass.PhaseConfigure, pass.FullEnv(s.App, nil)...)
				done, reason, err := engine.Configured(s.Podman, s.App, plan)
				if err != nil {
					return err
				}
				if done {
					fmt.Printf("%s: %s\n", s.App.Name, reason)
					return nil
				}
			}
			return s.Configure(ctx)
		},
	}
}

func configureInUnit(ctx context.Context, cmd *cli.Command) error {
	app, pc, err := inUnitSession(ctx, cmd)
	if err != nil {
		return err
	}
	if deferPass(cmd, app, session.PassConfigure) {
		return nil
	}
	env := pass.FullEnv(app, os.LookupEnv)
	plan := pass.PlanPhase(app, pass.PhaseConfigure, env...)
	_, err = engine.RunConfigure(pc, app, plan, podman.PassOptions{Out: os.Stdout, Env: pass.SplitEnv(app, env)})
	return err
}

// deferPass reports (and says, on the unit's journal) that a launcher-style pass
// is left to the container's boot (*_ON_BOOT in the config, not forced).
func deferPass(cmd *cli.Command, app *generator.App, p session.Pass) bool {
	_, err := os.Stat(session.ForcePassFlag(userMode(cmd), app.Name, p))
	if !session.DeferPassToBoot(app, p, err == nil) {
		return false
	}
	fmt.Println(session.DeferredPassMessage(p))
	return true
}

// inUnitSession is what a pass run inside its unit needs: the app's config and
// a Podman connection; no lock (the command that started the unit holds it).
func inUnitSession(ctx context.Context, cmd *cli.Command) (*generator.App, context.Context, error) {
	name, err := appArg(cmd)
	if err != nil {
		return nil, nil, err
	}
	app, err := loadApp(cmd, name)
	if err != nil {
		return nil, nil, err
	}
	pc, err := engine.Connect(ctx, userMode(cmd))
	if err != nil {
		return nil, nil, err
	}
	return app, pc, nil
}
