package units

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func memoFiles() []File {
	return []File{
		{Name: "shop-web.container", Content: []byte("[Container]\nImage=a\n"), Kind: Quadlet, App: "shop", Source: "/etc/quadlaunch/containers/shop.yml"},
		{Name: "shop-data.volume", Content: []byte("[Volume]\n"), Kind: Quadlet, App: "shop", Source: "/etc/quadlaunch/containers/shop.yml"},
	}
}

// Every input the conversion depends on is in the key, and nothing else.
func TestConversionMemoKey(t *testing.T) {
	dir := t.TempDir()
	shared := []File{{Name: "shop.network", Content: []byte("[Network]\n"), Kind: Quadlet, Shared: true}}
	base := NewConversionMemo(dir, "/q dev=1 ino=2", false, "5.4.2")
	key := base.Key(memoFiles(), shared)
	if again := NewConversionMemo(t.TempDir(), "/q dev=1 ino=2", false, "5.4.2").Key(memoFiles(), shared); again != key {
		t.Errorf("same inputs, other keys: %s %s", key, again)
	}
	differ := map[string]string{
		"quadlet binary": NewConversionMemo(dir, "/q dev=1 ino=3", false, "5.4.2").Key(memoFiles(), shared),
		"user":           NewConversionMemo(dir, "/q dev=1 ino=2", true, "5.4.2").Key(memoFiles(), shared),
		"plan version":   NewConversionMemo(dir, "/q dev=1 ino=2", false, "4.9.4").Key(memoFiles(), shared),
		"no shared file": base.Key(memoFiles(), nil),
		"shared content": base.Key(memoFiles(), []File{{Name: "shop.network", Content: []byte("[Network]\nSubnet=10.0.0.0/24\n")}}),
	}
	edit := func(name string, change func(f *File)) {
		files := memoFiles()
		change(&files[1])
		differ[name] = base.Key(files, shared)
	}
	edit("file name", func(f *File) { f.Name = "shop-other.volume" })
	edit("content", func(f *File) { f.Content = []byte("[Volume]\nLabel=x\n") })
	edit("source", func(f *File) { f.Source = "/etc/quadlaunch/containers/other.yml" })
	// Field boundaries count: moving a byte from one field to the next is another key.
	edit("boundary", func(f *File) { f.Name, f.Content = "shop-data.volume[", []byte("Volume]\n") })
	t.Setenv("PODMAN", "/opt/podman")
	differ["PODMAN"] = NewConversionMemo(dir, "/q dev=1 ino=2", false, "5.4.2").Key(memoFiles(), shared)
	for what, k := range differ {
		if k == key {
			t.Errorf("%s changed, the key did not", what)
		}
	}
}

