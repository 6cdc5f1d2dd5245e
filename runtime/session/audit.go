package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quadlaunch/quadlaunch/runtime/rollout"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
)

// The audit trail: every command that changes an app (the ones that take
// its lock) leaves one journal entry when it ends, with who ran it, from
// which version to which, the steps that ran, the result and how long it
// took, as structured fields (systemd.AuditFields), also when it was run
// from a terminal. `quadlaunch history` reads them back.

// AuditRecord is one command's entry.
type AuditRecord struct {
	Time      time.Time `json:"time"`
	App       string    `json:"app"`
	Command   string    `json:"command"`
	Args      string    `json:"args,omitempty"`
	User      string    `json:"user"`                 // whom the command ran as
	SudoUser  string    `json:"sudo_user,omitempty"`  // $SUDO_USER: who ran sudo
	LoginUser string    `json:"login_user,omitempty"` // the session's login user (/proc/self/loginuid), through su and sudo
	From      string    `json:"from_version"`
	To        string    `json:"to_version"`
	Steps     []string  `json:"steps"`
	Result    string    `json:"result"` // ok, failed, rolled back, rollback failed, interrupted
	Error     string    `json:"error,omitempty"`
	Seconds   float64   `json:"duration_s"`
}

// audit is the record of the running command; steps arrive from the rollout
// (StepDone), also from its background steps.
type audit struct {
	mu  sync.Mutex
	rec AuditRecord
	t0  time.Time
}

// BeginAudit starts the record of command (with its arguments) on the app.
func (s *Session) BeginAudit(command string, args []string) {
	a := &audit{t0: time.Now()}
	a.rec = AuditRecord{Time: a.t0, App: s.App.Name, Command: command, Args: strings.Join(args, " "), Steps: []string{}}
	a.rec.User, a.rec.SudoUser, a.rec.LoginUser = invokingUsers()
	if s.Podman != nil {
		a.rec.From, _ = s.CurrentVersion()
	}
	s.audit = a
}

// stepDone is the rollout's StepDone while a record is open.
func (s Session) stepDone(step rollout.Step, took time.Duration, err error) {
	a := s.audit
	if a == nil {
		return
	}
	line := fmt.Sprintf("%s (%.1f s)", step, took.Seconds())
	if err != nil {
		line = fmt.Sprintf("%s: FAILED after %.1f s", step, took.Seconds())
	}
	a.mu.Lock()
	a.rec.Steps = append(a.rec.Steps, line)
	a.mu.Unlock()
}

// rolloutOptions are o with the audit's StepDone.
func (s Session) rolloutOptions(o rollout.Options) rollout.Options {
	if s.audit != nil {
		o.StepDone = s.stepDone
	}
	return o
}

// EndAudit finishes the record with the command's outcome, writes it to the
// journal and runs the notify: command for the event it is (deploy,
// rollback). Neither ever changes the command's result: their failures are
// reported on errOut.
func (s *Session) EndAudit(ctx context.Context, cmdErr error, errOut io.Writer) {
	a := s.audit
	if a == nil {
		return
	}
	s.audit = nil
	a.mu.Lock()
	rec := a.rec
	a.mu.Unlock()
	rec.Seconds = time.Since(a.t0).Seconds()
	rec.To = rec.From
	if s.Podman != nil {
		if v, err := s.CurrentVersion(); err == nil {
			rec.To = v
		}
	}
	rec.Result = resultOf(ctx, cmdErr)
	if cmdErr != nil {
		rec.Error = firstLine(cmdErr.Error())
	}
	if err := systemd.SendAudit(auditText(rec), auditFields(rec)); err != nil {
		fmt.Fprintf(errOut, "quadlaunch: audit record not written to the journal (%v): %s\n", err, auditText(rec))
	}
	if ev := notifyEventOf(rec); ev != "" {
		if err := Notify(context.WithoutCancel(ctx), s.App, NotifyInfo{Event: ev, Record: rec}, errOut); err != nil {
			fmt.Fprintf(errOut, "quadlaunch: %s: notify: %v\n", s.App.Name, err)
		}
	}
}

func resultOf(ctx context.Context, err error) string {
	var f *rollout.Failure
	switch {
	case err == nil:
		return "ok"
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.As(err, &f) && f.RollbackErr != nil:
		return "rollback failed"
	case errors.As(err, &f) && f.RolledBack:
		return "rolled back"
	}
	return "failed"
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 1000 {
		s = s[:1000] + "..."
	}
	return s
}

