package units

import (
	"fmt"
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
	for _, f := range files {
		if err := writeOne(dir, f); err != nil {
			return err
		}
	}
	return nil
}

func writeOne(dir string, f File) error {
	if f.Name == "" || filepath.IsAbs(f.Name) || strings.Contains(f.Name, "..") {
		return fmt.Errorf("write %q: not a plain relative name", f.Name)
	}
	target := filepath.Join(dir, f.Name)
	parent := filepath.Dir(target)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	if f.Kind == Symlink {
		tmp := filepath.Join(parent, ".tmp-"+filepath.Base(target))
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
	tmp, err := os.CreateTemp(parent, ".tmp-"+filepath.Base(target)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	// CreateTemp makes the file 0600, so a secret is never readable by others,
	// not even before the Chmod.
	if _, err := tmp.Write(f.Content); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", target, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", target, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("write %s: %w", target, err)
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
