package main

import (
	"context"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
)

func init() { commands = append(commands, diffCommand()) }

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
