package session

import (
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
)

func TestDeferPassToBoot(t *testing.T) {
	withEnv := func(names ...string) *generator.App {
		app := &generator.App{Name: "app"}
		for _, n := range names {
			app.Env = append(app.Env, generator.EnvVar{Name: n, Value: "1"})
		}
		return app
	}
	commandStyle := withEnv("MIGRATE_ON_BOOT", "PRECOMPILE_ON_BOOT")
	commandStyle.Migrate = &generator.Command{Args: []string{"rake", "db:migrate"}}
	commandStyle.Configure = &generator.Command{Args: []string{"rake", "assets:precompile"}}
	zero := withEnv("MIGRATE_ON_BOOT")
	zero.Env[0].Value = "0" // presence counts, as in launcher2

	tests := []struct {
		name   string
		app    *generator.App
		pass   Pass
		forced bool
		want   bool
	}{
		{"migrate, key present", withEnv("MIGRATE_ON_BOOT"), PassMigrate, false, true},
		{"migrate, key present, forced", withEnv("MIGRATE_ON_BOOT"), PassMigrate, true, false},
		{"migrate, key absent", withEnv("PRECOMPILE_ON_BOOT"), PassMigrate, false, false},
		{"migrate, key absent, forced", withEnv(), PassMigrate, true, false},
		{"migrate, key present with value 0", zero, PassMigrate, false, true},
		{"configure, key present", withEnv("PRECOMPILE_ON_BOOT"), PassConfigure, false, true},
		{"configure, key present, forced", withEnv("PRECOMPILE_ON_BOOT"), PassConfigure, true, false},
		{"configure, key absent", withEnv("MIGRATE_ON_BOOT"), PassConfigure, false, false},
		{"configure, key absent, forced", withEnv(), PassConfigure, true, false},
		{"migrate: command never deferred", commandStyle, PassMigrate, false, false},
		{"configure: command never deferred", commandStyle, PassConfigure, false, false},
		{"migrate: command, forced", commandStyle, PassMigrate, true, false},
	}
	for _, tt := range tests {
		if got := DeferPassToBoot(tt.app, tt.pass, tt.forced); got != tt.want {
			t.Errorf("%s: DeferPassToBoot = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestForcePassFlag(t *testing.T) {
	t.Setenv("QUADLAUNCH_LOCK_DIR", "/run/quadlaunch")
	m, c := ForcePassFlag(false, "app", PassMigrate), ForcePassFlag(false, "app", PassConfigure)
	if m != "/run/quadlaunch/app.force-migrate" || c != "/run/quadlaunch/app.force-configure" {
		t.Errorf("flags %s %s", m, c)
	}
	if m == SkipPostDeployFlag(false, "app") {
		t.Error("force flag collides with the skip-post-deployment flag")
	}
}

func TestDeferredPassMessage(t *testing.T) {
	for _, p := range []Pass{PassMigrate, PassConfigure} {
		msg := DeferredPassMessage(p)
		for _, want := range []string{OnBootKey(p) + " is set", "skipping the " + string(p) + " pass", "rebuild --full-build"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: %q lacks %q", p, msg, want)
			}
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("%s: not one line: %q", p, msg)
		}
	}
}

func TestOnBootOffKeys(t *testing.T) {
	both := &generator.App{Name: "app", Env: []generator.EnvVar{{Name: "MIGRATE_ON_BOOT", Value: "1"}, {Name: "PRECOMPILE_ON_BOOT", Value: "1"}}}
	if k := OnBootOffKeys(both, false); len(k) != 0 {
		t.Errorf("passes deferred, yet keys %v", k)
	}
	if k := OnBootOffKeys(both, true); strings.Join(k, ",") != "MIGRATE_ON_BOOT,PRECOMPILE_ON_BOOT" {
		t.Errorf("forced: keys %v", k)
	}
	none := &generator.App{Name: "app"}
	if k := OnBootOffKeys(none, true); len(k) != 0 {
		t.Errorf("no *_ON_BOOT in env, yet keys %v", k)
	}
	cmd := &generator.App{Name: "app", Env: both.Env, Migrate: &generator.Command{Args: []string{"migrate"}}}
	if k := OnBootOffKeys(cmd, false); strings.Join(k, ",") != "MIGRATE_ON_BOOT" {
		t.Errorf("migrate: command ran: keys %v", k)
	}
}

func TestOnBootOffFiles(t *testing.T) {
	t.Setenv("QUADLAUNCH_LOCK_DIR", "/run/quadlaunch")
	files := OnBootOffFiles(false, "app", []string{"app-web.service", "app-worker.service"}, "", []string{"MIGRATE_ON_BOOT"})
	if len(files) != 3 {
		t.Fatalf("files %v", files)
	}
	if env := files["/run/quadlaunch/app.on-boot-off.env"]; env != "MIGRATE_ON_BOOT=0\n" {
		t.Errorf("env file %q", env)
	}
	for _, r := range []string{"app-web.service", "app-worker.service"} {
		d := files["/run/systemd/system.control/"+r+".d/50-quadlaunch-on-boot-off.conf"]
		if !strings.Contains(d, "[Service]\nEnvironmentFile=/run/quadlaunch/app.on-boot-off.env\n") {
			t.Errorf("%s drop-in %q", r, d)
		}
	}
	user := OnBootOffFiles(true, "app", []string{"app-web.service"}, "/run/user/1000", []string{"PRECOMPILE_ON_BOOT"})
	if _, ok := user["/run/user/1000/systemd/user.control/app-web.service.d/50-quadlaunch-on-boot-off.conf"]; !ok {
		t.Errorf("user drop-in not in user.control: %v", user)
	}
}
