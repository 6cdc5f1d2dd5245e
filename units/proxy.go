package units

import (
	"fmt"
	"hash/fnv"
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