// auditText is the entry's MESSAGE: the one line journalctl shows.
func auditText(r AuditRecord) string {
	who := r.User
	if r.SudoUser != "" {
		who += " (sudo by " + r.SudoUser + ")"
	} else if r.LoginUser != "" && r.LoginUser != r.User {
		who += " (login " + r.LoginUser + ")"
	}
	msg := fmt.Sprintf("%s: %s by %s: %s -> %s: %s in %.1f s", r.App, r.Command, who, dashed(r.From), dashed(r.To), r.Result, r.Seconds)
	if r.Error != "" {
		msg += ": " + r.Error
	}
	return msg
}

func dashed(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// auditFields are the entry's structured fields; ParseAudit reads them back.
func auditFields(r AuditRecord) map[string]string {
	f := map[string]string{
		"QUADLAUNCH_APP": r.App, "QUADLAUNCH_COMMAND": r.Command, "QUADLAUNCH_ARGS": r.Args,
		"QUADLAUNCH_USER": r.User, "QUADLAUNCH_SUDO_USER": r.SudoUser, "QUADLAUNCH_LOGIN_USER": r.LoginUser,
		"QUADLAUNCH_FROM_VERSION": r.From, "QUADLAUNCH_TO_VERSION": r.To,
		"QUADLAUNCH_STEPS": strings.Join(r.Steps, "\n"), "QUADLAUNCH_RESULT": r.Result, "QUADLAUNCH_ERROR": r.Error,
		"QUADLAUNCH_DURATION_MS": strconv.FormatInt(int64(r.Seconds*1000), 10),
	}
	for k, v := range f {
		if v == "" {
			delete(f, k)
		}
	}
	return f
}

// ParseAudit turns a journal entry (journalctl -o json's fields) back into
// a record.
func ParseAudit(e map[string]string) AuditRecord {
	r := AuditRecord{App: e["QUADLAUNCH_APP"], Command: e["QUADLAUNCH_COMMAND"], Args: e["QUADLAUNCH_ARGS"],
		User: e["QUADLAUNCH_USER"], SudoUser: e["QUADLAUNCH_SUDO_USER"], LoginUser: e["QUADLAUNCH_LOGIN_USER"],
		From: e["QUADLAUNCH_FROM_VERSION"], To: e["QUADLAUNCH_TO_VERSION"], Result: e["QUADLAUNCH_RESULT"],
		Error: e["QUADLAUNCH_ERROR"], Steps: []string{}}
	if s := e["QUADLAUNCH_STEPS"]; s != "" {
		r.Steps = strings.Split(s, "\n")
	}
	if ms, err := strconv.ParseInt(e["QUADLAUNCH_DURATION_MS"], 10, 64); err == nil {
		r.Seconds = float64(ms) / 1000
	}
	if us, err := strconv.ParseInt(e["__REALTIME_TIMESTAMP"], 10, 64); err == nil {
		r.Time = time.UnixMicro(us).UTC()
	}
	return r
}

// History is the app's audit records, oldest first (the last n; 0: all).
func (s *Session) History(n int) ([]AuditRecord, error) {
	entries, err := systemd.ReadAudit(s.App.Name, s.User, n)
	if err != nil {
		return nil, err
	}
	out := make([]AuditRecord, 0, len(entries))
	for _, e := range entries {
		out = append(out, ParseAudit(e))
	}
	return out, nil
}

// WriteHistory prints records as a table.
func WriteHistory(w io.Writer, records []AuditRecord) {
	fmt.Fprintf(w, "%-19s  %-10s  %-22s  %-33s  %-15s  %s\n", "TIME", "COMMAND", "USER", "VERSION", "RESULT", "TOOK")
	for _, r := range records {
		who := r.User
		if r.SudoUser != "" {
			who += " (sudo " + r.SudoUser + ")"
		} else if r.LoginUser != "" && r.LoginUser != r.User {
			who += " (" + r.LoginUser + ")"
		}
		fmt.Fprintf(w, "%-19s  %-10s  %-22s  %-33s  %-15s  %.1f s\n", r.Time.Local().Format("2006-01-02 15:04:05"), r.Command, who,
			dashed(r.From)+" -> "+dashed(r.To), r.Result, r.Seconds)
		if r.Error != "" {
			fmt.Fprintf(w, "    %s\n", r.Error)
		}
	}
}

// invokingUsers are whom the process runs as, who ran sudo, and who logged
// in (the audit login uid survives su and sudo; unset under systemd-run).
func invokingUsers() (name, sudo, login string) {
	name = userName(os.Geteuid())
	sudo = os.Getenv("SUDO_USER")
	if b, err := os.ReadFile("/proc/self/loginuid"); err == nil {
		if uid, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32); err == nil && uid != 4294967295 {
			login = userName(int(uid))
		}
	}
	return name, sudo, login
}

func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return strconv.Itoa(uid)
}
