package session

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
)

func TestHookEnviron(t *testing.T) {
	env := HookEnviron([]string{"PATH=/usr/bin", "QUADLAUNCH_VERSION=stale", "HOME=/root"},
		HookInfo{App: "shop", Version: "20250101-120000", Previous: "20241231-090000", Roles: []string{"web", "worker"}})
	want := []string{"PATH=/usr/bin", "HOME=/root", "QUADLAUNCH_APP=shop", "QUADLAUNCH_VERSION=20250101-120000",
		"QUADLAUNCH_PREVIOUS_VERSION=20241231-090000", "QUADLAUNCH_ROLES=web worker"}
	if !slices.Equal(env, want) {
		t.Errorf("env = %q\nwant %q", env, want)
	}
}

func TestRunHook(t *testing.T) {
	app := &generator.App{Name: "shop", DeployHooks: map[string]*generator.DeployHook{
		"pre-deploy":  {Shell: `echo "deploying $QUADLAUNCH_APP $QUADLAUNCH_VERSION over $QUADLAUNCH_PREVIOUS_VERSION"; exit 3`},
		"post-deploy": {Args: []string{"/bin/sh", "-c", "pwd"}},
	}}
	env := HookEnviron(nil, HookInfo{App: "shop", Version: "v2", Previous: "v1"})
	var out bytes.Buffer
	err := RunHook(context.Background(), app, "pre-deploy", t.TempDir(), env, &out)
	var he *HookError
	if !errors.As(err, &he) || he.ExitCode != 3 || !strings.Contains(err.Error(), "pre-deploy hook") {
		t.Fatalf("err = %v, want a HookError with exit status 3", err)
	}
	if !strings.Contains(out.String(), "deploying shop v2 over v1") {
		t.Errorf("hook output %q lacks its env", out.String())
	}
	dir := t.TempDir()
	out.Reset()
	if err := RunHook(context.Background(), app, "post-deploy", dir, env, &out); err != nil || !strings.Contains(out.String(), dir) {
		t.Errorf("post-deploy: err %v out %q, want it run in %s", err, out.String(), dir)
	}
	if err := RunHook(context.Background(), app, "pre-build", dir, env, &out); err != nil {
		t.Errorf("a missing hook is not an error: %v", err)
	}
	app.DeployHooks["pre-build"] = &generator.DeployHook{Args: []string{"/nonexistent/hook"}}
	if err := RunHook(context.Background(), app, "pre-build", dir, env, &out); !errors.As(err, &he) || he.ExitCode != -1 {
		t.Errorf("missing binary: err = %v", err)
	}
}
