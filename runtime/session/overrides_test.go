package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSkipPostDeployFiles(t *testing.T) {
	t.Setenv("QUADLAUNCH_LOCK_DIR", "/run/quadlaunch")
	sys := SkipPostDeployFiles(false, "app-migrate.service", "")
	dropIn := "/run/systemd/system.control/app-migrate.service.d/50-quadlaunch-skip-post-deployment-migrations.conf"
	conf := "/run/quadlaunch/app-migrate.skip-post-deployment-migrations.containers.conf"
	if !strings.Contains(sys[dropIn], "\nEnvironment=CONTAINERS_CONF_OVERRIDE="+conf+"\n") || !strings.HasPrefix(strings.SplitN(sys[dropIn], "\n", 2)[1], "[Service]") {
		t.Errorf("drop-in %q", sys[dropIn])
	}
	if !strings.Contains(sys[conf], "[containers]\nenv = [\"SKIP_POST_DEPLOYMENT_MIGRATIONS=1\"]") {
		t.Errorf("containers.conf %q", sys[conf])
	}
	if len(sys) != 2 {
		t.Errorf("files %v", sys)
	}
	user := SkipPostDeployFiles(true, "app-migrate.service", "/run/user/1000")
	if _, ok := user["/run/user/1000/systemd/user.control/app-migrate.service.d/50-quadlaunch-skip-post-deployment-migrations.conf"]; !ok {
		t.Errorf("user drop-in not in user.control: %v", user)
	}
}

func TestWriteFilesRemoves(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{filepath.Join(dir, "u.service.d", "x.conf"): "a", filepath.Join(dir, "c.conf"): "b"}
	remove, err := WriteFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	for p, c := range files {
		if b, err := os.ReadFile(p); err != nil || string(b) != c {
			t.Fatalf("%s: %q %v", p, b, err)
		}
	}
	remove()
	for p := range files {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still there", p)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "u.service.d")); !os.IsNotExist(err) {
		t.Error("empty drop-in dir left")
	}
}
