package units

import (
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quadlaunch/quadlaunch/generator"
)

// hostApp is an app behind the front: HTTP on 80, TLS inside the container on 443.
func hostApp(name string, hosts ...string) *generator.App {
	a := proxyApp()
	a.Name = name
	a.ConfigPath = "/etc/quadlaunch/containers/" + name + ".yml"
	a.Expose = []generator.Port{{HostPort: "80", Container: "8080"}, {HostPort: "443", Container: "8443"}, {HostPort: "5353", Container: "53", Proto: "udp"}}
	a.Proxy = &generator.Proxy{Hosts: hosts, HostsPos: generator.Pos{File: a.ConfigPath, Line: 7}}
	return a
}

func planApps(t *testing.T, apps ...*generator.App) *PlanResult {
	t.Helper()
	p, err := Plan(apps, Options{PrivateDir: "/run/systemd/generator/quadlaunch.private"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFrontRoutesTwoAppsOnOnePort(t *testing.T) {
	shop, blog := hostApp("shop", "shop.example.com", "www.shop.example.com"), hostApp("blog", "blog.example.com")
	tlsApp := hostApp("docs", "docs.example.com")
	tlsApp.Expose = tlsApp.Expose[:1]
	tlsApp.Proxy.TLS = &generator.ProxyTLS{Certificate: "/etc/ssl/docs.pem", Key: "/etc/ssl/docs.key", Port: 443, RedirectHTTP: true}
	p := planApps(t, shop, blog, tlsApp)
	for _, d := range p.Diagnostics {
		if d.Severity == Error {
			t.Fatalf("plan: %s", d)
		}
	}
	front := fileText(t, p, Plain, FrontConf)
	for _, want := range []string{
		"load_module " + StreamModule + ";",
		"listen 80 default_server;",
		"server_name shop.example.com www.shop.example.com;",
		"server_name blog.example.com;",
		"shop.example.com unix:../shop/port-443.sock;",
		"blog.example.com unix:../blog/port-443.sock;",
		// TLS at docs' proxy: the front passes the TLS stream to it by SNI.
		"docs.example.com unix:../docs/tls.sock;",
		"ssl_preread on;",
		"proxy_protocol on;",
	} {
		if !strings.Contains(front, want+"\n") {
			t.Errorf("front config lacks %q:\n%s", want, front)
		}
	}
	if !strings.Contains(front, "{ server unix:../shop/http.sock; keepalive") {
		t.Errorf("front config lacks shop's HTTP socket upstream:\n%s", front)
	}
	if strings.Count(front, "listen 443;") != 1 {
		t.Errorf("one SNI listener on 443 for all three apps:\n%s", front)
	}
	unit := fileText(t, p, Plain, FrontUnit)
	for _, want := range []string{"WorkingDirectory=%t/quadlaunch-proxy/front", "ExecStart=/usr/sbin/nginx -e stderr -p %t/quadlaunch-proxy/front/ -c nginx.conf", "ExecReload="} {
		if !strings.Contains(unit, want) {
			t.Errorf("front unit lacks %q:\n%s", want, unit)
		}
	}
	// Each app's proxy listens on its sockets only; the front owns 80 and 443.
	conf := fileText(t, p, Plain, "quadlaunch.proxy/shop.nginx.conf")
	for _, want := range []string{"listen unix:http.sock;", "listen unix:port-443.sock proxy_protocol;", "real_ip_header X-Real-IP;"} {
		if !strings.Contains(conf, want) {
			t.Errorf("shop's proxy config lacks %q:\n%s", want, conf)
		}
	}
	if strings.Contains(conf, "listen 80") || strings.Contains(conf, "listen 443") {
		t.Errorf("shop's proxy must not listen on the front's ports:\n%s", conf)
	}
	if unit := fileText(t, p, Plain, "shop-proxy.service"); !strings.Contains(unit, "Wants="+FrontUnit+"\n") {
		t.Errorf("shop-proxy.service must want the front:\n%s", unit)
	}
	// Slot ports: a block per app name, distinct between apps sharing 80/443.
	ss, _ := ResolveProxy(shop)
	bs, _ := ResolveProxy(blog)
	if ss.SlotPorts == bs.SlotPorts || ss.Streams[0].SlotPorts == bs.Streams[0].SlotPorts || ss.SlotPorts[0] < 20000 {
		t.Errorf("slot ports of shop %v/%v and blog %v/%v must differ", ss.SlotPorts, ss.Streams, bs.SlotPorts, bs.Streams)
	}
	web := fileText(t, p, Quadlet, "shop-web.container")
	for _, want := range []string{
		"PublishPort=127.0.0.1:" + itoa(ss.SlotPorts[0]) + ":8080",
		"PublishPort=127.0.0.1:" + itoa(ss.Streams[0].SlotPorts[0]) + ":8443",
		"PublishPort=5353:53/udp", // UDP cannot be swapped: A-web publishes it as before
	} {
		if !strings.Contains(web, want+"\n") {
			t.Errorf("shop-web.container lacks %q:\n%s", want, web)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestFrontRefusesSecondClaimOfAHost(t *testing.T) {
	a, b := hostApp("alpha", "shop.example.com"), hostApp("beta", "www.example.com", "shop.example.com")
	ok := hostApp("gamma", "gamma.example.com")
	p := planApps(t, b, ok, a)
	if p.Failed("alpha") || p.Failed("gamma") {
		t.Fatalf("alpha (first by name) and gamma must be planned: %v", p.Diagnostics)
	}
	if !p.Failed("beta") {
		t.Fatal("beta claims alpha's host and was planned")
	}
	var msg string
	for _, d := range p.Diagnostics {
		if d.App == "beta" {
			msg = d.String()
		}
	}
	if !strings.Contains(msg, "beta.yml:7") || !strings.Contains(msg, "proxy.host") || !strings.Contains(msg, "host shop.example.com on port 80 is already app alpha's") {
		t.Errorf("error = %q, want beta's file:line, the key and alpha named", msg)
	}
	front := fileText(t, p, Plain, FrontConf)
	if strings.Contains(front, "../beta/") || !strings.Contains(front, "gamma.example.com") {
		t.Errorf("the front must route alpha and gamma, not the refused beta:\n%s", front)
	}
	// An app that wants 443 routed as HTTP, where others have it as TLS, is refused too.
	odd := hostApp("delta", "delta.example.com")
	odd.Expose = []generator.Port{{HostPort: "443", Container: "8080"}}
	p = planApps(t, a, odd)
	if !p.Failed("delta") {
		t.Errorf("delta wants 443 as HTTP while alpha routes it by SNI: planned")
	}
}

func TestNoFrontWithoutHosts(t *testing.T) {
	p := planApps(t, proxyApp())
	if _, ok := p.File(Plain, FrontUnit); ok {
		t.Error("a front unit without any proxy.host")
	}
}

func TestProxyStreamsSwitchWithTheSlot(t *testing.T) {
	s, err := ResolveProxy(proxyApp())
	if err != nil {
		t.Fatal(err)
	}
	first := string(NginxConf{App: "shop", Setup: s, Upstream: s.SlotPorts[0], Generation: "g"}.Render())
	second := string(NginxConf{App: "shop", Setup: s, Upstream: s.SlotPorts[1], Generation: "g"}.Render())
	s1, s2 := itoa(slotBlockBase("shop")+2), itoa(slotBlockBase("shop")+3)
	if !strings.Contains(first, "load_module "+StreamModule+";") || !strings.Contains(first, "listen 2222;") || !strings.Contains(first, "proxy_pass 127.0.0.1:"+s1+";") {
		t.Errorf("slot 1 live: port 2222 must go to %s:\n%s", s1, first)
	}
	if !strings.Contains(first, "worker_shutdown_timeout 150s;") {
		t.Errorf("with passed-through ports old workers keep their connections past the 30s drain (the old slot closes them):\n%s", first)
	}
	if !strings.Contains(second, "proxy_pass 127.0.0.1:"+s2+";") || strings.Contains(second, s1) {
		t.Errorf("slot 2 live: port 2222 must go to %s:\n%s", s2, second)
	}
	plain := proxyApp()
	plain.Expose = plain.Expose[:1]
	s, _ = ResolveProxy(plain)
	if conf := string(NginxConf{App: "shop", Setup: s, Upstream: s.SlotPorts[0]}.Render()); strings.Contains(conf, "stream {") || strings.Contains(conf, "load_module") {
		t.Errorf("no stream module without a passed-through port:\n%s", conf)
	}
}

func TestProxyTLSAtTheProxy(t *testing.T) {
	a := proxyApp()
	a.Expose = a.Expose[:1]
	a.Proxy = &generator.Proxy{Hosts: nil, TLS: &generator.ProxyTLS{Certificate: "/etc/ssl/shop.pem", Key: "/etc/ssl/shop.key", Port: 8443, RedirectHTTP: true, HSTSMaxAge: 600}}
	p := planProxy(t, a, false)
	conf := fileText(t, p, Plain, "quadlaunch.proxy/shop.nginx.conf")
	for _, want := range []string{
		"listen 8443 ssl;",
		"ssl_certificate /etc/ssl/shop.pem;",
		"ssl_certificate_key /etc/ssl/shop.key;",
		`add_header Strict-Transport-Security "max-age=600" always;`,
		"location / { return 308 https://$host:8443$request_uri; }",
		"proxy_set_header X-Forwarded-Proto $scheme;",
	} {
		if !strings.Contains(conf, want+"\n") {
			t.Errorf("TLS config lacks %q:\n%s", want, conf)
		}
	}
	if strings.Contains(conf, "acme-challenge") {
		t.Errorf("no ACME location for certificate files:\n%s", conf)
	}
	// ACME: the challenge on plain HTTP before the redirect, the store's files, a placeholder first.
	a.Proxy = &generator.Proxy{Hosts: []string{"shop.example.com"}, TLS: &generator.ProxyTLS{ACME: &generator.ProxyACME{}, Port: 443, RedirectHTTP: true}}
	p = planProxy(t, a, true)
	conf = fileText(t, p, Plain, "quadlaunch.proxy/shop.nginx.conf")
	challenge, redirect := strings.Index(conf, "location ^~ /.well-known/acme-challenge/ {"), strings.Index(conf, "return 308 https://$host$request_uri;")
	if challenge < 0 || redirect < 0 || challenge > redirect || !strings.Contains(conf, "ssl_certificate tls/fullchain.pem;") || !strings.Contains(conf, "listen unix:tls.sock ssl proxy_protocol;") {
		t.Errorf("ACME config:\n%s", conf)
	}
	unit := fileText(t, p, Plain, "shop-proxy.service")
	for _, want := range []string{
		"ExecStartPre=/usr/bin/quadlaunch --user certificates ensure shop --host shop.example.com",
		"ExecStartPre=/usr/bin/ln -sfn %S/quadlaunch/tls/certificates/shop/current %t/quadlaunch-proxy/shop/tls",
		"ExecStartPre=/usr/bin/ln -sfn %S/quadlaunch/acme-challenge/shop %t/quadlaunch-proxy/shop/acme",
	} {
		if !strings.Contains(unit, want+"\n") {
			t.Errorf("ACME proxy unit lacks %q:\n%s", want, unit)
		}
	}
	if strings.Index(unit, "certificates ensure") > strings.Index(unit, "-t -q") {
		t.Errorf("the placeholder must exist before nginx -t:\n%s", unit)
	}
}

func TestProxyPortErrors(t *testing.T) {
	for name, mod := range map[string]func(a *generator.App){
		"tls on the HTTP port": func(a *generator.App) {
			a.Proxy.TLS = &generator.ProxyTLS{Certificate: "/c", Key: "/k", Port: 8090}
		},
		"tls where the container's TLS is published": func(a *generator.App) {
			a.Proxy.TLS = &generator.ProxyTLS{Certificate: "/c", Key: "/k", Port: 2222}
		},
		"a stream on another address": func(a *generator.App) {
			a.Expose[1].HostIP = "127.0.0.1"
		},
		"slot port on a published port": func(a *generator.App) {
			a.Proxy.SlotPorts = [2]int{2222, 9000}
		},
	} {
		a := proxyApp()
		mod(a)
		if _, err := ResolveProxy(a); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestSlotBlocksBelowEphemeralPorts(t *testing.T) {
	for _, name := range []string{"a", "shop", "blog", "zzzzzzzzzzzzzzzz", "discourse"} {
		if b := slotBlockBase(name); b < 20000 || b+9 >= 32768 || b%10 != 0 {
			t.Errorf("block of %s at %d: want 20000 <= base, base+9 < 32768 (the kernel's ephemeral ports)", name, b)
		}
	}
}

// The front's ExecReload, run as systemd runs it (specifiers and $$ resolved)
// with a stand-in nginx: a config the last daemon-reload wrote that equals
// the running one changes nothing; one nginx refuses leaves the running
// config and process alone and fails the reload; an accepted one replaces it
// and sends SIGHUP.
func TestFrontReloadKeepsTheRunningConfigWhenRefused(t *testing.T) {
	p := planApps(t, hostApp("shop", "shop.example.com"))
	var reload string
	for _, line := range strings.Split(fileText(t, p, Plain, FrontUnit), "\n") {
		if v, ok := strings.CutPrefix(line, "ExecReload="); ok {
			reload = v
		}
	}
	if reload == "" {
		t.Fatal("no ExecReload= in the front unit")
	}
	dir := t.TempDir()
	genDir, runtimeDir := filepath.Join(dir, "generator"), filepath.Join(dir, "run")
	nginxAnswer := filepath.Join(dir, "nginx-answer") // the stand-in's exit code for -t
	fakeNginx := filepath.Join(dir, "nginx")
	if err := os.WriteFile(fakeNginx, []byte("#!/bin/sh\nexit $(cat "+nginxAnswer+")\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	generated := filepath.Join(genDir, FrontConf)
	live := filepath.Join(runtimeDir, FrontRuntimeDir, ProxyLiveConf)
	for _, d := range []string{filepath.Dir(generated), filepath.Dir(live)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A SIGHUP ignored by whoever started the tests (nohup) would be ignored
	// by the stand-in too (exec keeps ignored signals ignored): handling it
	// here makes the child start with the default action.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	run := func(generatedConf, nginxExit string) (string, error, bool) {
		t.Helper()
		write := func(p, s string) {
			if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write(generated, generatedConf)
		write(nginxAnswer, nginxExit)
		main := exec.Command("sleep", "30") // the front's nginx: SIGHUP ends it
		if err := main.Start(); err != nil {
			t.Fatal(err)
		}
		ended := make(chan error, 1)
		go func() { ended <- main.Wait() }()
		defer main.Process.Kill()
		cmd := strings.NewReplacer("/run/systemd/generator/", genDir+"/", "%t/", runtimeDir+"/", nginxBin, fakeNginx,
			"$MAINPID", strconv.Itoa(main.Process.Pid), "$$", "$").Replace(reload)
		args := strings.Fields(cmd[:strings.Index(cmd, " '")])
		script := cmd[strings.Index(cmd, "'")+1 : strings.LastIndex(cmd, "'")]
		rest := strings.Fields(cmd[strings.LastIndex(cmd, "'")+1:])
		out, err := exec.Command(args[0], append(append(args[1:], script), rest...)...).CombinedOutput()
		select {
		case werr := <-ended:
			ws, ok := main.ProcessState.Sys().(syscall.WaitStatus)
			return string(out), err, werr != nil && ok && ws.Signaled() && ws.Signal() == syscall.SIGHUP
		case <-time.After(2 * time.Second): // the reload has returned: a SIGHUP it sent lands well within this, even under load
			return string(out), err, false
		}
	}
	if err := os.WriteFile(live, []byte("running\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	liveIs := func(want string) {
		t.Helper()
		if b, _ := os.ReadFile(live); string(b) != want {
			t.Errorf("running config %q, want %q", b, want)
		}
		if _, err := os.Stat(live + ".new"); err == nil {
			t.Error("a .new config left beside the running one")
		}
	}
	if out, err, hupped := run("running\n", "0"); err != nil || hupped {
		t.Errorf("same config: %v %s, signalled %v; want nothing done", err, out, hupped)
	}
	liveIs("running\n")
	if out, err, hupped := run("refused\n", "1"); err == nil || hupped {
		t.Errorf("a config nginx refuses: %v %s, signalled %v; want the reload failed and nothing signalled", err, out, hupped)
	}
	if b, _ := os.ReadFile(live); string(b) != "running\n" {
		t.Errorf("running config %q after a refused one, want it kept", b)
	}
	if out, err, hupped := run("accepted\n", "0"); err != nil || !hupped {
		t.Errorf("an accepted config: %v %s, signalled %v; want it live and SIGHUP sent", err, out, hupped)
	}
	liveIs("accepted\n")
}
