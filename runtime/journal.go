package runtime

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
)

// Logger reports what a command does: to stderr on a terminal, to the journal with
// QUADLAUNCH_APP/QUADLAUNCH_VERSION fields when running under systemd.
type Logger struct {
	App, Version string
	journal      bool
	w            io.Writer
}

// NewLogger picks the journal when the process runs under systemd (INVOCATION_ID
// set, or stderr connected to the journal) and the journal socket is there.
func NewLogger(app string, w io.Writer) *Logger {
	l := &Logger{App: app, w: w}
	underSystemd := os.Getenv("INVOCATION_ID") != ""
	if !underSystemd {
		underSystemd, _ = journal.StderrIsJournalStream()
	}
	l.journal = underSystemd && journal.Enabled()
	return l
}

// LogFields are the journal fields of a message; exported for tests.
func (l *Logger) LogFields() map[string]string {
	f := map[string]string{"SYSLOG_IDENTIFIER": "quadlaunch", "QUADLAUNCH_APP": l.App}
	if l.Version != "" {
		f["QUADLAUNCH_VERSION"] = l.Version
	}
	return f
}

// Infof logs one line.
func (l *Logger) Infof(format string, a ...any) { l.log(journal.PriInfo, format, a...) }

// Errorf logs one error line.
func (l *Logger) Errorf(format string, a ...any) { l.log(journal.PriErr, format, a...) }

func (l *Logger) log(pri journal.Priority, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	if l.journal {
		if err := journal.Send(msg, pri, l.LogFields()); err == nil {
			return
		}
	}
	fmt.Fprintf(l.w, "quadlaunch: %s\n", msg)
}

// JournalctlArgs is the journalctl command line that shows (or follows) a unit's
// log from since on.
func JournalctlArgs(unit string, user, follow bool, since time.Time) []string {
	args := []string{"--no-pager", "-o", "cat"}
	if user {
		args = append(args, "--user")
	}
	args = append(args, "-u", unit)
	if !since.IsZero() {
		args = append(args, "--since", "@"+strconv.FormatInt(since.Unix(), 10))
	}
	if follow {
		args = append(args, "-f")
	}
	return args
}

// FollowUnit copies a unit's journal from since on to out until stop is called.
// journalctl is used because go-systemd's sdjournal needs cgo.
func FollowUnit(ctx context.Context, unit string, user bool, since time.Time, out io.Writer) (stop func()) {
	cmd := exec.CommandContext(ctx, "journalctl", JournalctlArgs(unit, user, true, since)...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(out, "quadlaunch: cannot follow the journal of %s: %v\n", unit, err)
		return func() {}
	}
	return func() {
		// Let the last lines of the unit reach the journal and us.
		time.Sleep(700 * time.Millisecond)
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
}
