package main

import (
	"context"

	"github.com/quadlaunch/quadlaunch/runtime/session"
	"github.com/urfave/cli/v3"
)

func init() { commands = append(commands, deployCommand()) }

func deployCommand() *cli.Command {
	return &cli.Command{
		Name:  "deploy",
		Usage: "build and roll out a new version health-gated, with no failed request behind the proxy; roll back on any failure",
		Description: "Steps: pre-build hook, build, pre-deploy hook, migrate (skipping post-deployment migrations) while the\n" +
			"old version serves, configure, then the swap: with `proxy:` the new version starts in APP-web-next beside\n" +
			"APP-web, the proxy switches to it once healthy, old requests drain, APP-web restarts on the new version and\n" +
			"takes the traffic back. The other roles restart only once web is healthy on the new version. Then the\n" +
			"post-deployment migration and the post-deploy hook. Standalone apps (database in the container) stop first\n" +
			"(the proxy shows its offline page). A failure before the post-deployment migration rolls back: current\n" +
			"returns to the previous version, the roles run it, the post-rollback hook runs; volumes are untouched.",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-cache", Usage: "ignore the layer cache and run every build step"},
			pullFlag(),
			&cli.StringFlag{Name: "image", Usage: "deploy this prebuilt image (registry.example/app:tag) instead of image:'s or a build"},
			&cli.BoolFlag{Name: "dry-run", Usage: "change nothing: show what the deploy would change (quadlaunch diff), exit 0 none, 2 changes"},
			&cli.BoolFlag{Name: "json", Usage: "with --dry-run: print the preview as JSON"},
			lockTimeoutFlag(),
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Bool("dry-run") {
				return withSession(session.Options{Podman: true}, previewDeploy)(ctx, cmd)
			}
			return withSession(session.Options{Podman: true, Lock: true, Systemd: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
				s.Image = cmd.String("image")
				return s.Deploy(ctx, cmd.Bool("no-cache"))
			})(ctx, cmd)
		},
	}
}
