package pups

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/quadlaunch/quadlaunch/generator"
)

// Target is where steps run: a command runner and a file store.
type Target interface {
	// Run runs a shell script to completion and returns its exit status and output.
	Run(ctx context.Context, c Command) (Result, error)
	// Start starts a shell script in the background.
	Start(ctx context.Context, c Command) (Process, error)
	// Signal sends a signal (a name without SIG: TERM, INT, KILL, ...) to a
	// background process; a process that has exited is not an error.
	Signal(ctx context.Context, p Process, signal string) error
	// Running reports whether a background process is still alive.
	Running(ctx context.Context, p Process) (bool, error)
	// ReadFile reads a regular file with its mode and owner; an error wrapping
	// fs.ErrNotExist when it is missing.
	ReadFile(ctx context.Context, path string) (*File, error)
	// WriteFile writes data to path. With like (the file as read before), the
	// file keeps like's mode and owner; without, a new file is created as pups
	// creates one (0666 less the umask, owned by the user the steps run as).
	WriteFile(ctx context.Context, path string, data []byte, like *File) error
}

// Command is one shell script to run.
type Command struct {
	Script   string
	Env      []string // NAME=value
	Stdin    []byte
	HasStdin bool // without stdin the script reads end of file
}

// Result is how a foreground command ended.
type Result struct {
	ExitCode int
	Output   []byte
}

// Process is a background process of a Target.
type Process interface {
	// Describe names the process for log lines (no secret in it).
	Describe() string
}

// File is a regular file of a Target.
type File struct {
	Data     []byte
	Mode     fs.FileMode // permission bits
	UID, GID int
}

// ExecError is a foreground command that exited non-zero in a step that
// raises on failure.
type ExecError struct {
	Script   string
	ExitCode int
}

func (e *ExecError) Error() string {
	return fmt.Sprintf("command exited with status %d: %s", e.ExitCode, e.Script)
}

// CommandEvent reports one command of an exec step, as pups logs it.
type CommandEvent struct {
	Script     string
	Background bool
	Stdin      string
	HasStdin   bool
	Output     []byte
	ExitCode   int
}

// DefaultStopTimeout is how long pups waits for background processes to exit
// after their stop signal before it sends KILL.
const DefaultStopTimeout = 10 * time.Second

// Runner runs steps on one Target and remembers the background processes it
// started, to stop them at the end of the pass.
type Runner struct {
	Target      Target
	Env         []string      // env of every command
	Out         io.Writer     // commands and their output; stdin is never written (it may hold a secret)
	StopTimeout time.Duration // 0: DefaultStopTimeout
	Observe     func(CommandEvent)

	background []background
}

type background struct {
	process    Process
	script     string
	stopSignal string
}

func (r *Runner) out() io.Writer {
	if r.Out == nil {
		return io.Discard
	}
	return r.Out
}

// Run runs one step (params already substituted: generator.App.RunWithTags).
func (r *Runner) Run(ctx context.Context, s generator.Step) error {
	switch s.Kind {
	case generator.StepExec:
		return r.exec(ctx, s)
	case generator.StepFile:
		return r.file(ctx, s)
	case generator.StepReplace:
		return r.edit(ctx, s.Filename, func(b []byte) ([]byte, error) {
			out, err := ReplaceText(string(b), s.From, s.To, s.Global, s.Direction)
			return []byte(out), err
		})
	case generator.StepMerge:
		return r.edit(ctx, s.Path, func(b []byte) ([]byte, error) { return mergeYAML(b, s.MergeData) })
	}
	return fmt.Errorf("unknown step kind %q", s.Kind)
}

// Script is the shell text pups runs for one command of an exec step.
func Script(s generator.Step, cmd string) string {
	if s.Cd != "" {
		return "cd " + s.Cd + " && " + cmd
	}
	return cmd
}

