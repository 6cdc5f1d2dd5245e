// Command layers checks the shape of the house, as `make lint` runs it:
// imports run downward only, across the floors of the table below (the
// README's "Code map" says the same in prose), and the files stay a size a
// newcomer can read. It reads the import graph from `go list` (with and
// without the Podman bindings' build tags, tests included) and parses no Go
// itself. Every offence is one line naming the file or the import; the exit
// code is 1 when there is any.
//
//	go run ./test/layers [-C DIR]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// module is quadlaunch's module path: imports outside it are not ours.
const module = "github.com/quadlaunch/quadlaunch"

// podmanTags are the Podman bindings' build tags (Makefile TAGS): package
// podman has other imports with them.
const podmanTags = "remote containers_image_openpgp exclude_graphdriver_btrfs"

// floor is one storey of the house. A package may import ours only from a
// lower floor: never sideways, never up.
type floor struct {
	level    int
	packages []string // import paths below the module; "x/..." is x and everything under it
}

// floors is the code map. Every package of ours must be on it: a new
// package gets a floor before it lands.
var floors = []floor{
	{0, []string{"pups/rubyregexp"}}, // Ruby regexps as pups evaluates them: the generator checks them
	{1, []string{"generator"}},       // config files -> typed apps
	{2, []string{"units", "pups"}},   // typed apps -> unit files; pups step semantics
	{3, []string{"export", "preview", "runtime/interrupt", "runtime/systemd", "runtime/versions", "runtime/certificates", "runtime/pass", "runtime/rollout"}},
	{4, []string{"runtime/podman", "runtime/proxy", "runtime/exportfiles"}}, // over pass+versions; over systemd+certificates; over export
	{5, []string{"runtime/session"}},       // a command's hold on an app, the rollouts wired to the host
	{6, []string{"cmd/..."}},               // flags, one call per command
	{7, []string{"test/...", "packaging"}}, // testbeds and package checks: anything
}

// onlyBelow are binaries whose whole dependency tree must stay on the
// given packages of ours: the generator runs at every boot and daemon-reload
// and must never link the host layer (nor, through it, Podman's bindings).
var onlyBelow = map[string][]string{
	"cmd/quadlaunch-generator": {"generator", "units", "pups/rubyregexp"},
}

// Size limits: cmd/quadlaunch parses flags and makes one call per command,
// so its Go (tests and the man page aside) stays within commandLines, every
// line counted as wc -l counts them, comments and blank lines too; a file
// of the plan (generator/, units/) over planFileLines says why at its top,
// in a line starting with planFileReason.
const (
	commandLines   = 1000
	planFileLines  = 400
	planFileReason = "// Longer than 400 lines:"
)

