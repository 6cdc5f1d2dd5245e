package units

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/quadlaunch/quadlaunch/generator"
)

// The proxy (issue #6): with `proxy:` in the config, the primary role no longer
// publishes the app's HTTP port itself. nginx (Debian's package, run as the
// plain unit A-proxy.service) listens there and forwards to one of two web
// slots on loopback ports, A-web and A-web-next, alike but for the port. One
// of them is live (blue/green): a deploy boots the new version once, in the
// idle slot, moves the traffic there and makes it the live one. The CLI
// switches nginx's upstream by rewriting the live config and sending SIGHUP:
// new workers take new connections, old workers finish their requests and
// exit (a graceful reload), so no request fails.
//
// Which slot is live is recorded the way systemctl enable records things, in
// the persistent unit dir (/etc/systemd/system, ~/.config/systemd/user):
// nothing there means A-web, wanted by A.target through the generator's
// A.target.wants/A-web.service link. A deploy that makes A-web-next live adds
// A.target.wants/A-web-next.service and masks A-web's link with a link to
// /dev/null of the same name (a .wants entry of a higher-priority dir wins).
// systemd reads that at boot; the proxy's start reads whether the link
// exists to pick its boot config. The generator reads none of it.

// Binaries of Debian's packages the proxy unit runs.
const (
	nginxBin = "/usr/sbin/nginx"
	cpBin    = "/usr/bin/cp"
	lnBin    = "/usr/bin/ln"
	cmpBin   = "/usr/bin/cmp"
	shBin    = "/bin/sh"
)

// ProxyBootConf is the name (in the generator's normal dir) of the nginx
// config the proxy starts with when web slot slot (0: A-web, 1: A-web-next)
// is live.
func ProxyBootConf(app string, slot int) string {
	if slot == 0 {
		return ProxyConfDir + "/" + app + ".nginx.conf"
	}
	return ProxyConfDir + "/" + app + ".slot2.nginx.conf"
}

// PersistentUnitDir is where systemctl enable links units: /etc/systemd/system,
// or $XDG_CONFIG_HOME/systemd/user for the user manager; configDir is /etc or
// $XDG_CONFIG_HOME ("%E" in a unit).
func PersistentUnitDir(configDir string, user bool) string {
	if user {
		return configDir + "/systemd/user"
	}
	return configDir + "/systemd/system"
}

// LiveSlotLink is the A.target.wants link that makes web slot role live,
// below PersistentUnitDir.
func LiveSlotLink(app, role, configDir string, user bool) string {
	return PersistentUnitDir(configDir, user) + "/" + TargetUnit(app) + ".wants/" + RoleUnit(app, role)
}

// ProxyConfDir is the directory of the steady-state nginx configs in the
// generator's normal dir (next to PrivateDirName).
const ProxyConfDir = "quadlaunch.proxy"

// ProxyUnit runs the app's nginx; NextSlotRole is the second web slot.
func ProxyUnit(app string) string { return app + "-proxy.service" }

// NextSlotRole is the role name of the second web slot (A-web-next).
func NextSlotRole(primary string) string { return primary + "-next" }

// ProxyRuntimeDir is the nginx prefix of an app's proxy, relative to the
// manager's runtime dir (/run, or $XDG_RUNTIME_DIR for --user): it holds the
// live config the CLI rewrites, the pid file and nginx's temp dirs.
func ProxyRuntimeDir(app string) string { return "quadlaunch-proxy/" + app }

// ProxyLiveConf is the live config's name inside ProxyRuntimeDir.
const ProxyLiveConf = "nginx.conf"

// ProxyStatusPath answers, on the proxy's control socket only, the live
// config's generation and upstream: how the CLI knows a reload took effect.
const ProxyStatusPath = "/.quadlaunch/proxy"

// ProxyControlSocket is the unix socket (in ProxyRuntimeDir) that answers
// ProxyStatusPath: never reachable from the network or through the front.
const ProxyControlSocket = "control.sock"

// Unix sockets (in ProxyRuntimeDir) an app with proxy.host listens on instead
// of published ports: the front proxy connects to them.
const (
	ProxyHTTPSocket = "http.sock" // plain HTTP (the front routes by Host)
	ProxyTLSSocket  = "tls.sock"  // TLS at the proxy, PROXY protocol first (the front routes by SNI)
)

