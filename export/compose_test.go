package export

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose writes an export as the caller would (Main as compose.yaml,
// Secrets 0600 under the name Main refers to) and loads it with compose-go,
// interpolation on: the export's "$$" escaping is part of what is tested.
func loadCompose(t *testing.T, exp *Export, secretsFile string) *types.Project {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(path, exp.Main, 0o644); err != nil {
		t.Fatal(err)
	}
	if exp.Secrets != nil {
		if err := os.WriteFile(filepath.Join(dir, secretsFile), exp.Secrets, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: path, Content: exp.Main}},
		Environment: types.Mapping{},
	})
	if err != nil {
		t.Fatalf("compose-go rejects the export: %v\n%s", err, exp.Main)
	}
	return project
}

func TestComposeLoads(t *testing.T) {
	for _, ta := range testApps(t) {
		t.Run(ta.name, func(t *testing.T) {
			app := ta.app
			exp, err := Compose(app, ComposeOptions{Image: "registry.example/" + app.Name + ":1"})
			if err != nil {
				t.Fatal(err)
			}
			assertNoSecretIn(t, app, exp.Main)
			project := loadCompose(t, exp, app.Name+".secrets.env")

			want := append([]string{"configure", "migrate"}, app.RoleNames()...)
			slices.Sort(want)
			if got := project.ServiceNames(); !slices.Equal(sorted(got), want) {
				t.Fatalf("services %v, want %v", got, want)
			}
			assertDependsOn(t, project, "migrate", nil)
			assertDependsOn(t, project, "configure", []string{"migrate"})
			for _, role := range app.RoleNames() {
				assertDependsOn(t, project, role, []string{"configure", "migrate"})
			}
			// Every service sees the app's env byte-exact: plain values
			// through the "$$" escaping, secret ones through the env file.
			for name, svc := range project.Services {
				for _, e := range app.Env {
					got, ok := svc.Environment[e.Name]
					if !ok || got == nil || *got != e.Value {
						t.Errorf("service %s: env %s = %v, want %q", name, e.Name, deref(got), e.Value)
					}
				}
				if svc.Image != "registry.example/"+app.Name+":1" {
					t.Errorf("service %s: image %q", name, svc.Image)
				}
			}
			if primary := project.Services[app.PrimaryRole().Name]; len(app.Expose) > 0 && len(primary.Ports)+len(primary.Expose) == 0 {
				t.Errorf("primary role publishes nothing of %v", app.Expose)
			}
		})
	}
}

// TestComposeDemo checks the demo's commands, healthcheck and volumes after
// compose-go read them.
func TestComposeDemo(t *testing.T) {
	app, _ := loadDemo(t)
	exp, err := Compose(app, ComposeOptions{Image: "registry.example/demo:1"})
	if err != nil {
		t.Fatal(err)
	}
	project := loadCompose(t, exp, "demo.secrets.env")
	web, worker := project.Services["web"], project.Services["worker"]
	if got := []string(worker.Command); !slices.Equal(got, []string{"/usr/bin/demo", "worker", "--say=$HOME"}) {
		t.Errorf("worker command %q", got)
	}
	if hc := web.HealthCheck; hc == nil || !slices.Equal([]string(hc.Test), []string{"CMD", "/usr/bin/demo", "health"}) ||
		hc.Retries == nil || *hc.Retries != 5 || hc.Interval == nil || hc.Interval.String() != "2s" {
		t.Errorf("web healthcheck %+v", hc)
	}
	if worker.HealthCheck != nil {
		t.Error("the healthcheck is the primary role's only")
	}
	var volumes []string
	for _, v := range web.Volumes {
		volumes = append(volumes, v.Type+" "+v.Source+":"+v.Target)
	}
	if !slices.Equal(volumes, []string{"volume demo-data:/data", "bind /srv/demo/uploads:/uploads"}) {
		t.Errorf("volumes %v", volumes)
	}
	if _, ok := project.Volumes["demo-data"]; !ok {
		t.Errorf("no named volume demo-data: %v", project.Volumes)
	}
	if _, ok := web.Networks[linksNetwork]; !ok || project.Networks[linksNetwork].Name != "demo-links" {
		t.Errorf("links network: service %v, project %v", web.Networks, project.Networks)
	}
	var ports []string
	for _, p := range web.Ports {
		ports = append(ports, p.HostIP+"|"+p.Published+"|"+p.Protocol)
	}
	if !slices.Equal(ports, []string{"|8080|tcp", "127.0.0.1|9090|udp"}) || !slices.Equal(web.Expose, types.StringOrNumberList{"9100"}) {
		t.Errorf("ports %v expose %v", ports, web.Expose)
	}
	if strings.Contains(string(exp.Main), "qlcanary") {
		t.Error("a canary is in Main")
	}
	if !strings.Contains(string(exp.Secrets), "qlcanary-token-5e1f0c7a") {
		t.Error("the token canary is not in Secrets")
	}
}

func TestComposeLauncherStyle(t *testing.T) {
	app, _ := loadDemo(t)
	app.Migrate, app.Configure = nil, nil
	exp, err := Compose(app, ComposeOptions{Image: "x"})
	if err != nil {
		t.Fatal(err)
	}
	project := loadCompose(t, exp, "demo.secrets.env")
	if cmd := project.Services["migrate"].Command; len(cmd) != 3 || cmd[0] != "sh" || !strings.Contains(cmd[2], "baked into the image") {
		t.Errorf("launcher-style migrate runs %q", cmd)
	}
	if !slices.ContainsFunc(exp.Warnings, func(w string) bool { return strings.Contains(w, ": migrate: launcher-style") }) {
		t.Errorf("no launcher-style warning in %q", exp.Warnings)
	}
}

func assertDependsOn(t *testing.T, project *types.Project, service string, want []string) {
	t.Helper()
	deps := project.Services[service].DependsOn
	var got []string
	for name, d := range deps {
		got = append(got, name)
		if d.Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s depends on %s with condition %q", service, name, d.Condition)
		}
	}
	if !slices.Equal(sorted(got), want) {
		t.Errorf("%s depends on %v, want %v", service, got, want)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
