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
		s := &Store{Dir: dir}
		for {
			if err := s.Save("shop", newPair()); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := &Store{Dir: filepath.Join(t.TempDir(), "tls")}
	if err := s.Save("shop", newPair()); err != nil {
		t.Fatal(err)
	}
	changed := 0
	last := ""
	for i := range 25 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSaveKilledLeavesAWholePair$")
		cmd.Env = append(os.Environ(), "QUADLAUNCH_TEST_SAVE_LOOP="+s.Dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(20+rand.IntN(60)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		p, err := s.Load("shop")
		if err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		if err := p.Check(hosts, t0); err != nil {
			t.Fatalf("kill %d: the current pair is not whole: %v", i, err)
		}
		if p.Serial() != last {
			changed++
			last = p.Serial()
		}
	}
	if changed < 2 {
		t.Errorf("the child saved a new current pair before only %d of 25 kills: the test did not interrupt saves", changed)
	}
}
