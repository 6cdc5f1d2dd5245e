package systemd

import (
	"fmt"
	"os"
	"path/filepath"
)

// RuntimeDir is the manager's runtime dir: /run, or $XDG_RUNTIME_DIR with --user.
func RuntimeDir(user bool) string {
	if !user {
		return "/run"
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return d
	}
	return fmt.Sprintf("/run/user/%d", os.Getuid())
}

// ConfigDir is /etc, or $XDG_CONFIG_HOME (default ~/.config) for --user: the
// dir systemd calls %E.
func ConfigDir(user bool) string {
	if !user {
		return "/etc"
	}
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".config")
}
