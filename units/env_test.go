package units

import (
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
)

// parseEnvFile follows systemd's EnvironmentFile= rules (src/basic/env-file.c)
// for the subset EnvFileContent writes: comments, NAME="value" where inside
// double quotes a backslash before one of \ " ` $ yields that character, a
// backslash-newline is dropped, any other backslash is kept, and raw newlines
// are kept.
func parseEnvFile(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for len(s) > 0 {
		if s[0] == '#' || s[0] == '\n' {
			_, s, _ = strings.Cut(s, "\n")
			continue
		}
		name, rest, ok := strings.Cut(s, `="`)
		if !ok {
			t.Fatalf("env file line without =\": %q", s)
		}
		var v strings.Builder
		i := 0
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
				switch rest[i] {
				case '\\', '"', '`', '$':
					v.WriteByte(rest[i])
				case '\n':
				default:
					v.WriteByte('\\')
					v.WriteByte(rest[i])
				}
				continue
			}
			v.WriteByte(rest[i])
		}
		if i >= len(rest) || !strings.HasPrefix(rest[i:], "\"\n") {
			t.Fatalf("unterminated value for %s", name)
		}
		out[name] = v.String()
		s = rest[i+2:]
	}
	return out
}

func TestEnvFileRoundTripsBytes(t *testing.T) {
	vars := []generator.EnvVar{
		{Name: "A", Value: canaryMultiline},
		{Name: "B", Value: canaryQuoted},
		{Name: "C", Value: "trailing backslash \\"},
		{Name: "D", Value: "\\\n line continuation look-alike"},
		{Name: "E", Value: ""},
		{Name: "F", Value: "  spaces and\ttab  "},
		{Name: "G", Value: "# not a comment\n# still value"},
	}
	got := parseEnvFile(t, string(EnvFileContent("header\nline 2", vars)))
	for _, v := range vars {
		if got[v.Name] != v.Value {
			t.Errorf("%s: got %q want %q", v.Name, got[v.Name], v.Value)
		}
	}
}

func TestSplitEnv(t *testing.T) {
	app := minimalApp("x")
	app.Env = []generator.EnvVar{
		{Name: "PATH", Value: "/usr/bin"},
		{Name: "XDG_DATA_HOME", Value: "/d"},
		{Name: "RAILS_ENV", Value: "production"},
	}
	s, errs := splitEnv(app)
	if len(errs) != 0 || len(s.quadlet) != 2 || len(s.file) != 1 || s.file[0].Name != "RAILS_ENV" {
		t.Fatalf("split = %+v, errs %v", s, errs)
	}
	for _, bad := range []generator.EnvVar{
		{Name: "HOME", Value: "secret", Secret: true},
		{Name: "PODMAN_X", Value: "a\nb"},
		{Name: "BAD-NAME", Value: "v"},
		{Name: "GLOB*", Value: "v"},
		{Name: "CTRL", Value: "a\rb"},
	} {
		app.Env = []generator.EnvVar{bad}
		if _, errs := splitEnv(app); len(errs) != 1 || errs[0].Key != "env."+bad.Name {
			t.Errorf("%s=%q: errs %v, want one naming the key", bad.Name, bad.Value, errs)
		}
	}
	app.Env = []generator.EnvVar{{Name: "LD_PRELOAD", Value: "x"}}
	app.Secrets = []string{"LD_PRELOAD"}
	if _, errs := splitEnv(app); len(errs) != 1 {
		t.Errorf("secret via App.Secrets not refused: %v", errs)
	}
}

// Verified once on the testbed (Debian 13, systemd 257.13): the discourse.env
// this package plans, loaded with `systemd-run --wait --pipe
// -p EnvironmentFile=... printenv NAME`, gave back canaryQuoted and
// canaryMultiline byte for byte. parseEnvFile above encodes the same rules.
