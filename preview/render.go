package preview

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/quadlaunch/quadlaunch/units"
)

// RenderedFile is one file the generator writes for an app, as `render`
// prints it.
type RenderedFile struct {
	Name    string // its path under the generator's output dir
	Title   string // its name, and where it came from or why it looks so
	Content []byte // a symlink's target; an env file's names with values redacted
	Symlink bool
	// Private: an env file (0600); Digest is the sha256 of its real
	// content, so that a changed value shows without being shown.
	Private bool
	Digest  string

	realContent []byte // an env file's values, for Diff's comparison only
}

// Render is every file the generator writes for app name (and the shared
// files it uses), after quadlet when QuadletBinary() exists; Messages is
// what quadlet printed.
func (l *Loaded) Render(name string) (files []RenderedFile, messages string, err error) {
	out, err := os.MkdirTemp("", "quadlaunch-render-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(out)
	quadlet := QuadletBinary()
	converted := false
	if _, err := os.Stat(quadlet); err == nil {
		staging := filepath.Join(out, "staging")
		quadlets := units.Select(l.Plan.Files, units.Quadlet)
		if err := units.WriteAtomic(staging, quadlets); err != nil {
			return nil, "", err
		}
		msgs, err := units.ConvertQuadlet(quadlet, staging, out, l.Options.User, quadlets)
		if err != nil {
			return nil, "", err
		}
		messages, converted = strings.TrimSpace(msgs), true
	}
	for _, f := range l.Plan.Files {
		if f.App != name && !(f.App == "" && usesShared(l.Plan, name, f)) {
			continue
		}
		switch f.Kind {
		case units.Quadlet:
			if !converted {
				files = append(files, RenderedFile{Name: f.Name, Title: f.Name + " (Quadlet source; install quadlet to see the service)", Content: f.Content})
				continue
			}
			svc := units.QuadletServiceName(f.Name)
			b, err := os.ReadFile(filepath.Join(out, svc))
			if err != nil {
				return nil, messages, fmt.Errorf("quadlet wrote no %s for %s: %w", svc, f.Name, err)
			}
			files = append(files, RenderedFile{Name: svc, Title: svc + " (from " + f.Name + ")", Content: b})
		case units.Plain:
			files = append(files, RenderedFile{Name: f.Name, Title: f.Name, Content: f.Content})
		case units.Symlink:
			files = append(files, RenderedFile{Name: f.Name, Title: f.Name, Content: f.Content, Symlink: true})
		case units.Private:
			files = append(files, RenderedFile{Name: filepath.Join(units.PrivateDirName, f.Name),
				Title:   filepath.Join(PrivateDir(l.Options.User), f.Name) + " (0600; values not shown)",
				Content: RedactEnv(f.Content), Private: true, Digest: digest(f.Content), realContent: f.Content})
		}
	}
	return files, messages, nil
}

// usesShared reports whether a shared file (the links network) is used by app.
func usesShared(plan *units.PlanResult, app string, shared units.File) bool {
	for _, f := range plan.Files {
		if f.App == app && strings.Contains(string(f.Content), shared.Name) {
			return true
		}
	}
	return false
}

// RedactEnv keeps the names of an env file and drops every value, so that
// render can be pasted into an issue.
func RedactEnv(content []byte) []byte {
	var b strings.Builder
	inValue := false
	for _, line := range strings.SplitAfter(string(content), "\n") {
		if inValue {
			// a multiline value continues until its closing quote
			if endsQuoted(line) {
				inValue = false
			}
			continue
		}
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			b.WriteString(line)
			continue
		}
		name, rest, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		b.WriteString(name + "=<redacted>\n")
		rest = strings.TrimRight(rest, "\n")
		if strings.HasPrefix(rest, `"`) && !endsQuoted(rest[1:]) {
			inValue = true
		}
	}
	return []byte(b.String())
}

// endsQuoted reports whether s (inside a double-quoted value) closes the quote:
// an unescaped " at its end.
func endsQuoted(s string) bool {
	s = strings.TrimRight(s, "\n")
	if !strings.HasSuffix(s, `"`) {
		return false
	}
	n := 0
	for i := len(s) - 2; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 0
}
