//go:build remote

package runtime

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/containers/podman/v5/pkg/api/handlers"
	"github.com/containers/podman/v5/pkg/bindings/containers"
	"gopkg.in/yaml.v3"

	"github.com/quadlaunch/quadlaunch/generator"
)

// stepRunner runs pups steps inside a running container: exec through the exec API,
// file/replace/merge in Go over the archive API, so neither Ruby nor pups is needed
// in the image. Env goes to each exec session only, never into the container's
// config, so a commit cannot capture it.
type stepRunner struct {
	container string
	env       []string
	out       io.Writer
}

func (r *stepRunner) run(ctx context.Context, s generator.Step) error {
	switch s.Kind {
	case generator.StepExec:
		for _, c := range s.Cmd {
			if s.Background {
				if err := r.execDetached(ctx, c, s.Cd); err != nil {
					return err
				}
				continue
			}
			code, err := r.exec(ctx, c, s.Cd)
			if err != nil {
				return err
			}
			if code != 0 && s.RaiseOnFail {
				return fmt.Errorf("%s: command exited with status %d: %s", s.Pos, code, c)
			}
		}
		return nil
	case generator.StepFile:
		return r.writeFile(ctx, s)
	case generator.StepReplace:
		return r.editFile(ctx, s.Filename, func(b []byte) ([]byte, error) { return replaceText(b, s.From, s.To, s.Global) })
	case generator.StepMerge:
		return r.editFile(ctx, s.Path, func(b []byte) ([]byte, error) { return mergeYAML(b, s.MergeData) })
	}
	return fmt.Errorf("%s: unknown step kind %q", s.Pos, s.Kind)
}

func (r *stepRunner) execConfig(cmd, dir string) *handlers.ExecCreateConfig {
	c := &handlers.ExecCreateConfig{}
	c.Cmd = []string{"/bin/sh", "-c", cmd}
	c.Env = r.env
	c.WorkingDir = dir
	c.AttachStdout = true
	c.AttachStderr = true
	return c
}

// exec runs cmd with /bin/sh -c (as pups does for a command string) and returns
// its exit status.
func (r *stepRunner) exec(ctx context.Context, cmd, dir string) (int, error) {
	id, err := containers.ExecCreate(ctx, r.container, r.execConfig(cmd, dir))
	if err != nil {
		return 0, fmt.Errorf("exec in %s: %w", shortID(r.container), err)
	}
	out, yes := r.out, true
	if err := containers.ExecStartAndAttach(ctx, id, &containers.ExecStartAndAttachOptions{
		OutputStream: &out, ErrorStream: &out, AttachOutput: &yes, AttachError: &yes,
	}); err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("run %q: %w", cmd, err)
	}
	info, err := containers.ExecInspect(ctx, id, nil)
	if err != nil {
		return 0, fmt.Errorf("inspect exec of %q: %w", cmd, err)
	}
	return info.ExitCode, nil
}

func (r *stepRunner) execDetached(ctx context.Context, cmd, dir string) error {
	c := r.execConfig(cmd, dir)
	c.AttachStdout, c.AttachStderr = false, false
	id, err := containers.ExecCreate(ctx, r.container, c)
	if err != nil {
		return fmt.Errorf("exec in %s: %w", shortID(r.container), err)
	}
	if err := containers.ExecStart(ctx, id, nil); err != nil {
		return fmt.Errorf("start background %q: %w", cmd, err)
	}
	return nil
}

func (r *stepRunner) mustExec(ctx context.Context, cmd string) error {
	code, err := r.exec(ctx, cmd, "")
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("%s: exit status %d", cmd, code)
	}
	return nil
}

// writeFile is pups' file step: create parent dirs, write contents, then chmod and
// chown with the image's own tools (they accept pups' "+x" and "user:group").
func (r *stepRunner) writeFile(ctx context.Context, s generator.Step) error {
	dir := path.Dir(s.Path)
	if err := r.mustExec(ctx, "mkdir -p "+shellQuote(dir)); err != nil {
		return fmt.Errorf("%s: file %s: %w", s.Pos, s.Path, err)
	}
	if err := r.putFile(ctx, s.Path, []byte(s.Contents), &tar.Header{Mode: 0o644}); err != nil {
		return fmt.Errorf("%s: file %s: %w", s.Pos, s.Path, err)
	}
	if s.Chmod != "" {
		if err := r.mustExec(ctx, "chmod "+shellQuote(s.Chmod)+" "+shellQuote(s.Path)); err != nil {
			return fmt.Errorf("%s: %w", s.Pos, err)
		}
	}
	if s.Chown != "" {
		if err := r.mustExec(ctx, "chown "+shellQuote(s.Chown)+" "+shellQuote(s.Path)); err != nil {
			return fmt.Errorf("%s: %w", s.Pos, err)
		}
	}
	return nil
}