func main() {
	dir := flag.String("C", ".", "the module's directory")
	flag.Parse()
	problems, err := check(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "layers:", err)
		os.Exit(2)
	}
	for _, p := range problems {
		fmt.Println("layers:", p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
}

// check returns every offence in the module at dir.
func check(dir string) ([]string, error) {
	var problems []string
	seen := map[string]bool{}
	for _, tags := range []string{"", podmanTags} {
		pkgs, err := listPackages(dir, tags)
		if err != nil {
			return nil, err
		}
		for _, p := range importProblems(pkgs) {
			if !seen[p] {
				seen[p] = true
				problems = append(problems, p)
			}
		}
	}
	for bin, allowed := range onlyBelow {
		deps, err := goList(dir, "", "{{.ImportPath}}", "-deps", "./"+bin)
		if err != nil {
			return nil, err
		}
		for _, d := range deps {
			rel, ours := strings.CutPrefix(d, module+"/")
			if ours && rel != bin && !slices.Contains(allowed, rel) {
				problems = append(problems, fmt.Sprintf("%s links %s: it may link only %s of ours", bin, rel, strings.Join(allowed, ", ")))
			}
		}
	}
	sizes, err := sizeProblems(dir)
	if err != nil {
		return nil, err
	}
	return append(problems, sizes...), nil
}

// pkg is one package of ours with the imports of its files and its tests.
type pkg struct {
	path    string // below the module
	imports map[string][]string
}

func listPackages(dir, tags string) ([]pkg, error) {
	lines, err := goList(dir, tags, "{{.ImportPath}}\t{{join .Imports \" \"}}\t{{join .TestImports \" \"}}\t{{join .XTestImports \" \"}}", "./...")
	if err != nil {
		return nil, err
	}
	var out []pkg
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 4 {
			continue
		}
		rel, ours := strings.CutPrefix(f[0], module+"/")
		if !ours {
			continue
		}
		p := pkg{path: rel, imports: map[string][]string{}}
		for i, kind := range []string{"imports", "its tests import", "its tests import"} {
			for _, imp := range strings.Fields(f[i+1]) {
				if r, ok := strings.CutPrefix(imp, module+"/"); ok && r != rel && !slices.Contains(p.imports[kind], r) {
					p.imports[kind] = append(p.imports[kind], r)
				}
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// importProblems names every import of ours that does not run downward.
func importProblems(pkgs []pkg) []string {
	var problems []string
	for _, p := range pkgs {
		from, ok := levelOf(p.path)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s has no floor: add it to the table in test/layers/main.go (and the README's Code map)", p.path))
			continue
		}
		for _, kind := range []string{"imports", "its tests import"} {
			for _, imp := range p.imports[kind] {
				to, ok := levelOf(imp)
				if !ok || to < from {
					continue // an unplaced import is reported as a package of its own
				}
				way := "up"
				if to == from {
					way = "sideways"
				}
				problems = append(problems, fmt.Sprintf("%s (floor %d) %s %s (floor %d): an import %s; imports run downward only", p.path, from, kind, imp, to, way))
			}
		}
	}
	return problems
}

// levelOf is the floor of a package of ours; the longest entry wins (pups
// and pups/rubyregexp sit on different floors).
func levelOf(path string) (int, bool) {
	best, level := -1, 0
	for _, f := range floors {
		for _, entry := range f.packages {
			prefix, tree := strings.CutSuffix(entry, "/...")
			if path == prefix || (tree && strings.HasPrefix(path, prefix+"/")) {
				if len(prefix) > best {
					best, level = len(prefix), f.level
				}
			}
		}
	}
	return level, best >= 0
}

func goList(dir, tags, format string, args ...string) ([]string, error) {
	argv := []string{"list", "-e", "-f", format}
	if tags != "" {
		argv = append(argv, "-tags", tags)
	}
	cmd := exec.Command("go", append(argv, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %v: %s", strings.Join(argv, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n"), nil
}

// sizeProblems checks the command's total and the plan's file sizes.
func sizeProblems(dir string) ([]string, error) {
	var problems []string
	files, err := filepath.Glob(filepath.Join(dir, "cmd", "quadlaunch", "*.go"))
	if err != nil {
		return nil, err
	}
	total := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || filepath.Base(f) == "man.go" {
			continue
		}
		n, _, err := countLines(f)
		if err != nil {
			return nil, err
		}
		total += n
	}
	if total > commandLines {
		problems = append(problems, fmt.Sprintf("cmd/quadlaunch has %d lines of Go outside tests and man.go (at most %d): logic belongs in the package the command calls", total, commandLines))
	}
	for _, d := range []string{"generator", "units"} {
		files, err := filepath.Glob(filepath.Join(dir, d, "*.go"))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			n, reason, err := countLines(f)
			if err != nil {
				return nil, err
			}
			if n > planFileLines && !reason {
				rel, _ := filepath.Rel(dir, f)
				problems = append(problems, fmt.Sprintf("%s has %d lines (at most %d without a %q line at its top saying why): split it by concept", rel, n, planFileLines, planFileReason))
			}
		}
	}
	return problems, nil
}

func countLines(path string) (int, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	n, reason := 0, false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		n++
		if n <= 30 && strings.HasPrefix(sc.Text(), planFileReason) {
			reason = true
		}
	}
	return n, reason, sc.Err()
}
