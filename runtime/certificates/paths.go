package certificates

import (
	"os"
	"path/filepath"
)

// DefaultStateDir is where certificates and ACME accounts are kept:
// /var/lib/quadlaunch/tls for the system, $XDG_STATE_HOME/quadlaunch/tls
// (~/.local/state/quadlaunch/tls) for a rootless user.
func DefaultStateDir(user bool) string {
	return filepath.Join(stateBase(user), "tls")
}

// DefaultWebroot is the HTTP-01 webroot of app: the directory the app's proxy
// serves at /.well-known/acme-challenge/ (see the package doc).
func DefaultWebroot(user bool, app string) string {
	return filepath.Join(stateBase(user), "acme-challenge", app)
}

func stateBase(user bool) string {
	if !user {
		return "/var/lib/quadlaunch"
	}
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "quadlaunch")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "/"
	}
	return filepath.Join(home, ".local", "state", "quadlaunch")
}
