package proxy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quadlaunch/quadlaunch/units"
)

func testControl(t *testing.T, h http.Handler) (*Control, int) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	_, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(p)
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "tcp", srv.Listener.Addr().String())
	}}}
	return &Control{App: "shop", Setup: units.ProxySetup{ListenPort: port}, client: SlotClient(time.Second), control: c}, port
}

func TestProxyStatus(t *testing.T) {
	p, _ := testControl(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != units.ProxyStatusPath {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "g42 127.0.0.1:18091")
	}))
	gen, up, err := p.status()
	if err != nil || gen != "g42" || up != 18091 {
		t.Errorf("status = %q %d %v, want g42 18091", gen, up, err)
	}
}

func TestWaitSlotWaitsForHTTP(t *testing.T) {
	var n atomic.Int32
	p, port := testControl(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 3 {
			w.WriteHeader(http.StatusBadGateway) // a forwarder whose backend is not up yet
			return
		}
		w.WriteHeader(http.StatusNotFound) // any real answer counts
	}))
	if err := p.WaitSlot(context.Background(), port, 5*time.Second); err != nil || n.Load() < 3 {
		t.Errorf("WaitSlot: %v after %d requests", err, n.Load())
	}
	if err := p.WaitSlot(context.Background(), 1, 300*time.Millisecond); err == nil {
		t.Error("WaitSlot on a closed port succeeded")
	}
}

// A slot that redirects plain HTTP to HTTPS under a name the host cannot
// resolve (Discourse's web.ssl.template.yml) answers by that redirect.
func TestWaitSlotTakesARedirectAsAnAnswer(t *testing.T) {
	var n atomic.Int32
	p, port := testControl(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Redirect(w, r, "https://discourse.invalid"+r.URL.RequestURI(), http.StatusMovedPermanently)
	}))
	if err := p.WaitSlot(context.Background(), port, 2*time.Second); err != nil || n.Load() != 1 {
		t.Errorf("WaitSlot: %v after %d requests, want success after the first", err, n.Load())
	}
}

// After a reload, an old worker counts as accepting until it is gone or
// nginx titled it "is shutting down" (its listeners closed).
func TestAcceptingWorkers(t *testing.T) {
	proc := t.TempDir()
	for pid, cmdline := range map[string]string{
		"10": "nginx: worker process\x00",                  // still accepting
		"11": "nginx: worker process is shutting down\x00", // draining
		"12": "nginx: master process /usr/sbin/nginx\x00",  // not a worker
	} {
		if err := os.MkdirAll(filepath.Join(proc, pid), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(proc, pid, "cmdline"), []byte(cmdline), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// 13 has exited: no /proc entry.
	if got := acceptingWorkers(proc, []int{10, 11, 12, 13}); !slices.Equal(got, []int{10}) {
		t.Errorf("acceptingWorkers = %v, want [10]", got)
	}
	if got := acceptingWorkers(proc, nil); len(got) != 0 {
		t.Errorf("no old workers: %v", got)
	}
}