// ProxyStreamSocket is the unix socket of a passed-through TCP port of an app
// with proxy.host (PROXY protocol first; the front routes by SNI).
func ProxyStreamSocket(hostPort int) string { return fmt.Sprintf("port-%d.sock", hostPort) }

// ProxySetup is where an app's proxy listens and where its slots are.
type ProxySetup struct {
	ListenIP      string // "" = all IPv4 addresses
	ListenPort    int    // the proxied HTTP port (the first published TCP port)
	ContainerPort string // the web container's port the slots publish
	SlotPorts     [2]int // loopback ports of A-web and A-web-next
	DrainTimeout  string
	Expose        int // index of the expose entry the proxy took over
	// Streams are the web role's other published TCP ports: passed through
	// as TCP (nginx's stream module) to the live slot, switched with the
	// HTTP port, so TLS inside the container (443) survives a swap too.
	Streams []StreamPort
	// TLS terminates HTTPS at the proxy (proxy.tls); nil = none.
	TLS *TLSListener
	// Hosts (proxy.host): the app sits behind the host-wide front proxy
	// (FrontUnit), which owns the published ports and routes by Host header
	// and TLS SNI; the app's proxy listens on unix sockets in its runtime dir.
	Hosts []string
}

// StreamPort is a published TCP port passed through to the live slot.
type StreamPort struct {
	HostPort      int
	ContainerPort string
	SlotPorts     [2]int
	Expose        int
}

// TLSListener is TLS at the proxy.
type TLSListener struct {
	Port         int    // host port (the front's, with proxy.host)
	Certificate  string // nginx's ssl_certificate: a host path, or relative to the proxy's runtime dir
	Key          string
	ACME         bool // the certificate is issued over HTTP-01: serve the challenge on the HTTP port
	RedirectHTTP bool
	HSTSMaxAge   int
}

// ACME certificate files and challenge webroot, as links in the proxy's
// runtime dir made by its unit: nginx reads them relative to its prefix.
const (
	proxyACMECertLink    = "tls"
	proxyACMEWebrootLink = "acme"
)

// Fronted reports whether the app sits behind the front proxy.
func (s ProxySetup) Fronted() bool { return len(s.Hosts) > 0 }

// SlotIndex is the slot (0 or 1) whose HTTP port is port; 0 if neither.
func (s ProxySetup) SlotIndex(port int) int {
	if port == s.SlotPorts[1] {
		return 1
	}
	return 0
}

// listenAddr is an nginx listen address for host port on the proxied IP.
func (s ProxySetup) listenAddr(port int) string {
	ip := s.ListenIP
	if ip == "" || ip == "0.0.0.0" {
		return strconv.Itoa(port)
	}
	if strings.Contains(ip, ":") && !strings.HasPrefix(ip, "[") {
		ip = "[" + ip + "]"
	}
	return ip + ":" + strconv.Itoa(port)
}

// slotBlockBase is the first of an app's block of ten loopback slot ports:
// the passed-through ports' slots always, and the HTTP port's with proxy.host
// when proxy.slot_ports is not set (apps behind the front share published
// ports, so published port + 10000 would collide). A hash of the app name
// picks the block in 20000-31999, stable whatever other apps exist (the plan
// refuses the rare collision with the names of both apps) and below the
// kernel's ephemeral ports (32768 up), which outgoing connections take and
// which a slot could then not bind.
func slotBlockBase(app string) int {
	h := fnv.New32a()
	h.Write([]byte(app))
	return 20000 + int(h.Sum32()%1200)*10
}

// maxStreams is how many passed-through ports an app's slot block of ten
// holds besides the HTTP port.
const maxStreams = 4

