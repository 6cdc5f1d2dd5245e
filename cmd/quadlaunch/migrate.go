package main

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/generator"
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
			&cli.BoolFlag{Name: "skip-post-deployment-migrations", Usage: "set SKIP_POST_DEPLOYMENT_MIGRATIONS=1 for this run (launcher-style: a flag file the unit reads; migrate: command: a runtime drop-in giving the container the variable, removed after the run)"},
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
			// Asked for by name: runs although MIGRATE_ON_BOOT defers it in rebuilds.
			remove, err := forcePasses(s, runtime.PassMigrate)
			if err != nil {
				return err
			}
			defer remove()
			return runMigrateUnit(ctx, s, cmd.Bool("skip-post-deployment-migrations"))
		},
	}
}

// runMigrateUnit starts APP-migrate and reports its result, naming the unit.
// skipPost reaches a launcher-style unit through a flag file, a `migrate:`
// container through a runtime drop-in (see runtime/skippost.go).
func runMigrateUnit(ctx context.Context, s *session, skipPost bool) error {
	unit := units.MigrateUnit(s.App.Name)
	if skipPost {
		files := map[string]string{runtime.SkipPostDeployFlag(s.User, s.App.Name): ""}
		if s.App.Migrate != nil {
			files = runtime.SkipPostDeployFiles(s.User, unit, os.Getenv("XDG_RUNTIME_DIR"))
		}
		remove, err := runtime.WriteFiles(files)
		if err != nil {
			return err
		}
		if s.App.Migrate != nil {
			sd, err := s.Systemd(ctx)
			if err == nil {
				err = sd.Reload(ctx)
			}
			if err != nil {
				remove()
				return err
			}
			defer func() {
				remove()
				_ = sd.Reload(context.WithoutCancel(ctx))
			}()
		} else {
			defer remove()
		}
	}
	return runOneshotUnit(ctx, s, unit)
}

// runConfigureUnit runs APP-configure right after the caller ran APP-migrate:
// alone, so that its Requires= does not run the migration a second time.
func runConfigureUnit(ctx context.Context, s *session) error {
	return runOneshot(ctx, s, units.ConfigureUnit(s.App.Name), true)
}

func runOneshotUnit(ctx context.Context, s *session, unit string) error {
	return runOneshot(ctx, s, unit, false)
}

func runOneshot(ctx context.Context, s *session, unit string, alone bool) error {
	sd, err := s.Systemd(ctx)
	if err != nil {
		return err
	}
	run := sd.RunUnit
	if alone {
		run = sd.RunUnitAlone
	}
	if err := run(ctx, unit, os.Stdout); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s stopped: %w", unit, ctx.Err())
		}
		journal := "journalctl -u " + unit
		if s.User {
			journal = "journalctl --user -u " + unit
		}
		return cli.Exit(fmt.Sprintf("%s failed: %v (%s)", unit, err, journal), 1)
	}
	s.Log.Infof("%s: %s succeeded", s.App.Name, unit)
	return nil
}

// migrateInUnit runs inside APP-migrate.service: no lock (the command that started
// the unit holds it), env from the unit's EnvironmentFile over the config's.
func migrateInUnit(ctx context.Context, cmd *cli.Command) error {
	app, pc, err := inUnitSession(ctx, cmd)
	if err != nil {
		return err
	}
	if deferPass(cmd, app, runtime.PassMigrate) {
		return nil
	}
	env := runtime.FullEnv(app, os.LookupEnv)
	flag := runtime.SkipPostDeployFlag(userMode(cmd), app.Name)
	if _, err := os.Stat(flag); err == nil || cmd.Bool("skip-post-deployment-migrations") {
		env = append(env, "SKIP_POST_DEPLOYMENT_MIGRATIONS=1")
	}
	plan := runtime.PlanPhase(app, runtime.PhaseMigrate, env...)
	return runtime.RunMigrate(pc, app, plan, runtime.PassOptions{Out: os.Stdout, Env: runtime.SplitEnv(app, env)})
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
			s, err := openSession(ctx, cmd, sessionOpts{lock: true, podman: true})
			if err != nil {
				return err
			}
			defer s.Close()
			// Launcher-style configure is a no-op on a configured current: say so
			// without starting the unit (which would run APP-migrate again first).
			if s.App.Configure == nil {
				// The config's env, as the unit would see it (not this shell's).
				plan := runtime.PlanPhase(s.App, runtime.PhaseConfigure, runtime.FullEnv(s.App, nil)...)
				done, reason, err := runtime.Configured(s.Podman, s.App, plan)
				if err != nil {
					return err
				}
				if done {
					fmt.Printf("%s: %s\n", s.App.Name, reason)
					return nil
				}
			}
			// Asked for by name: runs although PRECOMPILE_ON_BOOT defers it in rebuilds.
			remove, err := forcePasses(s, runtime.PassConfigure)
			if err != nil {
				return err
			}
			defer remove()
			return runOneshotUnit(ctx, s, units.ConfigureUnit(s.App.Name))
		},
	}
}

func configureInUnit(ctx context.Context, cmd *cli.Command) error {
	app, pc, err := inUnitSession(ctx, cmd)
	if err != nil {
		return err
	}
	if deferPass(cmd, app, runtime.PassConfigure) {
		return nil
	}
	env := runtime.FullEnv(app, os.LookupEnv)
	plan := runtime.PlanPhase(app, runtime.PhaseConfigure, env...)
	_, err = runtime.RunConfigure(pc, app, plan, runtime.PassOptions{Out: os.Stdout, Env: runtime.SplitEnv(app, env)})
	return err
}

// deferPass reports (and says, on the unit's journal) that a launcher-style pass
// is left to the container's boot (*_ON_BOOT in the config, not forced).
func deferPass(cmd *cli.Command, app *generator.App, p runtime.Pass) bool {
	_, err := os.Stat(runtime.ForcePassFlag(userMode(cmd), app.Name, p))
	if !runtime.DeferPassToBoot(app, p, err == nil) {
		return false
	}
	fmt.Println(runtime.DeferredPassMessage(p))
	return true
}

// forcePasses writes the flag files that make the launcher-style passes run
// although the config defers them to boot; remove takes them away again.
func forcePasses(s *session, passes ...runtime.Pass) (remove func(), err error) {
	files := map[string]string{}
	for _, p := range passes {
		files[runtime.ForcePassFlag(s.User, s.App.Name, p)] = ""
	}
	return runtime.WriteFiles(files)
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
	pc, err := runtime.Connect(ctx, userMode(cmd))
	if err != nil {
		return nil, nil, err
	}
	return app, pc, nil
}
