package generator

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// SystemTemplateDir is where packaged templates live. A `templates:` entry is
// looked up relative to the root first, then here.
const SystemTemplateDir = "/usr/share/quadlaunch"

// systemTemplateDir is SystemTemplateDir, replaceable by tests.
var systemTemplateDir = SystemTemplateDir

// DefaultRoot is the config root: /etc/quadlaunch for the system instance,
// $XDG_CONFIG_HOME/quadlaunch (else ~/.config/quadlaunch) in user mode.
func DefaultRoot(user bool) string {
	if !user {
		return "/etc/quadlaunch"
	}
	if x := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "quadlaunch")
	}
	home := os.Getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".config", "quadlaunch")
}

// Discover lists <root>/containers/*.yml and *.yaml, sorted. Hidden files and
// the leftovers of editors and package managers are skipped, so that a
// half-edited `app.yml~` or `app.yml.dpkg-old` never becomes a second app.
// A missing containers directory is not an error: there is nothing to do.
func Discover(root string) ([]string, error) {
	dir := filepath.Join(root, "containers")
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var paths []string
	for _, e := range entries {
		name := e.Name()
		if !isConfigFileName(name) {
			continue
		}
		if e.IsDir() {
			continue
		}
		if e.Type()&os.ModeSymlink != 0 {
			// A symlink is fine if it points at a regular file.
			st, err := os.Stat(filepath.Join(dir, name))
			if err != nil || !st.Mode().IsRegular() {
				continue
			}
		}
		paths = append(paths, filepath.Join(dir, name))
	}
	slices.Sort(paths)
	return paths, nil
}

// backupMarkers are infixes/suffixes of files that editors and dpkg/rpm leave
// next to a config. They end in .yml only by accident (app.yml.dpkg-dist.yml
// is not a thing, but "app.dpkg-new.yml" style names are cheap to refuse too).
var backupMarkers = []string{".dpkg-", ".rpmnew", ".rpmsave", ".rpmorig", ".ucf-", ".swp", ".swo", ".orig", ".bak", ".tmp"}

func isConfigFileName(name string) bool {
	if name == "" || name[0] == '.' || name[0] == '#' || strings.HasSuffix(name, "~") {
		return false
	}
	stem, ok := configStem(name)
	if !ok || stem == "" {
		return false
	}
	for _, m := range backupMarkers {
		if strings.Contains(stem, m) {
			return false
		}
	}
	return true
}

// configStem returns the app name part of a config file name.
func configStem(name string) (string, bool) {
	if s, ok := strings.CutSuffix(name, ".yml"); ok {
		return s, true
	}
	if s, ok := strings.CutSuffix(name, ".yaml"); ok {
		return s, true
	}
	return "", false
}