// ResolveProxy reads the proxy setup of an app: the proxy takes over the
// first published TCP expose entry as its HTTP port and every other
// published TCP entry as a passed-through stream; the HTTP port's slot ports
// default to the host port + 10000 and + 10001, the others' come from the
// app's block (slotBlockBase; the HTTP port's too with proxy.host). It
// fails when the app has no proxy or no such entry.
func ResolveProxy(app *generator.App) (ProxySetup, error) {
	if app.Proxy == nil {
		return ProxySetup{}, fmt.Errorf("%s has no proxy", app.Name)
	}
	s := ProxySetup{Expose: -1, SlotPorts: app.Proxy.SlotPorts, DrainTimeout: app.Proxy.DrainTimeout, Hosts: app.Proxy.Hosts}
	used := map[int]string{}
	claim := func(port int, what string) error {
		if prev, ok := used[port]; ok {
			return fmt.Errorf("port %d is both %s and %s: set proxy.slot_ports or change the expose entries", port, prev, what)
		}
		used[port] = what
		return nil
	}
	for i, p := range app.Expose {
		if p.HostPort == "" || (p.Proto != "" && p.Proto != "tcp") {
			continue
		}
		port, err := strconv.Atoi(p.HostPort)
		if err != nil || port < 1 || port > 65535 {
			return ProxySetup{}, fmt.Errorf("expose[%d]: host port %q is not a single port", i, p.HostPort)
		}
		if s.Expose < 0 {
			s.ListenIP, s.ListenPort, s.ContainerPort, s.Expose = p.HostIP, port, p.Container, i
			continue
		}
		if p.HostIP != s.ListenIP {
			return ProxySetup{}, fmt.Errorf("expose[%d]: the proxy listens on one address (%q, expose[%d]), not %q", i, s.ListenIP, s.Expose, p.HostIP)
		}
		s.Streams = append(s.Streams, StreamPort{HostPort: port, ContainerPort: p.Container, Expose: i})
	}
	if s.Expose < 0 {
		return ProxySetup{}, fmt.Errorf("the proxy needs a published TCP port in expose (like \"80:8080\")")
	}
	if t := app.Proxy.TLS; t != nil {
		l := &TLSListener{Port: t.Port, Certificate: t.Certificate, Key: t.Key, ACME: t.ACME != nil, RedirectHTTP: t.RedirectHTTP, HSTSMaxAge: t.HSTSMaxAge}
		if l.ACME {
			l.Certificate, l.Key = proxyACMECertLink+"/fullchain.pem", proxyACMECertLink+"/key.pem"
		}
		if l.Port == s.ListenPort {
			return ProxySetup{}, fmt.Errorf("proxy.tls.port %d is the proxied HTTP port (expose[%d])", l.Port, s.Expose)
		}
		for _, st := range s.Streams {
			if st.HostPort == l.Port {
				return ProxySetup{}, fmt.Errorf("proxy.tls.port %d is also published by expose[%d] (TLS inside the container): terminate TLS in one place", l.Port, st.Expose)
			}
		}
		s.TLS = l
	}
	fronted := s.Fronted()
	if len(s.Streams) > maxStreams {
		return ProxySetup{}, fmt.Errorf("expose[%d]: at most %d published TCP ports besides the HTTP port go through the proxy", s.Streams[maxStreams].Expose, maxStreams)
	}
	base := slotBlockBase(app.Name)
	if s.SlotPorts == [2]int{} {
		if fronted {
			s.SlotPorts = [2]int{base, base + 1}
		} else {
			s.SlotPorts = [2]int{s.ListenPort + 10000, s.ListenPort + 10001}
		}
	}
	for k := range s.Streams {
		s.Streams[k].SlotPorts = [2]int{base + 2 + 2*k, base + 3 + 2*k}
	}
	if !fronted {
		if err := claim(s.ListenPort, "the proxied HTTP port"); err != nil {
			return ProxySetup{}, err
		}
		if s.TLS != nil {
			if err := claim(s.TLS.Port, "the proxy's TLS port"); err != nil {
				return ProxySetup{}, err
			}
		}
		for _, st := range s.Streams {
			if err := claim(st.HostPort, fmt.Sprintf("published by expose[%d]", st.Expose)); err != nil {
				return ProxySetup{}, err
			}
		}
	}
	for i, sp := range s.SlotPorts {
		if sp < 1 || sp > 65535 {
			return ProxySetup{}, fmt.Errorf("no default slot ports above host port %d: set proxy.slot_ports", s.ListenPort)
		}
		if err := claim(sp, fmt.Sprintf("web slot %d's HTTP port", i+1)); err != nil {
			return ProxySetup{}, err
		}
	}
	for _, st := range s.Streams {
		for i, sp := range st.SlotPorts {
			if sp > 65535 {
				return ProxySetup{}, fmt.Errorf("expose[%d]: no slot port above host port %d", st.Expose, st.HostPort)
			}
			if err := claim(sp, fmt.Sprintf("web slot %d's port for expose[%d]", i+1, st.Expose)); err != nil {
				return ProxySetup{}, err
			}
		}
	}
	if s.DrainTimeout == "" {
		s.DrainTimeout = generator.DefaultDrainTimeout.String()
	}
	return s, nil
}

