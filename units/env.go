package units

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/quadlaunch/quadlaunch/generator"
)

// How env reaches a container (README "Environment and secrets"):
// the values go to a 0600 file in systemd EnvironmentFile= syntax, the unit's
// [Service] EnvironmentFile= loads them into podman's own environment, and
// `--env NAME` (no value) passes each one through to the container. So no value
// is in unit text, in a command line, or in `ps`. The catch: whatever is in that
// file also changes podman itself, so names podman (or the Go runtime, or
// systemd's notify/socket protocol) reads go to Quadlet Environment= instead;
// that is only possible for values that are neither secret nor multi-line.

// podmanAffectingNames are env names that change podman's behaviour if present
// in its own environment.
var podmanAffectingNames = map[string]bool{
	"PATH": true, "HOME": true, "TMPDIR": true, "USER": true, "LOGNAME": true, "SHELL": true,
	"NOTIFY_SOCKET": true, "LISTEN_FDS": true, "LISTEN_PID": true, "LISTEN_FDNAMES": true,
	"INVOCATION_ID": true, "JOURNAL_STREAM": true, "MAINPID": true, "MANAGERPID": true,
	"RUNTIME_DIRECTORY": true, "STATE_DIRECTORY": true, "CREDENTIALS_DIRECTORY": true,
	"HTTP_PROXY": true, "HTTPS_PROXY": true, "NO_PROXY": true, "ALL_PROXY": true, "FTP_PROXY": true,
	"http_proxy": true, "https_proxy": true, "no_proxy": true, "all_proxy": true, "ftp_proxy": true,
	"SSL_CERT_FILE": true, "SSL_CERT_DIR": true, "REGISTRY_AUTH_FILE": true,
	"REGISTRIES_CONFIG_PATH": true, "CONTAINER_HOST": true, "CONTAINER_CONNECTION": true,
	"CONTAINER_SSHKEY": true, "CONMON_PATH": true, "TZ": true,
	"GODEBUG": true, "GOGC": true, "GOMAXPROCS": true, "GOMEMLIMIT": true, "GOTRACEBACK": true,
}

// QUADLAUNCH_ names steer the helper itself (QUADLAUNCH_ROOT, ...), which
// runs in A-migrate with the app's env file loaded: an app must not point the
// helper at another root.
var podmanAffectingPrefixes = []string{
	"QUADLAUNCH_", "XDG_", "CONTAINERS_", "_CONTAINERS_", "PODMAN_", "STORAGE_", "BUILDAH_", "LD_", "DBUS_", "SYSTEMD_",
}

// PodmanAffecting reports whether env name must not be in podman's environment.
func PodmanAffecting(name string) bool {
	if podmanAffectingNames[name] {
		return true
	}
	for _, p := range podmanAffectingPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// envName reports whether name is a portable env name. Podman treats '*' in
// `--env NAME` as a glob and systemd rejects other odd names, so only these pass.
func envName(name string) bool {
	if name == "" || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for _, c := range []byte(name) {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// maxEnvString is the kernel's MAX_ARG_STRLEN (32 pages): one NAME=value
// string of an environment, NUL included.
const maxEnvString = 128 << 10

// envSplit is an app's env divided by how it reaches the container.
type envSplit struct {
	file    []generator.EnvVar // written to the private file, passed with --env NAME
	quadlet []generator.EnvVar // rendered as Quadlet Environment= (podman-affecting names)
}

// splitEnv sorts the app's env into the two mechanisms, or reports each
// variable that can use neither.
func splitEnv(app *generator.App) (envSplit, []generator.Diagnostic) {
	var s envSplit
	var errs []generator.Diagnostic
	secret := map[string]bool{}
	for _, k := range app.Secrets {
		secret[k] = true
	}
	for _, e := range app.Env {
		bad := func(format string, a ...any) {
			errs = append(errs, generator.Diagnostic{Pos: posOr(e.Pos, app), Key: "env." + e.Name, Msg: fmt.Sprintf(format, a...)})
		}
		switch {
		case !envName(e.Name):
			bad("env name must be letters, digits and _ (not starting with a digit)")
		case len(e.Name)+1+len(e.Value)+1 > maxEnvString:
			bad("NAME=value is %d bytes; the kernel takes at most %d per environment string (MAX_ARG_STRLEN), so podman could not start", len(e.Name)+len(e.Value)+2, maxEnvString)
		case !utf8.ValidString(e.Value):
			bad("value is not valid UTF-8 (systemd drops such variables)")
		case strings.ContainsFunc(e.Value, func(r rune) bool { return (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f }):
			bad("value contains a control character other than newline or tab (systemd drops such variables)")
		case PodmanAffecting(e.Name) && (e.Secret || secret[e.Name]):
			bad("%s changes podman's own behaviour, so it is passed on the command line, which a secret must never be; rename it or drop it from secrets", e.Name)
		case PodmanAffecting(e.Name) && strings.Contains(e.Value, "\n"):
			bad("%s changes podman's own behaviour, so it is passed on the command line, which cannot hold a multi-line value", e.Name)
		case PodmanAffecting(e.Name):
			s.quadlet = append(s.quadlet, e)
		default:
			s.file = append(s.file, e)
		}
	}
	return s, errs
}

// EnvFileContent renders vars in systemd EnvironmentFile= syntax: every value
// double-quoted, with \ " ` $ backslash-escaped. systemd keeps raw newlines
// inside double quotes, so multi-line values come back byte for byte.
func EnvFileContent(header string, vars []generator.EnvVar) []byte {
	var b strings.Builder
	if header != "" {
		for _, l := range strings.Split(header, "\n") {
			b.WriteString("# " + l + "\n")
		}
	}
	for _, v := range vars {
		b.WriteString(v.Name)
		b.WriteString(`="`)
		for _, r := range v.Value {
			switch r {
			case '\\', '"', '`', '$':
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteString("\"\n")
	}
	return []byte(b.String())
}

func posOr(p generator.Pos, app *generator.App) generator.Pos {
	if p.File == "" {
		return generator.Pos{File: app.ConfigPath}
	}
	return p
}
