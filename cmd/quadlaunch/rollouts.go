package main

import (
	"context"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
)

// The rollouts and passes: each command opens the app's session and makes
// one call; the steps, their order and the undo run in package runtime/rollout.
func init() {
	commands = append(commands, deployCommand(), buildCommand(), rebuildCommand(), bootstrapCommand(), migrateCommand(), configureCommand())
}

// The rollouts: each command opens the app's session and makes one call;
// the steps, their order and the undo run in package runtime/rollout.

func deployCommand() *cli.Command {
	return &cli.Command{
		Name:  "deploy",
		Usage: "build and roll out a new version health-gated, with no failed request behind the proxy; roll back on any failure",
		Description: "Steps: pre-build hook, build, pre-deploy hook, migrate (skipping post-deployment migrations) while the\n" +
			"old version serves, configure, then the swap: with `proxy:` the new version starts in APP-web-next beside\n" +
			"APP-web, the proxy switches to it once healthy, old requests drain, APP-web restarts on the new version and\n" +
			"takes the traffic back. The other roles restart only once web is healthy on the new version. Then the\n" +
			"post-deployment migration and the post-deploy hook. Standalone apps (database in the container) stop first\n" +
			"(the proxy shows its offline page). A failure before the post-deployment migration rolls back: current\n" +
			"returns to the previous version, the roles run it, the post-rollback hook runs; volumes are untouched.",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-cache", Usage: "ignore the layer cache and run every build step"},
			pullFlag(),
			&cli.StringFlag{Name: "image", Usage: "deploy this prebuilt image (registry.example/app:tag) instead of image:'s or a build"},
			&cli.BoolFlag{Name: "dry-run", Usage: "change nothing: show what the deploy would change (quadlaunch diff), exit 0 none, 2 changes"},
			&cli.BoolFlag{Name: "json", Usage: "with --dry-run: print the preview as JSON"},
			lockTimeoutFlag(),
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Bool("dry-run") {
				return withSession(session.Options{Podman: true}, previewDeploy)(ctx, cmd)
			}
			return withSession(session.Options{Podman: true, Lock: true, Systemd: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
				s.Image = cmd.String("image")
				return s.Deploy(ctx, cmd.Bool("no-cache"))
			})(ctx, cmd)
		},
	}
}

func buildCommand() *cli.Command {
	return &cli.Command{
		Name:      "build",
		Usage:     "build the app's image from base_image and its run steps (skipping db/migrate/precompile); moves current on success",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-cache", Usage: "ignore the layer cache and run every step"},
			pullFlag(),
			lockTimeoutFlag(),
		},
		Action: withSession(session.Options{Podman: true, Lock: true, Build: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			return s.Build(ctx, cmd.Bool("no-cache"))
		}),
	}
}

func rebuildCommand() *cli.Command {
	return &cli.Command{
		Name:  "rebuild",
		Usage: "build, migrate, configure and restart the roles (launcher2's rebuild)",
		Description: "Standalone apps (database in the container: a postgres template or steps tagged db) are stopped,\n" +
			"migrated, configured and started. With an external database the old roles keep serving while the\n" +
			"new image is migrated (post-deployment migrations skipped) and configured, then the roles restart\n" +
			"(which runs the full migration). If migrate or configure fails, current goes back to what it was,\n" +
			"the old roles keep running (external database) or are started again (standalone), and the error\n" +
			"names the failed unit.\n\n" +
			"launcher2's *_ON_BOOT and the offline-page template: when the config's env has MIGRATE_ON_BOOT\n" +
			"(any value, as launcher2) the launcher-style migrate pass (APP-migrate running `migrate --in-unit`)\n" +
			"says so on its journal and succeeds without migrating: the web container migrates at boot, behind\n" +
			"offline-page's nginx page. PRECOMPILE_ON_BOOT does the same for the configure pass (current stays\n" +
			"the built image; the container precompiles at boot). CREATE_DB_ON_BOOT is left to the image. Apps\n" +
			"with `migrate:`/`configure:` commands always run them. --full-build runs both passes anyway (as\n" +
			"launcher2's --full-build), for this rebuild only, including the runs the restart of the roles\n" +
			"triggers. `quadlaunch migrate APP` and `configure APP` always run their pass too.\n" +
			"As launcher2, the start of the roles right after passes that ran although the key is set sees\n" +
			"MIGRATE_ON_BOOT=0 / PRECOMPILE_ON_BOOT=0 (a runtime drop-in with a second EnvironmentFile, removed\n" +
			"once they started), so the boot does not migrate or precompile again; a later start, restart or\n" +
			"reboot sees the config's env. --no-cache ignores the layer cache.",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-cache", Usage: "ignore the layer cache and run every build step"},
			pullFlag(),
			&cli.BoolFlag{Name: "full-build", Usage: "run the migrate and configure passes even when MIGRATE_ON_BOOT / PRECOMPILE_ON_BOOT in the config defer them to the container's boot"},
			lockTimeoutFlag(),
		},
		Action: withSession(session.Options{Podman: true, Lock: true, Build: true, Systemd: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			return s.Rebuild(ctx, cmd.Bool("no-cache"), cmd.Bool("full-build"))
		}),
	}
}

func bootstrapCommand() *cli.Command {
	return &cli.Command{
		Name:      "bootstrap",
		Usage:     "build, migrate and configure the app (launcher2's bootstrap); roles are not started",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-cache", Usage: "ignore the layer cache and run every build step"},
			pullFlag(),
			lockTimeoutFlag(),
		},
		Action: withSession(session.Options{Podman: true, Lock: true, Build: true, Systemd: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			return s.Bootstrap(ctx, cmd.Bool("no-cache"))
		}),
	}
}

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
