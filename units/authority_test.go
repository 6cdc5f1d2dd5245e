package units

import (
	"slices"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
)

// Which app keeps a name never depends on the order apps come in.
func TestNamingIndependentOfOrder(t *testing.T) {
	shop := minimalApp("shop")
	shop.Roles = []generator.Role{{Name: "web", Primary: true}, {Name: "api-web"}}
	api := minimalApp("shop-api")
	for _, apps := range [][]*generator.App{{shop, api}, {api, shop}} {
		p, err := Plan(apps, Options{PrivateDir: "/run/q"})
		if err != nil {
			t.Fatal(err)
		}
		if !p.Failed("shop") || p.Failed("shop-api") {
			t.Fatalf("want shop refused and shop-api kept: %v", p.Diagnostics)
		}
		if f, ok := p.File(Quadlet, RoleContainerFile("shop-api", "web")); !ok || f.App != "shop-api" {
			t.Errorf("shop-api-web.container is not shop-api's: %+v", f)
		}
	}
}

// A unit a package installed is not replaced by an app's, and the check
// uses the host's answer for every unit name.
func TestVendorUnitNotReplaced(t *testing.T) {
	redis := minimalApp("redis")
	redis.Roles = []generator.Role{{Name: "server", Primary: true}}
	var asked []string
	p, err := Plan([]*generator.App{redis, minimalApp("other")}, Options{PrivateDir: "/run/q",
		UnitExists: func(name string) bool { asked = append(asked, name); return name == "redis-server.service" }})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Failed("redis") || p.Failed("other") {
		t.Fatalf("diagnostics: %v", p.Diagnostics)
	}
	if !strings.Contains(p.Diagnostics[0].String(), "the host already has a unit redis-server.service") {
		t.Errorf("diagnostic: %s", p.Diagnostics[0])
	}
	if !slices.Contains(asked, "other.target") {
		t.Errorf("the host was not asked about other.target: %v", asked)
	}
}

// Every planned file's name fits the writer, and every name of an app is in
// its namespace, for apps whose names nest.
func TestPlannedNamesFitTheWriter(t *testing.T) {
	a := minimalApp("a")
	a.Volumes = []generator.Volume{{Host: "data..old", Guest: "/d"}, {Host: strings.Repeat("v", 200), Guest: "/e"}}
	a.Links = []generator.Link{{Name: "a-b", Alias: "db"}}
	b := minimalApp("a-b")
	p, err := Plan([]*generator.App{a, b}, Options{PrivateDir: "/run/q"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range p.Files {
		if !plainRelative(f.Name) {
			t.Errorf("%s would be refused by the writer", f.Name)
		}
	}
	if p.Failed("a") || p.Failed("a-b") {
		t.Errorf("diagnostics: %v", p.Diagnostics)
	}
}
