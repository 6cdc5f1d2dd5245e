package session

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/quadlaunch/quadlaunch/preview"
	"github.com/quadlaunch/quadlaunch/runtime/pass"
	"github.com/quadlaunch/quadlaunch/runtime/rollout"
)

// DeployPreview is what `quadlaunch deploy` would do now, found without
// changing anything: `quadlaunch diff` and `deploy --dry-run` print it.
type DeployPreview struct {
	App string `json:"app"`
	// Units are the generated files a deploy's daemon-reload would change.
	Units []preview.FileChange `json:"units"`
	// ConfigDigest is the config's (pass.ConfigDigest); CurrentDigest the
	// one current was built from ("" when there is no current).
	ConfigDigest   string `json:"config_digest"`
	CurrentVersion string `json:"current_version"`
	CurrentDigest  string `json:"current_config_digest"`
	// Build: each step and whether it would come from the cache; BasePresent
	// false: base_image would be pulled first. Reuses: the version a build
	// would make current again ("" = a new version).
	BasePresent bool        `json:"base_image_present"`
	Steps       []StepCache `json:"build_steps"`
	Reuses      string      `json:"reuses_version"`
	// Order is what the deploy would do, step by step, naming the units it
	// starts, restarts and stops (rollout.Describe).
	Order []string `json:"order"`
}

// StepCache is one build step of a preview.
type StepCache struct {
	Step   string `json:"step"`
	Cached bool   `json:"cached"`
}

// Changed reports whether a deploy would change anything that runs: a unit,
// the config, or the image (a version other than current).
func (p *DeployPreview) Changed() bool {
	return len(p.Units) > 0 || p.CurrentVersion == "" || p.ConfigDigest != p.CurrentDigest || p.Reuses != p.CurrentVersion
}

// PreviewDeploy finds what a deploy would change: the generator's files
// against its output now, the config digest against current's, the build's
// cache hits, and the rollout's order. noCache as deploy --no-cache.
func (s *Session) PreviewDeploy(ctx context.Context, noCache bool) (*DeployPreview, error) {
	l, err := preview.Load(s.Root, []string{s.App.Name}, s.User)
	if err != nil {
		return nil, err
	}
	if l.Failed[s.App.Name] {
		return nil, fmt.Errorf("%s has errors, the generator writes no unit for it:\n%s", s.App.Name, strings.Join(l.Errors, "\n"))
	}
	p := &DeployPreview{App: s.App.Name, ConfigDigest: pass.ConfigDigest(s.App)}
	if p.Units, err = l.Diff(s.App.Name, preview.GeneratorDir(s.User)); err != nil {
		return nil, fmt.Errorf("compare %s's units with the generator's output: %w", s.App.Name, err)
	}
	if p.Units == nil {
		p.Units = []preview.FileChange{}
	}
	vs, err := s.Engine.ListVersions(s.Podman, s.App.Name)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v.Current {
			p.CurrentVersion, p.CurrentDigest = v.Version, v.ConfigDigest
		}
	}
	plan := pass.PlanPhase(s.App, pass.PhaseBuild)
	build, err := s.Engine.PreviewBuild(s.Podman, plan)
	if err != nil {
		return nil, fmt.Errorf("preview the build of %s: %w", s.App.Name, err)
	}
	p.BasePresent, p.Reuses = build.BasePresent, build.Reuses
	for i, st := range plan.Steps {
		p.Steps = append(p.Steps, StepCache{Step: st.Summary, Cached: build.Cached[i] && !noCache})
	}
	if noCache {
		p.Reuses = ""
	}
	t, err := s.target()
	if err != nil {
		return nil, err
	}
	hooks := map[string]bool{}
	for name := range s.App.DeployHooks {
		hooks[name] = true
	}
	p.Order = rollout.Describe(rollout.PlanDeploy(t.DeployMode(), len(t.Units.Others) > 0), t, hooks)
	return p, nil
}

// WriteText prints the preview for an operator: the unified diffs, then one
// line per changed file with its keys, the config, the build, the order.
func (p *DeployPreview) WriteText(w io.Writer) {
	for _, c := range p.Units {
		if c.Diff != "" {
			fmt.Fprint(w, c.Diff)
			if !strings.HasSuffix(c.Diff, "\n") {
				fmt.Fprintln(w)
			}
		}
	}
	if len(p.Units) == 0 {
		fmt.Fprintf(w, "units: none changed\n")
	} else {
		fmt.Fprintf(w, "units: %d file(s) would change at the deploy's daemon-reload\n", len(p.Units))
		for _, c := range p.Units {
			fmt.Fprintf(w, "  %-8s %s: %s\n", c.Status, c.Name, strings.Join(c.Keys, ", "))
		}
	}
	switch {
	case p.CurrentVersion == "":
		fmt.Fprintf(w, "config: %s (no current version yet)\n", p.ConfigDigest)
	case p.ConfigDigest == p.CurrentDigest:
		fmt.Fprintf(w, "config: unchanged since version %s\n", p.CurrentVersion)
	default:
		fmt.Fprintf(w, "config: changed since version %s (%s -> %s)\n", p.CurrentVersion, p.CurrentDigest, p.ConfigDigest)
	}
	cached := 0
	for _, st := range p.Steps {
		if st.Cached {
			cached++
		}
	}
	base := ""
	if !p.BasePresent {
		base = ", after pulling base_image"
	}
	fmt.Fprintf(w, "build: %d step(s), %d from cache, %d would run%s\n", len(p.Steps), cached, len(p.Steps)-cached, base)
	for i, st := range p.Steps {
		how := "runs"
		if st.Cached {
			how = "cached"
		}
		fmt.Fprintf(w, "  [%d/%d] %s (%s)\n", i+1, len(p.Steps), st.Step, how)
	}
	switch {
	case p.Reuses != "" && p.Reuses == p.CurrentVersion:
		fmt.Fprintf(w, "image: current (%s) again\n", p.Reuses)
	case p.Reuses != "":
		fmt.Fprintf(w, "image: version %s again (not current)\n", p.Reuses)
	default:
		fmt.Fprintf(w, "image: a new version\n")
	}
	fmt.Fprintf(w, "order:\n")
	for i, o := range p.Order {
		fmt.Fprintf(w, "  %d. %s\n", i+1, o)
	}
	if p.Changed() {
		fmt.Fprintf(w, "%s: a deploy would change what runs\n", p.App)
	} else {
		fmt.Fprintf(w, "%s: none: a deploy would change nothing that runs\n", p.App)
	}
}
