// Package interrupt is how a quadlaunch command ends when it is told to: the
// first SIGINT or SIGTERM cancels the command's context, so that it cleans up
// and returns (its lock released, nothing half moved), a second one exits at
// once; and the exit code follows the shell's convention, 128 + the signal
// (130, 143), which the generated units and operators' scripts rely on.
//
// It imports nothing of ours: only the helper's main uses it.
package interrupt

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

var caught atomic.Int32

// Caught is the signal that cancelled a Context, or 0.
func Caught() syscall.Signal { return syscall.Signal(caught.Load()) }

// Context is a context the first SIGINT or SIGTERM cancels (saying so on
// errOut); a second one exits with 128 + that first signal. stop ends the
// watch.
func Context(errOut io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			caught.Store(int32(s.(syscall.Signal)))
			fmt.Fprintf(errOut, "quadlaunch: %s received, cleaning up (again to force)\n", s)
			cancel()
			<-ch
			os.Exit(128 + int(Caught()))
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

// ExitCoder is an error that carries its exit code (urfave/cli's cli.Exit).
type ExitCoder interface {
	error
	ExitCode() int
}

// Report prints err once on errOut (an ExitCoder's empty message prints
// nothing) and returns the exit code: 128 + the signal when one ended the
// command, an ExitCoder's own code, 1 for any other error, 0 for none.
func Report(err error, errOut io.Writer) int {
	if err != nil && err.Error() != "" {
		fmt.Fprintln(errOut, "quadlaunch:", err)
	}
	if sig := Caught(); sig != 0 {
		return 128 + int(sig)
	}
	if ec, ok := err.(ExitCoder); ok {
		return ec.ExitCode()
	}
	if err != nil {
		return 1
	}
	return 0
}
