package units

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// WriteAtomic writes files of one kind into dir, each through a temporary file
// and a rename, so a reader never sees half a unit. Private files are 0600 in a
// 0700 dir; others 0644. Symlink files become symlinks to their Content. A file
// that cannot be written does not stop the others: the error names each one.
func WriteAtomic(dir string, files []File) error {
	dirMode := os.FileMode(0o755)
	for _, f := range files {
		if f.Kind == Private {
			dirMode = 0o700
		}
	}
	if err := ownDir(dir, dirMode); err != nil {
		return fmt.Errorf("write units: %w", err)
	}
	w := newAtomicWriter(dir)
	defer w.close()
	var errs []error
	for _, f := range files {
		if err := w.write(f); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ownDir makes dir a real directory with mode (a symlink or file in its place
// is removed first: whatever is written into it must land there, not where a
// link points).
func ownDir(dir string, mode os.FileMode) error {
	if st, err := os.Lstat(dir); err == nil && !st.IsDir() {
		// unlink, never rmdir: a writer next to this one (the staging dir is
		// written on two threads) may have made the real dir meanwhile.
		if err := unix.Unlink(dir); err != nil && err != unix.ENOENT && err != unix.EISDIR {
			return &os.PathError{Op: "unlink", Path: dir, Err: err}
		}
	}
	if err := os.MkdirAll(dir, mode); err != nil {
		return err
	}
	// MkdirAll keeps an existing dir's mode; the private dir must be 0700.
	if st, err := os.Lstat(dir); err == nil && st.Mode().Perm() != mode {
		return os.Chmod(dir, mode)
	}
	return nil
}

// tempNames numbers the temporary files of this process. With the pid, a
// temporary name is unique among concurrent runs (two daemon-reloads, or the
// generator next to quadlaunch render), and short whatever the final name is,
// so every name the plan accepts (up to 255 bytes) can be written.
var tempNames atomic.Uint64

func tempName() string {
	return ".ql-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(tempNames.Add(1), 36)
}

// plainRelative reports whether name is a relative path of plain components
// (no "", ".", "..", at most one dir level): what the writer writes.
func plainRelative(name string) bool {
	if name == "" || filepath.IsAbs(name) || strings.Count(name, "/") > 1 {
		return false
	}
	for _, c := range strings.Split(name, "/") {
		if c == "" || c == "." || c == ".." || len(c) > maxNameBytes {
			return false
		}
	}
	return true
}

// atomicWriter writes files into dir, which exists, each through a temporary
// file and a rename. The generator writes hundreds of small files at every
// boot, so it spends as few syscalls per file as that allows: raw calls
// relative to an open fd of each dir (os.File would add poller and fcntl
// calls, and full paths a lookup of every component).
type atomicWriter struct {
	dir  string
	dirs map[string]int // dir fds by relative dir name ("" = dir)
}

func newAtomicWriter(dir string) *atomicWriter {
	return &atomicWriter{dir: dir, dirs: map[string]int{}}
}

func (w *atomicWriter) close() {
	for _, fd := range w.dirs {
		_ = unix.Close(fd)
	}
	clear(w.dirs)
}

// dirFD opens (and first makes, if need be) the dir rel of w.dir.
func (w *atomicWriter) dirFD(rel string) (int, error) {
	if fd, ok := w.dirs[rel]; ok {
		return fd, nil
	}
	p := filepath.Join(w.dir, rel)
	var fd int
	var err error
	if rel == "" {
		fd, err = unix.Open(p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	} else {
		// A subdir (multi-user.target.wants) is opened relative to the dir and
		// never through a symlink: a link planted there must not redirect the
		// writes elsewhere; it is replaced by a real dir.
		var top int
		if top, err = w.dirFD(""); err != nil {
			return -1, err
		}
		const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
		fd, err = unix.Openat(top, rel, flags, 0)
		if err == unix.ELOOP || err == unix.ENOTDIR {
			_ = unix.Unlinkat(top, rel, 0)
			err = unix.ENOENT
		}
		if err == unix.ENOENT {
			if err = unix.Mkdirat(top, rel, 0o755); err == nil || err == unix.EEXIST {
				fd, err = unix.Openat(top, rel, flags, 0)
			}
		}
	}
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: p, Err: err}
	}
	w.dirs[rel] = fd
	return fd, nil
}

func (w *atomicWriter) write(f File) error {
	if !plainRelative(f.Name) {
		return fmt.Errorf("write %q: not a plain relative name", f.Name)
	}
	target := filepath.Join(w.dir, f.Name)
	rel, name := filepath.Split(f.Name)
	dfd, err := w.dirFD(strings.TrimSuffix(rel, "/"))
	if err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	tmp := tempName()
	if err := writeTemp(dfd, tmp, f); err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	if err := unix.Renameat(dfd, tmp, dfd, name); err != nil {
		_ = unix.Unlinkat(dfd, tmp, 0)
		return fmt.Errorf("write %s: %w", target, err)
	}
	return nil
}

// writeTemp creates tmp in the dir dfd with f's content (or as a symlink to it).
func writeTemp(dfd int, tmp string, f File) error {
	if f.Kind == Symlink {
		err := unix.Symlinkat(string(f.Content), dfd, tmp)
		if err == unix.EEXIST { // a leftover from a killed run
			_ = unix.Unlinkat(dfd, tmp, 0)
			err = unix.Symlinkat(string(f.Content), dfd, tmp)
		}
		return err
	}
	mode := uint32(0o644)
	if f.Kind == Private {
		mode = 0o600
	}
	// O_EXCL, removing a leftover first if there is one: a stale temp file (from a killed run)
	// could have another mode, and a secret must never be written into a file
	// readable by others. Created with its final mode (less the umask), so a
	// private file is never readable by others, not even for a moment.
	const flags = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_CLOEXEC
	fd, err := unix.Openat(dfd, tmp, flags, mode)
	if err == unix.EEXIST {
		_ = unix.Unlinkat(dfd, tmp, 0)
		fd, err = unix.Openat(dfd, tmp, flags, mode)
	}
	if err != nil {
		return err
	}
	werr := writeAll(fd, f.Content)
	if cerr := unix.Close(fd); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = unix.Unlinkat(dfd, tmp, 0)
	}
	return werr
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// Select returns the files of one kind, in plan order.
func Select(files []File, kind Kind) []File {
	n := 0
	for _, f := range files {
		if f.Kind == kind {
			n++
		}
	}
	out := make([]File, 0, n)
	for _, f := range files {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

// WriteNew writes files into dir, made if need be, without temporary files:
// for a dir nothing reads until the writer is done, like quadlet's staging dir.
func WriteNew(dir string, files []File) error {
	if err := ownDir(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	defer unix.Close(dfd)
	for _, f := range files {
		if !plainRelative(f.Name) || strings.Contains(f.Name, "/") {
			return fmt.Errorf("write %q: not a plain file name", f.Name)
		}
		// Never through a symlink: a link in the staging dir would have the
		// generator truncate whatever it points at.
		const flags = unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC | unix.O_NOFOLLOW | unix.O_CLOEXEC
		fd, err := unix.Openat(dfd, f.Name, flags, 0o644)
		if err == unix.ELOOP {
			_ = unix.Unlinkat(dfd, f.Name, 0)
			fd, err = unix.Openat(dfd, f.Name, flags, 0o644)
		}
		if err == nil {
			err = writeAll(fd, f.Content)
			if cerr := unix.Close(fd); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(dir, f.Name), err)
		}
	}
	return nil
}
