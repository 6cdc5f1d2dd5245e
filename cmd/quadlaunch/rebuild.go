package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime"
	"github.com/quadlaunch/quadlaunch/units"
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
			&cli.BoolFlag{Name: "full-build", Usage: "run the migrate and configure passes even when MIGRATE_ON_BOOT / PRECOMPILE_ON_BOOT in the config defer them to the container's boot"},
			lockTimeoutFlag(),
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			s, err := openSession(ctx, cmd, sessionOpts{podman: true, lock: true, build: true})
			if err != nil {
				return err
			}
			defer s.Close()
			return rebuild(ctx, s, cmd.Bool("no-cache"), cmd.Bool("full-build"))
		},
	}
}

// standalone reports whether the app carries its own database (launcher2 treats
// those differently: they cannot migrate while the old container runs).
func standalone(app *generator.App) bool {
	for _, t := range app.Templates {
		if strings.Contains(filepath.Base(t), "postgres") {
			return true
		}
	}
	for _, st := range generator.InjectHooks(app.Run, app.Hooks) {
		if st.Tag == "db" {
			return true
		}
	}
	return false
}

func rebuild(ctx context.Context, s *session, noCache, fullBuild bool) error {
	old, err := buildAndPromote(s, noCache)
	if err != nil {
		return err
	}
	if fullBuild {
		// Kept for the whole rebuild: restarting the roles runs the passes again.
		remove, err := forcePasses(s, runtime.PassMigrate, runtime.PassConfigure)
		if err != nil {
			_ = runtime.RestoreTags(s.Podman, s.App.Name, old)
			return err
		}
		defer remove()
	}
	sd, err := s.Systemd(ctx)
	if err != nil {
		_ = runtime.RestoreTags(s.Podman, s.App.Name, old)
		return err
	}
	roles := runtime.RoleUnits(s.App)
	fail := func(err error, restartOld bool) error {
		_ = runtime.RestoreTags(s.Podman, s.App.Name, old)
		s.Log.Errorf("%s: rebuild failed, current restored: %v", s.App.Name, err)
		if restartOld && old.Current != "" {
			_ = sd.JobsTogether(context.WithoutCancel(ctx), "start", roles)
		}
		return err
	}
	if standalone(s.App) {
		fmt.Printf("%s: standalone: stopping %s\n", s.App.Name, strings.Join(roles, " "))
		if err := sd.JobsTogether(ctx, "stop", roles); err != nil {
			return fail(err, true)
		}
		if err := runMigrateUnit(ctx, s, false); err != nil {
			return fail(err, true)
		}
		if err := runConfigureUnit(ctx, s); err != nil {
			return fail(err, true)
		}
		// Alone: migrate and configure just ran; a plain start would run them again.
		if err := withOnBootOff(ctx, s, sd, fullBuild, func() error { return sd.StartAlone(ctx, roles) }); err != nil {
			return fail(err, true)
		}
		return nil
	}
	if err := runMigrateUnit(ctx, s, true); err != nil {
		return fail(err, false)
	}
	if err := runConfigureUnit(ctx, s); err != nil {
		return fail(err, false)
	}
	fmt.Printf("%s: restarting %s\n", s.App.Name, strings.Join(roles, " "))
	if err := withOnBootOff(ctx, s, sd, fullBuild, func() error { return restartRoles(ctx, s, sd) }); err != nil {
		return fail(err, true)
	}
	return nil
}

// withOnBootOff runs start (of the roles) with MIGRATE_ON_BOOT=0 /
// PRECOMPILE_ON_BOOT=0 for the passes that ran although the config has the key,
// as launcher2 starts its container; the runtime drop-ins are gone afterwards
// (see runtime/forcepass.go).
func withOnBootOff(ctx context.Context, s *session, sd *runtime.Systemd, forced bool, start func() error) error {
	keys := runtime.OnBootOffKeys(s.App, forced)
	if len(keys) == 0 {
		return start()
	}
	files := runtime.OnBootOffFiles(s.User, s.App.Name, runtime.RoleUnits(s.App), os.Getenv("XDG_RUNTIME_DIR"), keys)
	remove, err := runtime.WriteFiles(files)
	if err != nil {
		return err
	}
	if err := sd.Reload(ctx); err != nil {
		remove()
		return err
	}
	fmt.Printf("%s: the passes ran: this start of the roles has %s=0\n", s.App.Name, strings.Join(keys, "=0, "))
	err = start()
	remove()
	if rerr := sd.Reload(context.WithoutCancel(ctx)); err == nil {
		err = rerr
	}
	return err
}

// restartRoles restarts every role at once (so migrate/configure run once) and
// names the failed dependency when a role could not start.
func restartRoles(ctx context.Context, s *session, sd *runtime.Systemd) error {
	err := sd.JobsTogether(ctx, "restart", runtime.RoleUnits(s.App))
	if err == nil {
		return nil
	}
	if dep := sd.FailedDependency(context.WithoutCancel(ctx), units.MigrateUnit(s.App.Name), units.ConfigureUnit(s.App.Name)); dep != "" {
		return cli.Exit(fmt.Sprintf("%v: %s failed (journalctl -u %s)", err, dep, dep), 1)
	}
	return err
}
