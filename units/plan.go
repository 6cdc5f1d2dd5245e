package units

import (
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/quadlaunch/quadlaunch/generator"
)

// Kind says where a planned file goes.
type Kind int

const (
	// Quadlet files (.container, .volume, .network) go to a staging dir that
	// quadlet converts into the normal dir.
	Quadlet Kind = iota
	// Plain files (units, drop-ins) are written straight to the normal dir.
	Plain
	// Private files (env files) are written 0600 into Options.PrivateDir.
	Private
	// Symlink files are symlinks in the normal dir (a generator's way of
	// enabling a unit); Content is the link target.
	Symlink
)

func (k Kind) String() string {
	switch k {
	case Quadlet:
		return "quadlet"
	case Plain:
		return "plain"
	case Private:
		return "private"
	case Symlink:
		return "symlink"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// File is one planned file. Name is relative to its Kind's directory and may
// contain one directory level ("A-web.service.d/x.conf", "multi-user.target.wants/A.target").
type File struct {
	Name    string
	Content []byte
	Kind    Kind
	App     string // owning app; "" for files shared by apps (the network)
	// Source is, for a Quadlet file of an app, the config its service's
	// SourcePath= names (quadlet itself names the staging file).
	Source string
	// Shared marks a Quadlet file that other apps' files refer to (an app's
	// link network, which the apps it links to join): every quadlet run
	// needs it, whichever apps it converts.
	Shared bool
}

// Severity of a Diagnostic.
type Severity int

const (
	Warning Severity = iota
	// Error means none of the app's files are in the plan.
	Error
)

// Diagnostic is a problem found while planning one app's units.
type Diagnostic struct {
	App      string
	Severity Severity
	generator.Diagnostic
}

func (d Diagnostic) String() string {
	sev := "warning"
	if d.Severity == Error {
		sev = "error"
	}
	return fmt.Sprintf("%s: %s: %s", d.App, sev, d.Diagnostic.String())
}

// Options are the facts about the host the units are written for.
type Options struct {
	User           bool   // systemd --user units (rootless podman)
	QuadletVersion string // version of the quadlet that converts the files; "" = TestedQuadletVersion
	QuadlaunchBin  string // helper binary for launcher-style migrate/configure; "" = DefaultQuadlaunchBin
	PrivateDir     string // absolute dir of the private env files (<normal-dir>/quadlaunch.private)
	PodmanBin      string // podman for ExecStartPre commands; "" = DefaultPodmanBin (quadlet's own default)
	// ConfigNames are the app names of every config found, loaded or not:
	// an app name owns its namespace (see checkNames) even while its config
	// is broken, so which app gets a name does not change with that.
	ConfigNames   []string
	CheckCalendar func(string) error // checks a timer's OnCalendar= (CalendarChecker); nil: not here
	// UnitExists reports whether the host has a unit of this name outside
	// the generator dirs (the generator's units would replace it); nil: no check.
	UnitExists func(name string) bool
}

// DefaultPodmanBin is the podman quadlet runs unless told otherwise.
const DefaultPodmanBin = "/usr/bin/podman"

// DefaultQuadlaunchBin is where the package installs the helper.
const DefaultQuadlaunchBin = "/usr/bin/quadlaunch"

// PrivateDirName is the directory for private files inside the normal dir.
const PrivateDirName = "quadlaunch.private"

// PlanResult is every file for a set of apps, plus what went wrong per app.
type PlanResult struct {
	Files       []File
	Diagnostics []Diagnostic
}

// Failed reports whether app had an error (and so has no files in the plan).
func (p *PlanResult) Failed(app string) bool {
	for _, d := range p.Diagnostics {
		if d.App == app && d.Severity == Error {
			return true
		}
	}
	return false
}

// File returns the planned file with this kind and name.
func (p *PlanResult) File(kind Kind, name string) (File, bool) {
	for _, f := range p.Files {
		if f.Kind == kind && f.Name == name {
			return f, true
		}
	}
	return File{}, false
}

// planContext is what rendering one app needs to know about the others.
type planContext struct {
	opts  Options
	ver   version
	apps  map[string]*generator.App
	joins map[string][]linkJoin // app -> the link networks its primary container joins
}

// linkJoin is a link network another app's primary container joins, with the
// aliases the linking app reaches it by.
type linkJoin struct {
	network string // the linking app's LinkNetworkFile
	aliases []string
}

// maxAppOutput bounds the bytes of one app's files. The limits on roles,
// volumes and env (generator's checkCounts) keep real and hostile apps far
// below it; it is the last guard against output growing as their product.
const maxAppOutput = 4 << 20

// Plan renders the files for apps. Errors in one app drop that app's files
// only; the returned error is for unusable options.
func Plan(apps []*generator.App, opts Options) (*PlanResult, error) {
	ctx, err := newPlanContext(opts)
	if err != nil {
		return nil, err
	}
	plan := &PlanResult{}
	sorted := make([]*generator.App, 0, len(apps))
	byName := map[string]*generator.App{}
	for _, a := range apps {
		if a == nil {
			continue
		}
		if byName[a.Name] != nil {
			plan.Diagnostics = append(plan.Diagnostics, Diagnostic{App: a.Name, Severity: Error,
				Diagnostic: generator.Diagnostic{Pos: generator.Pos{File: a.ConfigPath},
					Msg: fmt.Sprintf("app name already used by %s", byName[a.Name].ConfigPath)}})
			continue
		}
		byName[a.Name] = a
		sorted = append(sorted, a)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })

	failed := map[string][]generator.Diagnostic{}
	for name, errs := range checkNames(sorted, opts.ConfigNames, opts.UnitExists) {
		failed[name] = errs
	}
	front := checkProxies(sorted, failed)
	// Render, and again without the apps that failed while others joined
	// their link networks (a container must not name a network whose app is
	// not in the plan): each pass only drops apps, so this ends.
	var rendered []*appRender
	var planned []*generator.App
	for {
		planned = planned[:0]
		for _, a := range sorted {
			if failed[a.Name] == nil {
				planned = append(planned, a)
			}
		}
		ctx.apps = make(map[string]*generator.App, len(planned))
		for _, a := range planned {
			ctx.apps[a.Name] = a
		}
		cycles := ctx.linkGraph(planned)
		if len(cycles) > 0 {
			for name, errs := range cycles {
				failed[name] = errs
			}
			continue
		}
		rendered = renderAll(planned, ctx)
		again := false
		for i, r := range rendered {
			if len(r.errs) == 0 {
				continue
			}
			failed[planned[i].Name] = r.errs
			again = again || ctx.joinedByOthers(planned[i].Name)
		}
		if !again {
			break
		}
	}

	n := 0
	for _, r := range rendered {
		n += len(r.files)
	}
	plan.Files = make([]File, 0, n)
	renderedByName := map[string]*appRender{}
	for i, a := range planned {
		renderedByName[a.Name] = rendered[i]
	}
	for _, a := range sorted {
		r := renderedByName[a.Name]
		if r != nil {
			for _, w := range r.warns {
				plan.Diagnostics = append(plan.Diagnostics, Diagnostic{App: a.Name, Severity: Warning, Diagnostic: w})
			}
		}
		if errs := failed[a.Name]; errs != nil {
			for _, e := range errs {
				plan.Diagnostics = append(plan.Diagnostics, Diagnostic{App: a.Name, Severity: Error, Diagnostic: e})
			}
			continue
		}
		plan.Files = append(plan.Files, r.files...)
	}
	for name := range failed {
		front.drop(name)
	}
	plan.Files = append(plan.Files, front.files(ctx.opts)...)
	return plan, nil
}

// renderAll renders apps independently (ctx is read-only by then) on every
// CPU, since the generator's time is boot time. Results keep apps' order.
func renderAll(apps []*generator.App, ctx *planContext) []*appRender {
	rendered := make([]*appRender, len(apps))
	workers := min(runtime.GOMAXPROCS(0), len(apps))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(apps); i += workers {
				rendered[i] = renderApp(apps[i], ctx)
			}
		}()
	}
	wg.Wait()
	return rendered
}

