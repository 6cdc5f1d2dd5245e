package generator

import (
	"fmt"
	"strings"
)

// maxNameLen leaves room for the longest suffix we add ("-configure.service")
// within systemd's 255-byte unit name limit, with margin for role names.
const maxNameLen = 128

// validateName checks an app name (the config file's stem).
func validateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty app name")
	case launcherRejects(name):
		return fmt.Errorf("app name %q must not contain upper case characters, spaces or any of /!@#$%%^&*()+~`= (launcher rejects them)", name)
	case len(name) > maxNameLen:
		return fmt.Errorf("app name %q is longer than %d characters", name, maxNameLen)
	case !isAppName(name):
		return fmt.Errorf("app name %q cannot prefix systemd unit and container names: use a-z, 0-9, '_', '.', '-', starting with a letter or digit", name)
	case strings.HasSuffix(name, ".") || strings.Contains(name, ".."):
		return fmt.Errorf("app name %q must not end in '.' or contain '..'", name)
	}
	return nil
}

// isRoleName is ^[a-z0-9][a-z0-9_-]{0,62}$. Checks with a bounded count are
// written out: regexp expands {0,62} into 62 copies at compile time, which
// the generator would pay at every boot.
func isRoleName(s string) bool {
	return charsOK(s, 63, func(c byte) bool { return isLowerAlnum(c) },
		func(c byte) bool { return isLowerAlnum(c) || c == '_' || c == '-' })
}

// isHostname is ^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$ (see isRoleName).
func isHostname(s string) bool {
	return charsOK(s, 253, isAlnum, func(c byte) bool { return isAlnum(c) || c == '_' || c == '.' || c == '-' })
}

// charsOK reports whether s has 1 to max bytes, the first accepted by first
// and the others by rest.
func charsOK(s string, max int, first, rest func(byte) bool) bool {
	if s == "" || len(s) > max || !first(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !rest(s[i]) {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }
func isAlnum(c byte) bool      { return isLowerAlnum(c) || 'A' <= c && c <= 'Z' }

// reservedRoles would collide with the app's oneshot units (A-migrate.service).
var reservedRoles = map[string]bool{"migrate": true, "configure": true}

func validateRoleName(name string) error {
	switch {
	case !isRoleName(name):
		return fmt.Errorf("role name %q: use a-z, 0-9, '_', '-' (at most 63), starting with a letter or digit", name)
	case reservedRoles[name]:
		return fmt.Errorf("role name %q is reserved for the app's %s unit", name, name)
	}
	return nil
}
