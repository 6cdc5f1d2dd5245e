package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeModule makes a module named like quadlaunch's with the given files.
func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module " + module + "\n\ngo 1.26\n"
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The check passes on the house as it is.
func TestTheHousePasses(t *testing.T) {
	problems, err := check("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// A deliberately added upward import fails the check, which names it.
func TestUpwardImportFails(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"generator/load.go":         "package generator\n\nimport _ \"" + module + "/runtime/systemd\"\n",
		"runtime/systemd/bus.go":    "package systemd\n",
		"units/plan.go":             "package units\n\nimport _ \"" + module + "/generator\"\n",
		"units/sideways_test.go":    "package units\n\nimport _ \"" + module + "/pups\"\n",
		"pups/runner.go":            "package pups\n",
		"runtime/newthing/thing.go": "package newthing\n",
	})
	problems, err := check(dir)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(problems, "\n")
	for _, want := range []string{
		"generator (floor 1) imports runtime/systemd (floor 3): an import up",
		"units (floor 2) its tests import pups (floor 2): an import sideways",
		"runtime/newthing has no floor",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in:\n%s", want, all)
		}
	}
	if strings.Contains(all, "units (floor 2) imports generator") {
		t.Errorf("a downward import is reported:\n%s", all)
	}
}

// The generator binary may link only the plan: a host package in its tree fails.
func TestGeneratorLinkingTheHostFails(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"cmd/quadlaunch-generator/main.go": "package main\n\nimport _ \"" + module + "/runtime/versions\"\n\nfunc main() {}\n",
		"runtime/versions/versions.go":     "package versions\n",
	})
	problems, err := check(dir)
	if err != nil {
		t.Fatal(err)
	}
	if all := strings.Join(problems, "\n"); !strings.Contains(all, "cmd/quadlaunch-generator links runtime/versions") {
		t.Errorf("the generator linking runtime/versions is not reported:\n%s", all)
	}
}

// The size rules: the command's total, and a long plan file without a reason.
func TestSizes(t *testing.T) {
	long := "package units\n" + strings.Repeat("// x\n", planFileLines)
	reasoned := "package units\n\n" + planFileReason + " one table, kept whole.\n" + strings.Repeat("// x\n", planFileLines)
	// 3 + 1 + 3*334 = 1006 lines, comments and blank lines counted as wc -l does.
	command := "package main\n" + strings.Repeat("var _ = 1\n// a comment is a line too\n\n", 334)
	dir := writeModule(t, map[string]string{
		"units/long.go":            long,
		"units/reasoned.go":        reasoned,
		"units/long_test.go":       long,
		"cmd/quadlaunch/main.go":   "package main\n\nfunc main() {}\n",
		"cmd/quadlaunch/big.go":    command,
		"cmd/quadlaunch/man.go":    command,
		"cmd/quadlaunch/x_test.go": command,
	})
	problems, err := check(dir)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(problems, "\n")
	if !strings.Contains(all, "units/long.go has 401 lines") {
		t.Errorf("long plan file not reported:\n%s", all)
	}
	if strings.Contains(all, "reasoned.go") || strings.Contains(all, "long_test.go") {
		t.Errorf("a file with a reason, or a test, is reported:\n%s", all)
	}
	if !strings.Contains(all, "cmd/quadlaunch has 1006 lines of Go outside tests and man.go") {
		t.Errorf("the command's size (every line; man.go and tests aside) is not reported as 1006:\n%s", all)
	}
}