func writeServices(t *testing.T, dir string, services map[string]string) {
	t.Helper()
	for name, content := range services {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func checkServices(t *testing.T, dir string, services map[string]string) {
	t.Helper()
	for name, want := range services {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
}

// A kept entry comes back as the services written when it was kept, as
// hard links (one link each, no copy) when memo and output share a file
// system; an entry not believed or not whole is a miss.
func TestConversionMemoStoreRestore(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "run", "conversions")
	services := map[string]string{"shop-web.service": "[Service]\nExecStart=a\n", "shop-data-volume.service": "[Service]\n"}
	names := []string{"shop-web.service", "shop-data-volume.service"}
	first := filepath.Join(base, "first")
	if err := os.Mkdir(first, 0o755); err != nil {
		t.Fatal(err)
	}
	writeServices(t, first, services)
	memo := NewConversionMemo(dir, "q", false, "5.4.2")
	key := memo.Key(memoFiles(), nil)
	if memo.Restore(key, names, first) {
		t.Fatal("restored from an empty memo")
	}
	if err := memo.Store(key, names, first); err != nil {
		t.Fatal(err)
	}
	memo.Close()

	restore := func(names []string) (string, bool) {
		t.Helper()
		out := filepath.Join(t.TempDir(), "generator")
		m := NewConversionMemo(dir, "q", false, "5.4.2")
		defer m.Close()
		return out, m.Restore(key, names, out)
	}
	out, ok := restore(names)
	if !ok {
		t.Fatal("not restored")
	}
	checkServices(t, out, services)
	var a, b syscall.Stat_t
	if err := syscall.Stat(filepath.Join(out, "shop-web.service"), &a); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(filepath.Join(dir, key, "shop-web.service"), &b); err != nil {
		t.Fatal(err)
	}
	if a.Dev == b.Dev && a.Ino != b.Ino {
		t.Error("restored as a copy on the same file system, want a hard link")
	}
	// A rerun into a dir that already has the names gets the kept services.
	if err := os.Remove(filepath.Join(out, "shop-web.service")); err != nil {
		t.Fatal(err)
	}
	writeServices(t, out, map[string]string{"shop-web.service": "stale\n"})
	m := NewConversionMemo(dir, "q", false, "5.4.2")
	if !m.Restore(key, names, out) {
		t.Fatal("not restored over an existing service")
	}
	m.Close()
	checkServices(t, out, services)

	// A restored service written into in place (it shares the entry's inode)
	// makes the entry unbelievable; the next conversion's Store replaces it.
	time.Sleep(10 * time.Millisecond) // past the entry's mtime on coarse clocks
	writeServices(t, out, map[string]string{"shop-web.service": "edited\n"})
	if _, ok := restore(names); ok {
		t.Fatal("restored an entry whose service was changed in place")
	}
	// (A conversion writes new files: the old ones share the edited inode.)
	for _, name := range names {
		if err := os.Remove(filepath.Join(first, name)); err != nil {
			t.Fatal(err)
		}
	}
	writeServices(t, first, services)
	m = NewConversionMemo(dir, "q", false, "5.4.2")
	if err := m.Store(key, names, first); err != nil {
		t.Fatalf("store over an entry not believed: %v", err)
	}
	m.Close()
	if out, ok := restore(names); !ok {
		t.Fatal("not restored after the entry was kept again")
	} else {
		checkServices(t, out, services)
	}

	// An entry short of a service is not whole.
	if _, ok := restore(append(names, "shop-worker.service")); ok {
		t.Error("restored an entry without one of its services")
	}
	// An entry others may write is not believed.
	if err := os.Chmod(filepath.Join(dir, key), 0o777); err != nil {
		t.Fatal(err)
	}
	if _, ok := restore(names); ok {
		t.Error("believed a world-writable entry")
	}
	if err := os.Chmod(filepath.Join(dir, key), 0o755); err != nil {
		t.Fatal(err)
	}
	// Nor a symlink in its place.
	if err := os.Rename(filepath.Join(dir, key), filepath.Join(dir, "elsewhere")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("elsewhere", filepath.Join(dir, key)); err != nil {
		t.Fatal(err)
	}
	if _, ok := restore(names); ok {
		t.Error("believed an entry through a symlink")
	}

	// Prune keeps only this run's keys: also what a Store killed half way
	// left (its temporary dir, never a key).
	if err := os.MkdirAll(filepath.Join(dir, ".ql-1-1"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeServices(t, filepath.Join(dir, ".ql-1-1"), map[string]string{"shop-web.service": "half\n"})
	m = NewConversionMemo(dir, "q", false, "5.4.2")
	if err := m.Prune(map[string]bool{"elsewhere": true}); err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 1 || left[0].Name() != "elsewhere" {
		t.Errorf("after prune: %v, want only the kept entry", left)
	}
}

// Across file systems (the memo on one, the generator dir on another) the
// services are copied.
func TestConversionMemoAcrossFileSystems(t *testing.T) {
	shm, tmp := "/dev/shm", t.TempDir()
	var a, b syscall.Stat_t
	if syscall.Stat(shm, &a) != nil || syscall.Stat(tmp, &b) != nil || a.Dev == b.Dev {
		t.Skip("needs /dev/shm and the temp dir on different file systems")
	}
	shmDir, err := os.MkdirTemp(shm, "quadlaunch-memo-")
	if err != nil {
		t.Skip(err)
	}
	defer os.RemoveAll(shmDir)
	services := map[string]string{"shop-web.service": "[Service]\nExecStart=a\n"}
	writeServices(t, tmp, services)
	memo := NewConversionMemo(filepath.Join(shmDir, "conversions"), "q", false, "5.4.2")
	defer memo.Close()
	if err := memo.Store("k", []string{"shop-web.service"}, tmp); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	m := NewConversionMemo(filepath.Join(shmDir, "conversions"), "q", false, "5.4.2")
	defer m.Close()
	if !m.Restore("k", []string{"shop-web.service"}, out) {
		t.Fatal("not restored across file systems")
	}
	checkServices(t, out, services)
}

// Optional devices make quadlet look at the host: such files are never kept.
func TestMemoizable(t *testing.T) {
	if !Memoizable(memoFiles()) {
		t.Error("plain files not memoizable")
	}
	files := memoFiles()
	files[0].Content = []byte("[Container]\nImage=a\nAddDevice=-/dev/fuse\n")
	if Memoizable(files) {
		t.Error("a file with an optional device was memoizable")
	}
}
