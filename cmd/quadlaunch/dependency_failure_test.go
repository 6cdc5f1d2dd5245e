package main

import (
	"strings"
	"testing"
)

func TestDependencyFailedMessages(t *testing.T) {
	if m := dependencyFailedMessages("success", "exited", "0", "demo-migrate.service", []string{"demo-web.service"}, false); len(m) != 0 {
		t.Fatalf("success logged %v", m)
	}
	if m := dependencyFailedMessages("", "", "", "demo-migrate.service", []string{"demo-web.service"}, false); len(m) != 0 {
		t.Fatalf("no result (run by hand) logged %v", m)
	}
	m := dependencyFailedMessages("exit-code", "exited", "3", "demo-migrate.service", []string{"demo-configure.service", "demo-web.service"}, false)
	if len(m) != 2 {
		t.Fatalf("want one message per dependent, got %d", len(m))
	}
	web := m[1]
	for _, want := range []string{"demo-web.service not started", "demo-migrate.service failed", "exit-code, exited=3", "journalctl -u demo-migrate.service"} {
		if !strings.Contains(web.text, want) {
			t.Errorf("message %q lacks %q", web.text, want)
		}
	}
	if web.fields["OBJECT_SYSTEMD_UNIT"] != "demo-web.service" || web.fields["QUADLAUNCH_APP"] != "demo" {
		t.Errorf("fields %v", web.fields)
	}
	u := dependencyFailedMessages("signal", "killed", "TERM", "demo-configure.service", []string{"demo-web.service"}, true)
	if len(u) != 1 || u[0].fields["OBJECT_SYSTEMD_USER_UNIT"] != "demo-web.service" || u[0].fields["USER_UNIT"] != "demo-web.service" || !strings.Contains(u[0].text, "journalctl --user -u") {
		t.Errorf("user mode: %+v", u)
	}
}
