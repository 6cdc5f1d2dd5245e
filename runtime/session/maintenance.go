package session

import (
	"context"
	"fmt"

	"github.com/quadlaunch/quadlaunch/runtime/proxy"
	"github.com/quadlaunch/quadlaunch/units"
)

// Maintenance turns the proxy's maintenance page on (with message; ""
// gives the default text) or off (proxy/maintenance.go says how). The app's
// containers are not touched either way.
func (s *Session) Maintenance(ctx context.Context, on bool, message string) error {
	if s.App.Proxy == nil {
		return fmt.Errorf("%s: maintenance needs the proxy (proxy: in the config): without it clients reach the web role directly", s.App.ConfigPath)
	}
	sd, err := s.Manager(ctx)
	if err != nil {
		return err
	}
	p, err := proxy.NewControl(s.App, sd)
	if err != nil {
		return fmt.Errorf("%s: proxy: %v", s.App.ConfigPath, err)
	}
	var m *units.Maintenance
	if on {
		if message == "" {
			message = units.DefaultMaintenanceMessage
		}
		m = &units.Maintenance{Message: message}
	}
	if err := p.SetMaintenance(ctx, m); err != nil {
		return err
	}
	if on {
		s.Log.Infof("%s: maintenance on: the proxy answers 503 with the maintenance page; the app runs on", s.App.Name)
		fmt.Fprintf(s.Out, "%s: maintenance on: every request gets the maintenance page (503, Retry-After); `quadlaunch maintenance %s off` ends it\n", s.App.Name, s.App.Name)
	} else {
		s.Log.Infof("%s: maintenance off: the proxy sends requests to the app again", s.App.Name)
		fmt.Fprintf(s.Out, "%s: maintenance off: requests reach the app again\n", s.App.Name)
	}
	return nil
}

// MaintenanceOn reports whether the app's proxy is in maintenance (status).
func (s *Session) MaintenanceOn() bool {
	if s.App.Proxy == nil || s.Systemd == nil {
		return false
	}
	p, err := proxy.NewControl(s.App, s.Systemd)
	if err != nil {
		return false
	}
	m, err := p.MaintenanceState()
	return err == nil && m != nil
}
