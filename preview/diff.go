package preview

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aymanbagabas/go-udiff"

	"github.com/quadlaunch/quadlaunch/units"
)

// FileChange is one file of an app that the generator would write
// differently from what it wrote at the last daemon-reload.
type FileChange struct {
	Name   string   `json:"name"`   // path under the generator's output dir
	Status string   `json:"status"` // "added", "removed" or "changed"
	Keys   []string `json:"keys"`   // what changed: "[Section] Key" of a unit, "env NAME" of an env file, "target" of a link
	Diff   string   `json:"diff"`   // unified diff; an env file's shows names only
}

// Diff compares what Render gives for app name with what the generator's
// output dir (GeneratorDir) holds now: the files a daemon-reload would
// change. An env file's values are compared by digest and never shown.
func (l *Loaded) Diff(name, generatorDir string) ([]FileChange, error) {
	rendered, _, err := l.Render(name)
	if err != nil {
		return nil, err
	}
	var changes []FileChange
	want := map[string]bool{}
	for _, f := range rendered {
		want[f.Name] = true
		c, err := compareFile(generatorDir, f)
		if err != nil {
			return nil, err
		}
		if c != nil {
			changes = append(changes, *c)
		}
	}
	installed, err := installedFiles(generatorDir, name, l.Options.ConfigNames)
	if err != nil {
		return nil, err
	}
	for _, n := range installed {
		if want[n] {
			continue
		}
		c := FileChange{Name: n, Status: "removed"}
		if b, err := os.ReadFile(filepath.Join(generatorDir, n)); err == nil && !strings.HasPrefix(n, units.PrivateDirName+"/") {
			c.Diff = udiff.Unified("a/"+n, "/dev/null", string(b), "")
		}
		changes = append(changes, c)
	}
	slices.SortStableFunc(changes, func(a, b FileChange) int { return strings.Compare(a.Name, b.Name) })
	return changes, nil
}

// GeneratorDir is where systemd's generators write for this manager:
// /run/systemd/generator, or $XDG_RUNTIME_DIR/systemd/generator with --user.
func GeneratorDir(user bool) string {
	return filepath.Dir(PrivateDir(user))
}

func compareFile(dir string, f RenderedFile) (*FileChange, error) {
	p := filepath.Join(dir, f.Name)
	if f.Symlink {
		old, err := os.Readlink(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return &FileChange{Name: f.Name, Status: "added", Keys: []string{"target"}, Diff: "+-> " + string(f.Content) + "\n"}, nil
		case err != nil:
			// a file where a link belongs
			return &FileChange{Name: f.Name, Status: "changed", Keys: []string{"target"}, Diff: "+-> " + string(f.Content) + "\n"}, nil
		case old == string(f.Content):
			return nil, nil
		}
		return &FileChange{Name: f.Name, Status: "changed", Keys: []string{"target"}, Diff: "--> " + old + "\n+-> " + string(f.Content) + "\n"}, nil
	}
	old, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		c := &FileChange{Name: f.Name, Status: "added", Diff: udiff.Unified("/dev/null", "b/"+f.Name, "", string(f.Content))}
		if f.Private {
			c.Keys = envKeys(nil, f)
		} else {
			c.Keys = unitKeys(nil, f.Content)
		}
		return c, nil
	}
	if err != nil {
		return nil, err // an env file root cannot read: say so rather than guess
	}
	if f.Private {
		if digest(old) == f.Digest {
			return nil, nil
		}
		return &FileChange{Name: f.Name, Status: "changed", Keys: envKeys(envValues(old), f),
			Diff: udiff.Unified("a/"+f.Name, "b/"+f.Name, string(RedactEnv(old)), string(f.Content))}, nil
	}
	if string(old) == string(f.Content) {
		return nil, nil
	}
	keys := unitKeys(old, f.Content)
	if len(keys) == 0 {
		return nil, nil // the same unit, quadlet's option order aside
	}
	return &FileChange{Name: f.Name, Status: "changed", Keys: keys,
		Diff: udiff.Unified("a/"+f.Name, "b/"+f.Name, string(old), string(f.Content))}, nil
}

