package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/pups"
	"github.com/quadlaunch/quadlaunch/runtime/proxy"
	"github.com/quadlaunch/quadlaunch/units"
)

func init() { commands = append(commands, validateCommand()) }

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check configs as the generator would; errors as file:line: key: message",
		ArgsUsage: "[APP...]",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			apps, problems, err := loadAndPlan(cmd, cmd.Args().Slice())
			if err != nil {
				return err
			}
			for _, p := range problems.warnings {
				fmt.Fprintln(os.Stderr, "warning:", p)
			}
			// Certificate files of proxy.tls: what a deploy would refuse.
			for _, a := range apps {
				if problems.failed[a.Name] {
					continue
				}
				if err := proxy.CheckTLSFiles(a, time.Now()); err != nil {
					problems.errors = append(problems.errors, a.Name+": "+err.Error())
					problems.failed[a.Name] = true
				}
			}
			for _, p := range problems.errors {
				fmt.Fprintln(os.Stderr, "error:", p)
			}
			for _, a := range apps {
				if !problems.failed[a.Name] {
					fmt.Printf("%s: ok (%s)\n", a.Name, a.ConfigPath)
				}
			}
			if len(problems.errors) > 0 {
				return cli.Exit(fmt.Sprintf("%d error(s)", len(problems.errors)), 1)
			}
			return nil
		},
	}
}

// problems are what loading and planning found, in the generator's words.
type problems struct {
	errors, warnings []string
	failed           map[string]bool
	// options plans as the generator would: every config's name (loaded or
	// not) and the host's packaged units count for the naming checks.
	options units.Options
}

// loadAndPlan loads the configs under the root (only names, if given), plans
// their units for this host's quadlet, and collects every error and warning.
// Planning always sees every app, since links reach across apps.
func loadAndPlan(cmd *cli.Command, names []string) ([]*generator.App, *problems, error) {
	root := rootDir(cmd)
	paths, err := generator.Discover(root)
	if err != nil {
		return nil, nil, fmt.Errorf("discover configs in %s: %w", root, err)
	}
	pr := &problems{failed: map[string]bool{}}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	selected := func(name string) bool { return len(want) == 0 || want[name] }
	var all []*generator.App
	seen := map[string]bool{}
	for _, p := range paths {
		name := appName(p)
		seen[name] = true
		a, err := generator.LoadApp(root, p)
		if err != nil {
			if selected(name) {
				pr.errors = append(pr.errors, err.Error())
				pr.failed[name] = true
			}
			continue
		}
		all = append(all, a)
	}
	for n := range want {
		if !seen[n] {
			return nil, nil, cli.Exit(fmt.Sprintf("no config for app %q in %s", n, filepath.Join(root, "containers")), 1)
		}
	}
	qver := "" // no app, no unit to plan: quadlet is not asked (a process start)
	if len(all) > 0 {
		qver = hostQuadletVersion()
	}
	pr.options = units.Options{User: userMode(cmd), QuadletVersion: qver, PrivateDir: privateDirFor(userMode(cmd)),
		ConfigNames: units.ConfigNames(paths), UnitExists: units.VendorUnits(userMode(cmd))}
	plan, err := units.Plan(all, pr.options)
	if err != nil {
		return nil, nil, err
	}
	var apps []*generator.App
	for _, a := range all {
		if !selected(a.Name) {
			continue
		}
		apps = append(apps, a)
		for _, e := range append(a.BuildSecretProblems(), pups.PatternProblems(a)...) {
			pr.errors = append(pr.errors, e.Error())
			pr.failed[a.Name] = true
		}
		for _, w := range a.Warnings {
			pr.warnings = append(pr.warnings, w.String())
		}
	}
	for _, d := range plan.Diagnostics {
		if !selected(d.App) {
			continue
		}
		if d.Severity == units.Error {
			pr.errors = append(pr.errors, d.Diagnostic.String())
			pr.failed[d.App] = true
		} else {
			pr.warnings = append(pr.warnings, d.Diagnostic.String())
		}
	}
	return apps, pr, nil
}

// appName is the app a config file defines: its file stem.
func appName(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(strings.TrimSuffix(base, ".yml"), ".yaml")
}

// hostQuadletVersion is the version of the quadlet the generator would use,
// or "" (units' tested default) when there is none, as on a build host.
func hostQuadletVersion() string {
	bin := os.Getenv("QUADLAUNCH_QUADLET")
	if bin == "" {
		bin = units.DefaultQuadlet
	}
	v, err := units.QuadletVersion(bin)
	if err != nil {
		return ""
	}
	return v
}

func hasApp(apps []*generator.App, name string) bool {
	for _, a := range apps {
		if a.Name == name {
			return true
		}
	}
	return false
}
