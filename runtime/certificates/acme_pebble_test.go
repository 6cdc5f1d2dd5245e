package certificates

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"
)

// pebble is Let's Encrypt's ACME test server (github.com/letsencrypt/pebble,
// a test-only dependency) run in-process on loopback: the directory and the
// HTTP-01 responder are httptest servers on 127.0.0.1, and a DNS server on
// 127.0.0.1 answers every name with 127.0.0.1, so Pebble's validation
// requests come back to the test's webroot server and nowhere else.
type pebble struct {
	dirURL  string
	client  *http.Client
	webroot string
	db      *db.MemoryStore
}

// failHost is a name whose HTTP-01 request the test's web server answers
// with 404, as a proxy that does not serve the webroot would.
const failHost = "broken.quadlaunch.test"

func startPebble(t *testing.T) *pebble {
	t.Helper()
	// No random 0-15 s sleeps before validation, no random bad nonces. lego
	// polls a pending challenge every 5 s (Pebble gives no Retry-After on the
	// challenge), so each new challenge costs up to 5 s.
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	t.Setenv("PEBBLE_AUTHZREUSE", "100") // as Let's Encrypt: valid authorizations are reused, so renewals need no new challenge

	webrootDir := t.TempDir()
	files := http.FileServer(http.Dir(webrootDir))
	challenge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.Host)
		if host == failHost {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(challenge.Close)
	_, portStr, _ := net.SplitHostPort(challenge.Listener.Addr().String())
	var port int
	for _, c := range portStr {
		port = port*10 + int(c-'0')
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dnsSrv := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		for _, q := range r.Question {
			if q.Qtype == dns.TypeA {
				rr, err := dns.NewRR(q.Name + " 0 IN A 127.0.0.1")
				if err == nil {
					m.Answer = append(m.Answer, rr)
				}
			}
		}
		_ = w.WriteMsg(m)
	})}
	go func() { _ = dnsSrv.ActivateAndServe() }()
	t.Cleanup(func() { _ = dnsSrv.Shutdown() })

	logger := log.New(io.Discard, "", 0)
	if testing.Verbose() && os.Getenv("PEBBLE_LOG") != "" {
		logger = log.New(os.Stderr, "pebble ", log.Lmicroseconds)
	}
	store := db.NewMemoryStore()
	if err := store.AddBlockedDomain("blocked.quadlaunch.test"); err != nil {
		t.Fatal(err)
	}
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "default"}})
	validator := va.New(logger, port, 0, false, ln.Addr().String(), store)
	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 1, 1)
	acmeSrv := httptest.NewTLSServer(front.Handler())
	t.Cleanup(acmeSrv.Close)
	client := acmeSrv.Client()
	client.Timeout = 30 * time.Second
	return &pebble{dirURL: acmeSrv.URL + wfe.DirectoryPath, client: client, webroot: webrootDir, db: store}
}

func (p *pebble) acme(store *Store) *ACME {
	return &ACME{Directory: p.dirURL, Email: "ops@quadlaunch.test", Store: store, Webroot: p.webroot, HTTPClient: p.client}
}

