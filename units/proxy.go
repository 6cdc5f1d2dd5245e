package units

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"

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

// ProxyStatusPath answers (to loopback only) the live config's generation and
// upstream: how the CLI knows a reload took effect.
const ProxyStatusPath = "/.quadlaunch/proxy"

// ProxySetup is where an app's proxy listens and where its slots are.
type ProxySetup struct {
	ListenIP      string // "" = all IPv4 addresses
	ListenPort    int
	ContainerPort string // the web container's port the slots publish
	SlotPorts     [2]int // loopback ports of A-web and A-web-next
	DrainTimeout  string
	Expose        int // index of the expose entry the proxy took over
}

// ProbeAddr is host:port to reach the proxy from the host itself.
func (s ProxySetup) ProbeAddr() string {
	ip := s.ListenIP
	if ip == "" || ip == "0.0.0.0" {
		ip = "127.0.0.1"
	}
	if strings.Contains(ip, ":") && !strings.HasPrefix(ip, "[") {
		ip = "[" + ip + "]"
	}
	return ip + ":" + strconv.Itoa(s.ListenPort)
}

// ResolveProxy reads the proxy setup of an app: the proxy takes over the first
// published TCP expose entry; slot ports default to its host port + 10000 and
// + 10001. It fails when the app has no proxy or no such entry.
func ResolveProxy(app *generator.App) (ProxySetup, error) {
	if app.Proxy == nil {
		return ProxySetup{}, fmt.Errorf("%s has no proxy", app.Name)
	}
	for i, p := range app.Expose {
		if p.HostPort == "" || (p.Proto != "" && p.Proto != "tcp") {
			continue
		}
		port, err := strconv.Atoi(p.HostPort)
		if err != nil || port < 1 || port > 65535 {
			return ProxySetup{}, fmt.Errorf("expose[%d]: host port %q is not a single port", i, p.HostPort)
		}
		s := ProxySetup{ListenIP: p.HostIP, ListenPort: port, ContainerPort: p.Container, SlotPorts: app.Proxy.SlotPorts,
			DrainTimeout: app.Proxy.DrainTimeout, Expose: i}
		if s.SlotPorts == [2]int{} {
			s.SlotPorts = [2]int{port + 10000, port + 10001}
			if s.SlotPorts[1] > 65535 {
				return ProxySetup{}, fmt.Errorf("no default slot ports above host port %d: set proxy.slot_ports", port)
			}
		}
		for _, sp := range s.SlotPorts {
			if sp == port {
				return ProxySetup{}, fmt.Errorf("slot port %d is the proxy's own port", sp)
			}
		}
		if s.DrainTimeout == "" {
			s.DrainTimeout = generator.DefaultDrainTimeout.String()
		}
		return s, nil
	}
	return ProxySetup{}, fmt.Errorf("the proxy needs a published TCP port in expose (like \"80:8080\")")
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

// Render writes the nginx config. Paths are relative to nginx's prefix (-p,
// the unit's runtime dir), so the same text works for root and rootless.
func (c NginxConf) Render() []byte {
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	listen := strconv.Itoa(c.Setup.ListenPort)
	allow := []string{"127.0.0.1", "::1"}
	if ip := c.Setup.ListenIP; ip != "" && ip != "0.0.0.0" {
		listen = ip + ":" + listen
		if strings.Contains(ip, ":") && !strings.HasPrefix(ip, "[") {
			listen = "[" + ip + "]:" + strconv.Itoa(c.Setup.ListenPort)
		}
		allow = append(allow, strings.Trim(ip, "[]"))
	}
	w("# Generated by quadlaunch for app %s (generation %s). The live copy is rewritten by quadlaunch deploy.", c.App, c.Generation)
	w("daemon off;")
	w("worker_processes 2;")
	w("pid nginx.pid;")
	w("error_log stderr notice;")
	w("# Old workers of a reload may finish their requests this long (the deploy's drain).")
	w("worker_shutdown_timeout %s;", c.Setup.DrainTimeout)
	w("events { worker_connections 1024; }")
	w("http {")
	w("    access_log off;")
	w("    server_tokens off;")
	for _, t := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		w("    %s_temp_path tmp/%s;", t, t)
	}
	w("    proxy_http_version 1.1;")
	w("    proxy_set_header Connection \"\";")
	w("    proxy_set_header Host $http_host;")
	w("    proxy_set_header X-Real-IP $remote_addr;")
	w("    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")
	w("    proxy_set_header X-Forwarded-Proto $scheme;")
	w("    proxy_read_timeout 600s;")
	w("    client_max_body_size 0;")
	// Reused upstream connections: a new TCP connection per request leaves a
	// conntrack/TIME_WAIT entry each, and under load the table overflows (SYNs
	// dropped). A short keepalive_timeout: an old worker of a reload waits for
	// its idle upstream connections to time out before it exits (the drain).
	w("    upstream quadlaunch_live { server 127.0.0.1:%d; keepalive 16; keepalive_timeout 2s; }", c.Upstream)
	bridge := c.Bridge != 0 && c.AssetPath != ""
	if bridge {
		w("    upstream quadlaunch_bridge { server 127.0.0.1:%d; keepalive 4; keepalive_timeout 2s; }", c.Bridge)
	}
	// allow/deny would run after `return`: the status answer checks the address itself.
	w("    geo $quadlaunch_local {")
	w("        default 0;")
	for _, a := range allow {
		w("        %s 1;", a)
	}
	w("    }")
	w("    server {")
	w("        listen %s;", listen)
	w("        location = %s {", ProxyStatusPath)
	w("            if ($quadlaunch_local = 0) { return 404; }")
	w("            default_type text/plain;")
	w("            return 200 \"%s 127.0.0.1:%d\\n\";", c.Generation, c.Upstream)
	w("        }")
	w("        location / {")
	w("            proxy_pass http://quadlaunch_live;")
	w("            error_page 502 504 = @offline;")
	w("        }")
	if bridge {
		w("        # Asset bridging: an asset the live slot lacks (the other version's) comes from the other slot.")
		w("        location %s {", c.AssetPath)
		w("            proxy_pass http://quadlaunch_live;")
		w("            proxy_intercept_errors on;")
		w("            error_page 404 = @bridge;")
		w("        }")
		w("        location @bridge {")
		w("            proxy_pass http://quadlaunch_bridge;")
		w("        }")
	}
	w("        location @offline {")
	w("            add_header Retry-After 5 always;")
	w("            default_type text/html;")
	w("            return 503 '%s';", offlinePage)
	w("        }")
	w("    }")
	w("}")
	return b.Bytes()
}

