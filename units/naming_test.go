package units

import (
	"slices"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
)

func TestAppUnits(t *testing.T) {
	n := AppUnits(&generator.App{Name: "a", Proxy: &generator.Proxy{},
		Roles: []generator.Role{{Name: "web", Primary: true}, {Name: "worker"}}})
	want := []string{"a.target", "a-migrate.service", "a-configure.service", "a-web.service", "a-worker.service", "a-proxy.service", "a-web-next.service"}
	if got := n.All(); !slices.Equal(got, want) {
		t.Errorf("All() = %q, want %q", got, want)
	}
	if n.Primary != "a-web.service" || !slices.Equal(n.Others, []string{"a-worker.service"}) {
		t.Errorf("primary %q, others %q", n.Primary, n.Others)
	}
	bare := AppUnits(&generator.App{Name: "b"})
	if !slices.Equal(bare.Roles, []string{"b-web.service"}) || bare.Proxy != "" || bare.NextSlot != "" {
		t.Errorf("an app without roles or proxy: %+v", bare)
	}
}
