package units

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/quadlaunch/quadlaunch/generator"
)

// The front proxy (issue "HTTPS without a failed request"): apps with
// proxy.host share published ports (80, 443) through one nginx per manager,
// quadlaunch-front.service, which routes plain HTTP by Host header and
// everything else by TLS SNI (ssl_preread, without decrypting) to the app's
// own proxy, over unix sockets in that proxy's runtime dir. The front's
// config depends only on the configs (the generator writes it); deploys,
// rollbacks and certificate renewals reload the app's proxy alone, so one
// app's deploy never touches another app's traffic, and a broken certificate
// of one app stops that app's proxy, not the front.

// FrontUnit is the host-wide front proxy of the manager (system or --user).
const FrontUnit = "quadlaunch-front.service"

// FrontConf is the front's config in the generator's normal dir (next to the
// apps' proxy configs); its unit copies it into FrontRuntimeDir on start and
// reload.
const FrontConf = ProxyConfDir + "/front.nginx.conf"

// FrontRuntimeDir is the front's nginx prefix below the manager's runtime
// dir; the apps' proxies are its siblings (ProxyRuntimeDir), so the front
// reaches their sockets as ../APP/SOCKET.
const FrontRuntimeDir = "quadlaunch-proxy/front"

// frontRoute is one app's claim on a front listener.
type frontRoute struct {
	app    string
	hosts  []string
	socket string // the app proxy's socket, relative to the front's dir
	pos    generator.Pos
}

// frontListener is one address the front listens on: HTTP routed by Host,
// or TCP routed by TLS SNI.
type frontListener struct {
	addr   string // nginx listen address
	http   bool
	routes []frontRoute
}

// frontPlan gathers the front's listeners from the fronted apps (in name
// order) and refuses an app whose claim clashes with an earlier one: a host
// name already routed on that port, or a port the front serves as HTTP that
// the app wants routed by SNI (or the reverse).
type frontPlan struct {
	listeners map[string]*frontListener
	order     []string
}

func newFrontPlan() *frontPlan { return &frontPlan{listeners: map[string]*frontListener{}} }

// frontClaim is one front listener an app needs: its address, whether it
// is routed as HTTP (by Host) or TLS (by SNI), the app proxy's socket, and
// the config key that asks for it.
type frontClaim struct {
	addr   string
	http   bool
	socket string
	key    string
}

// frontClaims lists the front listeners app a needs (it has proxy.host).
func frontClaims(a *generator.App, s ProxySetup) []frontClaim {
	dir := "../" + a.Name + "/"
	cs := []frontClaim{{s.listenAddr(s.ListenPort), true, dir + ProxyHTTPSocket, fmt.Sprintf("expose[%d]", s.Expose)}}
	if s.TLS != nil {
		cs = append(cs, frontClaim{s.listenAddr(s.TLS.Port), false, dir + ProxyTLSSocket, "proxy.tls.port"})
	}
	for _, st := range s.Streams {
		cs = append(cs, frontClaim{s.listenAddr(st.HostPort), false, dir + ProxyStreamSocket(st.HostPort), fmt.Sprintf("expose[%d]", st.Expose)})
	}
	return cs
}

// add records app a's routes, or returns why it cannot have them (then
// nothing of a is recorded).
func (f *frontPlan) add(a *generator.App, s ProxySetup) error {
	cs := frontClaims(a, s)
	for _, c := range cs {
		l := f.listeners[c.addr]
		if l == nil {
			continue
		}
		if l.http != c.http {
			kind := map[bool]string{true: "HTTP (routed by Host)", false: "TLS (routed by SNI)"}
			return fmt.Errorf("%s: the front serves port %s as %s for app %s; this app wants it as %s",
				c.key, c.addr, kind[l.http], l.routes[0].app, kind[c.http])
		}
		for _, r := range l.routes {
			for _, h := range a.Proxy.Hosts {
				for _, o := range r.hosts {
					if h == o {
						return fmt.Errorf("host %s on port %s is already app %s's (%s): a host name belongs to one app", h, c.addr, r.app, r.pos)
					}
				}
			}
		}
	}
	for _, c := range cs {
		l := f.listeners[c.addr]
		if l == nil {
			l = &frontListener{addr: c.addr, http: c.http}
			f.listeners[c.addr] = l
			f.order = append(f.order, c.addr)
		}
		l.routes = append(l.routes, frontRoute{app: a.Name, hosts: a.Proxy.Hosts, socket: c.socket, pos: a.Proxy.HostsPos})
	}
	return nil
}

