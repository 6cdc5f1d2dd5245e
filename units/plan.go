package units

import (
	"fmt"
	"path/filepath"
	goruntime "runtime"
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
	opts      Options
	ver       version
	apps      map[string]*generator.App
	aliases   map[string][]string // app -> aliases other apps reach it by (sorted, with its own name)
	networked map[string]bool     // apps on the shared network
}

// Plan renders the files for apps. Errors in one app drop that app's files
// only; the returned error is for unusable options.
func Plan(apps []*generator.App, opts Options) (*PlanResult, error) {
	ctx, err := newPlanContext(opts)
	if err != nil {
		return nil, err
	}
	plan := &PlanResult{}
	sorted := make([]*generator.App, 0, len(apps))
	for _, a := range apps {
		if a == nil {
			continue
		}
		if ctx.apps[a.Name] != nil {
			plan.Diagnostics = append(plan.Diagnostics, Diagnostic{App: a.Name, Severity: Error,
				Diagnostic: generator.Diagnostic{Pos: generator.Pos{File: a.ConfigPath},
					Msg: fmt.Sprintf("app name already used by %s", ctx.apps[a.Name].ConfigPath)}})
			continue
		}
		ctx.apps[a.Name] = a
		sorted = append(sorted, a)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	ctx.linkGraph(sorted)

	// Apps render independently (ctx is read-only from here on): use every
	// CPU, since the generator's time is boot time. Results keep name order.
	rendered := make([]*appRender, len(sorted))
	workers := min(goruntime.GOMAXPROCS(0), len(sorted))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(sorted); i += workers {
				rendered[i] = renderApp(sorted[i], ctx)
			}
		}()
	}
	wg.Wait()

	n := 1 // the network file, if any
	for _, r := range rendered {
		n += len(r.files)
	}
	plan.Files = make([]File, 0, n)
	needNetwork := false
	for i, a := range sorted {
		r := rendered[i]
		for _, w := range r.warns {
			plan.Diagnostics = append(plan.Diagnostics, Diagnostic{App: a.Name, Severity: Warning, Diagnostic: w})
		}
		if len(r.errs) > 0 {
			for _, e := range r.errs {
				plan.Diagnostics = append(plan.Diagnostics, Diagnostic{App: a.Name, Severity: Error, Diagnostic: e})
			}
			continue
		}
		plan.Files = append(plan.Files, r.files...)
		needNetwork = needNetwork || ctx.networked[a.Name]
	}
	if needNetwork {
		plan.Files = append(plan.Files, networkFile(ctx))
	}
	return plan, nil
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
	min, _ := parseVersion(MinQuadletVersion)
	if !ver.atLeast(min) {
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
	return &planContext{opts: opts, ver: ver, apps: map[string]*generator.App{},
		aliases: map[string][]string{}, networked: map[string]bool{}}, nil
}

// linkGraph decides which apps join the shared network and which aliases each
// linked app answers to. Podman has no --link: an app with links and every app
// it links to join quadlaunch.network, and the linked app's primary container
// gets a NetworkAlias per alias (plus its app name).
func (c *planContext) linkGraph(apps []*generator.App) {
	set := map[string]map[string]bool{}
	for _, a := range apps {
		for _, l := range a.Links {
			c.networked[a.Name] = true
			if c.apps[l.Name] == nil {
				continue
			}
			c.networked[l.Name] = true
			if set[l.Name] == nil {
				set[l.Name] = map[string]bool{l.Name: true}
			}
			alias := l.Alias
			if alias == "" {
				alias = l.Name
			}
			set[l.Name][alias] = true
		}
	}
	for name, s := range set {
		for a := range s {
			c.aliases[name] = append(c.aliases[name], a)
		}
		sort.Strings(c.aliases[name])
	}
}

func networkFile(ctx *planContext) File {
	u := newUnit(ctx.ver, "Generated by quadlaunch: the network shared by apps that use links.")
	u.set("Unit", "Description", "quadlaunch network for linked apps")
	// Older Quadlet (< 4.7) names it systemd-quadlaunch; containers refer to
	// the .network file, so nothing else changes.
	u.quadlet("Network", "NetworkName", NetworkName)
	u.quadlet("Network", "Label", "quadlaunch.managed=true")
	return File{Name: NetworkFile, Content: u.bytes(), Kind: Quadlet}
}
