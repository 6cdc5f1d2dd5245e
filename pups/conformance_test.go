package pups

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/quadlaunch/quadlaunch/generator"
)

// The differential test: every case under testdata/conformance runs twice in
// fresh directories, once by the real pups (../shared/oracles/pups, fed the
// config on stdin as both launchers do) and once by Runner on a LocalTarget,
// and the resulting file trees, exit status and command transcripts must be
// equal, or the difference must be listed in testdata/conformance/differences.yml
// (and in README.md's merge details).

const conformanceDir = "testdata/conformance"

// findPups walks up from the package directory to the shared oracle checkout.
func findPups(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "oracles", "pups")
		if _, err := os.Stat(filepath.Join(p, "bin", "pups")); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func requireOracle(t *testing.T) (ruby, pups string) {
	ci := os.Getenv("CI") == "true"
	ruby, err := exec.LookPath("ruby")
	if err != nil {
		if ci {
			t.Fatal("pups-conformance: ruby is not installed, and CI=true requires the pups oracle to run")
		}
		t.Skip("pups-conformance: skipped: ruby is not installed (apt-get install ruby; CI=true makes this a failure)")
	}
	pups = findPups(t)
	if pups == "" {
		if ci {
			t.Fatal("pups-conformance: no shared/oracles/pups in any parent directory, and CI=true requires it")
		}
		t.Skip("pups-conformance: skipped: no shared/oracles/pups in any parent directory")
	}
	return ruby, pups
}

// outcome is what a run leaves behind.
type outcome struct {
	exit       int
	tree       map[string]string // path -> "mode content"
	transcript string
}

func TestPupsConformance(t *testing.T) {
	ruby, pups := requireOracle(t)
	entries, err := os.ReadDir(conformanceDir)
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	raw, err := os.ReadFile(filepath.Join(conformanceDir, "differences.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &documented); err != nil {
		t.Fatalf("differences.yml: %v", err)
	}
	var mu sync.Mutex
	var cases, same, differ, documentedDiffer int
	seen := map[string]bool{}
	t.Run("cases", func(t *testing.T) {
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			name := e.Name()
			seen[name] = true
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				dir := filepath.Join(conformanceDir, name)
				want := runPups(t, ruby, pups, dir)
				got := runOurs(t, dir)
				diff := compareOutcomes(want, got)
				mu.Lock()
				defer mu.Unlock()
				cases++
				reason, isDocumented := documented[name]
				switch {
				case diff == "" && isDocumented:
					same++
					t.Errorf("%s: listed in differences.yml (%s) but pups and quadlaunch now agree: remove it", name, reason)
				case diff == "":
					same++
				case isDocumented:
					differ++
					documentedDiffer++
					t.Logf("documented difference: %s\n%s", reason, diff)
				default:
					differ++
					t.Errorf("pups and quadlaunch differ:\n%s", diff)
				}
			})
		}
	})
	for name := range documented {
		if !seen[name] {
			t.Errorf("differences.yml lists %q, which is not a case", name)
		}
	}
	fmt.Printf("pups-conformance: %d cases, %d same, %d differ (%d documented)\n", cases, same, differ, documentedDiffer)
	if differ != documentedDiffer {
		t.Errorf("%d undocumented difference(s)", differ-documentedDiffer)
	}
}

// baseEnv is the process env of both runs; the config's env comes on top.
func baseEnv(dir string) []string {
	return []string{"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME=" + dir, "LANG=C.UTF-8"}
}

func prepare(t *testing.T, caseDir string) string {
	dir := t.TempDir()
	tree := filepath.Join(caseDir, "tree")
	if _, err := os.Stat(tree); err == nil {
		if err := os.CopyFS(dir, os.DirFS(tree)); err != nil {
			t.Fatal(err)
		}
		// git does not keep modes beyond +x: a case sets the rest in modes.txt.
		copyModes(t, caseDir, dir)
	}
	return dir
}

// copyModes applies tree modes listed as "path 0640" lines in modes.txt.
func copyModes(t *testing.T, caseDir, dir string) {
	b, err := os.ReadFile(filepath.Join(caseDir, "modes.txt"))
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var p string
		var mode uint32
		if _, err := fmt.Sscanf(line, "%s %o", &p, &mode); err != nil {
			t.Fatalf("modes.txt: %q: %v", line, err)
		}
		if err := os.Chmod(filepath.Join(dir, p), fs.FileMode(mode)); err != nil {
			t.Fatal(err)
		}
	}
}

