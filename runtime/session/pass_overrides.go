package session

import (
	"path/filepath"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/rollout"
	"github.com/quadlaunch/quadlaunch/runtime/versions"
)

// launcher2 defers a launcher-style pass to the container's boot when the
// config's env has MIGRATE_ON_BOOT (the migrate pass) or PRECOMPILE_ON_BOOT (the
// configure pass): the offline-page template sets both, so the container
// migrates and precompiles behind its offline page. Presence of the key is what
// counts, as in launcher2 (MIGRATE_ON_BOOT: 0 defers too). `rebuild --full-build`
// runs the passes anyway: the rollout applies OverrideForcePass, a flag file
// per pass (ForcePassFlag), before starting the units and removes it afterwards
// (overrides.go); `migrate|configure
// --in-unit` looks for it.

// Pass is a launcher-style pass run inside its unit.
type Pass = rollout.Pass

const (
	PassMigrate   = rollout.PassMigrate
	PassConfigure = rollout.PassConfigure
)

// OnBootKey is the env key that defers the pass to the container's boot.
func OnBootKey(p Pass) string {
	if p == PassMigrate {
		return "MIGRATE_ON_BOOT"
	}
	return "PRECOMPILE_ON_BOOT"
}

// ForcePassFlag is the flag file that makes `<pass> --in-unit` run although the
// env defers it to boot.
func ForcePassFlag(user bool, app string, p Pass) string {
	return filepath.Join(versions.LockDir(user), app+".force-"+string(p))
}

// DeferPassToBoot reports whether the launcher-style pass p is left to the
// container's boot: the app's merged env has p's *_ON_BOOT key and the pass is
// not forced. A `migrate:`/`configure:` command is the config's own choice and
// never deferred.
func DeferPassToBoot(app *generator.App, p Pass, forced bool) bool {
	if forced {
		return false
	}
	if (p == PassMigrate && app.Migrate != nil) || (p == PassConfigure && app.Configure != nil) {
		return false
	}
	return hasEnv(app, OnBootKey(p))
}

func hasEnv(app *generator.App, key string) bool {
	for _, e := range app.Env {
		if e.Name == key {
			return true
		}
	}
	return false
}

// DeferredPassMessage is the line a deferred pass prints instead of running.
func DeferredPassMessage(p Pass) string {
	what := "migrates"
	if p == PassConfigure {
		what = "precompiles"
	}
	return OnBootKey(p) + " is set: the web container " + what + " at boot (offline-page template); skipping the " +
		string(p) + " pass; quadlaunch rebuild --full-build runs it"
}

// launcher2 starts the container with MIGRATE_ON_BOOT=0 (PRECOMPILE_ON_BOOT=0)
// after it ran the migrate (configure) pass itself, so the boot does not do it
// again. The roles here take their env from the unit's EnvironmentFile; a
// runtime drop-in adding a second EnvironmentFile (read later, so it wins) gives
// the next start the 0s (OverrideOnBootOff, overrides.go). The rollout removes the drop-in once the roles started: a
// later start sees the config's env again, as a later `launcher start` does.

// OnBootOffKeys are the *_ON_BOOT keys the roles' next start sees as 0: present
// in the app's env, and the pass ran anyway (forced, or a command of the config).
func OnBootOffKeys(app *generator.App, forced bool) []string {
	var keys []string
	for _, p := range []Pass{PassMigrate, PassConfigure} {
		if hasEnv(app, OnBootKey(p)) && !DeferPassToBoot(app, p, forced) {
			keys = append(keys, OnBootKey(p))
		}
	}
	return keys
}

// OnBootOffFiles are the files giving roles keys=0 for their next start: path
// -> content. Nothing in them is secret.
func OnBootOffFiles(user bool, app string, roles []string, runtimeDir string, keys []string) map[string]string {
	envFile := filepath.Join(versions.LockDir(user), app+".on-boot-off.env")
	env := ""
	for _, k := range keys {
		env += k + "=0\n"
	}
	files := map[string]string{envFile: env}
	for _, r := range roles {
		files[filepath.Join(controlDir(user, runtimeDir), r+".d", "50-quadlaunch-on-boot-off.conf")] =
			"# Written by quadlaunch rebuild --full-build for one start of the role; removed after it.\n" +
				"[Service]\nEnvironmentFile=" + envFile + "\n"
	}
	return files
}

// controlDir is systemd's runtime directory for drop-ins written by tools (gone at reboot).
func controlDir(user bool, runtimeDir string) string {
	if user {
		return filepath.Join(runtimeDir, "systemd", "user.control")
	}
	return "/run/systemd/system.control"
}