func (r *Runner) exec(ctx context.Context, s generator.Step) error {
	for _, c := range s.Cmd {
		script := Script(s, c)
		fmt.Fprintf(r.out(), "> %s\n", script)
		cmd := Command{Script: script, Env: r.Env}
		if s.Background {
			p, err := r.Target.Start(ctx, cmd)
			if err != nil {
				return err
			}
			r.background = append(r.background, background{process: p, script: script, stopSignal: StopSignal(s.StopSignal)})
			r.observe(CommandEvent{Script: script, Background: true})
			continue
		}
		if s.Stdin != "" {
			cmd.Stdin, cmd.HasStdin = []byte(s.Stdin), true
		}
		res, err := r.Target.Run(ctx, cmd)
		if err != nil {
			return err
		}
		r.out().Write(res.Output)
		r.observe(CommandEvent{Script: script, Stdin: s.Stdin, HasStdin: cmd.HasStdin, Output: res.Output, ExitCode: res.ExitCode})
		if res.ExitCode != 0 {
			if s.RaiseOnFail {
				return &ExecError{Script: script, ExitCode: res.ExitCode}
			}
			fmt.Fprintf(r.out(), "exit status %d ignored (raise_on_fail: false); pups skips the rest of this step's commands\n", res.ExitCode)
			return nil
		}
	}
	return nil
}

func (r *Runner) observe(e CommandEvent) {
	if r.Observe != nil {
		r.Observe(e)
	}
}

// StopSignal is pups' stop signal for a background step: TERM unless given;
// a SIG prefix is dropped.
func StopSignal(s string) string {
	s = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "SIG")
	if s == "" {
		return "TERM"
	}
	return s
}

// Background reports how many background processes the runner started and has
// not yet stopped.
func (r *Runner) Background() int { return len(r.background) }

// StopBackground ends every background process as pups does at the end of a
// run: its stop signal to each one still alive, up to StopTimeout for all of
// them to exit, then KILL for the rest. quadlaunch calls it at the end of
// every pass (and of every build step, which is committed as a layer of its
// own), so nothing runs while an image is committed or a container removed.
func (r *Runner) StopBackground(ctx context.Context) error {
	if len(r.background) == 0 {
		return nil
	}
	ctx = context.WithoutCancel(ctx) // a cancelled pass still stops its processes
	timeout := r.StopTimeout
	if timeout <= 0 {
		timeout = DefaultStopTimeout
	}
	var errs []error
	var live []background
	for _, b := range r.background {
		ok, err := r.Target.Running(ctx, b.process)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue
		}
		fmt.Fprintf(r.out(), "stopping background %s with %s: %s\n", b.process.Describe(), b.stopSignal, b.script)
		if err := r.Target.Signal(ctx, b.process, b.stopSignal); err != nil {
			errs = append(errs, err)
		}
		live = append(live, b)
	}
	r.background = nil
	deadline := time.Now().Add(timeout)
	for len(live) > 0 {
		var still []background
		for _, b := range live {
			ok, err := r.Target.Running(ctx, b.process)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if ok {
				still = append(still, b)
			}
		}
		live = still
		if len(live) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, b := range live {
		fmt.Fprintf(r.out(), "background %s did not exit within %s of %s: KILL\n", b.process.Describe(), timeout, b.stopSignal)
		if err := r.Target.Signal(ctx, b.process, "KILL"); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// file is pups' file step.
func (r *Runner) file(ctx context.Context, s generator.Step) error {
	// pups: `mkdir -p <dir>` in a shell, its status unchecked (the write fails instead).
	r.quiet(ctx, "mkdir -p "+ShellQuote(path.Dir(s.Path)))
	old, err := r.Target.ReadFile(ctx, s.Path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := r.Target.WriteFile(ctx, s.Path, []byte(s.Contents), old); err != nil {
		return err
	}
	if s.Chmod != "" {
		r.quiet(ctx, "chmod "+s.Chmod+" "+ShellQuote(s.Path))
	}
	if s.Chown != "" {
		r.quiet(ctx, "chown "+s.Chown+" "+ShellQuote(s.Path))
	}
	return nil
}

// quiet runs a helper command whose failure pups ignores (it runs them in
// backquotes); the failure is still reported.
func (r *Runner) quiet(ctx context.Context, script string) {
	res, err := r.Target.Run(ctx, Command{Script: script, Env: r.Env})
	if err != nil {
		fmt.Fprintf(r.out(), "warning: %s: %v (ignored, as pups does)\n", script, err)
	} else if res.ExitCode != 0 {
		fmt.Fprintf(r.out(), "warning: %s: exit status %d (ignored, as pups does): %s", script, res.ExitCode, res.Output)
	}
}

func (r *Runner) edit(ctx context.Context, p string, edit func([]byte) ([]byte, error)) error {
	f, err := r.Target.ReadFile(ctx, p)
	if err != nil {
		return err
	}
	out, err := edit(f.Data)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	return r.Target.WriteFile(ctx, p, out, f)
}

// ShellQuote quotes s as one shell word.
func ShellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
