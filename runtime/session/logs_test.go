package session

import (
	"slices"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/units"
)

func TestLogUnitsCertificates(t *testing.T) {
	app := &generator.App{Name: "shop", Proxy: &generator.Proxy{Hosts: []string{"shop.test"},
		TLS: &generator.ProxyTLS{Port: 443, ACME: &generator.ProxyACME{}}}}
	if got := logUnits(units.AppUnits(app), "shop", "certificates"); !slices.Equal(got, []string{"shop-certificates.service"}) {
		t.Errorf("--unit certificates with proxy.tls.acme: %v", got)
	}
}

func TestJournalctlArgv(t *testing.T) {
	app := &generator.App{Name: "shop", Roles: []generator.Role{{Name: "web"}, {Name: "worker"}}}
	s := &Session{App: app, User: true}
	want := []string{"journalctl", "--no-pager", "--user", "-u", "shop-migrate.service", "-u", "shop-configure.service",
		"-u", "shop-web.service", "-u", "shop-worker.service", "-f"}
	if got := s.JournalctlArgv("", true); !slices.Equal(got, want) {
		t.Errorf("every unit, --user, -f:\n got %v\nwant %v", got, want)
	}
	s.User = false
	if got := s.JournalctlArgv("worker", false); !slices.Equal(got, []string{"journalctl", "--no-pager", "-u", "shop-worker.service"}) {
		t.Errorf("--unit worker: %v", got)
	}
}

// Without journalctl, logs says so and runs nothing.
func TestExecJournalWithoutJournalctl(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	s := &Session{App: &generator.App{Name: "shop", Roles: []generator.Role{{Name: "web"}}}}
	if err := s.ExecJournal("", false); err == nil || !strings.Contains(err.Error(), "journalctl") {
		t.Errorf("ExecJournal without journalctl = %v", err)
	}
}
