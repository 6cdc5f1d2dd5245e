package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/rollout"
)

// Deploy hooks (deploy_hooks: in the config) are host commands run by
// `quadlaunch deploy` at pre-build, pre-deploy, post-deploy and post-rollback,
// Kamal's hooks. A failing pre-build or pre-deploy hook aborts the deploy with
// nothing changed.

// HookInfo is what a hook learns about the deploy through its environment.
type HookInfo = rollout.HookInfo

// HookEnviron is base plus the QUADLAUNCH_* variables; earlier values of those
// names are dropped so a hook never sees stale ones.
func HookEnviron(base []string, h HookInfo) []string {
	set := map[string]string{
		"QUADLAUNCH_APP":              h.App,
		"QUADLAUNCH_VERSION":          h.Version,
		"QUADLAUNCH_PREVIOUS_VERSION": h.Previous,
		"QUADLAUNCH_ROLES":            strings.Join(h.Roles, " "),
	}
	out := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if _, ours := set[name]; !ours {
			out = append(out, kv)
		}
	}
	for _, name := range []string{"QUADLAUNCH_APP", "QUADLAUNCH_VERSION", "QUADLAUNCH_PREVIOUS_VERSION", "QUADLAUNCH_ROLES"} {
		out = append(out, name+"="+set[name])
	}
	return out
}

// HookArgv is the command line of a hook: a string runs through /bin/sh -c.
func HookArgv(h *generator.DeployHook) []string {
	if h.Shell != "" {
		return []string{"/bin/sh", "-c", h.Shell}
	}
	return h.Args
}

// HookError is a hook that did not succeed.
type HookError struct {
	Name     string
	Command  string
	ExitCode int // -1: did not run or was killed
	Err      error
}

func (e *HookError) Error() string {
	if e.ExitCode >= 0 {
		return fmt.Sprintf("%s hook (%s) exited with status %d", e.Name, e.Command, e.ExitCode)
	}
	return fmt.Sprintf("%s hook (%s): %v", e.Name, e.Command, e.Err)
}

func (e *HookError) Unwrap() error { return e.Err }

// RunHook runs the named hook of app (nothing when it has none) in dir with
// env, its output to out.
func RunHook(ctx context.Context, app *generator.App, name, dir string, env []string, out io.Writer) error {
	h := app.DeployHooks[name]
	if h == nil {
		return nil
	}
	argv := HookArgv(h)
	fmt.Fprintf(out, "%s: running %s hook: %s\n", app.Name, name, h)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, out, out
	err := cmd.Run()
	if err == nil {
		return nil
	}
	he := &HookError{Name: name, Command: h.String(), ExitCode: -1, Err: err}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() >= 0 {
		he.ExitCode = ee.ExitCode()
	}
	return he
}
