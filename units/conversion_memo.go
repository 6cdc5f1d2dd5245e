package units

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ConversionMemo keeps the services quadlet converted from a group of
// Quadlet files (one app's, or the shared link networks), under a hash of
// everything that conversion depends on: the files' names, bytes and
// sources (SourcePath=), the shared files they may refer to, the quadlet
// binary (path, inode, size, times) and the generator's own, quadlet's -user flag, the PODMAN variable it
// reads, and the Quadlet version the plan was made for.
//
// systemd runs the generator at every daemon-reload, and each deploy makes
// one; between two runs the configs rarely change, and quadlet is a process
// start and a parse of every file (most of the generator's time on a host
// with many apps). With the memo a reload runs quadlet only on the apps whose
// files changed, and not at all when none did. The memo lives in the
// runtime dir, like the version memo: /run is there before generators run
// and empty at the next boot, so the first run after a boot converts
// everything.
//
// An entry is a dir named by the key holding the services as written into
// the generator dir, as hard links: keeping and restoring a service is one
// link, no copy (the runtime dir and systemd's generator dirs share /run,
// or XDG_RUNTIME_DIR for a user manager; across file systems the files are
// copied). The generator's writer never writes into an existing file (it
// renames new ones over); a service written into in place by anyone else
// after it was kept is newer than its entry, and the entry is not believed.
//
// quadlet 5.4's conversion is a function of those inputs except for
// AddDevice=-PATH (optional devices: it looks whether PATH exists): files
// with it are never kept (Memoizable).
type ConversionMemo struct {
	dir  string
	base [sha256.Size]byte // the hash of what every key shares
	// The memo dir and the output dir, opened at the first Restore or Store.
	dirFD, outFD int
	outDir       string
	dirMissing   bool
}

// conversionMemoFormat changes whenever an entry's layout or the key's
// inputs change, so that an older generator's entries are never believed.
const conversionMemoFormat = "quadlaunch conversion memo 1"

// NewConversionMemo is the memo kept in dir for the quadlet binary whose
// identity is quadletIdentity (path, inode, size, mtime, ctime: a package
// upgrade changes it; the generator adds its own binary's), run with -user
// when user, on plans made for planVersion.
func NewConversionMemo(dir, quadletIdentity string, user bool, planVersion string) *ConversionMemo {
	h := sha256.New()
	for _, s := range []string{conversionMemoFormat, quadletIdentity, strconv.FormatBool(user), os.Getenv("PODMAN"), planVersion} {
		writeHashField(h, []byte(s))
	}
	m := &ConversionMemo{dir: dir, dirFD: -1, outFD: -1}
	h.Sum(m.base[:0])
	return m
}

// writeHashField writes b with its length first, so that no two different
// lists of fields hash the same bytes.
func writeHashField(w io.Writer, b []byte) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
	w.Write(n[:])
	w.Write(b)
}

// Memoizable says whether quadlet's services for files depend on nothing
// but the inputs the key names.
func Memoizable(files []File) bool {
	for _, f := range files {
		if bytes.Contains(f.Content, []byte("\nAddDevice=-")) {
			return false
		}
	}
	return true
}

