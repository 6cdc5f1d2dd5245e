//go:build remote

package podman

import (
	"context"
	"fmt"
	"time"

	"github.com/containers/podman/v5/pkg/bindings/images"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/pass"
	"github.com/quadlaunch/quadlaunch/runtime/versions"
	"github.com/quadlaunch/quadlaunch/units"
)

// RunMigrate runs the migrate plan's steps in a one-off container of current,
// with the app's volumes and network, and removes the container afterwards.
func (Bindings) RunMigrate(ctx context.Context, app *generator.App, p *pass.Plan, opt PassOptions) error {
	if len(p.Steps) == 0 {
		fmt.Fprintf(opt.Out, "%s: no steps tagged db or migrate, nothing to migrate\n", app.Name)
		return nil
	}
	cur, err := imageID(ctx, units.ImageRef(app.Name, units.CurrentTag))
	if err != nil {
		return err
	}
	if cur == "" {
		return fmt.Errorf("%s has no current image: run quadlaunch build %s first", app.Name, app.Name)
	}
	if err := storeSecrets(ctx, opt.Env.Secrets); err != nil {
		return err
	}
	id, err := startWorkContainer(ctx, workSpec{Image: cur, Name: fmt.Sprintf("%s-migrate-%d", app.Name, time.Now().UnixNano()),
		EnvSecrets: opt.Env.EnvSecretRefs(), Mounts: AppMounts(app), Network: AppNetwork(app)})
	if err != nil {
		return err
	}
	defer removeContainer(ctx, id)
	r := newStepRunner(id, opt.Env.Public, opt.Out)
	for i, st := range p.Steps {
		fmt.Fprintf(opt.Out, "[%d/%d] %s\n", i+1, len(p.Steps), st.Summary)
		if err := r.Run(ctx, st.Step); err != nil {
			_ = r.StopBackground(ctx)
			return fmt.Errorf("migrate step %d/%d (%s): %w", i+1, len(p.Steps), st.Summary, err)
		}
	}
	// pups ends its background processes (postgres, redis) with their stop
	// signal at the end of the run; removing the container would KILL them.
	if err := r.StopBackground(ctx); err != nil {
		return fmt.Errorf("migrate: stop background processes: %w", err)
	}
	return nil
}

// Configured reports whether current already is the result of the configure
// plan p (launcher-style configure: the pups steps tagged db,precompile), so the
// CLI need not start APP-configure at all, which would re-run APP-migrate first
// (configure Requires= it). It says why in reason.
func (Bindings) Configured(ctx context.Context, app *generator.App, p *pass.Plan) (ok bool, reason string, err error) {
	curRef := units.ImageRef(app.Name, units.CurrentTag)
	cur, err := images.GetImage(ctx, curRef, nil)
	if err != nil {
		if isNotFound(err) {
			return false, "", nil
		}
		return false, "", fmt.Errorf("inspect %s: %w", curRef, err)
	}
	if len(p.Steps) == 0 {
		return true, "no steps tagged db or precompile, nothing to configure", nil
	}
	if cur.Labels[versions.LabelConfigureKey] == pass.ConfigureKey("", p) {
		return true, fmt.Sprintf("current (%s) is already configured", shortID(cur.ID)), nil
	}
	return false, "", nil
}

// RunConfigure runs the configure plan's steps on current and commits the result
// as the new current (and as its version tag), so the roles run a configured image.
// Env reaches exec sessions only, never the image config. If current already is the
// result of these steps it returns at once with changed=false.
func (Bindings) RunConfigure(ctx context.Context, app *generator.App, p *pass.Plan, opt PassOptions) (changed bool, err error) {
	curRef := units.ImageRef(app.Name, units.CurrentTag)
	cur, err := images.GetImage(ctx, curRef, nil)
	if err != nil {
		if isNotFound(err) {
			return false, fmt.Errorf("%s has no current image: run quadlaunch build %s first", app.Name, app.Name)
		}
		return false, fmt.Errorf("inspect %s: %w", curRef, err)
	}
	if len(p.Steps) == 0 {
		fmt.Fprintf(opt.Out, "%s: no steps tagged db or precompile, nothing to configure\n", app.Name)
		return false, nil
	}
	key := pass.ConfigureKey("", p)
	if cur.Labels[versions.LabelConfigureKey] == key {
		fmt.Fprintf(opt.Out, "%s: current (%s) is already configured\n", app.Name, shortID(cur.ID))
		return false, nil
	}
	var entrypoint, cmd []string
	if cur.Config != nil {
		entrypoint, cmd = cur.Config.Entrypoint, cur.Config.Cmd
	}
	if err := storeSecrets(ctx, opt.Env.Secrets); err != nil {
		return false, err
	}
	b := &builder{plan: &pass.Plan{App: app.Name, Env: opt.Env.Public}, out: opt.Out, secrets: opt.Env.EnvSecretRefs()}
	defer b.close(ctx)
	// The container is created without env (commit would copy it into the image);
	// ensureContainer's runner gives the public env to each exec session, and the
	// secrets reach them as the container's env secrets, which commit leaves out.
	if err := b.ensureContainer(ctx, cur.ID); err != nil {
		return false, err
	}
	for i, st := range p.Steps {
		fmt.Fprintf(opt.Out, "[%d/%d] %s\n", i+1, len(p.Steps), st.Summary)
		if err := b.runner.Run(ctx, st.Step); err != nil {
			return false, fmt.Errorf("configure step %d/%d (%s): %w", i+1, len(p.Steps), st.Summary, err)
		}
	}
	// Background processes (postgres, redis) get their stop signal and exit
	// before the commit, so the image holds a cleanly shut down state.
	if err := b.runner.StopBackground(ctx); err != nil {
		return false, fmt.Errorf("configure: stop background processes: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	id, err := b.commit(ctx, []string{"ENTRYPOINT " + jsonArray(entrypoint), "CMD " + jsonArray(cmd),
		"LABEL " + versions.LabelConfigureKey + "=" + key}, "", "")
	if err != nil {
		return false, err
	}
	if v := cur.Labels[versions.LabelVersion]; v != "" {
		if err := tagImage(ctx, id, app.Name, v); err != nil {
			return false, err
		}
	}
	if err := tagImage(ctx, id, app.Name, units.CurrentTag); err != nil {
		return false, err
	}
	fmt.Fprintf(opt.Out, "configured %s (%s)\n", curRef, shortID(id))
	return true, nil
}
