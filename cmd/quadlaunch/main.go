package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"sync/atomic"
	"syscall"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/generator"
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

// userMode reports whether --user was given; also true when run as a non-root user
// without --root, since such a user cannot manage system units anyway.
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
		ExitErrHandler:                  exitErrHandler,
	}
}

// exitErrHandler prints errors once and maps them to exit codes; cli.Exit codes are kept.
func exitErrHandler(_ context.Context, _ *cli.Command, err error) {
	if err == nil {
		return
	}
	if sig := caughtSignal(); sig != 0 {
		fmt.Fprintln(os.Stderr, "quadlaunch:", err)
		os.Exit(128 + int(sig))
	}
	if ec, ok := err.(cli.ExitCoder); ok {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "quadlaunch:", msg)
		}
		os.Exit(ec.ExitCode())
	}
	fmt.Fprintln(os.Stderr, "quadlaunch:", err)
	os.Exit(1)
}

func main() {
	// SIGINT/SIGTERM cancel the context; commands clean up and return. The exit code
	// follows the shell convention (130/143) when a signal ended the command.
	ctx, stop := signalContext()
	defer stop()
	err := newApp().Run(ctx, os.Args)
	if sig := caughtSignal(); sig != 0 {
		if err != nil {
			fmt.Fprintln(os.Stderr, "quadlaunch:", err)
		}
		os.Exit(128 + int(sig))
	}
	if err != nil {
		exitErrHandler(ctx, nil, err)
	}
}

var caught atomic.Int32

func caughtSignal() syscall.Signal { return syscall.Signal(caught.Load()) }

func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			caught.Store(int32(s.(syscall.Signal)))
			fmt.Fprintf(os.Stderr, "quadlaunch: %s received, cleaning up (again to force)\n", s)
			cancel()
			<-ch
			os.Exit(128 + int(caughtSignal()))
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}
