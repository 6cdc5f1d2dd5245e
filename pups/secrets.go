package pups

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// A secret in an exec command must reach the command inside the container and
// nowhere else. Podman stores every exec session's argv and env in its
// database, so neither may carry the value. quadlaunch gives secrets to a work
// container as Podman env secrets (commit leaves them out of the image), and:
//
//   - `$X` / `${X}` in a command is the shell's own expansion of that env var;
//   - pups' `$$ENV_X` is plain text substitution, which works inside single
//     quotes too (`su postgres -c 'psql ... $$ENV_X'`). The plan puts
//     SecretPlaceholder(X) there, and ExecArgv wraps such a script in a
//     fixed shell prelude that replaces each placeholder with the value of
//     env var X inside the exec session, then evals the result. Podman stores
//     the placeholder text only; the value exists in the shell's memory.

const placeholderPrefix, placeholderSuffix = "__quadlaunch_secret_", "__"

// SecretPlaceholder is the text the plan writes where pups would put the
// value of secret env var name.
func SecretPlaceholder(name string) string { return placeholderPrefix + name + placeholderSuffix }

var placeholderRe = regexp.MustCompile(placeholderPrefix + `([A-Za-z_][A-Za-z0-9_]*)` + placeholderSuffix)

// SecretsIn lists the env names whose placeholders occur in script, sorted.
func SecretsIn(script string) []string {
	var names []string
	for _, m := range placeholderRe.FindAllStringSubmatch(script, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	slices.Sort(names)
	return names
}

// ExecArgv is the argv of an exec session that runs script with /bin/sh as
// pups does. Without placeholders it is `/bin/sh -c script`. With them, the
// script travels as an argument of a prelude that substitutes each secret
// from the session's env and evals the result. background makes the session
// record its pid in pidFile first and exec the script's shell, so the pid is
// that of the command pups would signal (a simple command is exec'd by sh).
func ExecArgv(script string, background bool, pidFile string) []string {
	names := SecretsIn(script)
	var b strings.Builder
	if background {
		fmt.Fprintf(&b, "echo $$ > %s || exit 1\n", ShellQuote(pidFile))
	}
	if len(names) == 0 {
		if !background {
			return []string{"/bin/sh", "-c", script}
		}
		b.WriteString(`exec /bin/sh -c "$1"`)
		return []string{"/bin/sh", "-c", b.String(), "quadlaunch-step", script}
	}
	b.WriteString("s=$1\n")
	for _, n := range names {
		fmt.Fprintf(&b, "t=%s; o=; while :; do case $s in *\"$t\"*) o=$o${s%%%%\"$t\"*}${%s}; s=${s#*\"$t\"};; *) break;; esac; done; s=$o$s\n",
			ShellQuote(SecretPlaceholder(n)), n)
	}
	if background {
		// The value is then in this process's command line inside the
		// container, as with pups; never in Podman's records.
		b.WriteString(`exec /bin/sh -c "$s"`)
	} else {
		b.WriteString("set --; unset t o; eval \"$s\"")
	}
	return []string{"/bin/sh", "-c", b.String(), "quadlaunch-step", script}
}