// installedFiles are the files and links under dir that belong to app (by
// name: units.OwnsFile), relative to dir. The staging and memo dirs of the
// generator hold copies, not what systemd loads: skipped.
func installedFiles(dir, app string, configNames []string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if rel != "." && strings.HasPrefix(d.Name(), "quadlaunch.") && rel != units.PrivateDirName {
				return filepath.SkipDir
			}
			return nil
		}
		if units.OwnsFile(rel, app, configNames) {
			out = append(out, rel)
		}
		return nil
	})
	return out, err
}

// unitKeys are the "[Section] Key" whose values differ between two units.
func unitKeys(old, new []byte) []string {
	a, b := unitValues(old), unitValues(new)
	var keys []string
	for k, v := range b {
		if !slices.Equal(a[k], v) {
			keys = append(keys, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// unitValues maps "[Section] Key" to the key's values in order. It reads
// what quadlet and the plan write: one Key=Value per line, comments, and
// continuation lines (a trailing backslash).
func unitValues(content []byte) map[string][]string {
	out := map[string][]string{}
	section, pending := "", ""
	for _, line := range strings.Split(string(content), "\n") {
		if pending != "" {
			line = pending + line
			pending = ""
		}
		if strings.HasSuffix(line, "\\") {
			pending = strings.TrimSuffix(line, "\\") + " "
			continue
		}
		t := strings.TrimSpace(line)
		switch {
		case t == "" || t[0] == '#' || t[0] == ';':
		case t[0] == '[' && strings.HasSuffix(t, "]"):
			section = t
		default:
			k, v, _ := strings.Cut(t, "=")
			key := section + " " + strings.TrimSpace(k)
			v = strings.TrimSpace(v)
			if strings.HasPrefix(k, "Exec") {
				v = commandOrder(v)
			}
			out[key] = append(out[key], v)
		}
	}
	return out
}

// envKeys are "env NAME" for each variable added, removed or changed
// between the installed env file (oldValues; nil when absent) and f, by the
// digest of each value: values are never returned.
func envKeys(oldValues map[string]string, f RenderedFile) []string {
	var keys []string
	newValues := envValues(f.realContent)
	for n, v := range newValues {
		if ov, had := oldValues[n]; !had || ov != v {
			keys = append(keys, "env "+n)
		}
	}
	for n := range oldValues {
		if _, ok := newValues[n]; !ok {
			keys = append(keys, "env "+n)
		}
	}
	slices.Sort(keys)
	return keys
}

// envValues maps each variable of an env file to the digest of its value
// (multiline values included), as RedactEnv reads the file.
func envValues(content []byte) map[string]string {
	out := map[string]string{}
	name, value, inValue := "", "", false
	for _, line := range strings.SplitAfter(string(content), "\n") {
		if inValue {
			value += line
			if endsQuoted(line) {
				inValue = false
				out[name] = digest([]byte(value))
			}
			continue
		}
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		n, rest, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		name, value = n, rest
		trimmed := strings.TrimRight(rest, "\n")
		if strings.HasPrefix(trimmed, `"`) && !endsQuoted(trimmed[1:]) {
			inValue = true
			continue
		}
		out[name] = digest([]byte(value))
	}
	return out
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// commandOrder puts a command line's runs of long options in one order.
// quadlet writes some of podman's options from a map, in no fixed order
// (--stop-timeout 600 --pull never, or --pull never --stop-timeout 600),
// so two conversions of the same file differ in their text. Each "--flag"
// with the word after it (when that is no option) is one item; a run of
// items is sorted; every other word keeps its place, so positional words
// (the image, the command) stay in order.
func commandOrder(line string) string {
	words := strings.Fields(line)
	var out, run []string
	flush := func() {
		slices.Sort(run)
		out = append(out, run...)
		run = run[:0]
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w, "--") {
			flush()
			out = append(out, w)
			continue
		}
		if !strings.Contains(w, "=") && i+1 < len(words) && !strings.HasPrefix(words[i+1], "-") {
			w += " " + words[i+1]
			i++
		}
		run = append(run, w)
	}
	flush()
	return strings.Join(out, " ")
}