// NginxConf is one rendering of an app's proxy config.
type NginxConf struct {
	App        string
	Setup      ProxySetup
	Upstream   int    // loopback port traffic goes to
	Bridge     int    // during a swap: the other slot, asked for assets the upstream lacks (0 = none)
	AssetPath  string // URL prefix of assets ("/assets/"); only used with Bridge
	Generation string // answered at ProxyStatusPath
}

// offlinePage is what clients get while no slot answers (a standalone app
// restarting, or the slot starting): launcher's offline page idea.
const offlinePage = `<!doctype html><html><head><meta charset="utf-8"><title>Back soon</title></head>` +
	`<body><h1>Back in a moment</h1><p>This site is being updated and will be back shortly.</p></body></html>`

// StreamCloseGrace is how long after the drain timeout the old workers of a
// config with passed-through ports may keep their connections: the old slot
// is stopped (gracefully) within it.
const StreamCloseGrace = 2 * time.Minute

// StreamModule is Debian's dynamic nginx stream module (libnginx-mod-stream):
// loaded by configs that pass TCP through or route by TLS SNI.
const StreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so"

// confWriter writes nginx config lines.
type confWriter struct{ b bytes.Buffer }

func (w *confWriter) line(format string, a ...any) { fmt.Fprintf(&w.b, format+"\n", a...) }

// prelude is the start of every quadlaunch nginx config: paths are relative to
// nginx's prefix (-p, the unit's runtime dir), so one text fits root and
// rootless.
func (w *confWriter) prelude(drain string, stream bool) {
	w.line("daemon off;")
	w.line("worker_processes 2;")
	w.line("pid nginx.pid;")
	w.line("error_log stderr notice;")
	if stream {
		w.line("load_module %s;", StreamModule)
	}
	w.line("# Old workers of a reload may finish their requests this long (the deploy's drain).")
	w.line("worker_shutdown_timeout %s;", drain)
	w.line("events { worker_connections 1024; }")
	w.line("http {")
	w.line("    access_log off;")
	w.line("    server_tokens off;")
	for _, t := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		w.line("    %s_temp_path tmp/%s;", t, t)
	}
	w.line("    proxy_http_version 1.1;")
	w.line("    proxy_read_timeout 600s;")
	w.line("    client_max_body_size 0;")
}

// forwardHeaders sets the proxied request's headers (proxy_set_header is not
// inherited into a block that sets any, so each server says them all).
// Behind the front, X-Forwarded-For and -Proto are the front's, passed on.
func (w *confWriter) forwardHeaders(indent string, fronted bool) {
	w.line("%sproxy_set_header Connection \"\";", indent)
	w.line("%sproxy_set_header Host $http_host;", indent)
	w.line("%sproxy_set_header X-Real-IP $remote_addr;", indent)
	if fronted {
		w.line("%sproxy_set_header X-Forwarded-For $http_x_forwarded_for;", indent)
		w.line("%sproxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;", indent)
		return
	}
	w.line("%sproxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;", indent)
	w.line("%sproxy_set_header X-Forwarded-Proto $scheme;", indent)
}

// offline is the location clients get while no slot answers.
func (w *confWriter) offline() {
	w.line("        location @offline {")
	w.line("            add_header Retry-After 5 always;")
	w.line("            default_type text/html;")
	w.line("            return 503 '%s';", offlinePage)
	w.line("        }")
}

