package steprunner

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The prelude must give the exact value wherever pups' text substitution
// would put it, single quotes included, while the argv holds only placeholders.
func TestExecArgvSubstitutesSecretsInsideTheSession(t *testing.T) {
	value := "a \"secret\" with $HOME, % and \\ and\na newline"
	script := "printf '%s|' '" + SecretPlaceholder("DB_PASSWORD") + "' " + SecretPlaceholder("DB_PASSWORD") + "; printf %s " + SecretPlaceholder("OTHER") + "; exit 7"
	argv := ExecArgv(script, false, "")
	for _, a := range argv {
		if strings.Contains(a, "secret") && strings.Contains(a, "newline") {
			t.Fatalf("argv carries the value: %q", argv)
		}
	}
	if got := SecretsIn(script); !slices.Equal(got, []string{"DB_PASSWORD", "OTHER"}) {
		t.Fatalf("SecretsIn = %q", got)
	}
	run := func(argv []string, env ...string) (string, int) {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=/home/test"}, env...)
		out, err := cmd.Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	out, code := run(argv, "DB_PASSWORD="+value, "OTHER=plain")
	if code != 7 {
		t.Fatalf("exit status %d, want 7 from the script", code)
	}
	// pups substitutes the raw text, quotes or not: compare with what sh does
	// to the script with the values pasted in.
	pasted := strings.ReplaceAll(strings.ReplaceAll(script, SecretPlaceholder("DB_PASSWORD"), value), SecretPlaceholder("OTHER"), "plain")
	want, _ := run([]string{"/bin/sh", "-c", pasted})
	if string(out) != string(want) {
		t.Errorf("session output %q, pups-style substitution gives %q", out, want)
	}
}

func TestExecArgvWithoutSecretsIsPlainShell(t *testing.T) {
	if got := ExecArgv("echo hi", false, ""); !slices.Equal(got, []string{"/bin/sh", "-c", "echo hi"}) {
		t.Errorf("argv = %q", got)
	}
}
