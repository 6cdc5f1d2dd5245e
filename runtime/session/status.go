package session

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/quadlaunch/quadlaunch/runtime/proxy"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
	"github.com/quadlaunch/quadlaunch/units"
)

// StatusReport is `quadlaunch status APP`: the app's units, the current
// version and each role's container.
type StatusReport struct {
	App     string              `json:"app"`
	Current string              `json:"current_version"`
	Units   []systemd.UnitState `json:"units"`
	Roles   []RoleStatus        `json:"roles"`
	// Maintenance: the proxy answers the maintenance page (quadlaunch maintenance).
	Maintenance bool `json:"maintenance"`
}

// RoleStatus is one role container's state and health, and the version it runs.
type RoleStatus struct {
	Container string `json:"container"`
	State     string `json:"state"`
	Health    string `json:"health,omitempty"`
	Version   string `json:"version,omitempty"`
}

// Status asks systemd and Podman for the app's state. Behind the proxy the
// live web slot comes first, the idle one only when it runs.
func (s *Session) Status(ctx context.Context) (*StatusReport, error) {
	sd, err := s.Manager(ctx)
	if err != nil {
		return nil, err
	}
	app := s.App.Name
	rep := &StatusReport{App: app, Maintenance: s.MaintenanceOn()}
	vs, err := s.Engine.ListVersions(s.Podman, app)
	if err != nil {
		return nil, err
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
			return nil, err
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
			state, health, image := s.Engine.ContainerHealth(s.Podman, c)
			if i > 0 && state == "absent" {
				continue
			}
			rep.Roles = append(rep.Roles, RoleStatus{Container: c, State: state, Health: health, Version: byID[image]})
		}
	}
	return rep, nil
}

// WriteText writes the report as `status` prints it: the current version,
// a table of units and one of containers.
func (r *StatusReport) WriteText(w io.Writer) error {
	cur := r.Current
	if cur == "" {
		cur = "(none)"
	}
	fmt.Fprintf(w, "%s: current version %s\n", r.App, cur)
	if r.Maintenance {
		fmt.Fprintf(w, "%s: MAINTENANCE: the proxy answers every request with the maintenance page (quadlaunch maintenance %s off)\n", r.App, r.App)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "UNIT\tLOAD\tACTIVE\tSUB\tRESULT")
	for _, u := range r.Units {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Unit, u.LoadState, u.ActiveState, u.SubState, u.Result)
	}
	fmt.Fprintln(tw, "CONTAINER\tSTATE\tHEALTH\tVERSION\t")
	for _, c := range r.Roles {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", c.Container, c.State, dash(c.Health), dash(c.Version))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
