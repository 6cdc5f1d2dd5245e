package certificates

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEnsurePlaceholder(t *testing.T) {
	store := &Store{Dir: filepath.Join(t.TempDir(), "tls")}
	ctx := context.Background()
	now := time.Now()
	hosts := []string{"shop.test", "www.shop.test"}

	e, err := store.EnsurePlaceholder(ctx, "shop", hosts, now)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Created || !e.Placeholder || e.Reason != "no certificate yet" {
		t.Fatalf("first ensure: %+v, want a new placeholder (no certificate yet)", e)
	}
	leaf := e.Pair.Leaf()
	if !IsPlaceholder(leaf) {
		t.Fatalf("the stored certificate is not recognised as a placeholder: %v", leaf.Subject)
	}
	// nginx can start with it: the key matches and it names the hosts.
	if err := e.Pair.Check(hosts, now); err != nil {
		t.Fatalf("placeholder does not check: %v", err)
	}
	if due, why := NeedsRenewal(leaf, now); !due {
		t.Errorf("a placeholder is not due at once: %s", why)
	}
	checkModes(t, store.Dir)
	for _, f := range []string{store.ChainPath("shop"), store.KeyPath("shop")} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("nginx's file: %v", err)
		}
	}

	// Every later start finds it and keeps it.
	again, err := store.EnsurePlaceholder(ctx, "shop", hosts, now)
	if err != nil || again.Created || again.Pair.Serial() != e.Pair.Serial() {
		t.Fatalf("second ensure replaced the placeholder: %+v %v", again, err)
	}

	// A host added to proxy.host: a new placeholder covering it.
	more := append(hosts, "shop2.test")
	grown, err := store.EnsurePlaceholder(ctx, "shop", more, now)
	if err != nil || !grown.Created || grown.Pair.Leaf().VerifyHostname("shop2.test") != nil {
		t.Fatalf("placeholder not replaced for a new host: %+v %v", grown, err)
	}

	// A real certificate (here: one given by hand, not a placeholder) stays,
	// even when it does not cover a host: renewal, not ensure, deals with it.
	real := selfSigned(t, "shop.test")
	if err := store.Save("shop", real); err != nil {
		t.Fatal(err)
	}
	kept, err := store.EnsurePlaceholder(ctx, "shop", more, now)
	if err != nil || kept.Created || kept.Placeholder || kept.Pair.Serial() != real.Serial() {
		t.Fatalf("ensure touched a real certificate: %+v %v", kept, err)
	}

	if _, err := store.EnsurePlaceholder(ctx, "shop", nil, now); err == nil {
		t.Error("a placeholder without host names was made")
	}
	if _, err := store.EnsurePlaceholder(ctx, "../x", hosts, now); err == nil {
		t.Error("a certificate name with .. was accepted")
	}
}

// selfSigned is a certificate for host that is not a placeholder (a
// self-signed one without the marker, as an operator may have put in place).
func selfSigned(t *testing.T, host string) *Pair {
	t.Helper()
	now := time.Now()
	c := mkCert(t, host, []string{host}, nil, now.Add(-time.Hour), now.Add(90*24*time.Hour), false)
	if IsPlaceholder(c.cert) {
		t.Fatal("a self-signed certificate without the marker counts as a placeholder")
	}
	p, err := ParsePair(pemCerts(c), pemKey(t, c.key))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlaceholderThenFirstIssuance(t *testing.T) {
	if testing.Short() {
		t.Skip("ACME against in-process Pebble: not in -short")
	}
	pb := startPebble(t)
	store := &Store{Dir: filepath.Join(t.TempDir(), "tls")}
	a := pb.acme(store)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	hosts := []string{"shop.quadlaunch.test"}
	ph, err := store.EnsurePlaceholder(ctx, "shop", hosts, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Renew(ctx, "shop", hosts, false)
	if err != nil {
		t.Fatalf("first issuance over the placeholder: %v", err)
	}
	if !res.Renewed || res.Reason != "only the placeholder so far" || res.Pair.Serial() == ph.Pair.Serial() {
		t.Fatalf("placeholder not replaced: renewed=%v reason=%q", res.Renewed, res.Reason)
	}
	if IsPlaceholder(res.Pair.Leaf()) {
		t.Fatal("the issued certificate counts as a placeholder")
	}
	e, err := store.EnsurePlaceholder(ctx, "shop", hosts, time.Now())
	if err != nil || e.Created || e.Pair.Serial() != res.Pair.Serial() {
		t.Fatalf("ensure after issuance: %+v %v, want the issued certificate kept", e, err)
	}
}

// A renewal that holds the lock stores a real certificate: the proxy's start,
// waiting for the lock meanwhile, must not put a placeholder over it.
func TestEnsureWaitsForARenewal(t *testing.T) {
	store := &Store{Dir: filepath.Join(t.TempDir(), "tls")}
	unlock, err := store.lock(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		e   *Ensured
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e, err := store.EnsurePlaceholder(ctx, "shop", []string{"shop.test"}, time.Now())
		done <- result{e, err}
	}()
	time.Sleep(300 * time.Millisecond) // ensure is waiting for the lock now
	real := selfSigned(t, "shop.test")
	if err := store.Save("shop", real); err != nil {
		t.Fatal(err)
	}
	unlock()
	r := <-done
	if r.err != nil || r.e.Created || r.e.Pair.Serial() != real.Serial() {
		t.Fatalf("ensure after a renewal: %+v %v, want the renewal's certificate kept", r.e, r.err)
	}

	// A lock held past the timeout: ensure gives up with a clear error.
	store2 := &Store{Dir: filepath.Join(t.TempDir(), "tls")}
	unlock2, err := store2.lock(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock2()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := store2.EnsurePlaceholder(ctx, "shop", []string{"shop.test"}, time.Now()); err == nil || !strings.Contains(err.Error(), "another renewal of shop holds") {
		t.Errorf("ensure with the lock held: %v", err)
	}
}