// proxyFiles renders the proxy unit, its steady-state config (upstream A-web)
// and the second web slot.
func (r *appRender) proxyFiles(primary generator.Role) {
	a := r.app
	s, err := ResolveProxy(a)
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
	u.set("Service", "Type", "exec")
	// %t is /run or $XDG_RUNTIME_DIR: the same unit text for root and rootless.
	rt := "%t/" + ProxyRuntimeDir(a.Name)
	u.set("Service", "RuntimeDirectory", ProxyRuntimeDir(a.Name)+" "+ProxyRuntimeDir(a.Name)+"/tmp")
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

// slotPorts publishes a web slot: the proxied port on its loopback slot port,
// and (A-web only, slot 0) the other expose entries as they are.
func (r *appRender) slotPorts(u *unitBuilder, slot int) {
	s, err := ResolveProxy(r.app)
	if err != nil {
		return // reported by proxyFiles
	}
	cport := s.ContainerPort
	u.quadlet("Container", "PublishPort", fmt.Sprintf("127.0.0.1:%d:%s", s.SlotPorts[slot], cport))
	if slot != 0 {
		return
	}
	rest := *r.app
	rest.Expose = append(append([]generator.Port(nil), r.app.Expose[:s.Expose]...), r.app.Expose[s.Expose+1:]...)
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
