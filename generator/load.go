package generator

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// loader loads apps of one root, parsing each template once: every Discourse
// app shares web.template.yml, and the generator runs at every boot.
type loader struct {
	root      string
	mu        sync.Mutex                // guards templates and found: LoadAll loads apps in parallel
	templates map[string]templateResult // by cleaned path; parsed layers are never mutated
	found     map[string]foundTemplate  // findTemplate's answers, by templates: entry
	deadline  time.Time                 // no file is read after it (zero: none)
}

type foundTemplate struct {
	path string
	err  error
}

type templateResult struct {
	l   *layer
	err error
}

func newLoader(root string) *loader {
	return &loader{root: root, templates: map[string]templateResult{}, found: map[string]foundTemplate{}}
}

// LoadApp loads the app file at path (normally <root>/containers/<name>.yml)
// with its templates and merges them. Every error is a *ConfigError naming
// file:line and, where there is one, the key.
func LoadApp(root, path string) (*App, error) {
	return newLoader(root).load(path)
}

// LoadAll loads every config Discover finds. A broken file yields one error
// and never stops the others; apps come back in file name order.
func LoadAll(root string) (apps []*App, errs []error) {
	paths, err := Discover(root)
	if err != nil {
		return nil, []error{&ConfigError{Diagnostic{Pos: Pos{File: filepath.Join(root, "containers")}, Msg: err.Error()}}}
	}
	return LoadPaths(root, paths)
}

// LoadPaths is LoadAll for the config paths Discover returned.
func LoadPaths(root string, paths []string) (apps []*App, errs []error) {
	return LoadPathsUntil(root, paths, time.Time{})
}

// LoadPathsUntil is LoadPaths that reads no file after deadline (the
// generator's own): a config not read by then is an error of its app, and
// the apps loaded so far are returned. Each read is also bounded by itself.
func LoadPathsUntil(root string, paths []string, deadline time.Time) (apps []*App, errs []error) {
	ld := newLoader(root)
	ld.deadline = deadline
	seen := map[string]string{}
	type result struct {
		app *App
		err error
	}
	results := make([]result, len(paths))
	var todo []int
	for i, p := range paths {
		stem, _ := configStem(filepath.Base(p))
		if first, dup := seen[stem]; dup {
			results[i].err = &ConfigError{Diagnostic{Pos: Pos{File: p}, Msg: fmt.Sprintf("app %q is already defined by %s", stem, first)}}
			continue
		}
		seen[stem] = p
		todo = append(todo, i)
	}
	// The generator runs at boot with the machine otherwise idle: parse the
	// files on every CPU. Results keep file name order.
	workers := min(runtime.GOMAXPROCS(0), len(todo))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i].app, results[i].err = ld.load(paths[i])
			}
		}()
	}
	for _, i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
		} else if r.app != nil {
			apps = append(apps, r.app)
		}
	}
	return apps, errs
}

// read reads one config file within the loader's deadline.
func (ld *loader) read(path string) ([]byte, os.FileMode, error) {
	timeout := readTimeout
	if !ld.deadline.IsZero() {
		timeout = min(timeout, time.Until(ld.deadline))
		if timeout <= 0 {
			return nil, 0, fmt.Errorf("not read: the generator's deadline passed while other configs were read")
		}
	}
	return readConfigWithin(path, timeout)
}

func (ld *loader) load(path string) (*App, error) {
	data, mode, err := ld.read(path)
	if err != nil {
		return nil, &ConfigError{Diagnostic{Pos: Pos{File: path}, Msg: err.Error()}}
	}
	return ld.loadBytes(path, data, mode)
}

// LoadAppBytes is LoadApp for an app file already read: data is the file at
// path (which names the app and appears in errors); templates are read from
// root as usual.
func LoadAppBytes(root, path string, data []byte) (*App, error) {
	return newLoader(root).loadBytes(path, data, 0o600)
}

