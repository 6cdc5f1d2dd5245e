package session

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/rollout"
)

func overridesApp(command bool) *generator.App {
	app := &generator.App{Name: "app", Roles: []generator.Role{{Name: "web", Primary: true}, {Name: "worker"}},
		Env: []generator.EnvVar{{Name: "MIGRATE_ON_BOOT", Value: "1"}, {Name: "PRECOMPILE_ON_BOOT", Value: "1"}}}
	if command {
		app.Migrate = &generator.Command{Args: []string{"rake", "db:migrate"}}
	}
	return app
}

// Which files each override takes (user mode: all below the lock dir and the
// runtime dir), whether the manager must reread, and what the operator is told.
func TestOverridesFiles(t *testing.T) {
	t.Setenv("QUADLAUNCH_LOCK_DIR", "/lock")
	const control = "/rt/systemd/user.control/"
	force := func(p rollout.Pass) rollout.Override {
		return rollout.Override{Kind: rollout.OverrideForcePass, Pass: p}
	}
	for _, c := range []struct {
		name    string
		command bool // a migrate: command
		ovs     []rollout.Override
		files   []string
		reload  bool
		note    string
	}{
		{"nothing", false, nil, nil, false, ""},
		{"force migrate", false, []rollout.Override{force(rollout.PassMigrate)}, []string{"/lock/app.force-migrate"}, false, ""},
		{"force both", false, []rollout.Override{force(rollout.PassMigrate), force(rollout.PassConfigure)},
			[]string{"/lock/app.force-configure", "/lock/app.force-migrate"}, false, ""},
		{"skip post-deployment, launcher-style: a flag file", false,
			[]rollout.Override{{Kind: rollout.OverrideSkipPostDeployment}},
			[]string{"/lock/app.skip-post-deployment-migrations"}, false, ""},
		{"skip post-deployment, migrate command: drop-in and containers.conf", true,
			[]rollout.Override{{Kind: rollout.OverrideSkipPostDeployment}},
			[]string{"/lock/app-migrate.skip-post-deployment-migrations.containers.conf",
				control + "app-migrate.service.d/50-quadlaunch-skip-post-deployment-migrations.conf"}, true, ""},
		{"on-boot off, passes deferred: nothing", false,
			[]rollout.Override{{Kind: rollout.OverrideOnBootOff}}, nil, false, ""},
		{"on-boot off, forced: env file and a drop-in per role", false,
			[]rollout.Override{{Kind: rollout.OverrideOnBootOff, Forced: true}},
			[]string{"/lock/app.on-boot-off.env",
				control + "app-web.service.d/50-quadlaunch-on-boot-off.conf",
				control + "app-worker.service.d/50-quadlaunch-on-boot-off.conf"},
			true, "the passes ran: this start of the roles has MIGRATE_ON_BOOT=0, PRECOMPILE_ON_BOOT=0"},
		{"on-boot off, migrate command: only the migrate key", true,
			[]rollout.Override{{Kind: rollout.OverrideOnBootOff}},
			[]string{"/lock/app.on-boot-off.env",
				control + "app-web.service.d/50-quadlaunch-on-boot-off.conf",
				control + "app-worker.service.d/50-quadlaunch-on-boot-off.conf"},
			true, "the passes ran: this start of the roles has MIGRATE_ON_BOOT=0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := NewOverrides(overridesApp(c.command), true, nil)
			files, reload, note := o.Files(c.ovs, "/rt")
			if got := slices.Sorted(maps.Keys(files)); !slices.Equal(got, c.files) {
				t.Errorf("files %q, want %q", got, c.files)
			}
			if reload != c.reload || note != c.note {
				t.Errorf("reload %v note %q, want %v %q", reload, note, c.reload, c.note)
			}
			for p, content := range files {
				switch {
				case strings.HasSuffix(p, ".on-boot-off.env"):
					if !strings.Contains(content, "MIGRATE_ON_BOOT=0\n") {
						t.Errorf("%s: %q", p, content)
					}
				case strings.HasSuffix(p, "on-boot-off.conf"):
					if !strings.Contains(content, "EnvironmentFile=/lock/app.on-boot-off.env\n") {
						t.Errorf("%s: %q", p, content)
					}
				case strings.HasSuffix(p, "skip-post-deployment-migrations.conf"):
					if !strings.Contains(content, "CONTAINERS_CONF_OVERRIDE=/lock/app-migrate.skip-post-deployment-migrations.containers.conf\n") {
						t.Errorf("%s: %q", p, content)
					}
				case strings.HasSuffix(p, ".containers.conf"):
					if !strings.Contains(content, `env = ["SKIP_POST_DEPLOYMENT_MIGRATIONS=1"]`) {
						t.Errorf("%s: %q", p, content)
					}
				case content != "":
					t.Errorf("flag file %s has content %q", p, content)
				}
			}
		})
	}
}

