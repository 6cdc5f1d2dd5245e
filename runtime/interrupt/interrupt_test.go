package interrupt

import (
	"bytes"
	"errors"
	"syscall"
	"testing"
	"time"
)

type exitError struct {
	msg  string
	code int
}

func (e exitError) Error() string { return e.msg }
func (e exitError) ExitCode() int { return e.code }

// Before any signal: an ExitCoder keeps its code (and an empty message prints
// nothing), another error is 1, none is 0. After SIGTERM: the context is
// cancelled, the signal is named, and every outcome exits 143.
func TestReportAndContext(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
		out  string
	}{
		{nil, 0, ""},
		{errors.New("boom"), 1, "quadlaunch: boom\n"},
		{exitError{"usage: x", 2}, 2, "quadlaunch: usage: x\n"},
		{exitError{"", 3}, 3, ""},
	} {
		var b bytes.Buffer
		if code := Report(c.err, &b); code != c.code || b.String() != c.out {
			t.Errorf("Report(%v) = %d, %q; want %d, %q", c.err, code, b.String(), c.code, c.out)
		}
	}

	var said bytes.Buffer
	ctx, stop := Context(&said)
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM did not cancel the context")
	}
	if said.String() != "quadlaunch: terminated received, cleaning up (again to force)\n" {
		t.Errorf("on SIGTERM it said %q", said.String())
	}
	if Caught() != syscall.SIGTERM {
		t.Errorf("Caught() = %v, want SIGTERM", Caught())
	}
	var b bytes.Buffer
	if code := Report(exitError{"", 2}, &b); code != 143 {
		t.Errorf("Report after SIGTERM = %d, want 143", code)
	}
	if code := Report(nil, &b); code != 143 {
		t.Errorf("Report(nil) after SIGTERM = %d, want 143", code)
	}
}
