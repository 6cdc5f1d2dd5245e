package pups

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// LocalTarget runs steps on the host: commands with /bin/sh in Root, file
// paths resolved under Root (an absolute path too, so a test cannot write
// outside it; a command, though, sees the real filesystem). The conformance
// test runs it beside pups.
type LocalTarget struct {
	Root   string
	Stderr io.Writer // commands' stderr; their stdout is the Result's Output (pups logs stdout only)
}

type localProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *localProcess) Describe() string { return fmt.Sprintf("pid %d", p.cmd.Process.Pid) }

func (t *LocalTarget) command(ctx context.Context, c Command) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", c.Script)
	cmd.Dir = t.Root
	cmd.Env = c.Env
	cmd.Stderr = t.Stderr
	if c.HasStdin {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}
	return cmd
}

// Run implements Target.
func (t *LocalTarget) Run(ctx context.Context, c Command) (Result, error) {
	cmd := t.command(ctx, c)
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return Result{ExitCode: exit.ExitCode(), Output: out.Bytes()}, nil
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Output: out.Bytes()}, nil
}

// Start implements Target. The process outlives ctx: StopBackground ends it.
func (t *LocalTarget) Start(_ context.Context, c Command) (Process, error) {
	cmd := exec.Command("/bin/sh", "-c", c.Script)
	cmd.Dir, cmd.Env, cmd.Stderr = t.Root, c.Env, t.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &localProcess{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

var signals = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT, "KILL": syscall.SIGKILL,
	"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "TERM": syscall.SIGTERM, "ALRM": syscall.SIGALRM,
	"CONT": syscall.SIGCONT, "STOP": syscall.SIGSTOP, "WINCH": syscall.SIGWINCH, "ABRT": syscall.SIGABRT,
}

// Signal implements Target.
func (t *LocalTarget) Signal(_ context.Context, p Process, signal string) error {
	sig, ok := signals[signal]
	if !ok {
		return fmt.Errorf("unknown signal %q", signal)
	}
	lp := p.(*localProcess)
	if err := lp.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

// Running implements Target.
func (t *LocalTarget) Running(_ context.Context, p Process) (bool, error) {
	select {
	case <-p.(*localProcess).done:
		return false, nil
	default:
		return true, nil
	}
}

func (t *LocalTarget) path(p string) string { return filepath.Join(t.Root, p) }

// ReadFile implements Target.
func (t *LocalTarget) ReadFile(_ context.Context, p string) (*File, error) {
	full := t.path(p)
	fi, err := os.Stat(full)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", p)
	}
	data, err := os.ReadFile(full)
	if err != nil {
		return nil, err
	}
	f := &File{Data: data, Mode: fi.Mode().Perm()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		f.UID, f.GID = int(st.Uid), int(st.Gid)
	}
	return f, nil
}

// WriteFile implements Target: an existing file is truncated and written in
// place, as Ruby's File.open(path, "w") does, so its mode and owner stay.
func (t *LocalTarget) WriteFile(_ context.Context, p string, data []byte, like *File) error {
	f, err := os.OpenFile(t.path(p), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
