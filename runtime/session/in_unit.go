package session

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/pass"
	"github.com/quadlaunch/quadlaunch/runtime/podman"
)

// InUnit is a launcher-style pass run inside its own unit (what A-migrate
// and A-configure run: `quadlaunch migrate|configure --in-unit A`): no lock,
// since the command that started the unit holds it, and the env of the
// unit's EnvironmentFile over the config's.
type InUnit struct {
	Root, App string
	User      bool
	Engine    podman.Engine
	// SkipPostDeployment is --skip-post-deployment-migrations (migrate only);
	// the flag file a `quadlaunch migrate` leaves for the unit does the same.
	SkipPostDeployment bool
	Out                io.Writer
}

// MigrateInUnit runs the pups steps tagged db,migrate in a one-off container of current.
func MigrateInUnit(ctx context.Context, r InUnit) error {
	app, pc, err := r.open(ctx, PassMigrate)
	if app == nil || err != nil {
		return err
	}
	env := pass.FullEnv(app, os.LookupEnv)
	if _, err := os.Stat(SkipPostDeployFlag(r.User, app.Name)); err == nil || r.SkipPostDeployment {
		env = append(env, "SKIP_POST_DEPLOYMENT_MIGRATIONS=1")
	}
	plan := pass.PlanPhase(app, pass.PhaseMigrate, env...)
	return r.Engine.RunMigrate(pc, app, plan, podman.PassOptions{Out: r.Out, Env: pass.SplitEnv(app, env)})
}

// ConfigureInUnit runs the pups steps tagged db,precompile on current and
// commits the result as the new current.
func ConfigureInUnit(ctx context.Context, r InUnit) error {
	app, pc, err := r.open(ctx, PassConfigure)
	if app == nil || err != nil {
		return err
	}
	env := pass.FullEnv(app, os.LookupEnv)
	plan := pass.PlanPhase(app, pass.PhaseConfigure, env...)
	_, err = r.Engine.RunConfigure(pc, app, plan, podman.PassOptions{Out: r.Out, Env: pass.SplitEnv(app, env)})
	return err
}

// open loads the app and connects to Podman; a nil app and error mean the
// pass is left to the container's boot (*_ON_BOOT in the config, not
// forced), which it says on the unit's journal.
func (r InUnit) open(ctx context.Context, p Pass) (*generator.App, context.Context, error) {
	app, err := LoadApp(r.Root, r.App)
	if err != nil {
		return nil, nil, err
	}
	_, err = os.Stat(ForcePassFlag(r.User, app.Name, p))
	if DeferPassToBoot(app, p, err == nil) {
		fmt.Fprintln(r.Out, DeferredPassMessage(p))
		return nil, nil, nil
	}
	pc, err := r.Engine.Connect(ctx, r.User)
	if err != nil {
		return nil, nil, err
	}
	return app, pc, nil
}

// ConfigureUnlessConfigured is `quadlaunch configure`: launcher-style
// configure is a no-op on a configured current, said without starting the
// unit (which would run A-migrate again first); otherwise the Configure
// rollout.
func (s *Session) ConfigureUnlessConfigured(ctx context.Context) error {
	if s.App.Configure == nil {
		// The config's env, as the unit would see it (not this shell's).
		plan := pass.PlanPhase(s.App, pass.PhaseConfigure, pass.FullEnv(s.App, nil)...)
		done, reason, err := s.Engine.Configured(s.Podman, s.App, plan)
		if err != nil {
			return err
		}
		if done {
			fmt.Fprintf(s.Out, "%s: %s\n", s.App.Name, reason)
			return nil
		}
	}
	return s.Configure(ctx)
}
