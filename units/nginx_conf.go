package units

// The app proxy's nginx config (proxy.go says how the two web slots and the
// switch work): what NginxConf.Render writes for the generator (the boot
// config) and for the helper (each live config of a switch).

import (
	"bytes"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"
)

// NginxConf is one rendering of an app's proxy config.
type NginxConf struct {
	App        string
	Setup      ProxySetup
	Upstream   int    // loopback port traffic goes to
	Bridge     int    // during a swap: the other slot, asked for assets the upstream lacks (0 = none)
	AssetPath  string // URL prefix of assets ("/assets/"); only used with Bridge
	Generation string // answered at ProxyStatusPath
	// Maintenance: every request gets the maintenance page (503 with
	// Retry-After) with this message; the slot keeps running, untouched.
	Maintenance *Maintenance
}

// Maintenance is `quadlaunch maintenance APP on`'s state.
type Maintenance struct {
	Message    string `json:"message"`
	RetryAfter int    `json:"retry_after"` // seconds; 0: MaintenanceRetryAfter
}

// MaintenanceRetryAfter is the Retry-After of the maintenance page.
const MaintenanceRetryAfter = 60

// DefaultMaintenanceMessage is the page's text without --message.
const DefaultMaintenanceMessage = "This site is down for maintenance and will be back soon."

// maintenancePage is the page's HTML: the message is escaped for HTML and
// for nginx's single-quoted string ($ would be a variable there).
func maintenancePage(msg string) string {
	msg = html.EscapeString(strings.ReplaceAll(msg, "\n", " "))
	msg = strings.NewReplacer("$", "&#36;", "\\", "&#92;").Replace(msg)
	return `<!doctype html><html><head><meta charset="utf-8"><title>Down for maintenance</title></head>` +
		`<body><h1>Down for maintenance</h1><p>` + msg + `</p></body></html>`
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
	if m := c.Maintenance; m != nil {
		retry := m.RetryAfter
		if retry <= 0 {
			retry = MaintenanceRetryAfter
		}
		w.line("        # quadlaunch maintenance APP on: the app runs on, untouched; no request reaches it.")
		w.line("        location / {")
		w.line("            add_header Retry-After %d always;", retry)
		w.line("            add_header Cache-Control no-store always;")
		w.line("            default_type text/html;")
		w.line("            return 503 '%s';", maintenancePage(m.Message))
		w.line("        }")
		return
	}
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
