package systemd

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
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

// Follower copies a unit's journal to a writer while the unit runs.
type Follower struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when journalctl's output is drained
	jobs chan string   // JOB_IDs of job-finished messages seen
}

// FollowUnit copies a unit's journal from since on to out until Stop. journalctl
// is used because go-systemd's sdjournal needs cgo; JSON output lets Stop see
// the manager's job-finished message and end as soon as the unit's last line
// is through, instead of sleeping.
func FollowUnit(ctx context.Context, unit string, user bool, since time.Time, out io.Writer) *Follower {
	args := JournalctlArgs(unit, user, true, since)
	args[2] = "json" // "-o", "cat" -> "-o", "json"
	cmd := exec.CommandContext(ctx, "journalctl", args...)
	cmd.Stderr = out
	f := &Follower{cmd: cmd, done: make(chan struct{}), jobs: make(chan string, 16)}
	pipe, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		fmt.Fprintf(out, "quadlaunch: cannot follow the journal of %s: %v\n", unit, err)
		close(f.done)
		f.cmd = nil
		return f
	}
	go func() {
		defer close(f.done)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			msg, job := JournalLine(sc.Bytes())
			if msg != "" {
				fmt.Fprintln(out, msg)
			}
			if job != "" {
				select {
				case f.jobs <- job:
				default:
				}
			}
		}
	}()
	return f
}

// JournalLine extracts the message of one journalctl -o json line, and the
// JOB_ID when the line is the manager's message that a job finished.
func JournalLine(line []byte) (msg, finishedJob string) {
	var e map[string]any
	if err := json.Unmarshal(line, &e); err != nil {
		return string(line), ""
	}
	switch m := e["MESSAGE"].(type) {
	case string:
		msg = m
	case []any: // not valid UTF-8: an array of bytes
		b := make([]byte, 0, len(m))
		for _, x := range m {
			if n, ok := x.(float64); ok {
				b = append(b, byte(n))
			}
		}
		msg = string(b)
	}
	if id, ok := e["JOB_ID"].(string); ok {
		if r, ok := e["JOB_RESULT"].(string); ok && r != "" {
			finishedJob = id
		}
	}
	return msg, finishedJob
}

// Stop ends the follower once the manager's message that job jobID finished
// has been copied (so the unit's last lines are too), or after wait.
func (f *Follower) Stop(jobID int, wait time.Duration) {
	if f.cmd == nil {
		return
	}
	want := strconv.Itoa(jobID)
	deadline := time.After(wait)
wait:
	for jobID > 0 {
		select {
		case id := <-f.jobs:
			if id == want {
				break wait
			}
		case <-deadline:
			break wait
		case <-f.done:
			break wait
		}
	}
	_ = f.cmd.Process.Signal(os.Interrupt)
	select {
	case <-f.done:
	case <-time.After(2 * time.Second):
		_ = f.cmd.Process.Kill()
		<-f.done
	}
	_ = f.cmd.Wait()
}

// podmanEvent matches Podman's event lines in a unit's journal
// ("2026-01-02 03:04:05.123 +0000 UTC m=+0.03 container create ...").
var podmanEvent = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ [+-]\d{4} \S+ m=\+\S+ (container|image|pod|volume) `)

// excerpt keeps the last n lines that are not Podman events or blank.
func excerpt(journal string, n int) string {
	var keep []string
	for _, l := range strings.Split(journal, "\n") {
		if strings.TrimSpace(l) == "" || podmanEvent.MatchString(l) {
			continue
		}
		keep = append(keep, l)
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	return strings.Join(keep, "\n")
}