// loadBytes is load without the file system for the app file itself.
func (ld *loader) loadBytes(path string, data []byte, mode os.FileMode) (*App, error) {
	stem, ok := configStem(filepath.Base(path))
	if !ok {
		return nil, &ConfigError{Diagnostic{Pos: Pos{File: path}, Msg: "a config file name ends in .yml or .yaml"}}
	}
	if err := validateName(stem); err != nil {
		return nil, &ConfigError{Diagnostic{Pos: Pos{File: path}, Msg: err.Error()}}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	app := &App{Name: stem, ConfigPath: abs}

	root, err := parseYAML(path, data)
	if err != nil {
		return nil, err
	}
	al, err := decodeLayer(path, root, true)
	if err != nil {
		return nil, err
	}
	if mode&0o004 != 0 {
		// Secrets live in the config; the generated env file is 0600 but this is not.
		app.Warnings = append(app.Warnings, Diagnostic{Pos: Pos{File: path}, Msg: fmt.Sprintf("config is world-readable (mode %04o) but holds the app's secrets: chmod o-r %s", mode.Perm(), path)})
	}

	layers := make([]*layer, 0, len(al.templates)+1)
	for _, t := range al.templates {
		tp, err := ld.findTemplate(t.name)
		if err != nil {
			return nil, &ConfigError{Diagnostic{Pos: t.pos, Key: t.key, Msg: err.Error()}}
		}
		tl, err := ld.template(tp)
		if err != nil {
			return nil, err
		}
		app.Templates = append(app.Templates, tp)
		layers = append(layers, tl)
	}
	layers = append(layers, al)
	if err := merge(app, layers); err != nil {
		return nil, err
	}
	return app, nil
}

// findTemplate resolves a `templates:` entry: relative to the root (so
// launcher's "templates/web.template.yml" works), then under
// SystemTemplateDir, where the leading "templates/" may also be left out.
func (ld *loader) findTemplate(name string) (string, error) {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	if f, ok := ld.found[name]; ok {
		return f.path, f.err
	}
	path, err := findTemplate(ld.root, name)
	ld.found[name] = foundTemplate{path, err}
	return path, err
}

func findTemplate(root, name string) (string, error) {
	var candidates []string
	if filepath.IsAbs(name) {
		candidates = []string{name}
	} else {
		candidates = []string{filepath.Join(root, name), filepath.Join(systemTemplateDir, name)}
		if rest, ok := strings.CutPrefix(filepath.Clean(name), "templates/"); ok {
			candidates = append(candidates, filepath.Join(systemTemplateDir, rest))
		}
	}
	for _, c := range candidates {
		st, err := os.Stat(c)
		if err != nil {
			continue
		}
		if !st.Mode().IsRegular() {
			return "", fmt.Errorf("template %q: %s is not a regular file", name, c)
		}
		if err := insideTemplateDirs(root, c); err != nil {
			return "", fmt.Errorf("template %q: %v", name, err)
		}
		return filepath.Clean(c), nil
	}
	return "", fmt.Errorf("template %q not found (looked in %s)", name, strings.Join(candidates, ", "))
}

// insideTemplateDirs checks that a template, symlinks resolved, lies under the
// config root or the stock template dir. A template elsewhere would be read as
// root at boot, and its lines would show up in the warnings about it: a
// config could have /etc/shadow printed to the journal.
func insideTemplateDirs(root, path string) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	for _, dir := range []string{root, systemTemplateDir} {
		d, err := filepath.EvalSymlinks(dir)
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(d, real); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return nil
		}
	}
	return fmt.Errorf("%s is outside the config root %s and %s: templates must live in one of them", real, root, systemTemplateDir)
}

func (ld *loader) template(path string) (*layer, error) {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	if r, ok := ld.templates[path]; ok {
		return r.l, r.err
	}
	var l *layer
	data, _, err := ld.read(path)
	if err != nil {
		err = &ConfigError{Diagnostic{Pos: Pos{File: path}, Msg: err.Error()}}
	} else {
		root, perr := parseYAML(path, data)
		if perr != nil {
			err = perr
		} else {
			l, err = decodeLayer(path, root, false)
		}
	}
	if err != nil {
		l = nil
	}
	ld.templates[path] = templateResult{l, err}
	return l, err
}
