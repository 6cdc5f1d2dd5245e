package session

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/rollout"
)

// A record survives the journal: its fields parse back into the same record.
func TestAuditFieldsRoundTrip(t *testing.T) {
	r := AuditRecord{App: "shop", Command: "deploy", User: "root", SudoUser: "alice", From: "1", To: "2",
		Steps: []string{"build (1.0 s)", "migrate: FAILED after 0.5 s"}, Result: "rolled back", Error: "deploy failed at migrate", Seconds: 1.5}
	e := auditFields(r)
	e["__REALTIME_TIMESTAMP"] = "1796000000000000"
	got := ParseAudit(e)
	r.Time = time.UnixMicro(1796000000000000).UTC()
	if !slices.Equal(got.Steps, r.Steps) || got.Time != r.Time || got.Seconds != r.Seconds {
		t.Errorf("round trip: %+v\nwant %+v", got, r)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("round trip: %+v\nwant %+v", got, r)
	}
	if msg := auditText(r); !strings.Contains(msg, "deploy by root (sudo by alice): 1 -> 2: rolled back") {
		t.Errorf("message %q", msg)
	}
}

func TestAuditResultAndEvent(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		ctx     context.Context
		command string
		err     error
		result  string
		event   string
	}{
		{context.Background(), "deploy", nil, "ok", "deploy-succeeded"},
		{context.Background(), "deploy", &rollout.Failure{RolledBack: true, Err: errors.New("x")}, "rolled back", "deploy-failed"},
		{context.Background(), "deploy", &rollout.Failure{RollbackErr: errors.New("y"), Err: errors.New("x")}, "rollback failed", "deploy-failed"},
		{context.Background(), "deploy", errors.New("build failed"), "failed", "deploy-failed"},
		{canceled, "deploy", context.Canceled, "interrupted", ""},
		{context.Background(), "rollback", nil, "ok", "rollback"},
		{context.Background(), "rollback", errors.New("x"), "failed", "rollback-failed"},
		{context.Background(), "build", nil, "ok", ""},
	} {
		res := resultOf(c.ctx, c.err)
		ev := notifyEventOf(AuditRecord{Command: c.command, Result: res})
		if res != c.result || ev != c.event {
			t.Errorf("%s %v: result %q event %q, want %q %q", c.command, c.err, res, ev, c.result, c.event)
		}
	}
}

// The notify command gets the event in its env (stale QUADLAUNCH_* dropped),
// runs in the config root, and its failure is an error, not a panic or a hang.
func TestNotifyRunsTheCommandWithTheEvent(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "got")
	app := &generator.App{Name: "shop", ConfigPath: filepath.Join(root, "containers", "shop.yml"),
		Notify: &generator.Notify{Command: generator.DeployHook{Shell: "env | grep ^QUADLAUNCH_ | sort > " + out + "; pwd >> " + out}, Events: []string{"deploy-failed"}}}
	t.Setenv("QUADLAUNCH_STALE", "x")
	n := NotifyInfo{Event: "deploy-failed", Record: AuditRecord{Command: "deploy", User: "root", From: "1", To: "1", Result: "rolled back"}}
	if err := Notify(context.Background(), app, n, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	for _, want := range []string{"QUADLAUNCH_EVENT=deploy-failed\n", "QUADLAUNCH_APP=shop\n", "QUADLAUNCH_RESULT=rolled back\n", "QUADLAUNCH_PREVIOUS_VERSION=1\n", root + "\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("notify env/dir lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "STALE") {
		t.Errorf("a stale QUADLAUNCH_ variable reached the command:\n%s", b)
	}
	os.Remove(out)
	if err := Notify(context.Background(), app, NotifyInfo{Event: "deploy-succeeded"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("the command ran for an event it did not subscribe to")
	}
	app.Notify.Command.Shell = "exit 3"
	if err := Notify(context.Background(), app, n, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("failing command: %v", err)
	}
}