// Render writes the nginx config of an app's proxy.
func (c NginxConf) Render() []byte {
	var w confWriter
	s := c.Setup
	fronted := s.Fronted()
	slot := s.SlotIndex(c.Upstream)
	w.line("# Generated by quadlaunch for app %s (generation %s). The live copy is rewritten by quadlaunch deploy.", c.App, c.Generation)
	shutdown := s.DrainTimeout
	if len(s.Streams) > 0 {
		// A passed-through connection ends when the old slot stops (its app
		// closes keep-alive connections between requests); nginx must not cut
		// it first, in the middle of a request.
		if d, err := time.ParseDuration(s.DrainTimeout); err == nil {
			shutdown = strconv.Itoa(int((d+StreamCloseGrace+time.Second-1)/time.Second)) + "s"
		}
	}
	w.prelude(shutdown, len(s.Streams) > 0)
	// Reused upstream connections: a new TCP connection per request leaves a
	// conntrack/TIME_WAIT entry each, and under load the table overflows (SYNs
	// dropped). A short keepalive_timeout: an old worker of a reload waits for
	// its idle upstream connections to time out before it exits (the drain).
	w.line("    upstream quadlaunch_live { server 127.0.0.1:%d; keepalive 16; keepalive_timeout 2s; }", c.Upstream)
	bridge := c.Bridge != 0 && c.AssetPath != ""
	if bridge {
		w.line("    upstream quadlaunch_bridge { server 127.0.0.1:%d; keepalive 4; keepalive_timeout 2s; }", c.Bridge)
	}
	w.line("    # The CLI asks which config serves, here only: never from the network.")
	w.line("    server {")
	w.line("        listen unix:%s;", ProxyControlSocket)
	w.line("        location = %s {", ProxyStatusPath)
	w.line("            default_type text/plain;")
	w.line("            return 200 \"%s 127.0.0.1:%d\\n\";", c.Generation, c.Upstream)
	w.line("        }")
	w.line("        location / { return 404; }")
	w.line("    }")
	// HTTP.
	w.line("    server {")
	if fronted {
		w.line("        listen unix:%s;", ProxyHTTPSocket)
		w.line("        # Only the front connects here: the client's address is its X-Real-IP.")
		w.line("        set_real_ip_from unix:;")
		w.line("        real_ip_header X-Real-IP;")
	} else {
		w.line("        listen %s;", s.listenAddr(s.ListenPort))
	}
	w.forwardHeaders("        ", fronted)
	t := s.TLS
	if t != nil && t.ACME {
		w.line("        # ACME HTTP-01: the CA fetches the token over plain HTTP, also before the first certificate.")
		w.line("        location ^~ /.well-known/acme-challenge/ {")
		w.line("            root %s;", proxyACMEWebrootLink)
		w.line("            default_type text/plain;")
		w.line("            try_files $uri =404;")
		w.line("        }")
	}
	if t != nil && t.RedirectHTTP {
		host := "$host"
		if t.Port != 443 {
			host += ":" + strconv.Itoa(t.Port)
		}
		w.line("        location / { return 308 https://%s$request_uri; }", host)
	} else {
		c.appLocations(&w, bridge)
	}
	w.line("    }")
	// HTTPS at the proxy.
	if t != nil {
		w.line("    server {")
		if fronted {
			w.line("        listen unix:%s ssl proxy_protocol;", ProxyTLSSocket)
			w.line("        # Only the front connects here, PROXY protocol first: the client's address.")
			w.line("        set_real_ip_from unix:;")
			w.line("        real_ip_header proxy_protocol;")
		} else {
			w.line("        listen %s ssl;", s.listenAddr(t.Port))
		}
		w.line("        ssl_certificate %s;", t.Certificate)
		w.line("        ssl_certificate_key %s;", t.Key)
		w.line("        ssl_protocols TLSv1.2 TLSv1.3;")
		w.line("        ssl_session_cache shared:quadlaunch_tls:1m;")
		w.line("        ssl_session_timeout 1h;")
		if t.HSTSMaxAge > 0 {
			w.line("        add_header Strict-Transport-Security \"max-age=%d\" always;", t.HSTSMaxAge)
		}
		w.forwardHeaders("        ", false)
		c.appLocations(&w, bridge)
		w.line("    }")
	}
	w.line("}")
	if len(s.Streams) > 0 {
		w.line("# Other published TCP ports (TLS inside the container): passed through to the live slot.")
		w.line("stream {")
		for _, st := range s.Streams {
			w.line("    server {")
			if fronted {
				w.line("        listen unix:%s proxy_protocol;", ProxyStreamSocket(st.HostPort))
			} else {
				w.line("        listen %s;", s.listenAddr(st.HostPort))
			}
			w.line("        proxy_connect_timeout 5s;")
			w.line("        proxy_pass 127.0.0.1:%d;", st.SlotPorts[slot])
			w.line("    }")
		}
		w.line("}")
	}
	return w.b.Bytes()
}

// appLocations are the locations that serve the app: the live slot, the
// asset bridge, the offline page.
func (c NginxConf) appLocations(w *confWriter, bridge bool) {
	w.line("        location / {")
	w.line("            proxy_pass http://quadlaunch_live;")
	w.line("            error_page 502 504 = @offline;")
	w.line("        }")
	if bridge {
		w.line("        # Asset bridging: an asset the live slot lacks (the other version's) comes from the other slot.")
		w.line("        location %s {", c.AssetPath)
		w.line("            proxy_pass http://quadlaunch_live;")
		w.line("            proxy_intercept_errors on;")
		w.line("            error_page 404 = @bridge;")
		w.line("        }")
		w.line("        location @bridge {")
		w.line("            proxy_pass http://quadlaunch_bridge;")
		w.line("        }")
	}
	w.offline()
}

