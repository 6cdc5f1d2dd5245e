package systemd

import (
	"strings"
	"testing"
)

func TestDependencyFailedMessages(t *testing.T) {
	if m := DependencyFailedMessages("success", "exited", "0", "demo-migrate.service", []string{"demo-web.service"}, false); len(m) != 0 {
		t.Fatalf("success logged %v", m)
	}
	if m := DependencyFailedMessages("", "", "", "demo-migrate.service", []string{"demo-web.service"}, false); len(m) != 0 {
		t.Fatalf("no result (run by hand) logged %v", m)
	}
	m := DependencyFailedMessages("exit-code", "exited", "3", "demo-migrate.service", []string{"demo-configure.service", "demo-web.service"}, false)
	if len(m) != 2 {
		t.Fatalf("want one message per dependent, got %d", len(m))
	}
	web := m[1]
	for _, want := range []string{"demo-web.service not started", "demo-migrate.service failed", "exit-code, exited=3", "journalctl -u demo-migrate.service"} {
		if !strings.Contains(web.Text, want) {
			t.Errorf("message %q lacks %q", web.Text, want)
		}
	}
	if web.Fields["OBJECT_SYSTEMD_UNIT"] != "demo-web.service" || web.Fields["QUADLAUNCH_APP"] != "demo" {
		t.Errorf("fields %v", web.Fields)
	}
	u := DependencyFailedMessages("signal", "killed", "TERM", "demo-configure.service", []string{"demo-web.service"}, true)
	if len(u) != 1 || u[0].Fields["OBJECT_SYSTEMD_USER_UNIT"] != "demo-web.service" || u[0].Fields["USER_UNIT"] != "demo-web.service" || !strings.Contains(u[0].Text, "journalctl --user -u") {
		t.Errorf("user mode: %+v", u)
	}
}
