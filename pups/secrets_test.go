package pups

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
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

// A background session records the pid of the shell that runs the script, so
// the stop signal reaches the script's own trap (or the command sh execs).
func TestExecArgvBackgroundRecordsTheSignalledPid(t *testing.T) {
	for _, withSecret := range []bool{false, true} {
		dir := t.TempDir()
		script := "trap 'echo got INT > out; exit 0' INT; echo ready > ready; while :; do sleep 0.05; done"
		if withSecret {
			script = "echo " + SecretPlaceholder("TOKEN") + " > token; " + script
		}
		argv := ExecArgv(script, true, dir+"/pid")
		if strings.Contains(strings.Join(argv, " "), "tok-value") {
			t.Fatal("argv holds the value")
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir, cmd.Env = dir, []string{"PATH=/usr/bin:/bin", "TOKEN=tok-value"}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 200; i++ {
			if _, err := os.Stat(dir + "/ready"); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		pid, err := os.ReadFile(dir + "/pid")
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(string(pid)) != strconv.Itoa(cmd.Process.Pid) {
			t.Errorf("pid file says %s, the session's process is %d", pid, cmd.Process.Pid)
		}
		if err := exec.Command("kill", "-s", "INT", strings.TrimSpace(string(pid))).Run(); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("session ended with %v, want a clean exit from the INT trap", err)
		}
		if out, _ := os.ReadFile(dir + "/out"); string(out) != "got INT\n" {
			t.Errorf("trap output %q", out)
		}
		if withSecret {
			if tok, _ := os.ReadFile(dir + "/token"); string(tok) != "tok-value\n" {
				t.Errorf("token %q", tok)
			}
		}
	}
}
