package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime"
)

func init() { commands = append(commands, versionsCommand(), rollbackCommand(), cleanupCommand()) }

func versionsCommand() *cli.Command {
	return &cli.Command{
		Name:      "versions",
		Usage:     "list the app's built versions (newest last), marking current and previous",
		ArgsUsage: "APP",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			s, err := openSession(ctx, cmd, sessionOpts{podman: true})
			if err != nil {
				return err
			}
			defer s.Close()
			vs, err := runtime.ListVersions(s.Podman, s.App.Name)
			if err != nil {
				return err
			}
			if cmd.Bool("json") {
				if vs == nil {
					vs = []runtime.Version{}
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
			s, err := openSession(ctx, cmd, sessionOpts{podman: true, lock: true})
			if err != nil {
				return err
			}
			defer s.Close()
			start := time.Now()
			vs, err := runtime.ListVersions(s.Podman, s.App.Name)
			if err != nil {
				return err
			}
			target, err := runtime.RollbackTarget(vs, cmd.Args().Get(1))
			if err != nil {
				return cli.Exit(fmt.Sprintf("rollback %s: %v", s.App.Name, err), 1)
			}
			if s.App.Proxy != nil && !standalone(s.App) {
				// Behind the proxy: the older version takes over through the
				// second slot, like a deploy's swap, so no request fails. A rollback
				// is what an operator reaches for when things are broken: if the
				// proxy does not answer, roll back in place rather than not at all.
				d, err := newDeployRun(ctx, s, false)
				if err == nil {
					d.op, d.target, d.t0 = "rollback", target, start
					d.plan = runtime.PlanRollback(len(d.others) > 0)
					return d.run(ctx)
				}
				fmt.Printf("%s: %v\n%s: rolling back in place (the roles restart; clients may get errors meanwhile)\n",
					s.App.Name, err, s.App.Name)
			}
			sd, err := s.Systemd(ctx)
			if err != nil {
				return err
			}
			old, err := runtime.Promote(s.Podman, s.App.Name, target.ImageID)
			if err != nil {
				return err
			}
			s.Log.Version = target.Version
			if err := restartRoles(ctx, s, sd); err != nil {
				_ = runtime.RestoreTags(s.Podman, s.App.Name, old)
				return err
			}
			s.Log.Infof("%s: rolled back to %s (%s)", s.App.Name, target.Version, since(start))
			return nil
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
			s, err := openSession(ctx, cmd, sessionOpts{podman: true, lock: true})
			if err != nil {
				return err
			}
			defer s.Close()
			vs, err := runtime.ListVersions(s.Podman, s.App.Name)
			if err != nil {
				return err
			}
			for _, v := range runtime.CleanupSelection(vs, int(cmd.Int("keep"))) {
				if err := runtime.RemoveVersion(s.Podman, s.App.Name, v); err != nil {
					return err
				}
				fmt.Printf("removed %s\n", v.Version)
			}
			return nil
		},
	}
}