// proxySetup is ResolveProxy of the app, worked out once per render: the
// proxy's files and both web slots need it.
func (r *appRender) proxySetup() (ProxySetup, error) {
	if r.proxy == nil && r.proxyError == nil {
		s, err := ResolveProxy(r.app)
		r.proxy, r.proxyError = &s, err
	}
	return *r.proxy, r.proxyError
}

// proxyFiles renders the proxy unit, its steady-state config (upstream A-web)
// and the second web slot.
func (r *appRender) proxyFiles(primary generator.Role) {
	a := r.app
	s, err := r.proxySetup()
	if err != nil {
		r.errorf(a.Proxy.Pos, "proxy", "%v", err)
		return
	}
	var confs [2]string
	for slot := range confs {
		confs[slot] = ProxyBootConf(a.Name, slot)
		r.add(confs[slot], Plain, NginxConf{App: a.Name, Setup: s, Upstream: s.SlotPorts[slot], Generation: "boot"}.Render())
	}

	u := newUnit(r.ctx.ver, r.header())
	u.set("Unit", "Description", lineValue(fmt.Sprintf("%s proxy (nginx) in front of %s (quadlaunch, %s)", a.Name, RoleUnit(a.Name, primary.Name), a.ConfigPath)))
	u.set("Unit", "SourcePath", lineValue(a.ConfigPath))
	if !r.ctx.opts.User {
		u.set("Unit", "Wants", "network-online.target")
		u.set("Unit", "After", "network-online.target")
	}
	u.set("Unit", "PartOf", TargetUnit(a.Name))
	if s.Fronted() {
		// The front owns the published ports and connects to this proxy's sockets.
		u.set("Unit", "Wants", FrontUnit)
	}
	u.set("Service", "Type", "exec")
	// %t is /run or $XDG_RUNTIME_DIR: the same unit text for root and rootless.
	rt := "%t/" + ProxyRuntimeDir(a.Name)
	u.set("Service", "RuntimeDirectory", ProxyRuntimeDir(a.Name)+" "+ProxyRuntimeDir(a.Name)+"/tmp")
	// Unix socket paths in the config are relative to it (nginx binds them
	// as given; absolute paths would differ between root and rootless).
	u.set("Service", "WorkingDirectory", rt)
	if t := a.Proxy.TLS; t != nil && t.ACME != nil {
		// Before the first issuance nginx needs some certificate to start
		// (and serve the HTTP-01 challenge): ensure writes a self-signed
		// placeholder then, and leaves a real one alone. %S is /var/lib or
		// $XDG_STATE_HOME, where runtime/certificates keeps its store.
		argv := []string{r.ctx.opts.QuadlaunchBin}
		if r.ctx.opts.User {
			argv = append(argv, "--user")
		}
		argv = append(argv, "certificates", "ensure", a.Name)
		for _, h := range a.Proxy.Hosts {
			argv = append(argv, "--host", h)
		}
		line, err := commandLine(argv)
		if err != nil {
			r.errorf(a.Proxy.HostsPos, "proxy.host", "%v", err)
			return
		}
		u.set("Service", "ExecStartPre", line)
		u.set("Service", "ExecStartPre", fmt.Sprintf("%s -sfn %%S/quadlaunch/tls/certificates/%s/current %s/%s", lnBin, a.Name, rt, proxyACMECertLink))
		u.set("Service", "ExecStartPre", fmt.Sprintf("%s -sfn %%S/quadlaunch/acme-challenge/%s %s/%s", lnBin, a.Name, rt, proxyACMEWebrootLink))
	}
	// Every start (boot) begins from the live slot's config: A-web-next's when
	// its A.target.wants link exists (%E: /etc, or ~/.config for --user).
	dir := path.Dir(r.ctx.opts.PrivateDir)
	pick := fmt.Sprintf(`%s -c 'if [ -L "$$1" ]; then exec %s -- "$$3" "$$4"; else exec %s -- "$$2" "$$4"; fi' sh %s %s %s %s`,
		shBin, cpBin, cpBin, LiveSlotLink(a.Name, NextSlotRole(primary.Name), "%E", r.ctx.opts.User),
		path.Join(dir, confs[0]), path.Join(dir, confs[1]), rt+"/"+ProxyLiveConf)
	u.set("Service", "ExecStartPre", pick)
	nginx := nginxBin + " -e stderr -p " + rt + "/ -c " + ProxyLiveConf
	u.set("Service", "ExecStartPre", nginx+" -t -q")
	u.set("Service", "ExecStart", nginx)
	u.set("Service", "ExecReload", "/bin/kill -HUP $MAINPID")
	// SIGQUIT is nginx's graceful stop; the rest of the cgroup gets SIGTERM after it.
	u.set("Service", "KillSignal", "SIGQUIT")
	u.set("Service", "KillMode", "mixed")
	u.set("Service", "Restart", "on-failure")
	r.add(ProxyUnit(a.Name), Plain, u.bytes())
	r.nextSlotFile(primary)
}

