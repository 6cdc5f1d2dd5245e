package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/quadlaunch/quadlaunch/runtime/systemd"
	"github.com/quadlaunch/quadlaunch/units"
)

// Maintenance mode: the proxy answers every request with the maintenance
// page (503, Retry-After) while the app runs on untouched; off sends
// traffic to the live slot again. Both are a graceful nginx reload, so no
// request fails in between: each gets the app or the page. The state is kept
// beside the live config, so a deploy's switches keep it; like the live
// config it lasts until reboot, when the proxy starts with the generator's.

// MaintenancePath is where the state is kept while maintenance is on.
func (p *Control) MaintenancePath() string {
	return filepath.Join(systemd.RuntimeDir(p.User), units.ProxyRuntimeDir(p.App), "maintenance.json")
}

// MaintenanceState is the maintenance in force, nil when off.
func (p *Control) MaintenanceState() (*units.Maintenance, error) {
	b, err := os.ReadFile(p.MaintenancePath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("maintenance state: %w", err)
	}
	var m units.Maintenance
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("maintenance state %s: %w", p.MaintenancePath(), err)
	}
	return &m, nil
}

// SetMaintenance turns maintenance on (m) or off (nil): the state first, so
// a switch that runs meanwhile (none should: the caller holds the app's lock)
// renders the same, then the live config, on the slot that serves now.
func (p *Control) SetMaintenance(ctx context.Context, m *units.Maintenance) error {
	if err := p.Ensure(ctx); err != nil {
		return err
	}
	if m == nil {
		if err := os.Remove(p.MaintenancePath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	} else {
		b, _ := json.Marshal(m)
		if err := writeFileAtomic(p.MaintenancePath(), b, 0o644); err != nil {
			return err
		}
	}
	return p.apply(ctx, p.upstream, 0, m)
}
