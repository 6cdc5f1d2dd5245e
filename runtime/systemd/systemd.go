package systemd

import (
	"context"
	"fmt"
	"strings"

	sd "github.com/coreos/go-systemd/v22/dbus"
)

// Manager drives units over D-Bus: the system manager, or the user's with user=true.
type Manager struct {
	conn *sd.Conn
	User bool
}

// Connect opens the manager's bus. DBUS_SYSTEM_BUS_ADDRESS and
// DBUS_SESSION_BUS_ADDRESS (or $XDG_RUNTIME_DIR/bus) are honoured by godbus.
func Connect(ctx context.Context, user bool) (*Manager, error) {
	var c *sd.Conn
	var err error
	// godbus closes a connection when the context it was made with ends. A
	// SIGTERM cancels ctx, and the cleanup after it (kill the migrate unit, wait
	// for its result) still needs the bus.
	ctx = context.WithoutCancel(ctx)
	if user {
		c, err = sd.NewUserConnectionContext(ctx)
	} else {
		c, err = sd.NewSystemConnectionContext(ctx)
	}
	if err != nil {
		which := "system"
		if user {
			which = "user"
		}
		return nil, fmt.Errorf("connect to the systemd %s manager over D-Bus: %w", which, err)
	}
	return &Manager{conn: c, User: user}, nil
}

func (s *Manager) Close() { s.conn.Close() }

// JobError is a unit job that did not end in "done".
type JobError struct {
	Unit, Op, Result string
	Detail           string // the unit's Result / exit status
}

func (e *JobError) Error() string {
	msg := fmt.Sprintf("%s %s: job %s", e.Op, e.Unit, e.Result)
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

type jobFunc func(ctx context.Context, name, mode string, ch chan<- string) (int, error)

func (s *Manager) job(ctx context.Context, op string, f jobFunc, unit string) error {
	ch := make(chan string, 1)
	if _, err := f(ctx, unit, "replace", ch); err != nil {
		return fmt.Errorf("%s %s: %w", op, unit, err)
	}
	select {
	case r := <-ch:
		if r == "done" {
			return nil
		}
		return &JobError{Unit: unit, Op: op, Result: r, Detail: s.failureDetail(context.WithoutCancel(ctx), unit)}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Start, Stop and Restart run a job and wait for its result.
func (s *Manager) Start(ctx context.Context, unit string) error {
	return s.job(ctx, "start", s.conn.StartUnitContext, unit)
}
func (s *Manager) Stop(ctx context.Context, unit string) error {
	return s.job(ctx, "stop", s.conn.StopUnitContext, unit)
}
func (s *Manager) Restart(ctx context.Context, unit string) error {
	return s.job(ctx, "restart", s.conn.RestartUnitContext, unit)
}

// ReloadOrStart reloads unit when it runs (its ExecReload) and starts it when
// it does not.
func (s *Manager) ReloadOrStart(ctx context.Context, unit string) error {
	return s.job(ctx, "reload-or-restart", s.conn.ReloadOrRestartUnitContext, unit)
}

// ResetFailed clears a failed state so a fresh start is reported cleanly.
func (s *Manager) ResetFailed(ctx context.Context, unit string) {
	_ = s.conn.ResetFailedUnitContext(ctx, unit)
}

// UnitState is what status shows for one unit.
type UnitState struct {
	Unit         string `json:"unit"`
	LoadState    string `json:"load"`
	ActiveState  string `json:"active"`
	SubState     string `json:"sub"`
	Result       string `json:"result,omitempty"`
	InvocationID string `json:"invocation_id,omitempty"`
	SourcePath   string `json:"source_path,omitempty"`
}

// State reads a unit's state properties.
func (s *Manager) State(ctx context.Context, unit string) (UnitState, error) {
	props, err := s.conn.GetUnitPropertiesContext(ctx, unit)
	if err != nil {
		return UnitState{Unit: unit}, fmt.Errorf("properties of %s: %w", unit, err)
	}
	st := UnitState{Unit: unit, LoadState: str(props["LoadState"]), ActiveState: str(props["ActiveState"]),
		SubState: str(props["SubState"]), SourcePath: str(props["SourcePath"])}
	if id, ok := props["InvocationID"].([]byte); ok && len(id) > 0 {
		st.InvocationID = fmt.Sprintf("%x", id)
	}
	if strings.HasSuffix(unit, ".service") {
		if p, err := s.conn.GetServicePropertyContext(ctx, unit, "Result"); err == nil {
			st.Result = str(p.Value.Value())
		}
	}
	return st, nil
}

func (s *Manager) failureDetail(ctx context.Context, unit string) string {
	if !strings.HasSuffix(unit, ".service") {
		return ""
	}
	var parts []string
	if p, err := s.conn.GetServicePropertyContext(ctx, unit, "Result"); err == nil {
		parts = append(parts, "result "+str(p.Value.Value()))
	}
	if p, err := s.conn.GetServicePropertyContext(ctx, unit, "ExecMainStatus"); err == nil {
		parts = append(parts, fmt.Sprintf("exit status %v", p.Value.Value()))
	}
	return strings.Join(parts, ", ")
}

// ExitStatus is a service's main process exit status ("" when unknown).
func (s *Manager) ExitStatus(ctx context.Context, unit string) string {
	p, err := s.conn.GetServicePropertyContext(ctx, unit, "ExecMainStatus")
	if err != nil {
		return ""
	}
	return fmt.Sprint(p.Value.Value())
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

// Reload is daemon-reload: the manager rereads unit files and drop-ins.
func (s *Manager) Reload(ctx context.Context) error {
	if err := s.conn.ReloadContext(ctx); err != nil {
		return fmt.Errorf("daemon-reload: %w", err)
	}
	return nil
}

// FailedUnit names the unit of a failed job for the rollout's failure report.
func (e *JobError) FailedUnit() string { return e.Unit }
