package systemd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"

	"github.com/coreos/go-systemd/v22/journal"
)

// AuditMessageID marks the audit trail's journal entries (MESSAGE_ID=, as
// systemd's catalog entries are marked): `journalctl MESSAGE_ID=...` lists
// every app's, `quadlaunch history APP` one app's.
const AuditMessageID = "4c8a0d1e9b7f4f36a2e5c0d3b1a69e72"

// AuditIdentifier is the entries' SYSLOG_IDENTIFIER (journalctl -t).
const AuditIdentifier = "quadlaunch-audit"

// SendAudit writes one audit entry to the journal, whether or not the
// command runs under systemd.
func SendAudit(msg string, fields map[string]string) error {
	if !journal.Enabled() {
		return errors.New("no journal socket")
	}
	f := map[string]string{"SYSLOG_IDENTIFIER": AuditIdentifier, "MESSAGE_ID": AuditMessageID}
	for k, v := range fields {
		f[k] = v
	}
	return journal.Send(msg, journal.PriNotice, f)
}

// AuditJournalctlArgs reads app's audit entries as JSON, the last n (0:
// all). A user's entries are in the journal files they may read, under
// their UID.
func AuditJournalctlArgs(app string, user bool, n int) []string {
	args := []string{"journalctl", "--no-pager", "-o", "json", "MESSAGE_ID=" + AuditMessageID, "QUADLAUNCH_APP=" + app}
	if user {
		args = append(args, "_UID="+strconv.Itoa(os.Getuid()))
	}
	if n > 0 {
		args = append(args, "-n", strconv.Itoa(n))
	}
	return args
}

// ReadAudit is app's audit entries, oldest first, each as its fields.
func ReadAudit(app string, user bool, n int) ([]map[string]string, error) {
	argv := AuditJournalctlArgs(app, user, n)
	var stderr bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%v: %w: %s", argv, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return ParseJournalJSON(out)
}

// ParseJournalJSON reads journalctl -o json: one object a line, a field's
// value a string, or an array of bytes when it is not printable text.
func ParseJournalJSON(out []byte) ([]map[string]string, error) {
	var entries []map[string]string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var raw map[string]any
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			return nil, fmt.Errorf("journal entry: %w", err)
		}
		e := make(map[string]string, len(raw))
		for k, v := range raw {
			switch v := v.(type) {
			case string:
				e[k] = v
			case []any:
				b := make([]byte, 0, len(v))
				for _, x := range v {
					if f, ok := x.(float64); ok {
						b = append(b, byte(f))
					}
				}
				e[k] = string(b)
			}
		}
		entries = append(entries, e)
	}
	return entries, sc.Err()
}
