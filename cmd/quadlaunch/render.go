package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/units"
)

func init() { commands = append(commands, renderCommand()) }

func renderCommand() *cli.Command {
	return &cli.Command{
		Name:      "render",
		Usage:     "print every file the generator would write for APP (after quadlet, when quadlet is installed); env values are not shown",
		ArgsUsage: "APP",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			name, err := appArg(cmd)
			if err != nil {
				return err
			}
			return renderApp(cmd, name)
		},
	}
}

func renderApp(cmd *cli.Command, name string) error {
	apps, pr, err := loadAndPlan(cmd, nil)
	if err != nil {
		return err
	}
	if pr.failed[name] {
		for _, e := range pr.errors {
			fmt.Fprintln(os.Stderr, "error:", e)
		}
		return cli.Exit(fmt.Sprintf("app %s has errors: the generator writes no unit for it", name), 1)
	}
	if !hasApp(apps, name) {
		return cli.Exit(fmt.Sprintf("no config for app %q", name), 1)
	}
	out, err := os.MkdirTemp("", "quadlaunch-render-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(out)
	user := userMode(cmd)
	plan, err := units.Plan(apps, pr.options)
	if err != nil {
		return err
	}
	quadlet := quadletBin()
	converted := false
	if _, err := os.Stat(quadlet); err == nil {
		staging := filepath.Join(out, "staging")
		if err := units.WriteAtomic(staging, units.Select(plan.Files, units.Quadlet)); err != nil {
			return err
		}
		msgs, err := units.ConvertQuadlet(quadlet, staging, out, user, units.Select(plan.Files, units.Quadlet))
		if err != nil {
			return err
		}
		if strings.TrimSpace(msgs) != "" {
			fmt.Fprintln(os.Stderr, strings.TrimSpace(msgs))
		}
		converted = true
	}
	for _, f := range plan.Files {
		if f.App != name && !(f.App == "" && usesShared(plan, name, f)) {
			continue
		}
		switch f.Kind {
		case units.Quadlet:
			if !converted {
				printFile(f.Name+" (Quadlet source; install quadlet to see the service)", f.Content)
				continue
			}
			svc := units.QuadletServiceName(f.Name)
			b, err := os.ReadFile(filepath.Join(out, svc))
			if err != nil {
				return fmt.Errorf("quadlet wrote no %s for %s: %w", svc, f.Name, err)
			}
			printFile(svc+" (from "+f.Name+")", b)
		case units.Plain:
			printFile(f.Name, f.Content)
		case units.Symlink:
			fmt.Printf("# %s -> %s\n\n", f.Name, f.Content)
		case units.Private:
			printFile(filepath.Join(privateDirFor(user), f.Name)+" (0600; values not shown)", redactEnv(f.Content))
		}
	}
	return nil
}

// usesShared reports whether a shared file (the links network) is used by app.
func usesShared(plan *units.PlanResult, app string, shared units.File) bool {
	needle := []byte(shared.Name)
	for _, f := range plan.Files {
		if f.App == app && strings.Contains(string(f.Content), string(needle)) {
			return true
		}
	}
	return false
}

func printFile(title string, content []byte) {
	fmt.Printf("# %s\n%s", title, content)
	if len(content) > 0 && content[len(content)-1] != '\n' {
		fmt.Println()
	}
	fmt.Println()
}

// redactEnv keeps the names of an env file and drops every value, so that
// render can be pasted into an issue.
func redactEnv(content []byte) []byte {
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

func quadletBin() string {
	if b := os.Getenv("QUADLAUNCH_QUADLET"); b != "" {
		return b
	}
	return units.DefaultQuadlet
}

// privateDirFor is where the generator puts env files on a running system.
func privateDirFor(user bool) string {
	if user {
		return filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "systemd", "generator", units.PrivateDirName)
	}
	return filepath.Join("/run/systemd/generator", units.PrivateDirName)
}
