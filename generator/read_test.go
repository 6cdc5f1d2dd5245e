package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A read that never returns (a file on a hung mount) costs its app the read
// timeout and an error naming the file; the other apps load.
func TestBlockingReadIsBounded(t *testing.T) {
	root := writeRoot(t, map[string]string{
		"containers/good.yml": "base_image: x\n",
		"containers/hung.yml": "base_image: x\n",
	})
	block := make(chan struct{})
	defer close(block)
	readFile = func(path string) ([]byte, os.FileMode, error) {
		if strings.HasSuffix(path, "hung.yml") {
			<-block
		}
		return readRegular(path)
	}
	defer func() { readFile = readRegular }()
	paths, err := Discover(root)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	apps, errs := LoadPathsUntil(root, paths, start.Add(300*time.Millisecond))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("load took %s", d)
	}
	if len(apps) != 1 || apps[0].Name != "good" {
		t.Errorf("apps %v, want good", apps)
	}
	want := filepath.Join(root, "containers", "hung.yml") + ": read did not finish in time"
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), want) {
		t.Errorf("errors %v, want one starting %q", errs, want)
	}
}

// Only regular files on real file systems are read, and only up to the cap.
func TestReadRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yml")
	if err := os.WriteFile(big, make([]byte, maxConfigSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/proc/self/status": "pseudo file system",
		"/dev/null":         "character device",
		dir:                 "directory",
		big:                 "larger than",
	} {
		_, _, err := readConfigWithin(path, time.Second)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", path, err, want)
		}
	}
}
