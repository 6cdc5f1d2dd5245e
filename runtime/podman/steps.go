//go:build remote

package podman

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sync"
	"time"

	"github.com/containers/podman/v5/pkg/api/handlers"
	"github.com/containers/podman/v5/pkg/bindings/containers"

	"github.com/quadlaunch/quadlaunch/pups"
)

// podmanTarget is pups.Target on a running work container: commands
// through the exec API, files through the archive API, so neither Ruby nor
// pups is needed in the image. Env goes to each exec session only, never into
// the container's config, so a commit cannot capture it; secrets are the
// container's Podman env secrets, which exec sessions inherit and commit
// leaves out (see pups.ExecArgv for $$ENV_ of a secret).
type podmanTarget struct {
	container string
	out       io.Writer // commands' output, streamed as it comes
	started   int       // background sessions so far: names their pid files
}

// newStepRunner is the pups step runner for one work container.
func newStepRunner(container string, env []string, out io.Writer) *pups.Runner {
	if out == nil {
		out = io.Discard
	}
	// Background processes write into the same log as the steps, at any time.
	out = &lockedWriter{w: out}
	return &pups.Runner{Target: &podmanTarget{container: container, out: out}, Env: env, Out: out}
}

// lockedWriter serialises writes from the steps and the background
// processes' output streams.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// backgroundSession is a background exec session and the pid file its shell
// wrote. The pid file is in /dev/shm, a tmpfs Podman mounts in every
// container, so it is never part of a committed layer.
type backgroundSession struct {
	session string
	pidFile string
	// attached is closed once the session's output stream has ended: as with
	// pups, whose background children share its stdout, what a background
	// process says (postgres's startup and shutdown lines) is in the pass's log.
	attached chan struct{}
}

func (b *backgroundSession) Describe() string { return "exec session " + shortID(b.session) }

func (t *podmanTarget) create(ctx context.Context, argv, env []string, attach, stdin bool) (string, error) {
	c := &handlers.ExecCreateConfig{}
	c.Cmd = argv
	c.Env = env
	c.AttachStdout, c.AttachStderr, c.AttachStdin = attach, attach, stdin
	id, err := containers.ExecCreate(ctx, t.container, c)
	if err != nil {
		return "", fmt.Errorf("exec in %s: %w", shortID(t.container), err)
	}
	return id, nil
}

// Run implements pups.Target. Output streams to t.out as it comes
// (builds are long), so the Result carries none.
func (t *podmanTarget) Run(ctx context.Context, c pups.Command) (pups.Result, error) {
	id, err := t.create(ctx, pups.ExecArgv(c.Script, false, ""), c.Env, true, c.HasStdin)
	if err != nil {
		return pups.Result{}, err
	}
	out, yes := t.out, true
	if out == nil {
		out = io.Discard
	}
	opts := &containers.ExecStartAndAttachOptions{OutputStream: &out, ErrorStream: &out, AttachOutput: &yes, AttachError: &yes}
	if c.HasStdin {
		// The bindings half-close the connection after the input, so the
		// command reads end of file after it, as with pups' pipe.
		in := bufio.NewReader(bytes.NewReader(c.Stdin))
		opts.InputStream, opts.AttachInput = in, &yes
	}
	if err := containers.ExecStartAndAttach(ctx, id, opts); err != nil {
		if ctx.Err() != nil {
			return pups.Result{}, ctx.Err()
		}
		return pups.Result{}, fmt.Errorf("run %q: %w", c.Script, err)
	}
	info, err := containers.ExecInspect(ctx, id, nil)
	if err != nil {
		return pups.Result{}, fmt.Errorf("inspect exec of %q: %w", c.Script, err)
	}
	return pups.Result{ExitCode: info.ExitCode}, nil
}

