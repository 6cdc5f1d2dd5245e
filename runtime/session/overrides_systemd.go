package session

import (
	"context"
	"fmt"
	"maps"
	"os"
	"strings"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/rollout"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
	"github.com/quadlaunch/quadlaunch/units"
)

// Overrides applies rollout.Overrides for one app: the one mechanism behind
// forced passes, migrations without post-deployment ones and *_ON_BOOT=0
// starts.
type Overrides struct {
	app  *generator.App
	user bool
	sd   reloader
}

// reloader is the manager's daemon-reload (systemd.Manager.Reload).
type reloader interface {
	Reload(ctx context.Context) error
}

// NewOverrides returns the overrides of app; sd reloads the manager after a
// drop-in is written or removed.
func NewOverrides(app *generator.App, user bool, sd *systemd.Manager) *Overrides {
	return &Overrides{app: app, user: user, sd: sd}
}

// Files are the files the overrides take, path -> content; reload: a
// drop-in among them (the manager must reread); note: what to tell the
// operator.
func (o *Overrides) Files(ovs []rollout.Override, runtimeDir string) (files map[string]string, reload bool, note string) {
	files = map[string]string{}
	names := units.AppUnits(o.app)
	for _, ov := range ovs {
		switch ov.Kind {
		case rollout.OverrideForcePass:
			files[ForcePassFlag(o.user, o.app.Name, ov.Pass)] = ""
		case rollout.OverrideSkipPostDeployment:
			if o.app.Migrate == nil {
				files[SkipPostDeployFlag(o.user, o.app.Name)] = ""
				continue
			}
			maps.Copy(files, SkipPostDeployFiles(o.user, names.Migrate, runtimeDir))
			reload = true
		case rollout.OverrideOnBootOff:
			keys := OnBootOffKeys(o.app, ov.Forced)
			if len(keys) == 0 {
				continue
			}
			maps.Copy(files, OnBootOffFiles(o.user, o.app.Name, names.Roles, runtimeDir, keys))
			reload = true
			note = fmt.Sprintf("the passes ran: this start of the roles has %s=0", strings.Join(keys, "=0, "))
		}
	}
	return files, reload, note
}

// Apply writes the overrides' files (and reloads the manager for a drop-in);
// undo removes them (and reloads again).
func (o *Overrides) Apply(ctx context.Context, ovs ...rollout.Override) (undo func(context.Context) error, note string, err error) {
	files, reload, note := o.Files(ovs, os.Getenv("XDG_RUNTIME_DIR"))
	if len(files) == 0 {
		return func(context.Context) error { return nil }, "", nil
	}
	remove, err := WriteFiles(files)
	if err != nil {
		return nil, "", err
	}
	if reload {
		if err := o.sd.Reload(ctx); err != nil {
			remove()
			return nil, "", err
		}
	}
	return func(ctx context.Context) error {
		remove()
		if reload {
			return o.sd.Reload(ctx)
		}
		return nil
	}, note, nil
}
