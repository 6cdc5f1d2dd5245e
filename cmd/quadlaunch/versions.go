package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
	"github.com/quadlaunch/quadlaunch/runtime/versions"
)

func init() { commands = append(commands, versionsCommand(), rollbackCommand(), cleanupCommand()) }

func versionsCommand() *cli.Command {
	return &cli.Command{
		Name:      "versions",
		Usage:     "list the app's built versions (newest last), marking current and previous",
		ArgsUsage: "APP",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			s, err := openSession(ctx, cmd, session.Options{Podman: true})
			if err != nil {
				return err
			}
			defer s.Close()
			vs, err := engine.ListVersions(s.Podman, s.App.Name)
			if err != nil {
				return err
			}
			if cmd.Bool("json") {
				if vs == nil {
					vs = []versions.Version{}
				}
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(vs)
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tIMAGE\tCREATED\tCONFIG\tTAGS")
			for _, v := range vs {
				tags := ""
				if v.Current {
					tags += "current "
				}
				if v.Previous {
					tags += "previous "
				}
				if v.InUse {
					tags += "in-use"
				}
				digest := v.ConfigDigest
				if len(digest) > 19 {
					digest = digest[:19]
				}
				id := v.ImageID
				if len(id) > 12 {
					id = id[:12]
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.Version, id, v.Created, digest, tags)
			}
			return tw.Flush()
		},
	}
}

func rollbackCommand() *cli.Command {
	return &cli.Command{
		Name:      "rollback",
		Usage:     "make VERSION (default: previous) current again and restart the roles (behind the proxy: through the second web slot, no request fails)",
		ArgsUsage: "APP [VERSION]",
		Flags:     []cli.Flag{lockTimeoutFlag()},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			s, err := openSession(ctx, cmd, session.Options{Podman: true, Lock: true, Systemd: true})
			if err != nil {
				return err
			}
			defer s.Close()
			return s.Rollback(ctx, cmd.Args().Get(1))
		},
	}
}

func cleanupCommand() *cli.Command {
	return &cli.Command{
		Name:      "cleanup",
		Usage:     "remove old versions, keeping the newest N and never current, previous or one a container uses",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "keep", Value: 3, Usage: "newest versions to keep"},
			lockTimeoutFlag(),
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			s, err := openSession(ctx, cmd, session.Options{Podman: true, Lock: true})
			if err != nil {
				return err
			}
			defer s.Close()
			vs, err := engine.ListVersions(s.Podman, s.App.Name)
			if err != nil {
				return err
			}
			for _, v := range versions.CleanupSelection(vs, int(cmd.Int("keep"))) {
				if err := engine.RemoveVersion(s.Podman, s.App.Name, v); err != nil {
					return err
				}
				fmt.Printf("removed %s\n", v.Version)
			}
			return nil
		},
	}
}
