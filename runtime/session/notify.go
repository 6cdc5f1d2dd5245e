package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/quadlaunch/quadlaunch/generator"
)

// Notifications (notify: in the config): a host command run on the events it
// subscribed to, with what happened in QUADLAUNCH_* variables. It runs like a
// deploy hook (in the config root, on the host) but can never change what it
// reports on: its failure or a hang (NotifyTimeout) is logged, nothing else.

// NotifyTimeout bounds a notify command.
const NotifyTimeout = time.Minute

// NotifyInfo is one event for the notify command.
type NotifyInfo struct {
	Event  string      // generator.NotifyEvents
	Record AuditRecord // the command's audit record (deploy, rollback events)
	// Unit-failed: the failed unit and its result, exit status, and the
	// journalctl command that shows why.
	Unit, UnitResult, ExitStatus, Journal string
}

// notifyEventOf is the event a finished command is, "" when notify hears
// nothing of it.
func notifyEventOf(r AuditRecord) string {
	switch {
	case (r.Command == "deploy" || r.Command == "auto-update") && r.Result == "ok":
		return "deploy-succeeded"
	case (r.Command == "deploy" || r.Command == "auto-update") && r.Result != "interrupted":
		return "deploy-failed"
	case r.Command == "rollback" && r.Result == "ok":
		return "rollback"
	case r.Command == "rollback" && r.Result != "interrupted":
		return "rollback-failed"
	}
	return ""
}

// NotifyEnviron is base plus the event's QUADLAUNCH_* variables (earlier
// values of those names dropped).
func NotifyEnviron(base []string, app string, n NotifyInfo) []string {
	host, _ := os.Hostname()
	set := [][2]string{
		{"QUADLAUNCH_EVENT", n.Event}, {"QUADLAUNCH_APP", app}, {"QUADLAUNCH_HOST", host},
		{"QUADLAUNCH_COMMAND", n.Record.Command}, {"QUADLAUNCH_USER", n.Record.User}, {"QUADLAUNCH_SUDO_USER", n.Record.SudoUser},
		{"QUADLAUNCH_VERSION", n.Record.To}, {"QUADLAUNCH_PREVIOUS_VERSION", n.Record.From},
		{"QUADLAUNCH_RESULT", n.Record.Result}, {"QUADLAUNCH_ERROR", n.Record.Error},
		{"QUADLAUNCH_UNIT", n.Unit}, {"QUADLAUNCH_UNIT_RESULT", n.UnitResult}, {"QUADLAUNCH_EXIT_STATUS", n.ExitStatus},
		{"QUADLAUNCH_JOURNAL", n.Journal},
	}
	ours := map[string]bool{}
	for _, kv := range set {
		ours[kv[0]] = true
	}
	out := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if !ours[name] && !strings.HasPrefix(name, "QUADLAUNCH_") {
			out = append(out, kv)
		}
	}
	for _, kv := range set {
		out = append(out, kv[0]+"="+kv[1])
	}
	return out
}

// Notify runs app's notify command for n when it subscribed to n.Event
// (nothing otherwise), its output to out, bounded by NotifyTimeout.
func Notify(ctx context.Context, app *generator.App, n NotifyInfo, out io.Writer) error {
	if !app.Notify.Wants(n.Event) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, NotifyTimeout)
	defer cancel()
	argv := HookArgv(&app.Notify.Command)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = filepath.Dir(filepath.Dir(app.ConfigPath))
	cmd.Env, cmd.Stdout, cmd.Stderr = NotifyEnviron(os.Environ(), app.Name, n), out, out
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	switch {
	case err == nil:
		return nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%s (%s) did not finish within %s: killed", n.Event, app.Notify.Command.String(), NotifyTimeout)
	}
	return fmt.Errorf("%s (%s): %w", n.Event, app.Notify.Command.String(), err)
}

// NotifyUnitFailed tells the notify command that systemd saw unit fail
// (A-notify@.service runs it through OnFailure=), with the unit's result
// and exit status.
func (s *Session) NotifyUnitFailed(ctx context.Context, event, unit string, out io.Writer) error {
	n := NotifyInfo{Event: event, Unit: unit, Record: AuditRecord{Command: "systemd"}}
	n.Journal = "journalctl -u " + unit
	if s.User {
		n.Journal = "journalctl --user -u " + unit
	}
	if sd, err := s.Manager(ctx); err == nil {
		if st, err := sd.State(ctx, unit); err == nil {
			n.UnitResult = st.Result
		}
		n.ExitStatus = sd.ExitStatus(ctx, unit)
	}
	fmt.Fprintf(out, "%s: %s failed (result %s, exit status %s): notifying\n", s.App.Name, unit, n.UnitResult, n.ExitStatus)
	return Notify(ctx, s.App, n, out)
}
