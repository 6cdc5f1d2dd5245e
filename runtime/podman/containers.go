//go:build remote

package podman

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/containers/podman/v5/pkg/api/handlers"
	"github.com/containers/podman/v5/pkg/bindings/containers"
	"golang.org/x/term"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/pass"
	"github.com/quadlaunch/quadlaunch/units"
)

// ContainerHealth returns a container's state and health ("" when it has no
// health check); state "absent" when there is no such container.
func (Bindings) ContainerHealth(ctx context.Context, name string) (state, health, image string) {
	c, err := containers.Inspect(ctx, name, nil)
	if err != nil {
		return "absent", "", ""
	}
	if c.State != nil {
		state = c.State.Status
		if c.State.Health != nil {
			health = c.State.Health.Status
		}
	}
	return state, health, c.Image
}

// RunOneOff runs args in a one-off container of current with the app's volumes and
// network; public env goes to the exec session, secrets become Podman secrets the
// container references as env secrets. stdin/stdout/stderr are attached.
func (Bindings) RunOneOff(ctx context.Context, app *generator.App, args []string, env pass.Env) (int, error) {
	cur, err := imageID(ctx, units.ImageRef(app.Name, units.CurrentTag))
	if err != nil {
		return 1, err
	}
	if cur == "" {
		return 1, fmt.Errorf("%s has no current image: run quadlaunch build %s first", app.Name, app.Name)
	}
	if err := storeSecrets(ctx, env.Secrets); err != nil {
		return 1, err
	}
	id, err := startWorkContainer(ctx, workSpec{Image: cur, Name: fmt.Sprintf("%s-run-%d", app.Name, time.Now().UnixNano()),
		EnvSecrets: env.EnvSecretRefs(), Mounts: AppMounts(app), Network: AppNetwork(app)})
	if err != nil {
		return 1, err
	}
	defer removeContainer(ctx, id)
	return execAttached(ctx, id, args, env.Public)
}

// Enter runs a shell (or args) in the running container of role. That container
// already has the app's secrets as env secrets (its unit's Secret= lines), which
// every exec session inherits; only public env may be given here.
func (Bindings) Enter(ctx context.Context, app *generator.App, role string, args, publicEnv []string) (int, error) {
	if len(args) == 0 {
		args = []string{"/bin/sh", "-c", "command -v bash >/dev/null && exec bash || exec sh"}
	}
	return execAttached(ctx, units.ContainerName(app.Name, role), args, publicEnv)
}

func execAttached(ctx context.Context, container string, args, env []string) (int, error) {
	tty := term.IsTerminal(int(os.Stdin.Fd())) && term.IsTerminal(int(os.Stdout.Fd()))
	c := &handlers.ExecCreateConfig{}
	c.Cmd, c.Env, c.Tty = args, env, tty
	c.AttachStdin, c.AttachStdout, c.AttachStderr = true, true, true
	id, err := containers.ExecCreate(ctx, container, c)
	if err != nil {
		return 1, fmt.Errorf("exec in %s: %w", container, err)
	}
	var out, errw io.Writer = os.Stdout, os.Stderr
	in := bufio.NewReader(os.Stdin)
	yes := true
	if err := containers.ExecStartAndAttach(ctx, id, &containers.ExecStartAndAttachOptions{
		OutputStream: &out, ErrorStream: &errw, InputStream: in, AttachOutput: &yes, AttachError: &yes, AttachInput: &yes,
	}); err != nil {
		return 1, fmt.Errorf("exec in %s: %w", container, err)
	}
	info, err := containers.ExecInspect(ctx, id, nil)
	if err != nil {
		return 1, err
	}
	return info.ExitCode, nil
}

// queueJob queues op ("start", "restart", "stop") on unit with the job mode for

// HealthOf returns a container's ID and health status ("" when absent or
// without a health check).
func (Bindings) HealthOf(ctx context.Context, name string) (id, health string) {
	c, err := containers.Inspect(ctx, name, nil)
	if err != nil || c.State == nil {
		return "", ""
	}
	if c.State.Health != nil {
		health = c.State.Health.Status
	}
	return c.ID, health
}

// RunHealthCheck runs the container's health check now and returns the status.
func (Bindings) RunHealthCheck(ctx context.Context, name string) (string, error) {
	r, err := containers.RunHealthCheck(ctx, name, nil)
	if err != nil {
		return "", err
	}
	return r.Status, nil
}

// HealthReport describes a container's health check state and its last
// results, for a deploy's failure report ("" when it has no health check).
func (Bindings) HealthReport(ctx context.Context, name string) string {
	c, err := containers.Inspect(ctx, name, nil)
	if err != nil || c.State == nil || c.State.Health == nil {
		return ""
	}
	h := c.State.Health
	var b strings.Builder
	fmt.Fprintf(&b, "health of %s: %s, %d failed checks in a row", name, h.Status, h.FailingStreak)
	log := h.Log
	if len(log) > 3 {
		log = log[len(log)-3:]
	}
	for _, l := range log {
		fmt.Fprintf(&b, "\n  check at %s: exit %d %s", l.Start, l.ExitCode, strings.TrimSpace(l.Output))
	}
	return b.String()
}
