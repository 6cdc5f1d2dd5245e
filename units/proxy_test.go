package units

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
)

func proxyApp() *generator.App {
	return &generator.App{
		Name:       "shop",
		ConfigPath: "/etc/quadlaunch/containers/shop.yml",
		Expose: []generator.Port{
			{HostPort: "8090", Container: "8080"},
			{HostPort: "2222", Container: "22"},
		},
		Roles: []generator.Role{
			{Name: "web", Primary: true, Command: []string{"/usr/bin/demo", "serve"}},
			{Name: "worker", Command: []string{"/usr/bin/demo", "worker"}},
		},
		Healthcheck: &generator.Healthcheck{Cmd: []string{"CMD-SHELL", "wget -q -O- http://127.0.0.1:8080/healthz"}, Interval: "1s", Retries: 3},
		Proxy:       &generator.Proxy{},
	}
}

func planProxy(t *testing.T, app *generator.App, user bool) *PlanResult {
	t.Helper()
	dir := "/run/systemd/generator/quadlaunch.private"
	if user {
		dir = "/run/user/1000/systemd/generator/quadlaunch.private"
	}
	p, err := Plan([]*generator.App{app}, Options{User: user, PrivateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range p.Diagnostics {
		if d.Severity == Error {
			t.Fatalf("plan: %s", d)
		}
	}
	return p
}

func fileText(t *testing.T, p *PlanResult, kind Kind, name string) string {
	t.Helper()
	f, ok := p.File(kind, name)
	if !ok {
		t.Fatalf("no %s file %s", kind, name)
	}
	return string(f.Content)
}

func TestProxyUnits(t *testing.T) {
	p := planProxy(t, proxyApp(), false)
	web := fileText(t, p, Quadlet, "shop-web.container")
	next := fileText(t, p, Quadlet, "shop-web-next.container")
	for _, want := range []string{"PublishPort=127.0.0.1:18090:8080", "PublishPort=127.0.0.1:" + strconv.Itoa(slotBlockBase("shop")+2) + ":22", "Notify=healthy", "Requires=shop-migrate.service"} {
		if !strings.Contains(web, want+"\n") {
			t.Errorf("shop-web.container lacks %q:\n%s", want, web)
		}
	}
	if strings.Contains(web, "PublishPort=8090") || strings.Contains(web, "PublishPort=2222") {
		t.Errorf("shop-web still publishes a port the proxy owns:\n%s", web)
	}
	// Either slot may be the live one boot starts: the second one is the first's equal.
	for _, want := range []string{"PublishPort=127.0.0.1:18091:8080", "PublishPort=127.0.0.1:" + strconv.Itoa(slotBlockBase("shop")+3) + ":22", "ContainerName=shop-web-next", "Notify=healthy", "Exec=/usr/bin/demo serve",
		"Requires=shop-migrate.service", "After=shop-configure.service", "Restart=on-failure"} {
		if !strings.Contains(next, want+"\n") {
			t.Errorf("shop-web-next.container lacks %q:\n%s", want, next)
		}
	}
	for _, bad := range []string{"WantedBy=", "PublishPort=2222"} {
		if strings.Contains(next, bad) {
			t.Errorf("shop-web-next.container has %q (a deploy's live link makes the target want it; it publishes on loopback only):\n%s", bad, next)
		}
	}
	unit := fileText(t, p, Plain, "shop-proxy.service")
	for _, want := range []string{
		"RuntimeDirectory=quadlaunch-proxy/shop quadlaunch-proxy/shop/tmp",
		"WorkingDirectory=%t/quadlaunch-proxy/shop",
		// The boot config of the live slot: the second one's when its A.target.wants link exists.
		`ExecStartPre=/bin/sh -c 'if [ -L "$$1" ]; then exec /usr/bin/cp -- "$$3" "$$4"; else exec /usr/bin/cp -- "$$2" "$$4"; fi' sh ` +
			"%E/systemd/system/shop.target.wants/shop-web-next.service /run/systemd/generator/quadlaunch.proxy/shop.nginx.conf " +
			"/run/systemd/generator/quadlaunch.proxy/shop.slot2.nginx.conf %t/quadlaunch-proxy/shop/nginx.conf",
		"ExecStart=/usr/sbin/nginx -e stderr -p %t/quadlaunch-proxy/shop/ -c nginx.conf",
		"KillSignal=SIGQUIT",
	} {
		if !strings.Contains(unit, want+"\n") {
			t.Errorf("shop-proxy.service lacks %q:\n%s", want, unit)
		}
	}
	// A.target wants A-web through a link a deploy can mask, not Wants=.
	if target := fileText(t, p, Plain, "shop.target"); !strings.Contains(target, "Wants=shop-proxy.service\n") || strings.Contains(target, "web") {
		t.Errorf("shop.target must want the proxy and neither web slot itself:\n%s", target)
	}
	if link := fileText(t, p, Symlink, "shop.target.wants/shop-web.service"); link != "../shop-web.service" {
		t.Errorf("shop.target.wants/shop-web.service -> %q", link)
	}
	if conf := fileText(t, p, Plain, "quadlaunch.proxy/shop.slot2.nginx.conf"); !strings.Contains(conf, "server 127.0.0.1:18091;") {
		t.Errorf("the second slot's boot config must send traffic to it:\n%s", conf)
	}
	conf := fileText(t, p, Plain, "quadlaunch.proxy/shop.nginx.conf")
	if !strings.Contains(conf, "upstream quadlaunch_live { server 127.0.0.1:18090; keepalive 16; keepalive_timeout 2s; }") || !strings.Contains(conf, "listen 8090;") {
		t.Errorf("steady config must send port 8090 to shop-web's slot:\n%s", conf)
	}
}

func TestProxyUnitsConvert(t *testing.T) {
	bin := quadletBin(t)
	for _, user := range []bool{false, true} {
		p := planProxy(t, proxyApp(), user)
		conv := convert(t, bin, p, user)
		svc, err := os.ReadFile(filepath.Join(conv.normal, "shop-web-next.service"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(svc), "--sdnotify=healthy") || !strings.Contains(string(svc), "127.0.0.1:18091:8080") {
			t.Errorf("user=%v: converted shop-web-next.service:\n%s", user, svc)
		}
	}
}

func TestProxyErrors(t *testing.T) {
	noPort := proxyApp()
	noPort.Expose = []generator.Port{{Container: "8080"}}
	clash := proxyApp()
	clash.Roles = append(clash.Roles, generator.Role{Name: "web-next"})
	ownPort := proxyApp()
	ownPort.Proxy = &generator.Proxy{SlotPorts: [2]int{8090, 9000}}
	for name, app := range map[string]*generator.App{"no published port": noPort, "role clash": clash, "slot on own port": ownPort} {
		p, err := Plan([]*generator.App{app}, Options{PrivateDir: "/run/systemd/generator/quadlaunch.private"})
		if err != nil {
			t.Fatal(err)
		}
		if !p.Failed("shop") {
			t.Errorf("%s: planned without error", name)
		}
	}
}

func TestNginxConfBridge(t *testing.T) {
	s, err := ResolveProxy(proxyApp())
	if err != nil {
		t.Fatal(err)
	}
	steady := NginxConf{App: "shop", Setup: s, Upstream: 18091, Generation: "g1"}.Render()
	if strings.Contains(string(steady), "@bridge") {
		t.Errorf("no bridge without a bridge slot:\n%s", steady)
	}
	if !strings.Contains(string(steady), `return 200 "g1 127.0.0.1:18091\n";`) {
		t.Errorf("status answer missing:\n%s", steady)
	}
	swap := string(NginxConf{App: "shop", Setup: s, Upstream: 18091, Bridge: 18090, AssetPath: "/assets/", Generation: "g2"}.Render())
	for _, want := range []string{"upstream quadlaunch_bridge { server 127.0.0.1:18090; keepalive 4; keepalive_timeout 2s; }", "location /assets/ {", "error_page 404 = @bridge;"} {
		if !strings.Contains(swap, want) {
			t.Errorf("bridge config lacks %q:\n%s", want, swap)
		}
	}
	s.ListenIP = "192.0.2.7"
	local := string(NginxConf{App: "shop", Setup: s, Upstream: 18090, Generation: "g"}.Render())
	if !strings.Contains(local, "listen 192.0.2.7:8090;") || !strings.Contains(local, "listen 192.0.2.7:2222;") {
		t.Errorf("listen address not honoured:\n%s", local)
	}
	// The status answer is on the control socket alone, never on a published port.
	control := local[strings.Index(local, "listen unix:control.sock;"):]
	control = control[:strings.Index(control, "    }\n")]
	if !strings.Contains(control, `location = /.quadlaunch/proxy {`) || strings.Count(local, "/.quadlaunch/proxy") != 1 {
		t.Errorf("status location must be in the control socket's server only:\n%s", local)
	}
}

// Stopping or restarting A.target reaches the roles, both web slots and the
// proxy (PartOf=), not the oneshot migrate/configure.
func TestRolesArePartOfTheTarget(t *testing.T) {
	p := planProxy(t, proxyApp(), false)
	for _, f := range []struct {
		kind Kind
		name string
	}{{Quadlet, "shop-web.container"}, {Quadlet, "shop-web-next.container"}, {Quadlet, "shop-worker.container"}, {Plain, "shop-proxy.service"}} {
		if text := fileText(t, p, f.kind, f.name); !strings.Contains(text, "PartOf=shop.target\n") {
			t.Errorf("%s lacks PartOf=shop.target:\n%s", f.name, text)
		}
	}
	for _, name := range []string{"shop-migrate.service", "shop-configure.service"} {
		if f, ok := p.File(Plain, name); ok && strings.Contains(string(f.Content), "PartOf=") {
			t.Errorf("%s must not be part of the target (stopping the app must not kill a migration):\n%s", name, f.Content)
		}
	}
}

// Maintenance: every location of the app answers the page (503,
// Retry-After), the upstream and the status answer stay; the message cannot
// break out of nginx's string or inject a variable.
func TestNginxConfMaintenance(t *testing.T) {
	s, err := ResolveProxy(proxyApp())
	if err != nil {
		t.Fatal(err)
	}
	conf := string(NginxConf{App: "shop", Setup: s, Upstream: 18091, Generation: "g", Maintenance: &Maintenance{Message: "back at 5 o'clock; $host {x} \\ <b>"}}.Render())
	for _, want := range []string{"add_header Retry-After 60 always;", "return 503 '", "back at 5 o&#39;clock; &#36;host {x} &#92; &lt;b&gt;",
		"upstream quadlaunch_live { server 127.0.0.1:18091;", `return 200 "g 127.0.0.1:18091\n";`} {
		if !strings.Contains(conf, want) {
			t.Errorf("maintenance config lacks %q:\n%s", want, conf)
		}
	}
	if strings.Contains(conf, "proxy_pass http://quadlaunch_live;") {
		t.Errorf("maintenance config still sends requests to the app:\n%s", conf)
	}
}
