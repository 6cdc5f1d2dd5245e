package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/quadlaunch/quadlaunch/units"
)

// Asking quadlet its version is a process start, as long as the conversion
// of a few apps. systemd runs the generator at boot and at every
// daemon-reload (each deploy makes one), and between two runs the quadlet
// binary is the same file: the answer is kept in the runtime dir (/run is
// there before generators run, and is empty again at the next boot), next to
// what identifies that file, and read back as long as the file is unchanged.

// systemRuntimeDir is the system manager's runtime dir (tests point it
// elsewhere; QUADLAUNCH_RUNTIME_DIR does for a test of the built binary).
var systemRuntimeDir = "/run"

// versionMemoPath is where the answer is kept ("": nowhere, for a user
// manager without XDG_RUNTIME_DIR).
func versionMemoPath(user bool) string {
	dir := systemRuntimeDir
	if d := os.Getenv("QUADLAUNCH_RUNTIME_DIR"); d != "" && !user {
		dir = d
	}
	if user {
		if dir = os.Getenv("XDG_RUNTIME_DIR"); dir == "" {
			return ""
		}
	}
	return filepath.Join(dir, "quadlaunch", "generator", "quadlet-version")
}

// binaryIdentity names the file at path as it is now: a package upgrade
// that replaces quadlet changes it.
func binaryIdentity(path string) (string, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s dev=%d ino=%d size=%d mtime=%d.%09d ctime=%d.%09d", path, st.Dev, st.Ino, st.Size,
		st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec), nil
}

// memoMaxSize bounds the read of the memo (a path and a version).
const memoMaxSize = 8 << 10

// quadletVersionMemo returns quadlet's version: the one kept at memo when
// it was kept for this very binary, else quadlet's answer (then kept).
// A memo that is missing, unreadable, not ours or malformed is asked past.
func quadletVersionMemo(ctx context.Context, quadlet, memo string) (string, error) {
	id, idErr := binaryIdentity(quadlet)
	if memo != "" && idErr == nil {
		if v, ok := readVersionMemo(memo, id); ok {
			return v, nil
		}
	}
	v, err := units.QuadletVersionContext(ctx, quadlet)
	if err != nil || memo == "" || idErr != nil {
		return v, err
	}
	// Kept only if the binary did not change while it answered.
	if now, err := binaryIdentity(quadlet); err == nil && now == id {
		writeVersionMemo(memo, id+"\n"+v+"\n")
	}
	return v, nil
}

func readVersionMemo(memo, id string) (string, bool) {
	f, err := os.OpenFile(memo, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return "", false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o022 != 0 {
		return "", false
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); !ok || int(sys.Uid) != os.Getuid() {
		return "", false
	}
	b, err := io.ReadAll(io.LimitReader(f, memoMaxSize+1))
	if err != nil || len(b) > memoMaxSize {
		return "", false
	}
	kept, v, ok := strings.Cut(strings.TrimSuffix(string(b), "\n"), "\n")
	if !ok || kept != id {
		return "", false
	}
	if _, err := units.SameUnits(v, v); err != nil { // not a version
		return "", false
	}
	return v, true
}

// writeVersionMemo keeps content at memo through a rename; a memo that
// cannot be written only costs the next run a question.
func writeVersionMemo(memo, content string) {
	dir := filepath.Dir(memo)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".quadlet-version-")
	if err != nil {
		return
	}
	_, werr := tmp.WriteString(content)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), memo) != nil {
		os.Remove(tmp.Name())
	}
}