// Key names the conversion of files next to the shared files quadlet is
// given with them.
func (m *ConversionMemo) Key(files, shared []File) string {
	h := sha256.New()
	h.Write(m.base[:])
	for _, group := range [][]File{files, shared} {
		writeHashField(h, []byte(strconv.Itoa(len(group))))
		for _, f := range group {
			writeHashField(h, []byte(f.Name))
			writeHashField(h, []byte(f.Source))
			writeHashField(h, f.Content)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Restore writes the services kept under key, which are named names, into
// outDir and says whether it did. An entry that is missing, not the
// generator's own or writable by others is not believed; a service missing
// from it stops the restore (the files are then converted again, and their
// services written over what was restored). outDir must stay the same for
// a memo's life (its fd is kept until Close).
func (m *ConversionMemo) Restore(key string, names []string, outDir string) bool {
	mfd, ofd, err := m.dirs(outDir, false)
	if err != nil {
		return false
	}
	var st unix.Stat_t
	if err := unix.Fstatat(mfd, key, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR ||
		int(st.Uid) != os.Getuid() || st.Mode&0o022 != 0 {
		return false
	}
	for _, name := range names {
		if !plainName(name) {
			return false
		}
		// Each service must be a file of the owner that nothing changed
		// since it was linked into the entry: the entry shares its inode
		// with the generator dir of the run that kept it (or restored it),
		// and an editor that writes into a linked file in place (vim on a
		// file with two links) would otherwise change every later run's
		// service.
		var fst unix.Stat_t
		if err := unix.Fstatat(mfd, key+"/"+name, &fst, unix.AT_SYMLINK_NOFOLLOW); err != nil ||
			fst.Mode&unix.S_IFMT != unix.S_IFREG || int(fst.Uid) != os.Getuid() || fst.Mode&0o022 != 0 ||
			later(fst.Mtim, st.Mtim) {
			return false
		}
		// Linked to its own name: a generator dir is new at each run, and a
		// link is never half written. A name already there (a rerun into
		// the same dir) is replaced through a temporary name.
		err := linkOrCopy(mfd, key+"/"+name, ofd, name)
		if err == unix.EEXIST {
			tmp := tempName()
			if err = linkOrCopy(mfd, key+"/"+name, ofd, tmp); err == nil {
				if err = unix.Renameat(ofd, tmp, ofd, name); err != nil {
					_ = unix.Unlinkat(ofd, tmp, 0)
				}
			}
		}
		if err != nil {
			return false
		}
	}
	return true
}

// Store keeps the services named names, as written into outDir in this run,
// under key: linked into a new dir, renamed into place once complete, so an
// entry is whole or absent. A memo that cannot be written only costs the
// next run a conversion; the error is for the caller to log.
func (m *ConversionMemo) Store(key string, names []string, outDir string) error {
	mfd, ofd, err := m.dirs(outDir, true)
	if err != nil {
		return fmt.Errorf("conversion memo: %w", err)
	}
	tmp := tempName()
	if err := unix.Mkdirat(mfd, tmp, 0o755); err != nil {
		return fmt.Errorf("conversion memo: %w", &os.PathError{Op: "mkdir", Path: filepath.Join(m.dir, tmp), Err: err})
	}
	err = func() error {
		for _, name := range names {
			if !plainName(name) {
				return fmt.Errorf("%q: not a plain name", name)
			}
			if err := linkOrCopy(ofd, name, mfd, tmp+"/"+name); err != nil {
				return &os.PathError{Op: "link", Path: filepath.Join(outDir, name), Err: err}
			}
		}
		err := unix.Renameat(mfd, tmp, mfd, key)
		if err == unix.ENOTEMPTY || err == unix.EEXIST {
			// An entry Restore did not believe (changed since): replaced.
			os.RemoveAll(filepath.Join(m.dir, key))
			err = unix.Renameat(mfd, tmp, mfd, key)
		}
		return err
	}()
	if err != nil {
		// A twin run that kept the same entry first makes the rename fail too.
		os.RemoveAll(filepath.Join(m.dir, tmp))
		return fmt.Errorf("conversion memo: keep %s: %w", key, err)
	}
	return nil
}

// later says whether a is after b.
func later(a, b unix.Timespec) bool {
	return a.Sec > b.Sec || (a.Sec == b.Sec && a.Nsec > b.Nsec)
}

// dirs returns the memo dir's fd (made first when make) and outDir's, opened
// once for all the entries of a run.
func (m *ConversionMemo) dirs(outDir string, make bool) (int, int, error) {
	if m.outFD < 0 {
		if m.outDir != "" && m.outDir != outDir {
			return -1, -1, fmt.Errorf("output dir %s, not %s", outDir, m.outDir)
		}
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return -1, -1, err
		}
		fd, err := unix.Open(outDir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, -1, &os.PathError{Op: "open", Path: outDir, Err: err}
		}
		m.outDir, m.outFD = outDir, fd
	}
	if m.dirFD < 0 {
		if m.dirMissing && !make {
			return -1, -1, os.ErrNotExist // the first run after a boot: asked once
		}
		if make {
			if err := os.MkdirAll(m.dir, 0o755); err != nil {
				return -1, -1, err
			}
		}
		fd, err := unix.Open(m.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			m.dirMissing = true
			return -1, -1, &os.PathError{Op: "open", Path: m.dir, Err: err}
		}
		m.dirFD = fd
	}
	return m.dirFD, m.outFD, nil
}

// Close closes the dirs Restore and Store opened.
func (m *ConversionMemo) Close() {
	for _, fd := range []*int{&m.dirFD, &m.outFD} {
		if *fd >= 0 {
			_ = unix.Close(*fd)
			*fd = -1
		}
	}
}

// plainName: one path component, as a service's name is.
func plainName(name string) bool {
	return plainRelative(name) && !strings.Contains(name, "/")
}

// linkOrCopy makes dstName in dstDir the file srcName of srcDir: a hard link,
// or a copy when the two are on different file systems. A symlink is linked
// as such (linkat without AT_SYMLINK_FOLLOW): a restored entry is what was
// kept (Restore checks each file first), and only the owner of the memo dir
// writes it.
func linkOrCopy(srcDir int, srcName string, dstDir int, dstName string) error {
	err := unix.Linkat(srcDir, srcName, dstDir, dstName, 0)
	if err == unix.EEXIST { // a leftover temporary name from a killed run
		_ = unix.Unlinkat(dstDir, dstName, 0)
		err = unix.Linkat(srcDir, srcName, dstDir, dstName, 0)
	}
	if !errors.Is(err, unix.EXDEV) && !errors.Is(err, unix.EPERM) {
		return err
	}
	src, err := unix.Openat(srcDir, srcName, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	in := os.NewFile(uintptr(src), srcName)
	defer in.Close()
	dst, err := unix.Openat(dstDir, dstName, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	out := os.NewFile(uintptr(dst), dstName)
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = unix.Unlinkat(dstDir, dstName, 0)
	}
	return err
}

// Prune removes every entry but those of keep (the keys of this run): an
// edited config leaves its former entry behind, and the memo must not grow
// with every edit until the next boot.
func (m *ConversionMemo) Prune(keep map[string]bool) error {
	entries, err := os.ReadDir(m.dir)
	if err != nil {
		return fmt.Errorf("conversion memo: %w", err)
	}
	for _, e := range entries {
		if !keep[e.Name()] {
			os.RemoveAll(filepath.Join(m.dir, e.Name()))
		}
	}
	return nil
}