func runPups(t *testing.T, ruby, pups, caseDir string) outcome {
	config, err := os.ReadFile(filepath.Join(caseDir, "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := prepare(t, caseDir)
	cmd := exec.Command(ruby, "-I", filepath.Join(pups, "lib"), filepath.Join(pups, "bin", "pups"), "--stdin")
	cmd.Dir, cmd.Env = dir, baseEnv(dir)
	cmd.Stdin = bytes.NewReader(config)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	o := outcome{}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		o.exit = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("run pups: %v", err)
	}
	o.transcript = strings.ReplaceAll(pupsTranscript(stderr.String()), dir, "<dir>")
	o.tree = snapshot(t, dir)
	return o
}

// pupsLogEntry starts a line of Ruby's Logger: "I, [time #pid]  INFO -- : ".
var pupsLogEntry = regexp.MustCompile(`(?m)^[DIWEFA], \[[^\]]*\] +[A-Z]+ -- [^:]*: `)

// pupsTranscript turns pups' log into the transcript Runner's events give:
// "> command" for each command, then (foreground commands) the text pups logs
// after it: the output, or the stdin it fed. Cases keep their commands'
// stderr out of the log (it would be mixed into it raw).
func pupsTranscript(log string) string {
	locs := pupsLogEntry.FindAllStringIndex(log, -1)
	var msgs []string
	for i, l := range locs {
		end := len(log)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		msgs = append(msgs, strings.TrimSuffix(log[l[1]:end], "\n"))
	}
	own := []string{"> ", "Replacing ", "File > ", "Merge: ", "Terminating async", "Sending ", "Skipped missing", "Reading from", "Reading from"}
	isOwn := func(m string) bool {
		for _, p := range own {
			if strings.HasPrefix(m, p) {
				return true
			}
		}
		return strings.Contains(m, "did not terminate cleanly")
	}
	var b strings.Builder
	for i, m := range msgs {
		if !strings.HasPrefix(m, "> ") {
			continue
		}
		b.WriteString(m + "\n")
		if i+1 < len(msgs) && !isOwn(msgs[i+1]) {
			b.WriteString("| " + msgs[i+1] + "\n")
		}
	}
	return b.String()
}

func runOurs(t *testing.T, caseDir string) outcome {
	config, err := os.ReadFile(filepath.Join(caseDir, "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "containers"), 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "containers", "conformance.yml")
	if err := os.WriteFile(file, config, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := prepare(t, caseDir)
	app, err := generator.LoadApp(root, file)
	if err != nil {
		// Refused when the config loads: nothing runs (pups would run the
		// steps before the one it fails on).
		t.Logf("load: %v", err)
		return outcome{exit: 1, tree: snapshot(t, dir)}
	}
	env := baseEnv(dir)
	for _, e := range app.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	var transcript strings.Builder
	r := &Runner{Target: &LocalTarget{Root: dir}, Env: env, StopTimeout: DefaultStopTimeout,
		Observe: func(e CommandEvent) {
			transcript.WriteString("> " + e.Script + "\n")
			switch {
			case e.Background:
			case e.HasStdin:
				transcript.WriteString("| " + e.Stdin + "\n")
			default:
				transcript.WriteString("| " + string(e.Output) + "\n")
			}
		}}
	o := outcome{}
	ctx := context.Background()
	for _, s := range app.ExpandedRun() {
		if err := r.Run(ctx, s); err != nil {
			var ee *ExecError
			if errors.As(err, &ee) {
				o.exit = ee.ExitCode
			} else {
				o.exit = 1
			}
			break
		}
	}
	if err := r.StopBackground(ctx); err != nil {
		t.Errorf("stop background: %v", err)
	}
	o.transcript = strings.ReplaceAll(transcript.String(), dir, "<dir>")
	o.tree = snapshot(t, dir)
	return o
}

// snapshot records every file and directory under dir with its mode and
// owner (both runs are by the same user, so owners compare); a
// background process may still be writing, so it waits for the tree to settle.
func snapshot(t *testing.T, dir string) map[string]string {
	var last map[string]string
	for i := 0; i < 20; i++ {
		m := map[string]string{}
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			fi, err := d.Info()
			if err != nil {
				return err
			}
			owner := ""
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				owner = fmt.Sprintf(" %d:%d", st.Uid, st.Gid)
			}
			if d.IsDir() {
				m[rel+"/"] = fmt.Sprintf("%04o%s", fi.Mode().Perm(), owner)
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			m[rel] = fmt.Sprintf("%04o%s %q", fi.Mode().Perm(), owner, b)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if last != nil && fmt.Sprint(m) == fmt.Sprint(last) {
			return m
		}
		last = m
		time.Sleep(20 * time.Millisecond)
	}
	return last
}

func compareOutcomes(want, got outcome) string {
	var b strings.Builder
	if want.exit != got.exit {
		fmt.Fprintf(&b, "exit status: pups %d, quadlaunch %d\n", want.exit, got.exit)
	}
	var paths []string
	for p := range want.tree {
		paths = append(paths, p)
	}
	for p := range got.tree {
		if _, ok := want.tree[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		w, inW := want.tree[p]
		g, inG := got.tree[p]
		switch {
		case !inW:
			fmt.Fprintf(&b, "%s: only quadlaunch made it: %s\n", p, g)
		case !inG:
			fmt.Fprintf(&b, "%s: only pups made it: %s\n", p, w)
		case w != g:
			fmt.Fprintf(&b, "%s:\n  pups:       %s\n  quadlaunch: %s\n", p, w, g)
		}
	}
	if want.transcript != got.transcript {
		fmt.Fprintf(&b, "transcript:\n--- pups\n%s--- quadlaunch\n%s", want.transcript, got.transcript)
	}
	return b.String()
}