// drop removes app's routes (an app refused later in the plan).
func (f *frontPlan) drop(app string) {
	for _, addr := range append([]string(nil), f.order...) {
		l := f.listeners[addr]
		kept := l.routes[:0]
		for _, r := range l.routes {
			if r.app != app {
				kept = append(kept, r)
			}
		}
		l.routes = kept
		if len(kept) == 0 {
			delete(f.listeners, addr)
			f.order = slices.DeleteFunc(f.order, func(o string) bool { return o == addr })
		}
	}
}

// frontShutdownTimeout is the front's worker_shutdown_timeout.
const frontShutdownTimeout = "10m"

// frontUnknownHost answers a request for a host name no app has.
const frontUnknownHost = "no site has this host name here\\n"

// Render writes the front's nginx config.
func (f *frontPlan) Render() []byte {
	var w confWriter
	order := append([]string(nil), f.order...)
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	stream := false
	for _, addr := range order {
		stream = stream || !f.listeners[addr].http
	}
	w.line("# Generated by quadlaunch: the front proxy of the apps with proxy.host. It routes by Host")
	w.line("# header (HTTP) and TLS SNI (other ports, not decrypted) to each app's own proxy.")
	// A reload (apps added or removed) must not cut the connections of the
	// other apps: passed-through TLS sessions live as long as their clients
	// keep them, so old workers may finish them for this long.
	w.prelude(frontShutdownTimeout, stream)
	w.line("    proxy_set_header Connection \"\";")
	w.line("    proxy_set_header Host $http_host;")
	w.line("    proxy_set_header X-Real-IP $remote_addr;")
	w.line("    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")
	w.line("    proxy_set_header X-Forwarded-Proto $scheme;")
	w.line("    proxy_request_buffering off;")
	w.line("    proxy_buffering off;")
	upstreams := map[string]string{}
	for _, addr := range order {
		l := f.listeners[addr]
		if !l.http {
			continue
		}
		for _, r := range l.routes {
			if upstreams[r.socket] != "" {
				continue
			}
			name := fmt.Sprintf("quadlaunch_app_%d", len(upstreams))
			upstreams[r.socket] = name
			w.line("    upstream %s { server unix:%s; keepalive 16; keepalive_timeout 2s; }", name, r.socket)
		}
	}
	for _, addr := range order {
		l := f.listeners[addr]
		if !l.http {
			continue
		}
		w.line("    server {")
		w.line("        listen %s default_server;", addr)
		w.line("        default_type text/plain;")
		w.line("        location / { return 421 \"%s\"; }", frontUnknownHost)
		w.line("    }")
		for _, r := range l.routes {
			w.line("    server {")
			w.line("        # app %s (%s)", r.app, r.pos)
			w.line("        listen %s;", addr)
			w.line("        server_name %s;", strings.Join(r.hosts, " "))
			w.line("        location / {")
			w.line("            proxy_pass http://%s;", upstreams[r.socket])
			w.line("            error_page 502 504 = @offline;")
			w.line("        }")
			w.offline()
			w.line("    }")
		}
	}
	w.line("}")
	if !stream {
		return w.b.Bytes()
	}
	w.line("stream {")
	for i, addr := range order {
		l := f.listeners[addr]
		if l.http {
			continue
		}
		w.line("    map $ssl_preread_server_name $quadlaunch_route_%d {", i)
		for _, r := range l.routes {
			for _, h := range r.hosts {
				w.line("        %s unix:%s;", h, r.socket)
			}
		}
		w.line("        default \"\";")
		w.line("    }")
		w.line("    server {")
		w.line("        listen %s;", addr)
		w.line("        ssl_preread on;")
		w.line("        proxy_connect_timeout 5s;")
		w.line("        # The app's proxy learns the client's address from the PROXY protocol header.")
		w.line("        proxy_protocol on;")
		w.line("        proxy_pass $quadlaunch_route_%d;", i)
		w.line("    }")
	}
	w.line("}")
	return w.b.Bytes()
}

