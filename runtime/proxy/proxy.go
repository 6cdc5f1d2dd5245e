package proxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/certificates"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
	"github.com/quadlaunch/quadlaunch/units"
)

// Control moves an app's traffic between its web slots: it rewrites the
// live nginx config (units.NginxConf), has systemd reload the proxy unit
// (SIGHUP: nginx's graceful reload), waits until nginx answers with the new
// config, and drains: waits until the old workers have finished their requests.
type Control struct {
	App       string
	unit      string
	Setup     units.ProxySetup
	AssetPath string
	User      bool
	sd        *systemd.Manager
	client    *http.Client // to the slots
	control   *http.Client // to the proxy's control socket
	upstream  int          // what the live config sends traffic to
	old       []int        // workers of the config before the last switch: the drain waits for them
}

// NewControl returns the control of app's proxy.
func NewControl(app *generator.App, sd *systemd.Manager) (*Control, error) {
	s, err := units.ResolveProxy(app)
	if err != nil {
		return nil, err
	}
	p := &Control{App: app.Name, unit: units.ProxyUnit(app.Name), Setup: s, AssetPath: app.AssetPath, User: sd.User, sd: sd,
		client: SlotClient(2 * time.Second)}
	// The status answer comes from the proxy's control socket only.
	control := filepath.Join(systemd.RuntimeDir(sd.User), units.ProxyRuntimeDir(app.Name), units.ProxyControlSocket)
	dialer := &net.Dialer{Timeout: 2 * time.Second}
	p.control = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", control)
		}}}
	return p, nil
}

// LivePath is the config nginx reads at each reload.
func (p *Control) LivePath() string {
	return filepath.Join(systemd.RuntimeDir(p.User), units.ProxyRuntimeDir(p.App), units.ProxyLiveConf)
}

// CheckTLSFiles checks the certificate and key files of proxy.tls (not ACME,
// whose store is checked when it writes): that they parse, belong together,
// are valid now and cover proxy.host. A deploy checks them before anything
// changes, so a bad pair stops it with the file, line and key named while the
// running proxy keeps serving with the files it loaded.
func CheckTLSFiles(app *generator.App, now time.Time) error {
	if app.Proxy == nil || app.Proxy.TLS == nil || app.Proxy.TLS.ACME != nil {
		return nil
	}
	t := app.Proxy.TLS
	cert := certificates.Ref{Path: t.Certificate, Pos: t.CertificatePos.String(), Key: "proxy.tls.certificate"}
	key := certificates.Ref{Path: t.Key, Pos: t.KeyPos.String(), Key: "proxy.tls.key"}
	_, err := certificates.LoadPair(cert, key, app.Proxy.Hosts, now)
	return err
}

// Ensure starts the proxy (a no-op when it runs) and learns where it sends traffic.
func (p *Control) Ensure(ctx context.Context) error {
	if err := p.sd.Start(ctx, p.unit); err != nil {
		return err
	}
	if p.Setup.Fronted() {
		// The front's config is the generator's: reload it so it routes the
		// hosts of the configs as they are now (nginx keeps serving the old
		// config if it refuses the new one; the reload fails then).
		if err := p.sd.ReloadOrStart(ctx, units.FrontUnit); err != nil {
			return fmt.Errorf("the front proxy: %w", err)
		}
	}
	return waitFor(ctx, 10*time.Second, func() error {
		_, up, err := p.status()
		if err == nil {
			p.upstream = up
		}
		return err
	})
}

// Upstream is the slot port the proxy sends traffic to.
func (p *Control) Upstream() int { return p.upstream }

// Switch sends new traffic to the slot port upstream; bridge (0 = none) is the
// other slot, asked for assets under asset_path the upstream does not have.
func (p *Control) Switch(ctx context.Context, upstream, bridge int) error {
	m, err := p.MaintenanceState()
	if err != nil {
		return err
	}
	return p.apply(ctx, upstream, bridge, m)
}

