package generator

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Limits on what one config file (an app file or a template) may cost the
// generator, which runs as root at every boot: a file over a limit is an
// error for the apps that use it, never a stall or an exhausted boot.
const (
	// maxConfigSize is the largest file read. Discourse's largest template is
	// 18 KB; certificates in env values stay well under this.
	maxConfigSize = 1 << 20
	// readTimeout bounds one file's open, stat and read: a file on a hung
	// network mount or a FUSE file system that never answers costs this long,
	// once, and the other apps go on.
	readTimeout = 2 * time.Second
)

// pseudoFileSystems are file systems whose "regular files" are kernel
// interfaces: their size is 0 and a read can block forever (/proc/kmsg) or
// have effects. No config lives there.
var pseudoFileSystems = map[int64]string{
	unix.PROC_SUPER_MAGIC:    "proc",
	unix.SYSFS_MAGIC:         "sysfs",
	unix.DEBUGFS_MAGIC:       "debugfs",
	unix.TRACEFS_MAGIC:       "tracefs",
	unix.SECURITYFS_MAGIC:    "securityfs",
	unix.CGROUP_SUPER_MAGIC:  "cgroup",
	unix.CGROUP2_SUPER_MAGIC: "cgroup2",
	unix.BPF_FS_MAGIC:        "bpf",
	unix.EFIVARFS_MAGIC:      "efivarfs",
	unix.PSTOREFS_MAGIC:      "pstore",
	unix.DEVPTS_SUPER_MAGIC:  "devpts",
	0x62656570:               "configfs", // CONFIGFS_MAGIC
}

// errReadTimeout is a read that did not finish within readTimeout.
var errReadTimeout = errors.New("read did not finish in time")

type readResult struct {
	data []byte
	mode os.FileMode
	err  error
}

// readConfigWithin reads a config file without ever blocking the
// generator: the open does not wait (O_NONBLOCK: a FIFO opens at once and is
// then refused), only regular files on real file systems are read, at most
// maxConfigSize bytes, and the whole open-stat-read is abandoned after
// timeout (a goroutine stuck in a kernel read is left behind; the generator
// exits soon after).
func readConfigWithin(path string, timeout time.Duration) ([]byte, os.FileMode, error) {
	done := make(chan readResult, 1)
	go func() {
		data, mode, err := readFile(path)
		done <- readResult{data, mode, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.data, r.mode, r.err
	case <-timer.C:
		return nil, 0, fmt.Errorf("%w (%s): is it on a file system that does not answer?", errReadTimeout, timeout)
	}
}

// readFile is readRegular; tests put a read that never returns in its place
// (no unprivileged test can make a regular file whose read blocks).
var readFile = readRegular

// readRegular is readConfigWithin's work, done on a goroutine of its own.
func readRegular(path string) ([]byte, os.FileMode, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, 0, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, 0, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, 0, fmt.Errorf("not a regular file (%s)", fileTypeName(st.Mode))
	}
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fd, &sfs); err == nil {
		if name, ok := pseudoFileSystems[int64(sfs.Type)]; ok {
			return nil, 0, fmt.Errorf("on the %s pseudo file system, where no config lives", name)
		}
	}
	// A config is a few KB; refuse anything that could exhaust the generator.
	if st.Size > maxConfigSize {
		return nil, 0, fmt.Errorf("larger than %d bytes", maxConfigSize)
	}
	// One allocation of the file's size, plus one byte to notice growth since
	// the stat (which is refused past the limit like a big file).
	data := make([]byte, st.Size+1)
	n := 0
	for {
		m, err := unix.Read(fd, data[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, 0, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			break
		}
		n += m
		if n > maxConfigSize {
			return nil, 0, fmt.Errorf("larger than %d bytes", maxConfigSize)
		}
		if n == len(data) { // grew since the stat: room for the rest, up to the limit
			data = append(data, make([]byte, maxConfigSize+1-n)...)
		}
	}
	mode := os.FileMode(st.Mode & 0o777)
	return data[:n], mode, nil
}

func fileTypeName(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return "a FIFO"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFBLK:
		return "a block device"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFLNK:
		return "a symlink"
	}
	return "not a file"
}
