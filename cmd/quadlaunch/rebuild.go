package main

import (
	"context"

	"github.com/quadlaunch/quadlaunch/runtime/session"
	"github.com/urfave/cli/v3"
)

func init() { commands = append(commands, rebuildCommand()) }

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
