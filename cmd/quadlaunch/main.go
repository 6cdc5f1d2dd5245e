// Command quadlaunch is the helper CLI: what the systemd generator must not do
// (build images, drive units, keep versions, roll back) happens here. Each
// file holds the commands of one concern and registers them in commands; a
// command keeps its flags and makes one call: the rollouts (deploy, rebuild,
// bootstrap, rollback, build, migrate, configure) run in package
// runtime/rollout, through runtime/session.
package main

import (
	"context"
	"os"
	"sort"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/interrupt"
)

// version is set at build time (-X main.version=...).
var version = "0.0.0-dev"

// commands is filled by the init functions of the command files.
var commands []*cli.Command

// globalFlags are accepted before the subcommand: quadlaunch [--root DIR] [--user] CMD.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "root", Usage: "config root holding containers/ and templates/ (default /etc/quadlaunch, or $XDG_CONFIG_HOME/quadlaunch with --user)", Sources: cli.EnvVars("QUADLAUNCH_ROOT")},
		&cli.BoolFlag{Name: "user", Usage: "rootless mode: user units (systemctl --user) and the user's Podman"},
	}
}

// rootDir is the config root for this invocation.
func rootDir(cmd *cli.Command) string {
	if r := cmd.String("root"); r != "" {
		return r
	}
	return generator.DefaultRoot(userMode(cmd))
}

// userMode reports whether --user was given: the user's manager and Podman.
func userMode(cmd *cli.Command) bool {
	return cmd.Bool("user")
}

func newApp() *cli.Command {
	sort.Slice(commands, func(i, j int) bool { return commands[i].Name < commands[j].Name })
	return &cli.Command{
		Name:                  "quadlaunch",
		Usage:                 "run launcher-style container configs as Podman Quadlet units under systemd",
		Version:               version,
		Flags:                 globalFlags(),
		Commands:              commands,
		EnableShellCompletion: true,
		// `quadlaunch completion bash|zsh|fish` is an operator-facing command: list it.
		ConfigureShellCompletionCommand: func(c *cli.Command) { c.Hidden = false },
		// An action's error is printed once and mapped to the exit code here.
		ExitErrHandler: func(_ context.Context, _ *cli.Command, err error) {
			if err != nil {
				os.Exit(interrupt.Report(err, os.Stderr))
			}
		},
	}
}

// main: SIGINT/SIGTERM cancel the context, the command cleans up and returns,
// and the exit code says which signal ended it (runtime/interrupt).
func main() {
	ctx, stop := interrupt.Context(os.Stderr)
	err := newApp().Run(ctx, os.Args)
	stop()
	os.Exit(interrupt.Report(err, os.Stderr))
}
