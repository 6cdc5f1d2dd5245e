package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// buildCLI builds the quadlaunch on PATH (no tags: without the Podman
// bindings, podman_exec.go) into dir, as make build does.
func buildCLI(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "quadlaunch")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// A command goes on in quadlaunch-podman at its first connection to Podman,
// with the same arguments, found beside the binary (make build) or in
// ../libexec/quadlaunch (the package); one that never connects does not.
func TestPodmanCommandsGoOnInQuadlaunchPodman(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "containers"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "containers", "shop.yml"), []byte("base_image: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fake := "#!/bin/sh\necho \"quadlaunch-podman: $*\"\n"
	for _, layout := range []struct{ bin, helper string }{
		{"bin", "bin/quadlaunch-podman"},
		{"usr/bin", "usr/libexec/quadlaunch/quadlaunch-podman"},
	} {
		dir := t.TempDir()
		bin := buildCLI(t, filepath.Join(dir, layout.bin))
		helper := filepath.Join(dir, layout.helper)
		if err := os.MkdirAll(filepath.Dir(helper), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(helper, []byte(fake), 0o755); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "--root", root, "status", "shop").CombinedOutput()
		if want := "quadlaunch-podman: --root " + root + " status shop\n"; err != nil || string(out) != want {
			t.Errorf("%s: status shop: %v %q, want %q from %s", layout.bin, err, out, want, layout.helper)
		}
		out, _ = exec.Command(bin, "--root", root, "status", "nosuch").CombinedOutput()
		if strings.Contains(string(out), "quadlaunch-podman:") || !strings.Contains(string(out), `no config for app "nosuch"`) {
			t.Errorf("%s: status of an unknown app went to quadlaunch-podman or said something else: %q", layout.bin, out)
		}
		out, err = exec.Command(bin, "--root", root, "validate").CombinedOutput()
		if err != nil || strings.Contains(string(out), "quadlaunch-podman:") {
			t.Errorf("%s: validate: %v %q", layout.bin, err, out)
		}
	}
	lone := buildCLI(t, t.TempDir())
	out, err := exec.Command(lone, "--root", root, "status", "shop").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "quadlaunch-podman (quadlaunch with Podman) is neither in") {
		t.Errorf("without quadlaunch-podman: %v %q", err, out)
	}
}

// helperStartRuns is how many alternating runs each median is of.
const helperStartRuns = 41

// TestHelperStartReport is part of `make bench`: how long `quadlaunch
// --help`, `status` and `validate` take to start and end, next to a Go
// hello-world built the same way (target: within 6x). status and validate run
// against an empty config root: what a start costs, without systemd or
// Podman (status of an app it does not find ends before either). It prints
// figures and fails only when a run fails: the medians of a 2-CPU machine
// with neighbours move by more than the margin.
func TestHelperStartReport(t *testing.T) {
	if os.Getenv("QUADLAUNCH_BENCH") == "" {
		t.Skip("set QUADLAUNCH_BENCH=1 (make bench) to measure the helper's start")
	}
	dir := t.TempDir()
	cli := buildCLI(t, dir)
	full := filepath.Join(dir, "quadlaunch-podman")
	hello := filepath.Join(dir, "hello")
	runstat := filepath.Join(dir, "runstat")
	if err := os.WriteFile(filepath.Join(dir, "hello.go"), []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello, world\") }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, b := range []struct {
		out  string
		args []string
	}{
		{hello, []string{filepath.Join(dir, "hello.go")}},
		{runstat, []string{"../quadlaunch-generator/testdata/runstat"}},
		{full, []string{"-tags", "remote containers_image_openpgp exclude_graphdriver_btrfs", "."}},
	} {
		cmd := exec.Command("go", append([]string{"build", "-trimpath", "-ldflags", "-s -w", "-o", b.out}, b.args...)...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", b.out, err, out)
		}
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "containers"), 0o700); err != nil {
		t.Fatal(err)
	}
	type run struct {
		name string
		argv []string
		fail bool // exits non-zero by design
	}
	runs := []run{
		{"hello-world", []string{hello}, false},
		{"--help", []string{cli, "--help"}, false},
		{"status", []string{cli, "--root", root, "status", "app"}, true},
		{"validate", []string{cli, "--root", root, "validate"}, false},
		{"quadlaunch-podman --help", []string{full, "--help"}, false},
	}
	times := make([][]time.Duration, len(runs))
	rss := make([][]int64, len(runs))
	// Alternate the commands so that load from elsewhere hits them alike.
	for range helperStartRuns {
		for i, r := range runs {
			d, kib := startTimed(t, runstat, r.argv, r.fail)
			times[i] = append(times[i], d)
			rss[i] = append(rss[i], kib)
		}
	}
	med := make([]float64, len(runs))
	for i, r := range runs {
		s := slices.Clone(times[i])
		slices.Sort(s)
		med[i] = float64(s[len(s)/2].Microseconds()) / 1000
		k := slices.Clone(rss[i])
		slices.Sort(k)
		fmt.Printf("helper run: %-26s %6.2f ms  %4.1fx hello-world  peak RSS %5.1f MB (medians of %d runs)\n",
			r.name, med[i], med[i]/med[0], float64(k[len(k)/2])/1024, helperStartRuns)
	}
	h := med[0]
	fmt.Printf("helper start: --help %.2f ms, status %.2f ms, validate %.2f ms, hello-world %.2f ms (ratios %.1f/%.1f/%.1f)\n",
		med[1], med[2], med[3], h, med[1]/h, med[2]/h, med[3]/h)
}

// startTimed runs argv through runstat and returns its wall time and peak RSS.
func startTimed(t *testing.T, runstat string, argv []string, wantFail bool) (time.Duration, int64) {
	t.Helper()
	cmd := exec.Command(runstat, argv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	var us, kib int64
	for _, l := range lines {
		if _, serr := fmt.Sscanf(l, "runstat: %d %d", &us, &kib); serr == nil {
			break
		}
	}
	if us == 0 || (err != nil) != wantFail {
		t.Fatalf("%v: %v\n%s", argv, err, stderr.String())
	}
	return time.Duration(us) * time.Microsecond, kib
}