// Start implements pups.Target.
func (t *podmanTarget) Start(ctx context.Context, c pups.Command) (pups.Process, error) {
	t.started++
	pidFile := fmt.Sprintf("/dev/shm/quadlaunch-background-%d.pid", t.started)
	id, err := t.create(ctx, pups.ExecArgv(c.Script, true, pidFile), c.Env, true, false)
	if err != nil {
		return nil, err
	}
	b := &backgroundSession{session: id, pidFile: pidFile, attached: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		defer close(b.attached)
		out, yes := t.out, true
		if out == nil {
			out = io.Discard
		}
		// ExecStartAndAttach returns when the process exits; the session is
		// started once the attach is in place, which is all Start waits for.
		err := containers.ExecStartAndAttach(ctx, id, &containers.ExecStartAndAttachOptions{
			OutputStream: &out, ErrorStream: &out, AttachOutput: &yes, AttachError: &yes})
		select {
		case started <- err:
		default:
		}
	}()
	// Wait until the session runs (or failed to start) so Signal finds it.
	for {
		select {
		case err := <-started:
			if err != nil {
				return nil, fmt.Errorf("start background %q: %w", c.Script, err)
			}
			return b, nil // it already ended; Running says so
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		info, err := containers.ExecInspect(ctx, id, nil)
		if err == nil && (info.Running || info.ExitCode != 0 || info.Pid != 0) {
			return b, nil
		}
	}
}

// Signal implements pups.Target: Podman has no API to signal an exec
// session, so `kill` runs in another one, with the pid the session recorded.
func (t *podmanTarget) Signal(ctx context.Context, p pups.Process, signal string) error {
	b := p.(*backgroundSession)
	script := "p=$(cat " + pups.ShellQuote(b.pidFile) + ") || exit 3; kill -s " + signal + " \"$p\" 2>/dev/null || exit 4"
	for try := 0; ; try++ {
		res, err := t.quiet(ctx, script)
		if err != nil || res.ExitCode != 3 || try == 20 {
			return err // 4: the process has gone, as pups' rescue ignores
		}
		// The session has not written its pid file yet.
		if running, err := t.Running(ctx, p); err != nil || !running {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (t *podmanTarget) quiet(ctx context.Context, script string) (pups.Result, error) {
	q := *t
	q.out = io.Discard
	return q.Run(ctx, pups.Command{Script: script})
}

// Running implements pups.Target.
func (t *podmanTarget) Running(ctx context.Context, p pups.Process) (bool, error) {
	b := p.(*backgroundSession)
	info, err := containers.ExecInspect(ctx, b.session, nil)
	if err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("inspect background exec: %w", err)
	}
	if !info.Running {
		// Let its last lines ("database system is shut down") reach the log.
		select {
		case <-b.attached:
		case <-time.After(2 * time.Second):
		}
	}
	return info.Running, nil
}

// ReadFile implements pups.Target through the archive API.
func (t *podmanTarget) ReadFile(ctx context.Context, p string) (*pups.File, error) {
	var buf bytes.Buffer
	copyFn, err := containers.CopyToArchive(ctx, t.container, p, &buf)
	if err == nil {
		err = copyFn()
	}
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("read %s: %w", p, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	tr := tar.NewReader(&buf)
	h, err := tr.Next()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if h.Typeflag != tar.TypeReg {
		return nil, fmt.Errorf("read %s: not a regular file", p)
	}
	data, err := io.ReadAll(tr)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	uid, gid, err := t.owner(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return &pups.File{Data: data, Mode: fs.FileMode(h.Mode).Perm(), UID: uid, GID: gid}, nil
}

// owner is p's numeric owner, asked of the container's own stat: the archive
// API's GET chowns every entry to the container's user, so its headers say
// root for postgres's pg_hba.conf.
func (t *podmanTarget) owner(ctx context.Context, p string) (uid, gid int, err error) {
	var out bytes.Buffer
	q := *t
	q.out = &out
	res, err := q.Run(ctx, pups.Command{Script: "stat -L -c '%u %g' -- " + pups.ShellQuote(p)})
	if err != nil {
		return 0, 0, err
	}
	if res.ExitCode != 0 {
		return 0, 0, fmt.Errorf("stat: exit status %d: %s", res.ExitCode, bytes.TrimSpace(out.Bytes()))
	}
	if _, err := fmt.Sscanf(out.String(), "%d %d", &uid, &gid); err != nil {
		return 0, 0, fmt.Errorf("stat: %q: %w", out.String(), err)
	}
	return uid, gid, nil
}

// WriteFile implements pups.Target through the archive API: the tar
// header carries like's mode and owner, or pups' defaults for a new file
// (0644, root: pups runs as root in the image).
func (t *podmanTarget) WriteFile(ctx context.Context, p string, data []byte, like *pups.File) error {
	h := &tar.Header{Name: path.Base(p), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg, ModTime: time.Now()}
	if like != nil {
		h.Mode, h.Uid, h.Gid = int64(like.Mode), like.UID, like.GID
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	// The libpod API chowns what it extracts to the container's user unless told
	// not to: the header's owner must stay (pg_hba.conf is postgres's, 0640).
	keepOwner := false
	copyFn, err := containers.CopyFromArchiveWithOptions(ctx, t.container, path.Dir(p), &buf, &containers.CopyOptions{Chown: &keepOwner})
	if err == nil {
		err = copyFn()
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}
