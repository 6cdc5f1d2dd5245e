package certificates

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A Save killed at any point (SIGKILL: no cleanup runs) leaves the store
// with a whole current pair whose key is its certificate's: the old one or
// the new one, never a mix or a dangling link. The child saves new pairs in a
// loop; the parent kills it after a random few milliseconds, again and again.
func TestSaveKilledLeavesAWholePair(t *testing.T) {
	dir := os.Getenv("QUADLAUNCH_TEST_SAVE_LOOP")
	hosts := []string{"app.example.com"}
	newPair := func() *Pair {
		_, inter, _ := chain(t)
		leaf := mkCert(t, "app.example.com", hosts, inter, t0.Add(-24*time.Hour), t0.Add(89*24*time.Hour), false)
		p, err := ParsePair(pemCerts(leaf, inter), pemKey(t, leaf.key))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if dir != "" { // the child
		// Serials count up from a per-process start: a child's pair must not
		// reuse a version directory name (serial-second) of the one before it.
		serial = int64(os.Getpid()) << 24
		s := &Store{Dir: dir}
		for n := 0; ; n++ {
			if err := s.Save("shop", newPair()); err != nil {
				t.Fatal(err)
			}
			if n == 0 { // tell the parent the loop runs
				os.WriteFile(dir+".saving", nil, 0o600)
			}
		}
	}
	s := &Store{Dir: filepath.Join(t.TempDir(), "tls")}
	if err := s.Save("shop", newPair()); err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		os.Remove(s.Dir + ".saving")
		cmd := exec.Command(os.Args[0], "-test.run=^TestSaveKilledLeavesAWholePair$")
		cmd.Env = append(os.Environ(), "QUADLAUNCH_TEST_SAVE_LOOP="+s.Dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill while the child is in its save loop: after its first save
		// (a loaded machine can take long to start it), a random moment later.
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(2 * time.Millisecond) {
			if _, err := os.Stat(s.Dir + ".saving"); err == nil {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("kill %d: the child saved no pair in 20 s", i)
			}
		}
		time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		if err := cmd.Wait(); err == nil || !cmd.ProcessState.Sys().(syscall.WaitStatus).Signaled() {
			t.Fatalf("kill %d: the child was not killed in its loop: %v", i, err)
		}
		p, err := s.Load("shop")
		if err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		if err := p.Check(hosts, t0); err != nil {
			t.Fatalf("kill %d: the current pair is not whole: %v", i, err)
		}
	}
}