// apply writes the live config and has nginx load it (graceful reload),
// waiting until it answers with it.
func (p *Control) apply(ctx context.Context, upstream, bridge int, m *units.Maintenance) error {
	gen := strconv.FormatInt(time.Now().UnixNano(), 36)
	conf := units.NginxConf{App: p.App, Setup: p.Setup, Upstream: upstream, Bridge: bridge, AssetPath: p.AssetPath, Generation: gen, Maintenance: m}
	if err := writeFileAtomic(p.LivePath(), conf.Render(), 0o644); err != nil {
		return err
	}
	// The workers serving now are the ones the drain waits for.
	p.old = nil
	if cg, err := p.sd.ControlGroup(ctx, p.unit); err == nil {
		p.old = procsMatching(cg, "nginx: worker process")
	}
	// nginx's graceful reload (the unit's ExecReload sends the same SIGHUP).
	if err := p.sd.SignalMain(ctx, p.unit, syscall.SIGHUP); err != nil {
		return err
	}
	err := waitFor(ctx, 15*time.Second, func() error {
		g, _, err := p.status()
		if err != nil {
			return err
		}
		if g != gen {
			return fmt.Errorf("nginx still answers with config %s, want %s (journalctl -u %s)", g, gen, p.unit)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("switch %s to 127.0.0.1:%d: %w", p.unit, upstream, err)
	}
	// nginx's master starts the new workers and tells the old ones to stop
	// accepting only 100 ms later: until then a new connection may still get
	// the old config (a request right after `maintenance on` got the app).
	// Once every old worker is shutting down (it closes its listening
	// sockets) or gone, every new connection gets the new config. A worker
	// that never gets there is the drain's business, not a failed switch.
	_ = waitFor(ctx, 5*time.Second, func() error {
		if n := len(acceptingWorkers("/proc", p.old)); n > 0 {
			return fmt.Errorf("%d nginx workers of the old config still accept connections", n)
		}
		return nil
	})
	p.upstream = upstream
	return nil
}

// acceptingWorkers are the processes of pids (under procDir, /proc) that
// are still nginx workers accepting connections: not gone, not "worker
// process is shutting down" (nginx's title once it closed its listeners).
func acceptingWorkers(procDir string, pids []int) []int {
	var accepting []int
	for _, pid := range pids {
		cmd, err := os.ReadFile(filepath.Join(procDir, strconv.Itoa(pid), "cmdline"))
		if err == nil && strings.Contains(string(cmd), "nginx: worker process") && !strings.Contains(string(cmd), "shutting down") {
			accepting = append(accepting, pid)
		}
	}
	return accepting
}

// SlotClient asks a web slot directly, never following a redirect: an app
// that sends plain HTTP to HTTPS (Discourse's web.ssl.template.yml answers
// every request on 80 with a 301 to https://DISCOURSE_HOSTNAME/) answers by
// that, and the name it redirects to need not resolve on the host.
func SlotClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:       timeout,
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// WaitSlot waits until the web slot on loopback port answers HTTP at all (a
// status other than 502-504): the proxy must not switch to a slot whose port
// forwarding or server is not up yet, even when no health check says so.
func (p *Control) WaitSlot(ctx context.Context, port int, limit time.Duration) error {
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	err := waitFor(ctx, limit, func() error {
		resp, err := p.client.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode >= 502 && resp.StatusCode <= 504 {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("slot 127.0.0.1:%d does not answer HTTP: %w", port, err)
	}
	return nil
}

// status asks nginx which config generation and upstream it serves with.
func (p *Control) status() (gen string, upstream int, err error) {
	resp, err := p.control.Get("http://quadlaunch-proxy" + units.ProxyStatusPath)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	if resp.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("%s: HTTP %d", units.ProxyStatusPath, resp.StatusCode)
	}
	f := strings.Fields(string(body))
	if len(f) != 2 {
		return "", 0, fmt.Errorf("%s: unexpected answer %q", units.ProxyStatusPath, body)
	}
	_, port, _ := strings.Cut(f[1], ":")
	upstream, _ = strconv.Atoi(port)
	return f[0], upstream, nil
}

// Drain waits until no nginx worker of an older config is left (they exit once
// their requests are done), at most the drain timeout; nginx's own
// worker_shutdown_timeout closes what is left then.
func (p *Control) Drain(ctx context.Context) (time.Duration, error) {
	limit, err := time.ParseDuration(p.Setup.DrainTimeout)
	if err != nil {
		limit = generator.DefaultDrainTimeout
	}
	t0 := time.Now()
	cg, err := p.sd.ControlGroup(ctx, p.unit)
	if err != nil {
		return 0, err
	}
	wait := limit + 2*time.Second
	if len(p.Setup.Streams) > 0 {
		// Passed-through TCP connections (keep-alive TLS sessions) stay on
		// the old workers and so on the old slot, at no request boundary nginx
		// can see: they end when the old slot stops (the app closes them
		// between requests) or at the config's longer worker_shutdown_timeout.
		// Wait for the HTTP requests up to the drain timeout, then go on.
		wait = limit
	}
	err = waitFor(ctx, wait, func() error {
		left := 0
		for _, pid := range procsMatching(cg, "nginx: worker process") {
			for _, o := range p.old {
				if pid == o {
					left++
				}
			}
		}
		if left > 0 {
			return fmt.Errorf("%d nginx workers of the old config still finishing requests", left)
		}
		return nil
	})
	if err != nil && len(p.Setup.Streams) > 0 && ctx.Err() == nil {
		err = nil
	}
	return time.Since(t0), err
}

// procsMatching lists the processes of cgroup cg whose command line contains s.
func procsMatching(cg, s string) []int {
	data, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", cg, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		cmd, err := os.ReadFile(filepath.Join("/proc", f, "cmdline"))
		if pid, perr := strconv.Atoi(f); perr == nil && err == nil && strings.Contains(string(cmd), s) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func waitFor(ctx context.Context, limit time.Duration, f func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Unit is the proxy's systemd service.
func (p *Control) Unit() string { return p.unit }

// SlotPort is the loopback port of web slot i (rollout.Proxy).
func (p *Control) SlotPort(i int) int { return p.Setup.SlotPorts[i] }
