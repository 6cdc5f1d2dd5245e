// Command runstat runs a command and prints its wall time and peak RSS as
// "runstat: <microseconds> <KiB>" on stderr after the command's own output.
//
// The generator benchmark needs it because a process's peak RSS, as wait4
// reports it, starts from the RSS of the process that exec'd it: Go's os/exec
// forks with CLONE_VM, so a child of the (large, growing) test binary would
// report the test binary's RSS. runstat is small, so what it reports is the
// command's own peak (and that of the command's children, such as quadlet).
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: runstat COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	fmt.Fprintf(os.Stderr, "runstat: %d %d\n", d.Microseconds(), rss)
	if err != nil {
		fmt.Fprintln(os.Stderr, "runstat:", err)
		os.Exit(1)
	}
}
