package systemd

import (
	"fmt"
	"io"
	"strings"

	"github.com/coreos/go-systemd/v22/journal"
)

// What A-migrate and A-configure run as ExecStopPost= (`quadlaunch
// dependency-failed`): systemd's own "Dependency failed for A-web.service"
// names no dependency, so a failed run logs one message about each unit that
// needed it, tagged so that `journalctl -u A-web` and `systemctl status A-web`
// show it.

// SendJournal writes each message to w and, when the journal is there, to
// the journal with its fields at priority err.
func SendJournal(w io.Writer, msgs []JournalMessage) error {
	for _, m := range msgs {
		fmt.Fprintln(w, m.Text)
		if journal.Enabled() {
			if err := journal.Send(m.Text, journal.PriErr, m.Fields); err != nil {
				return fmt.Errorf("journal: %w", err)
			}
		}
	}
	return nil
}

// JournalMessage is one journal entry: its text and structured fields.
type JournalMessage struct {
	Text   string
	Fields map[string]string
}

// AppOfPass is the app of its A-migrate.service or A-configure.service.
func AppOfPass(unit string) string {
	return strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(unit, ".service"), "-migrate"), "-configure")
}

// UnitJournalFields make a message the helper logs show in `journalctl
// [--user] -u unit` (and systemctl status unit) too.
func UnitJournalFields(unit string, user bool) map[string]string {
	if user {
		// journalctl --user -u matches these for the user's own processes.
		return map[string]string{"USER_UNIT": unit, "OBJECT_SYSTEMD_USER_UNIT": unit}
	}
	// journalctl -u matches OBJECT_SYSTEMD_UNIT from root's processes.
	return map[string]string{"OBJECT_SYSTEMD_UNIT": unit}
}

// DependencyFailedMessages is what to log for a finished run of failed (from
// systemd's $SERVICE_RESULT, $EXIT_CODE, $EXIT_STATUS): nothing on success.
func DependencyFailedMessages(result, exitCode, exitStatus, failed string, dependents []string, user bool) []JournalMessage {
	if result == "" || result == "success" {
		return nil
	}
	why := result
	if exitCode != "" {
		why = fmt.Sprintf("%s, %s=%s", result, exitCode, exitStatus)
	}
	app := AppOfPass(failed)
	journalctl := "journalctl -u " + failed
	if user {
		journalctl = "journalctl --user -u " + failed
	}
	var out []JournalMessage
	for _, dep := range dependents {
		fields := UnitJournalFields(dep, user)
		fields["QUADLAUNCH_APP"], fields["QUADLAUNCH_FAILED_UNIT"] = app, failed
		out = append(out, JournalMessage{
			Text:   fmt.Sprintf("%s not started: its dependency %s failed (%s); see %s", dep, failed, why, journalctl),
			Fields: fields,
		})
	}
	return out
}
