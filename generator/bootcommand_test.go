package generator

import (
	"slices"
	"testing"
)

// bash launcher's set_boot_command: boot_command when given, else nothing
// with no_boot_command: true (the image's CMD runs), else /sbin/boot.
func TestNoBootCommand(t *testing.T) {
	for _, c := range []struct {
		name, yml string
		no        bool
		web       []string
	}{
		{"default", "base_image: b\n", false, []string{LauncherBootCommand}},
		{"no_boot_command", "base_image: b\nno_boot_command: true\n", true, nil},
		{"no_boot_command false", "base_image: b\nno_boot_command: false\n", false, []string{LauncherBootCommand}},
		{"no_boot_command null", "base_image: b\nno_boot_command:\n", false, []string{LauncherBootCommand}},
		{"boot_command wins", "base_image: b\nboot_command: /run.sh -x\nno_boot_command: true\n", true, []string{"/run.sh", "-x"}},
		{"from a template", "base_image: b\ntemplates: [\"templates/t.yml\"]\n", true, nil},
		{"app file overrides the template", "base_image: b\ntemplates: [\"templates/t.yml\"]\nno_boot_command: false\n", false, []string{LauncherBootCommand}},
	} {
		t.Run(c.name, func(t *testing.T) {
			app := loadOne(t, map[string]string{"containers/app.yml": c.yml, "templates/t.yml": "no_boot_command: true\n"})
			if app.NoBootCommand != c.no {
				t.Errorf("NoBootCommand = %v, want %v", app.NoBootCommand, c.no)
			}
			web := app.PrimaryRole()
			if web.Name != DefaultRoleName {
				t.Fatalf("primary role %q, want web", web.Name)
			}
			if got := app.RoleCommand(web); !slices.Equal(got, c.web) || (got == nil) != (c.web == nil) {
				t.Errorf("web runs %q, want %q", got, c.web)
			}
			// A role's own command is never touched by it.
			if got := app.RoleCommand(Role{Name: "worker", Command: []string{"sidekiq"}}); !slices.Equal(got, []string{"sidekiq"}) {
				t.Errorf("worker runs %q", got)
			}
		})
	}
	root := writeRoot(t, map[string]string{"containers/app.yml": "base_image: b\nno_boot_command: yes please\n"})
	if _, err := LoadApp(root, root+"/containers/app.yml"); err == nil {
		t.Errorf("no_boot_command that is not a boolean loads")
	}
}

// The loader marks exactly one primary role: web when there is one, else the
// first (roles sort web first, then by name).
func TestLoaderMarksOnePrimaryRole(t *testing.T) {
	for _, c := range []struct{ yml, want string }{
		{"base_image: b\n", "web"},
		{"base_image: b\nroles: {worker: [sidekiq], web: [puma]}\n", "web"},
		{"base_image: b\nroles: {worker: [sidekiq], api: [puma]}\n", "api"},
	} {
		app := loadOne(t, map[string]string{"containers/app.yml": c.yml})
		var marked []string
		for _, r := range app.Roles {
			if r.Primary {
				marked = append(marked, r.Name)
			}
		}
		if len(marked) != 1 || marked[0] != c.want || app.PrimaryRole().Name != c.want {
			t.Errorf("%q: marked %q, PrimaryRole %q, want %s", c.yml, marked, app.PrimaryRole().Name, c.want)
		}
	}
}