// nextSlotFile renders A-web-next: the web role on the second loopback port.
// It is A-web's equal, since either may be the live slot that boot starts
// (after migrate and configure) and systemd restarts when it crashes; a
// deploy starts it without its dependencies (it has just run them).
func (r *appRender) nextSlotFile(primary generator.Role) {
	a := r.app
	role := NextSlotRole(primary.Name)
	u := newUnit(r.ctx.ver, r.header())
	r.containerBase(u, role, role+" (second web slot)")
	u.set("Unit", "PartOf", TargetUnit(a.Name))
	r.hostName(u)
	for _, d := range []string{MigrateUnit(a.Name), ConfigureUnit(a.Name)} {
		u.set("Unit", "Requires", d)
		u.set("Unit", "After", d)
	}
	r.slotPorts(u, 1)
	r.health(u)
	if !u.quadlet("Container", "StopTimeout", fmt.Sprint(launcherStopTimeout)) {
		r.podmanArgs(u, []string{"--stop-timeout", fmt.Sprint(launcherStopTimeout)})
	}
	if cmd := r.roleCommand(primary); len(cmd) > 0 {
		line, err := commandLine(cmd)
		if err != nil {
			r.errorf(generator.Pos{}, "roles."+primary.Name, "%v", err)
			return
		}
		u.quadlet("Container", "Exec", line)
	}
	u.set("Service", "Restart", "on-failure")
	u.set("Service", "TimeoutStopSec", fmt.Sprint(launcherStopTimeout+30))
	r.add(RoleContainerFile(a.Name, role), Quadlet, u.bytes())
}

// liveSlotLinks makes A.target want A-web through a link rather than Wants=,
// so that a deploy can mask it (see the top of this file) when A-web-next is
// the live slot.
func (r *appRender) liveSlotLinks() {
	web := RoleUnit(r.app.Name, r.primaryRole().Name)
	r.add(TargetUnit(r.app.Name)+".wants/"+web, Symlink, []byte("../"+web))
}

// slotPorts publishes a web slot: each proxied port (HTTP and the passed-
// through TCP ports) on its loopback slot port, and (A-web only, slot 0) the
// other expose entries (UDP, not published) as they are.
func (r *appRender) slotPorts(u *unitBuilder, slot int) {
	s, err := r.proxySetup()
	if err != nil {
		return // reported by proxyFiles
	}
	u.quadlet("Container", "PublishPort", fmt.Sprintf("127.0.0.1:%d:%s", s.SlotPorts[slot], s.ContainerPort))
	proxied := map[int]bool{s.Expose: true}
	for _, st := range s.Streams {
		u.quadlet("Container", "PublishPort", fmt.Sprintf("127.0.0.1:%d:%s", st.SlotPorts[slot], st.ContainerPort))
		proxied[st.Expose] = true
	}
	if slot != 0 {
		return
	}
	rest := *r.app
	rest.Expose = nil
	for i, p := range r.app.Expose {
		if !proxied[i] {
			rest.Expose = append(rest.Expose, p)
		}
	}
	saved := r.app
	r.app = &rest
	r.ports(u)
	r.app = saved
}

// proxyRoleClash reports a role whose unit would collide with the proxy's.
func (r *appRender) proxyRoleClash(primary generator.Role) {
	for _, role := range r.roles {
		if role.Name == "proxy" || role.Name == NextSlotRole(primary.Name) {
			r.errorf(r.app.Proxy.Pos, "roles."+role.Name, "role name %q is taken by the proxy's units", role.Name)
		}
	}
}
