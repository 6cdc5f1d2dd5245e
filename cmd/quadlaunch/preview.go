package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/preview"
	"github.com/quadlaunch/quadlaunch/runtime/proxy"
	"github.com/quadlaunch/quadlaunch/runtime/session"
)

// What the generator would write and what a deploy would change, changing
// nothing (package preview, and the session's PreviewDeploy).
func init() {
	commands = append(commands, validateCommand(), renderCommand(), diffCommand())
}

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check configs as the generator would; errors as file:line: key: message",
		ArgsUsage: "[APP...]",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			l, err := loadConfigs(cmd, cmd.Args().Slice())
			if err != nil {
				return err
			}
			// Certificate files of proxy.tls: what a deploy would refuse.
			for _, a := range l.Apps {
				if err := proxy.CheckTLSFiles(a, time.Now()); err != nil && !l.Failed[a.Name] {
					l.Fail(a.Name, err)
				}
			}
			if n := l.WriteReport(os.Stdout, os.Stderr); n > 0 {
				return cli.Exit(fmt.Sprintf("%d error(s)", n), 1)
			}
			return nil
		},
	}
}

// loadConfigs is preview.Load for this invocation's root and manager; a name
// without a config is exit 1.
func loadConfigs(cmd *cli.Command, names []string) (*preview.Loaded, error) {
	l, err := preview.Load(rootDir(cmd), names, userMode(cmd))
	var nc *preview.NoConfigError
	if errors.As(err, &nc) {
		return nil, cli.Exit(err.Error(), 1)
	}
	return l, err
}

func renderCommand() *cli.Command {
	return &cli.Command{
		Name:      "render",
		Usage:     "print every file the generator would write for APP (after quadlet, when quadlet is installed); env values are not shown",
		ArgsUsage: "APP",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			name, err := appArg(cmd)
			if err != nil {
				return err
			}
			l, err := loadConfigs(cmd, nil)
			if err != nil {
				return err
			}
			files, msgs, err := l.RenderApp(name)
			if msgs != "" {
				fmt.Fprintln(os.Stderr, msgs)
			}
			if err != nil {
				return err
			}
			return preview.WriteFiles(os.Stdout, files)
		},
	}
}

// exitChanges is diff's (and deploy --dry-run's) exit code when a deploy
// would change something: 0 is "none", 1 an error, as terraform plan
// -detailed-exitcode says it.
const exitChanges = 2

func diffCommand() *cli.Command {
	return &cli.Command{
		Name:  "diff",
		Usage: "show what a deploy of APP would change, changing nothing: exit 0 none, 2 changes, 1 error",
		Description: "Prints the unified diff of the unit files (the generator's output from the config now against what\n" +
			"systemd loaded at the last daemon-reload; env values are compared, never shown), the keys that changed,\n" +
			"whether the config differs from the one current was built from, which build steps would come from the\n" +
			"layer cache and which would run, and the deploy's steps in order with the units each starts or restarts.",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the preview as JSON"},
			&cli.BoolFlag{Name: "no-cache", Usage: "as deploy --no-cache: every build step would run"},
		},
		Action: withSession(session.Options{Podman: true}, previewDeploy),
	}
}

// previewDeploy is diff and deploy --dry-run.
func previewDeploy(ctx context.Context, cmd *cli.Command, s *session.Session) error {
	p, err := s.PreviewDeploy(ctx, cmd.Bool("no-cache"))
	if err != nil {
		return err
	}
	if cmd.Bool("json") {
		if err := printJSON(p); err != nil {
			return err
		}
	} else {
		p.WriteText(os.Stdout)
	}
	if p.Changed() {
		return cli.Exit("", exitChanges)
	}
	return nil
}