// putFile writes one file through the archive API, keeping mode and owner from hdr.
func (r *stepRunner) putFile(ctx context.Context, p string, data []byte, hdr *tar.Header) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	h := &tar.Header{Name: path.Base(p), Mode: hdr.Mode, Uid: hdr.Uid, Gid: hdr.Gid, Size: int64(len(data)), Typeflag: tar.TypeReg, ModTime: hdr.ModTime}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	copyFn, err := containers.CopyFromArchive(ctx, r.container, path.Dir(p), &buf)
	if err != nil {
		return fmt.Errorf("copy into %s: %w", p, err)
	}
	if err := copyFn(); err != nil {
		return fmt.Errorf("copy into %s: %w", p, err)
	}
	return nil
}

// getFile reads one regular file through the archive API.
func (r *stepRunner) getFile(ctx context.Context, p string) ([]byte, *tar.Header, error) {
	var buf bytes.Buffer
	copyFn, err := containers.CopyToArchive(ctx, r.container, p, &buf)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", p, err)
	}
	if err := copyFn(); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", p, err)
	}
	tr := tar.NewReader(&buf)
	h, err := tr.Next()
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", p, err)
	}
	if h.Typeflag != tar.TypeReg {
		return nil, nil, fmt.Errorf("read %s: not a regular file", p)
	}
	data, err := io.ReadAll(tr)
	return data, h, err
}

func (r *stepRunner) editFile(ctx context.Context, p string, edit func([]byte) ([]byte, error)) error {
	data, hdr, err := r.getFile(ctx, p)
	if err != nil {
		return err
	}
	out, err := edit(data)
	if err != nil {
		return fmt.Errorf("edit %s: %w", p, err)
	}
	return r.putFile(ctx, p, out, hdr)
}

// replaceText is pups' replace step. from is a plain string or /regex/flags (Ruby
// syntax: ^ and $ match at line ends, flag m makes . match newlines); to may use
// \1 back-references. Without global only the first match is replaced.
func replaceText(data []byte, from, to string, global bool) ([]byte, error) {
	text := string(data)
	if re, ok, err := rubyRegexp(from); err != nil {
		return nil, err
	} else if ok {
		tmpl := rubyReplacement(to)
		if global {
			return []byte(re.ReplaceAllString(text, tmpl)), nil
		}
		loc := re.FindStringSubmatchIndex(text)
		if loc == nil {
			return data, nil
		}
		var out []byte
		out = append(out, text[:loc[0]]...)
		out = re.ExpandString(out, tmpl, text, loc)
		out = append(out, text[loc[1]:]...)
		return out, nil
	}
	n := 1
	if global {
		n = -1
	}
	return []byte(strings.Replace(text, from, to, n)), nil
}

var rubyRegexpLiteral = regexp.MustCompile(`^/(.*)/([mix]*)$`)

func rubyRegexp(from string) (*regexp.Regexp, bool, error) {
	m := rubyRegexpLiteral.FindStringSubmatch(from)
	if m == nil {
		return nil, false, nil
	}
	flags := "m" // Ruby's ^ and $ are always line anchors
	if strings.Contains(m[2], "i") {
		flags += "i"
	}
	if strings.Contains(m[2], "m") {
		flags += "s"
	}
	re, err := regexp.Compile("(?" + flags + ")" + m[1])
	if err != nil {
		return nil, false, fmt.Errorf("regex %s: %w", from, err)
	}
	return re, true, nil
}

var rubyBackref = regexp.MustCompile(`\\(\d)`)

// rubyReplacement turns a Ruby replacement string (\1) into a Go template (${1}).
func rubyReplacement(to string) string {
	to = strings.ReplaceAll(to, "$", "$$")
	return rubyBackref.ReplaceAllString(to, "$${$1}")
}

// mergeYAML is pups' merge step: deep-merge data into the YAML document.
func mergeYAML(doc []byte, data map[string]any) ([]byte, error) {
	var base map[string]any
	if err := yaml.Unmarshal(doc, &base); err != nil {
		return nil, err
	}
	if base == nil {
		base = map[string]any{}
	}
	deepMerge(base, data)
	return yaml.Marshal(base)
}

func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				deepMerge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
