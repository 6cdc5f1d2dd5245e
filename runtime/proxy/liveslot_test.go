package proxy

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLiveSlotsLinks(t *testing.T) {
	dir := t.TempDir()
	for _, user := range []bool{false, true} {
		l := LiveSlots{App: "shop", Primary: "web", User: user, ConfigDir: dir, GeneratorDir: "/run/systemd/generator"}
		if l.Live() != 0 {
			t.Fatal("nothing recorded: A-web is live")
		}
		if err := l.Set(1); err != nil {
			t.Fatal(err)
		}
		wants := filepath.Join(dir, "systemd/system/shop.target.wants")
		if user {
			wants = filepath.Join(dir, "systemd/user/shop.target.wants")
		}
		if got, _ := os.Readlink(filepath.Join(wants, "shop-web-next.service")); got != "/run/systemd/generator/shop-web-next.service" {
			t.Errorf("user=%v: A-web-next link -> %q", user, got)
		}
		if got, _ := os.Readlink(filepath.Join(wants, "shop-web.service")); got != "/dev/null" {
			t.Errorf("user=%v: A-web's link must be masked, -> %q", user, got)
		}
		if l.Live() != 1 || l.Set(1) != nil || l.Live() != 1 {
			t.Errorf("user=%v: slot 1 recorded, Live() = %d", user, l.Live())
		}
		if err := l.Set(0); err != nil || l.Live() != 0 {
			t.Errorf("user=%v: back to slot 0: %v, Live() = %d", user, err, l.Live())
		}
		if ents, _ := os.ReadDir(wants); len(ents) != 0 {
			t.Errorf("user=%v: links left: %v", user, ents)
		}
	}
}