// frontFiles adds the front's unit and config to the plan.
func (f *frontPlan) files(opts Options) []File {
	if len(f.order) == 0 {
		return nil
	}
	rt := "%t/" + FrontRuntimeDir
	conf := path.Join(path.Dir(opts.PrivateDir), FrontConf)
	ports := append([]string(nil), f.order...)
	sort.Strings(ports)
	u := newUnit(version{}, "Generated by quadlaunch from the configs with proxy.host; edit those, not this file.")
	u.set("Unit", "Description", lineValue("quadlaunch front proxy (nginx): routes ports "+strings.Join(ports, ", ")+" by host name to the apps' proxies"))
	if !opts.User {
		u.set("Unit", "Wants", "network-online.target")
		u.set("Unit", "After", "network-online.target")
	}
	u.set("Service", "Type", "exec")
	u.set("Service", "RuntimeDirectory", FrontRuntimeDir+" "+FrontRuntimeDir+"/tmp")
	// The apps' sockets are ../APP/*.sock from here.
	u.set("Service", "WorkingDirectory", rt)
	nginxAt := nginxBin + " -e stderr -p " + rt + "/ -c "
	nginx := nginxAt + ProxyLiveConf
	u.set("Service", "ExecStartPre", cpBin+" -- "+conf+" "+rt+"/"+ProxyLiveConf)
	u.set("Service", "ExecStartPre", nginx+" -t -q")
	u.set("Service", "ExecStart", nginx)
	// A reload takes the config the last daemon-reload wrote (apps added or
	// removed) and does nothing when it is the running one (every deploy of
	// an app behind the front asks for a reload); a config nginx refuses
	// leaves the running one serving.
	u.set("Service", "ExecReload", fmt.Sprintf(`%s -c '%s -- "$$1" "$$2".new || exit; if %s -s -- "$$2".new "$$2"; then exec rm -f -- "$$2".new; fi; %s%s.new -t -q && mv -f -- "$$2".new "$$2" && kill -HUP "$$3"' sh %s %s $MAINPID`,
		shBin, cpBin, cmpBin, nginxAt, ProxyLiveConf, conf, rt+"/"+ProxyLiveConf))
	u.set("Service", "KillSignal", "SIGQUIT")
	u.set("Service", "KillMode", "mixed")
	u.set("Service", "Restart", "on-failure")
	return []File{
		{Kind: Plain, Name: FrontUnit, Content: u.bytes()},
		{Kind: Plain, Name: FrontConf, Content: f.Render()},
	}
}

// checkProxies applies what no single app can check: apps with proxy.host
// share the front (frontPlan.add), and no two apps' web slots use one
// loopback port. Apps come in name order; the later app of a clash is
// refused, with the earlier one named.
func checkProxies(apps []*generator.App, failed map[string][]generator.Diagnostic) *frontPlan {
	front := newFrontPlan()
	slotOwner := map[int]string{}
	for _, a := range apps {
		if a.Proxy == nil || failed[a.Name] != nil {
			continue
		}
		s, err := ResolveProxy(a)
		if err != nil {
			continue // proxyFiles reports it
		}
		refuse := func(pos generator.Pos, key, format string, args ...any) {
			failed[a.Name] = append(failed[a.Name], generator.Diagnostic{Pos: pos, Key: key, Msg: fmt.Sprintf(format, args...)})
		}
		ports := append([]int{}, s.SlotPorts[:]...)
		for _, st := range s.Streams {
			ports = append(ports, st.SlotPorts[:]...)
		}
		clash := false
		for _, p := range ports {
			if o := slotOwner[p]; o != "" {
				refuse(a.Proxy.Pos, "proxy.slot_ports", "loopback slot port %d is already app %s's: set proxy.slot_ports to two free ports", p, o)
				clash = true
				break
			}
		}
		if clash {
			continue
		}
		if s.Fronted() {
			if err := front.add(a, s); err != nil {
				refuse(a.Proxy.HostsPos, "proxy.host", "%v", err)
				continue
			}
		}
		for _, p := range ports {
			slotOwner[p] = a.Name
		}
	}
	return front
}
