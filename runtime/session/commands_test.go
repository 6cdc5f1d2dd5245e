package session

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/pass"
	"github.com/quadlaunch/quadlaunch/runtime/podman"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
	"github.com/quadlaunch/quadlaunch/runtime/versions"
)

// fakeEngine is Podman as the commands without a rollout see it; a method
// they must not call panics (the embedded nil Engine).
type fakeEngine struct {
	podman.Engine
	versions  []versions.Version
	removed   []string
	oneOff    []string
	env       pass.Env
	connected bool
}

func (f *fakeEngine) Connect(ctx context.Context, user bool) (context.Context, error) {
	f.connected = true
	return ctx, nil
}
func (f *fakeEngine) ListVersions(context.Context, string) ([]versions.Version, error) {
	return f.versions, nil
}
func (f *fakeEngine) RemoveVersion(_ context.Context, _ string, v versions.Version) error {
	f.removed = append(f.removed, v.Version)
	return nil
}
func (f *fakeEngine) RunOneOff(_ context.Context, _ *generator.App, args []string, env pass.Env) (int, error) {
	f.oneOff, f.env = args, env
	return 3, nil
}

func TestCleanupKeepsCurrentPreviousAndTheNewest(t *testing.T) {
	vs := []versions.Version{{Version: "1"}, {Version: "2", Previous: true}, {Version: "3"}, {Version: "4"}, {Version: "5", Current: true}}
	eng := &fakeEngine{versions: vs}
	s := &Session{App: &generator.App{Name: "shop"}, Engine: eng}
	var out bytes.Buffer
	if err := s.Cleanup(1, &out); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(eng.removed, []string{"1", "3", "4"}) || out.String() != "removed 1\nremoved 3\nremoved 4\n" {
		t.Errorf("removed %v, said %q", eng.removed, out.String())
	}
}

func TestVersionsNeverNil(t *testing.T) {
	s := &Session{App: &generator.App{Name: "shop"}, Engine: &fakeEngine{}}
	if vs, err := s.Versions(); err != nil || vs == nil {
		t.Errorf("Versions() = %#v, %v: want an empty list for --json's []", vs, err)
	}
}

// A one-off container gets the secret env as Podman secrets, never as env.
func TestRunOneOffSplitsSecrets(t *testing.T) {
	app := &generator.App{Name: "shop", Env: []generator.EnvVar{{Name: "A", Value: "b"}, {Name: "TOKEN", Value: "qlcanary", Secret: true}}, Secrets: []string{"TOKEN"}}
	eng := &fakeEngine{}
	s := &Session{App: app, Engine: eng}
	code, err := s.RunOneOff([]string{"rake", "x"})
	if err != nil || code != 3 || !slices.Equal(eng.oneOff, []string{"rake", "x"}) {
		t.Fatalf("RunOneOff = %d, %v; args %v", code, err, eng.oneOff)
	}
	if strings.Contains(strings.Join(eng.env.Public, " "), "qlcanary") || len(eng.env.Secrets) != 1 || eng.env.Secrets[0].Env != "TOKEN" {
		t.Errorf("env %+v: the secret must be a Podman secret only", eng.env)
	}
}

func TestLifecycleRefusesAnUnknownOperation(t *testing.T) {
	s := &Session{App: &generator.App{Name: "shop"}, Systemd: &systemd.Manager{}}
	if err := s.Lifecycle(context.Background(), "reload"); err == nil || !strings.Contains(err.Error(), `unknown operation "reload"`) {
		t.Errorf("Lifecycle(reload) = %v", err)
	}
}

func TestStatusText(t *testing.T) {
	rep := &StatusReport{App: "shop", Units: []systemd.UnitState{{Unit: "shop-web.service", LoadState: "loaded", ActiveState: "active", SubState: "running", Result: "success"}},
		Roles: []RoleStatus{{Container: "shop-web", State: "running", Health: "healthy", Version: "20261206-101010"}, {Container: "shop-worker", State: "absent"}}}
	var out bytes.Buffer
	if err := rep.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"shop: current version (none)\n", "shop-web.service  loaded   active   running          success", "shop-web          running  healthy  20261206-101010", "shop-worker       absent   -        -"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
}

// A launcher-style pass the config leaves to the container's boot says so
// and never connects to Podman.
func TestInUnitPassDeferredToBoot(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "containers"), 0o755)
	os.WriteFile(filepath.Join(root, "containers", "shop.yml"), []byte("base_image: x\nenv:\n  MIGRATE_ON_BOOT: 1\n"), 0o644)
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	eng := &fakeEngine{}
	var out bytes.Buffer
	if err := MigrateInUnit(context.Background(), InUnit{Root: root, App: "shop", User: true, Engine: eng, Out: &out}); err != nil {
		t.Fatal(err)
	}
	if eng.connected || out.String() != DeferredPassMessage(PassMigrate)+"\n" {
		t.Errorf("connected %v, said %q", eng.connected, out.String())
	}
}

// The flags of `certificates renew` go over the config; with --host the
// config may be missing.
func TestRenewSettingsFlagsOverConfig(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "containers"), 0o755)
	os.WriteFile(filepath.Join(root, "containers", "shop.yml"), []byte("base_image: x\nexpose: [\"8080:80\"]\nproxy:\n  host: shop.test\n  tls:\n    acme:\n      email: ops@shop.test\n"), 0o644)
	s, err := renewSettings(CertificateRequest{Root: root, App: "shop"})
	if err != nil || s.email != "ops@shop.test" || s.directory != generator.DefaultACMEDirectory || !slices.Equal(s.hosts, []string{"shop.test"}) || s.app == nil {
		t.Fatalf("from the config: %+v, %v", s, err)
	}
	email, dir, ca := "me@x.test", "https://ca.test/dir", "/ca.pem"
	s, err = renewSettings(CertificateRequest{Root: root, App: "shop", Hosts: []string{"a.test"}, Email: &email, Directory: &dir, CA: &ca})
	if err != nil || s.email != email || s.directory != dir || s.ca != ca || s.caWhere != "--ca" || !slices.Equal(s.hosts, []string{"a.test"}) {
		t.Fatalf("flags: %+v, %v", s, err)
	}
	if s, err = renewSettings(CertificateRequest{Root: root, App: "none", Hosts: []string{"b.test"}}); err != nil || s.app != nil {
		t.Errorf("--host without a config: %+v, %v", s, err)
	}
	if _, err = renewSettings(CertificateRequest{Root: root, App: "none"}); err == nil {
		t.Error("no config and no --host: no error")
	}
}
