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
	paths, _, err := DiscoverWithSkipped(root)
	return paths, err
}

// DiscoverWithSkipped is Discover that also says which entries with a
// config's name it leaves out because they are not regular files (a FIFO, a
// socket, a directory, a dangling symlink): the generator logs them, so an
// app that silently has no units has a reason in the journal.
func DiscoverWithSkipped(root string) (paths []string, skipped []Diagnostic, err error) {
	dir := filepath.Join(root, "containers")
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	for _, e := range entries {
		name := e.Name()
		if !isConfigFileName(name) {
			continue
		}
		p := filepath.Join(dir, name)
		switch t := e.Type(); {
		case t.IsRegular():
		case t&os.ModeSymlink != 0:
			// A symlink is fine if it points at a regular file.
			st, err := os.Stat(p)
			if err != nil {
				skipped = append(skipped, Diagnostic{Pos: Pos{File: p}, Msg: "skipped: " + err.Error()})
				continue
			}
			if !st.Mode().IsRegular() {
				skipped = append(skipped, Diagnostic{Pos: Pos{File: p}, Msg: "skipped: a symlink to " + modeName(st.Mode()) + ", not to a regular file"})
				continue
			}
		default:
			skipped = append(skipped, Diagnostic{Pos: Pos{File: p}, Msg: "skipped: " + modeName(t) + ", not a regular file"})
			continue
		}
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths, skipped, nil
}

func modeName(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSymlink != 0:
		return "a symlink"
	}
	return "a special file"
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
