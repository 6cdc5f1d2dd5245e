package generator

import (
	"slices"
	"testing"
	"time"
)

func TestAppFacts(t *testing.T) {
	bare := &App{Name: "a"}
	if p := bare.PrimaryRole(); p.Name != "web" || !p.Primary {
		t.Errorf("an app without roles gates on launcher's web, got %+v", p)
	}
	if got := bare.RoleCommand(bare.PrimaryRole()); !slices.Equal(got, []string{"/sbin/boot"}) {
		t.Errorf("web without boot_command runs %q, want launcher's /sbin/boot", got)
	}
	booted := &App{BootCommand: "/usr/bin/run  --fast"}
	if got := booted.RoleCommand(Role{Name: "web"}); !slices.Equal(got, []string{"/usr/bin/run", "--fast"}) {
		t.Errorf("boot_command word-split: %q", got)
	}
	if got := booted.RoleCommand(Role{Name: "worker"}); got != nil {
		t.Errorf("a role other than web without a command runs the image's CMD, got %q", got)
	}
	api := &App{Roles: []Role{{Name: "api"}, {Name: "worker", Primary: true}}}
	if p := api.PrimaryRole(); p.Name != "worker" {
		t.Errorf("the marked role is primary, got %s", p.Name)
	}

	sec := &App{Env: []EnvVar{{Name: "DB_PASSWORD", Value: "s3", Secret: true}, {Name: "EMPTY_TOKEN", Secret: true}, {Name: "HOST", Value: "x"}},
		Secrets: []string{"DB_PASSWORD", "EMPTY_TOKEN"}}
	for _, c := range []struct {
		name, value string
		want        bool
	}{{"DB_PASSWORD", "s3", true}, {"EMPTY_TOKEN", "", false}, {"HOST", "x", false}, {"UNKNOWN", "v", false}} {
		if got := sec.AsPodmanSecret(c.name, c.value); got != c.want {
			t.Errorf("AsPodmanSecret(%s=%q) = %v, want %v", c.name, c.value, got, c.want)
		}
	}

	if d, err := bare.DeployTimeoutDuration(); err != nil || d != 10*time.Minute {
		t.Errorf("deploy_timeout default = %v, %v", d, err)
	}
	if _, err := (&App{DeployTimeout: "soon"}).DeployTimeoutDuration(); err == nil {
		t.Error("a bad deploy_timeout is accepted")
	}
	px := &App{Proxy: &Proxy{AssetBridge: "2s"}}
	if d, err := px.AssetBridgeDuration(); err != nil || d != 2*time.Second {
		t.Errorf("asset_bridge = %v, %v", d, err)
	}
	if d, err := px.DrainTimeoutDuration(); err != nil || d != 30*time.Second {
		t.Errorf("drain_timeout default = %v, %v", d, err)
	}
}

func TestStandalone(t *testing.T) {
	if (&App{}).Standalone() {
		t.Error("an app without db steps or postgres template is not standalone")
	}
	if !(&App{Templates: []string{"/etc/quadlaunch/templates/postgres.template.yml"}}).Standalone() {
		t.Error("a postgres template makes the app standalone")
	}
	if !(&App{Run: []Step{{Kind: StepExec, Tag: "db"}}}).Standalone() {
		t.Error("a step tagged db makes the app standalone")
	}
}
