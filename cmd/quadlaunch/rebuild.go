package main

import (
	"context"
	"fmt"
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
			"launcher2's *_ON_BOOT and the offline-page template: CREATE_DB_ON_BOOT, MIGRATE_ON_BOOT and\n" +
			"PRECOMPILE_ON_BOOT are ordinary env: the roles and the migrate/configure passes see them unchanged\n" +
			"and the image's own boot script acts on them. The configure pass runs the templates' precompile\n" +
			"steps, so web.template's `PRECOMPILE_ON_BOOT=0` edit of the run script is in the configured image\n" +
			"and a restart does not precompile again. quadlaunch does not skip APP-migrate when MIGRATE_ON_BOOT=1\n" +
			"(the roles Require it; the boot-time migrate then finds nothing to do). offline-page's steps are\n" +
			"untagged and built into the image, so its nginx page answers while the new web's app server boots;\n" +
			"a standalone rebuild has the container stopped during migrate, as launcher has, so nothing answers then.",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "full-build", Usage: "ignore the layer cache"},
			lockTimeoutFlag(),
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			s, err := openSession(ctx, cmd, sessionOpts{podman: true, lock: true, build: true})
			if err != nil {
				return err
			}
			defer s.Close()
			return rebuild(ctx, s, cmd.Bool("full-build"))
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

func rebuild(ctx context.Context, s *session, full bool) error {
	old, err := buildAndPromote(s, full)
	if err != nil {
		return err
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
		if err := runOneshotUnit(ctx, s, units.ConfigureUnit(s.App.Name)); err != nil {
			return fail(err, true)
		}
		if err := sd.JobsTogether(ctx, "start", roles); err != nil {
			return fail(err, true)
		}
		return nil
	}
	if err := runMigrateUnit(ctx, s, true); err != nil {
		return fail(err, false)
	}
	if err := runOneshotUnit(ctx, s, units.ConfigureUnit(s.App.Name)); err != nil {
		return fail(err, false)
	}
	fmt.Printf("%s: restarting %s\n", s.App.Name, strings.Join(roles, " "))
	if err := restartRoles(ctx, s, sd); err != nil {
		return fail(err, true)
	}
	return nil
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