func newPlanContext(opts Options) (*planContext, error) {
	vs := opts.QuadletVersion
	if vs == "" {
		vs = TestedQuadletVersion
	}
	ver, err := parseVersion(vs)
	if err != nil {
		return nil, err
	}
	if !ver.atLeast(minQuadlet) {
		return nil, fmt.Errorf("quadlet %s is too old: quadlaunch needs Podman %s or newer", vs, MinQuadletVersion)
	}
	if opts.QuadlaunchBin == "" {
		opts.QuadlaunchBin = DefaultQuadlaunchBin
	}
	if opts.PodmanBin == "" {
		opts.PodmanBin = DefaultPodmanBin
	}
	for what, p := range map[string]string{"private dir": opts.PrivateDir, "quadlaunch binary": opts.QuadlaunchBin, "podman binary": opts.PodmanBin} {
		if !filepath.IsAbs(p) || filepath.Clean(p) != p || strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return nil, fmt.Errorf("%s %q must be a clean absolute path without spaces or control characters", what, p)
		}
	}
	return &planContext{opts: opts, ver: ver, apps: map[string]*generator.App{}}, nil
}

// linkGraph scopes links as launcher's --link does: an alias is seen by the
// app that declared it and nobody else. Podman has no --link, so every app
// with links gets a network of its own (LinkNetworkFile) that its containers
// join, and the primary container of each app it links to joins that network
// too, with the link's aliases there only: two sites that each link their own
// database as "data" each resolve their own. It returns, per app, the errors
// of links that form an ordering cycle (each app's units start after the
// roles of the apps it links to, which a cycle makes impossible).
func (c *planContext) linkGraph(apps []*generator.App) map[string][]generator.Diagnostic {
	c.joins = map[string][]linkJoin{}
	for _, a := range apps {
		byTarget := map[string][]string{}
		var targets []string
		for _, l := range a.Links {
			if c.apps[l.Name] == nil || l.Name == a.Name {
				continue // warned about in prepareLinks
			}
			alias := l.Alias
			if alias == "" {
				alias = l.Name
			}
			if _, ok := byTarget[l.Name]; !ok {
				targets = append(targets, l.Name)
			}
			if !slices.Contains(byTarget[l.Name], alias) {
				byTarget[l.Name] = append(byTarget[l.Name], alias)
			}
		}
		for _, t := range targets {
			c.joins[t] = append(c.joins[t], linkJoin{network: LinkNetworkFile(a.Name), aliases: byTarget[t]})
		}
	}
	return linkCycles(apps, c.apps)
}

