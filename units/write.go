package units

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// WriteAtomic writes files of one kind into dir, each through a temporary file
// and a rename, so a reader never sees half a unit. Private files are 0600 in a
// 0700 dir; others 0644. Symlink files become symlinks to their Content.
func WriteAtomic(dir string, files []File) error {
	dirMode := os.FileMode(0o755)
	for _, f := range files {
		if f.Kind == Private {
			dirMode = 0o700
		}
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("write units: %w", err)
	}
	if dirMode == 0o700 {
		// MkdirAll keeps an existing dir's mode; the private dir must be 0700.
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("write units: %w", err)
		}
	}
	// The generator writes hundreds of small files at every boot: remember the
	// dirs already made, and spend as few syscalls per file as the rename allows.
	made := map[string]bool{dir: true}
	for _, f := range files {
		if err := writeOne(dir, f, made); err != nil {
			return err
		}
	}
	return nil
}

func writeOne(dir string, f File, made map[string]bool) error {
	if f.Name == "" || filepath.IsAbs(f.Name) || strings.Contains(f.Name, "..") {
		return fmt.Errorf("write %q: not a plain relative name", f.Name)
	}
	target := filepath.Join(dir, f.Name)
	parent := filepath.Dir(target)
	if !made[parent] {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return fmt.Errorf("write %s: %w", target, err)
		}
		made[parent] = true
	}
	tmp := filepath.Join(parent, ".tmp-"+filepath.Base(target))
	if f.Kind == Symlink {
		_ = os.Remove(tmp)
		if err := os.Symlink(string(f.Content), tmp); err != nil {
			return fmt.Errorf("write %s: %w", target, err)
		}
		if err := os.Rename(tmp, target); err != nil {
			_ = os.Remove(tmp)
			return fmt.Errorf("write %s: %w", target, err)
		}
		return nil
	}
	mode := os.FileMode(0o644)
	if f.Kind == Private {
		mode = 0o600
	}
	// O_EXCL, removing a leftover first if there is one: a stale temp file (from a killed run)
	// could have another mode, and a secret must never be written into a file
	// readable by others. Created with its final mode (less the umask), so a
	// private file is never readable by others, not even for a moment.
	fd, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		_ = os.Remove(tmp)
		fd, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	_, werr := fd.Write(f.Content)
	cerr := fd.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, target)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", target, werr)
	}
	return nil
}

// Select returns the files of one kind, in plan order.
func Select(files []File, kind Kind) []File {
	var out []File
	for _, f := range files {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}