type fakeReloader struct {
	n   int
	err error
}

func (f *fakeReloader) Reload(context.Context) error { f.n++; return f.err }

// Apply writes what Files says and reloads for a drop-in; its undo removes
// the files (the drop-in dirs too) and reloads again.
func TestOverridesApplyAndUndo(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", dir)
	t.Setenv("QUADLAUNCH_LOCK_DIR", filepath.Join(dir, "lock"))
	ctx := context.Background()
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }

	rl := &fakeReloader{}
	o := &Overrides{app: overridesApp(false), user: true, sd: rl}
	onBootOff := rollout.Override{Kind: rollout.OverrideOnBootOff, Forced: true}
	files, _, _ := o.Files([]rollout.Override{onBootOff}, dir)
	undo, note, err := o.Apply(ctx, onBootOff)
	if err != nil || note == "" || rl.n != 1 {
		t.Fatalf("apply: err %v note %q reloads %d", err, note, rl.n)
	}
	for p, content := range files {
		if b, err := os.ReadFile(p); err != nil || string(b) != content {
			t.Errorf("%s: %q, %v", p, b, err)
		}
	}
	if err := undo(ctx); err != nil || rl.n != 2 {
		t.Fatalf("undo: %v, reloads %d", err, rl.n)
	}
	for p := range files {
		if exists(p) {
			t.Errorf("%s left after undo", p)
		}
		if strings.HasSuffix(filepath.Dir(p), ".service.d") && exists(filepath.Dir(p)) {
			t.Errorf("drop-in dir %s left after undo", filepath.Dir(p))
		}
	}

	// A flag file needs no reload, neither does its undo.
	rl.n = 0
	undo, _, err = o.Apply(ctx, rollout.Override{Kind: rollout.OverrideForcePass, Pass: rollout.PassMigrate})
	flag := filepath.Join(dir, "lock", "app.force-migrate")
	if err != nil || !exists(flag) || rl.n != 0 {
		t.Fatalf("force pass: err %v, flag there %v, reloads %d", err, exists(flag), rl.n)
	}
	if err := undo(ctx); err != nil || exists(flag) || rl.n != 0 {
		t.Fatalf("force pass undo: err %v, flag there %v, reloads %d", err, exists(flag), rl.n)
	}

	// Nothing to override: nothing written, nothing reloaded.
	undo, note, err = o.Apply(ctx, rollout.Override{Kind: rollout.OverrideOnBootOff})
	if err != nil || note != "" || rl.n != 0 || undo(ctx) != nil || rl.n != 0 {
		t.Fatalf("empty override: err %v note %q reloads %d", err, note, rl.n)
	}

	// A failed reload takes the files back.
	rl.err = errors.New("bus gone")
	if _, _, err := o.Apply(ctx, onBootOff); err == nil {
		t.Fatal("apply with a failing reload succeeded")
	}
	for p := range files {
		if exists(p) {
			t.Errorf("%s left after a failed reload", p)
		}
	}
}
