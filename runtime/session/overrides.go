package session

import (
	"fmt"
	"github.com/quadlaunch/quadlaunch/runtime/versions"
	"os"
	"path/filepath"
	"strings"
)

// The transient overrides a rollout makes (rollout.Override): flag files in
// the lock dir and runtime drop-ins in systemd's *.control dir (gone at
// reboot), each written for one run or one step and removed after it. This
// file says which files each override is; overrides_systemd.go writes them,
// reloads the manager when a drop-in changed, and undoes both.
//
// launcher2's external-DB rebuild migrates with SKIP_POST_DEPLOYMENT_MIGRATIONS=1
// while the old web runs. A launcher-style APP-migrate.service runs
// `quadlaunch migrate --in-unit`, which reads a flag file (SkipPostDeployFlag).
// A `migrate:` command runs in a Quadlet container whose env is fixed by its
// unit: the only ways in are the unit's environment and podman's config. The CLI
// writes a runtime drop-in (system.control / user.control, gone at reboot)
// that points podman at an extra containers.conf whose [containers] env adds
// the variable to the container, reloads the manager, runs the unit, and takes
// both away again (OverrideSkipPostDeployment). The value is not secret, so neither file is private.

// SkipPostDeployFlag is the flag file `migrate --in-unit` looks for.
func SkipPostDeployFlag(user bool, app string) string {
	return filepath.Join(versions.LockDir(user), app+".skip-post-deployment-migrations")
}

// SkipPostDeployFiles are the files that make a Quadlet migrate container see
// SKIP_POST_DEPLOYMENT_MIGRATIONS=1: path -> content.
func SkipPostDeployFiles(user bool, unit, runtimeDir string) map[string]string {
	control := controlDir(user, runtimeDir)
	conf := filepath.Join(versions.LockDir(user), strings.TrimSuffix(unit, ".service")+".skip-post-deployment-migrations.containers.conf")
	return map[string]string{
		filepath.Join(control, unit+".d", "50-quadlaunch-skip-post-deployment-migrations.conf"): "# Written by quadlaunch migrate --skip-post-deployment-migrations for one run; removed after it.\n" +
			"[Service]\nEnvironment=CONTAINERS_CONF_OVERRIDE=" + conf + "\n",
		conf: "# quadlaunch: one migrate run without post-deployment migrations\n[containers]\nenv = [\"SKIP_POST_DEPLOYMENT_MIGRATIONS=1\"]\n",
	}
}

// WriteFiles writes override files, path -> content (parents 0755, files
// 0644: nothing in them is secret), and returns a func removing them again.
func WriteFiles(files map[string]string) (remove func(), err error) {
	var written []string
	remove = func() {
		for _, p := range written {
			os.Remove(p)
			os.Remove(filepath.Dir(p)) // the drop-in dir, when empty
		}
	}
	for p, content := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			remove()
			return func() {}, fmt.Errorf("write %s: %w", p, err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			remove()
			return func() {}, fmt.Errorf("write %s: %w", p, err)
		}
		written = append(written, p)
	}
	return remove, nil
}
