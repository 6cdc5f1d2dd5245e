package proxy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
	"github.com/quadlaunch/quadlaunch/units"
)

// The live web slot of an app behind the proxy (see units/proxy.go): nothing
// recorded means A-web; A-web-next is live when the persistent unit dir has
// A.target.wants/A-web-next.service, with A-web's generated link masked by a
// link to /dev/null of the same name. Both links are what `systemctl
// add-wants` and `systemctl mask` would write; systemctl refuses generated
// units, so quadlaunch writes them itself.

// LiveSlots reads and records an app's live web slot below ConfigDir.
type LiveSlots struct {
	App       string
	Primary   string // the primary role: A-web is slot 0, A-web-next slot 1
	User      bool
	ConfigDir string // ConfigDir(User), or a test's dir
	// GeneratorDir is the generator's normal dir, where the wants link
	// points (systemd warns when a link's target name differs).
	GeneratorDir string
}

// NewLiveSlots is the live slot record of app for the system or user manager.
func NewLiveSlots(app *generator.App, user bool, runtimeDir string) LiveSlots {
	return LiveSlots{App: app.Name, Primary: app.PrimaryRole().Name, User: user, ConfigDir: systemd.ConfigDir(user),
		GeneratorDir: filepath.Join(runtimeDir, "systemd", "generator")}
}

func (l LiveSlots) link(slot int) string {
	role := l.Primary
	if slot == 1 {
		role = units.NextSlotRole(l.Primary)
	}
	return units.LiveSlotLink(l.App, role, l.ConfigDir, l.User)
}

// Live is the live slot: 1 when A-web-next's wants link exists, else 0.
func (l LiveSlots) Live() int {
	if fi, err := os.Lstat(l.link(1)); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return 1
	}
	return 0
}

// Set records slot as live. The caller reloads systemd.
func (l LiveSlots) Set(slot int) error {
	next, web := l.link(1), l.link(0)
	if slot == 0 {
		// Back to the default: A-web's generated link is no longer masked.
		for _, p := range []string{next, web} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("live slot: %w", err)
			}
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(next), 0o755); err != nil {
		return fmt.Errorf("live slot: %w", err)
	}
	// A-web-next wanted first, then A-web masked: a crash in between leaves
	// both wanted (two slots at boot), never none.
	if err := symlinkAtomic(filepath.Join(l.GeneratorDir, filepath.Base(next)), next); err != nil {
		return err
	}
	return symlinkAtomic("/dev/null", web)
}

func symlinkAtomic(target, path string) error {
	tmp := path + ".quadlaunch-tmp"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("live slot: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("live slot: %w", err)
	}
	return nil
}

// LiveAppUnits names the app's units with the live web slot as the primary
// role's unit: what start, restart and rebuild drive.
func LiveAppUnits(app *generator.App, user bool, runtimeDir string) units.AppUnitNames {
	n := units.AppUnits(app)
	if app.Proxy != nil && NewLiveSlots(app, user, runtimeDir).Live() == 1 {
		n = n.Swapped()
	}
	return n
}

// LiveRole is the role whose container serves for role: behind the proxy,
// the primary role's live slot (web-next when A-web-next is live); any other
// role as it is.
func LiveRole(app *generator.App, user bool, role string) string {
	if app.Proxy == nil || len(app.RunningRoles()) == 0 || role != app.PrimaryRole().Name {
		return role
	}
	if NewLiveSlots(app, user, systemd.RuntimeDir(user)).Live() == 1 {
		return units.NextSlotRole(role)
	}
	return role
}
