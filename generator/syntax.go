package generator

import "strings"

// The generator's name and value checks. They were regular expressions;
// Go compiles a package-level regexp at every start of the generator, which
// cost more than reading and checking a whole app (syntax_test.go holds the
// expressions and checks that these agree with them).

// isEnvName: [A-Za-z_][A-Za-z0-9_]*
func isEnvName(s string) bool {
	return s != "" && !isDigit(s[0]) && allBytes(s, func(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' })
}

// isVolumeName is Podman's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]*
func isVolumeName(s string) bool {
	return s != "" && (isLetter(s[0]) || isDigit(s[0])) &&
		allBytes(s, func(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' || c == '.' || c == '-' })
}

// isAppName is what survives in every name we derive from the app: systemd
// unit names (A-web.service, A.target), Podman container and volume names
// (which must match [a-zA-Z0-9][a-zA-Z0-9_.-]*) and image references
// (localhost/quadlaunch/A, lower case): [a-z0-9][a-z0-9_.-]*
func isAppName(s string) bool {
	lower := func(c byte) bool { return 'a' <= c && c <= 'z' }
	return s != "" && (lower(s[0]) || isDigit(s[0])) &&
		allBytes(s, func(c byte) bool { return lower(c) || isDigit(c) || c == '_' || c == '.' || c == '-' })
}

// launcherRejects is launcher2's own check on config names (upper case,
// spaces and these specials); a name it refuses is refused here too.
func launcherRejects(s string) bool {
	return strings.ContainsAny(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ/ !@#$%^&*()+~`=")
}

// isPortSpec: a port or a range, [0-9]{1,5}(-[0-9]{1,5})?
func isPortSpec(s string) bool {
	digits := func(s string) bool { return len(s) >= 1 && len(s) <= 5 && allBytes(s, isDigit) }
	if a, b, ok := strings.Cut(s, "-"); ok {
		return digits(a) && digits(b)
	}
	return digits(s)
}

// durationSyntax matches what both Go's time.ParseDuration and Podman accept,
// without a bare number (which Podman reads as nanoseconds): one or more of
// [0-9]+(\.[0-9]+)? followed by a unit, ns us µs ms s m h.
type durationSyntax struct{}

// durationRe keeps the name of the expression it replaces (deploy.go uses it).
var durationRe durationSyntax

func (durationSyntax) MatchString(s string) bool {
	if s == "" {
		return false
	}
	for s != "" {
		n := leadingDigits(s)
		if n == 0 {
			return false
		}
		s = s[n:]
		if strings.HasPrefix(s, ".") {
			f := leadingDigits(s[1:])
			if f == 0 {
				return false
			}
			s = s[1+f:]
		}
		unit := ""
		for _, u := range []string{"ns", "us", "µs", "ms", "s", "m", "h"} {
			if strings.HasPrefix(s, u) {
				unit = u
				break
			}
		}
		if unit == "" {
			return false
		}
		s = s[len(unit):]
	}
	return true
}

func leadingDigits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}