// joinedByOthers reports whether another app's container joins app's link network.
func (c *planContext) joinedByOthers(app string) bool {
	for _, js := range c.joins {
		for _, j := range js {
			if j.network == LinkNetworkFile(app) {
				return true
			}
		}
	}
	return false
}

// linkCycles finds the apps whose links lead back to themselves and reports,
// for each, the link that starts the cycle and the cycle itself.
func linkCycles(apps []*generator.App, planned map[string]*generator.App) map[string][]generator.Diagnostic {
	out := map[string][]generator.Diagnostic{}
	for _, a := range apps {
		// Depth-first from a, over planned apps only; a path back to a is a cycle.
		for i, l := range a.Links {
			if planned[l.Name] == nil || l.Name == a.Name {
				continue
			}
			if path := linkPath(l.Name, a.Name, planned, map[string]bool{}); path != nil {
				cycle := append([]string{a.Name}, path...)
				out[a.Name] = append(out[a.Name], generator.Diagnostic{Pos: l.Pos, Key: fmt.Sprintf("links[%d]", i),
					Msg: fmt.Sprintf("links form a cycle (%s): each app starts after the apps it links to, so none of them could start; drop one of the links", strings.Join(cycle, " -> "))})
				break
			}
		}
	}
	return out
}

// linkPath is a path of links from "from" to "to", or nil.
func linkPath(from, to string, planned map[string]*generator.App, seen map[string]bool) []string {
	if from == to {
		return []string{to}
	}
	if seen[from] {
		return nil
	}
	seen[from] = true
	for _, l := range planned[from].Links {
		if planned[l.Name] == nil || l.Name == from {
			continue
		}
		if p := linkPath(l.Name, to, planned, seen); p != nil {
			return append([]string{from}, p...)
		}
	}
	return nil
}

// linkNetworkFile is the network of an app with links.
func (r *appRender) linkNetworkFile() {
	a := r.app
	u := newUnit(r.ctx.ver, r.header())
	u.set("Unit", "Description", lineValue(fmt.Sprintf("%s links network (quadlaunch, %s)", a.Name, a.ConfigPath)))
	// Older Quadlet (< 4.7) names it systemd-A-links; containers refer to
	// the .network file, so nothing else changes.
	u.quadlet("Network", "NetworkName", LinkNetworkName(a.Name))
	u.quadlet("Network", "Label", "quadlaunch.app="+a.Name)
	r.files = append(r.files, File{Name: LinkNetworkFile(a.Name), Content: u.bytes(), Kind: Quadlet,
		App: a.Name, Source: a.ConfigPath, Shared: true})
}