func TestACMEAgainstPebble(t *testing.T) {
	if testing.Short() {
		t.Skip("ACME against in-process Pebble: not in -short")
	}
	pb := startPebble(t)
	store := &Store{Dir: filepath.Join(t.TempDir(), "tls")}
	a := pb.acme(store)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	hosts := []string{"app.quadlaunch.test", "www.quadlaunch.test"}

	// First issuance.
	res, err := a.Renew(ctx, "app", hosts, false)
	if err != nil {
		t.Fatalf("first issuance: %v", err)
	}
	if !res.Renewed || res.Reason != "no certificate yet" {
		t.Fatalf("first issuance: renewed=%v reason=%q", res.Renewed, res.Reason)
	}
	first := res.Pair.Serial()
	if err := res.Pair.Check(hosts, time.Now()); err != nil {
		t.Fatalf("issued pair does not check: %v", err)
	}
	if len(res.Pair.Chain) < 2 {
		t.Errorf("chain has %d certificates, want the server certificate and Pebble's intermediate", len(res.Pair.Chain))
	}
	t.Logf("issued serial %s for %v, %d certificates in the chain", first, Hosts(res.Pair.Leaf()), len(res.Pair.Chain))
	checkModes(t, store.Dir)
	if ents, _ := os.ReadDir(filepath.Join(pb.webroot, ".well-known", "acme-challenge")); len(ents) != 0 {
		t.Errorf("challenge files left in the webroot: %v", ents)
	}

	// Not due: nothing happens.
	res, err = a.Renew(ctx, "app", hosts, false)
	if err != nil || res.Renewed || res.Pair.Serial() != first {
		t.Fatalf("second run renewed=%v err=%v, want nothing done (not due)", res.Renewed, err)
	}
	t.Logf("not due: %s", res.Reason)

	// Forced renewal: a new serial becomes current.
	res, err = a.Renew(ctx, "app", hosts, true)
	if err != nil {
		t.Fatalf("forced renewal: %v", err)
	}
	second := res.Pair.Serial()
	if !res.Renewed || second == first {
		t.Fatalf("forced renewal: renewed=%v serial %s -> %s, want a new serial", res.Renewed, first, second)
	}
	if cur, err := store.Load("app"); err != nil || cur.Serial() != second {
		t.Fatalf("store after renewal: %v, serial %v, want %s", err, cur, second)
	}
	checkModes(t, store.Dir)

	// Due by date (70 days into a 90-day certificate): renewed.
	a.Now = func() time.Time { return time.Now().Add(70 * 24 * time.Hour) }
	res, err = a.Renew(ctx, "app", hosts, false)
	if err != nil || !res.Renewed || res.Pair.Serial() == second {
		t.Fatalf("due renewal: renewed=%v err=%v", res.Renewed, err)
	}
	third := res.Pair.Serial()
	t.Logf("due renewal (%s): serial %s", res.Reason, third)
	a.Now = nil

	// Only KeepVersions versions stay on disk.
	ents, _ := os.ReadDir(store.CertDir("app"))
	var versions int
	for _, e := range ents {
		if e.IsDir() {
			versions++
		}
	}
	if versions != KeepVersions {
		t.Errorf("%d version directories, want %d", versions, KeepVersions)
	}

	// Refused: the challenge for one host fails (404): the error carries the
	// CA's reason and the stored certificate stays.
	_, err = a.Renew(ctx, "app", append(hosts, failHost), false)
	var ie *IssueError
	if !errors.As(err, &ie) {
		t.Fatalf("failing challenge: err = %v, want an *IssueError", err)
	}
	if !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), failHost) {
		t.Errorf("failing challenge: error lacks Pebble's reason: %v", err)
	}
	t.Logf("refused (challenge): %v", err)
	if cur, err := store.Load("app"); err != nil || cur.Serial() != third {
		t.Fatalf("after a refusal the current certificate changed: %v %v", err, cur)
	}

	// Refused by policy (a blocked name): the reason is the CA's problem detail.
	_, err = a.Obtain(ctx, "app", []string{"blocked.quadlaunch.test"})
	if !errors.As(err, &ie) || !strings.Contains(strings.ToLower(ie.Reason()), "blocked") {
		t.Fatalf("blocked name: err = %v (reason %q), want Pebble's policy reason", err, reasonOf(ie))
	}
	t.Logf("refused (policy): %v", err)
	if cur, err := store.Load("app"); err != nil || cur.Serial() != third {
		t.Fatalf("after a refusal the current certificate changed: %v %v", err, cur)
	}
	checkModes(t, store.Dir)
}

func reasonOf(e *IssueError) string {
	if e == nil {
		return ""
	}
	return e.Reason()
}

// checkModes walks the state directory: directories 0700, files 0600, the
// current link pointing at a version directory.
func checkModes(t *testing.T, dir string) {
	t.Helper()
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		switch mode := info.Mode(); {
		case mode&os.ModeSymlink != 0:
		case mode.IsDir():
			if mode.Perm() != 0o700 {
				t.Errorf("%s: mode %o, want 0700", path, mode.Perm())
			}
		default:
			if mode.Perm() != 0o600 {
				t.Errorf("%s: mode %o, want 0600", path, mode.Perm())
			}
			if strings.Contains(filepath.Base(path), ".tmp") {
				t.Errorf("%s: temporary file left behind", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
