package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/proxy"
	"github.com/quadlaunch/quadlaunch/runtime/session"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
	"github.com/quadlaunch/quadlaunch/units"
)

func init() { commands = append(commands, statusCommand()) }

type statusReport struct {
	App     string              `json:"app"`
	Current string              `json:"current_version"`
	Units   []systemd.UnitState `json:"units"`
	Roles   []roleStatus        `json:"roles"`
}

type roleStatus struct {
	Container string `json:"container"`
	State     string `json:"state"`
	Health    string `json:"health,omitempty"`
	Version   string `json:"version,omitempty"`
}

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show the app's units, their states, the current version and container health",
		ArgsUsage: "APP",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			s, err := openSession(ctx, cmd, session.Options{Podman: true})
			if err != nil {
				return err
			}
			defer s.Close()
			sd, err := s.Manager(ctx)
			if err != nil {
				return err
			}
			app := s.App.Name
			rep := statusReport{App: app}
			vs, err := engine.ListVersions(s.Podman, app)
			if err != nil {
				return err
			}
			byID := map[string]string{}
			for _, v := range vs {
				byID[v.ImageID] = v.Version
				if v.Current {
					rep.Current = v.Version
				}
			}
			for _, u := range units.AppUnits(s.App).All() {
				st, err := sd.State(ctx, u)
				if err != nil {
					return err
				}
				rep.Units = append(rep.Units, st)
			}
			for _, r := range s.App.Roles {
				names := []string{r.Name}
				if live := proxy.LiveRole(s.App, s.User, r.Name); live != r.Name {
					names = []string{live, r.Name} // the live web slot first; the idle one when it runs
				} else if s.App.Proxy != nil && s.App.PrimaryRole().Name == r.Name {
					names = append(names, units.NextSlotRole(r.Name))
				}
				for i, role := range names {
					c := units.ContainerName(app, role)
					state, health, image := engine.ContainerHealth(s.Podman, c)
					if i > 0 && state == "absent" {
						continue
					}
					rep.Roles = append(rep.Roles, roleStatus{Container: c, State: state, Health: health, Version: byID[image]})
				}
			}
			if cmd.Bool("json") {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			cur := rep.Current
			if cur == "" {
				cur = "(none)"
			}
			fmt.Printf("%s: current version %s\n", app, cur)
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "UNIT\tLOAD\tACTIVE\tSUB\tRESULT")
			for _, u := range rep.Units {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Unit, u.LoadState, u.ActiveState, u.SubState, u.Result)
			}
			fmt.Fprintln(tw, "CONTAINER\tSTATE\tHEALTH\tVERSION\t")
			for _, r := range rep.Roles {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", r.Container, r.State, dash(r.Health), dash(r.Version))
			}
			return tw.Flush()
		},
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
