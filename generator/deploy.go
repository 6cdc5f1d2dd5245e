package generator

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Deploy keys (issue #6): proxy, asset_path, deploy_timeout, deploy_hooks.
// deploy_hooks is its own key, not part of `hooks:`: pups hooks are step lists
// run inside the image during a build, deploy hooks are host commands run by
// `quadlaunch deploy`; one map holding both would mix two meanings.

// DeployHookNames are the deploy hooks, in the order a deploy reaches them.
var DeployHookNames = []string{"pre-build", "pre-deploy", "post-deploy", "post-rollback"}

// Proxy puts the primary role behind a proxy unit (nginx) so deploys can start
// the new version beside the old one and switch traffic without a failed request.
type Proxy struct {
	// SlotPorts are the loopback ports of the two web slots (APP-web and
	// APP-web-next); 0 means the default: published host port + 10000 / + 10001.
	SlotPorts    [2]int
	DrainTimeout string // how long old connections may finish after the switch ("" = DefaultDrainTimeout)
	// AssetBridge is how long both versions keep running behind the proxy with
	// asset_path bridged, so pages of the old version still get their assets ("" = 10s).
	AssetBridge string
	// KeepPrevious is how long the previous version's slot keeps running (no
	// traffic) after a deploy or rollback, so that rolling back within it is
	// a proxy switch, no boot ("" = stop it right away).
	KeepPrevious string
	// Hosts are the host names the app answers to (proxy.host). With them,
	// the app shares its published HTTP/TLS ports with other apps through the
	// host-wide front proxy, which routes by Host header and TLS SNI; without,
	// the app's proxy owns its published ports alone.
	Hosts    []string
	HostsPos Pos
	// TLS terminates HTTPS at the proxy (proxy.tls); nil = no TLS at the proxy.
	TLS *ProxyTLS
	Pos Pos
}

// DeployHook is one deploy hook: Args run directly, or Shell through /bin/sh -c.
type DeployHook struct {
	Args  []string
	Shell string
	Pos   Pos
}

type deployLayer struct {
	proxy         *Proxy
	proxyOff      bool
	assetPath     optString
	deployTimeout optString
	hooks         map[string]*DeployHook
}

func (l *layer) deployPart() *deployLayer {
	if l.deploy == nil {
		l.deploy = &deployLayer{}
	}
	return l.deploy
}

func decodeProxy(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	dl := l.deployPart()
	if p.value.Kind == yaml.ScalarNode {
		b, err := d.boolean(p.value, p.key)
		if err != nil {
			return err
		}
		if b {
			dl.proxy = &Proxy{Pos: posOf(d.file, p.keyN)}
		} else {
			dl.proxyOff = true
		}
		return nil
	}
	f, err := d.fields(l, p.value, p.key, "slot_ports", "drain_timeout", "asset_bridge", "keep_previous", "host", "tls")
	if err != nil {
		return err
	}
	px := &Proxy{Pos: posOf(d.file, p.keyN)}
	if n := f["slot_ports"]; n != nil {
		ports, isList, err := d.strList(n, "proxy.slot_ports")
		if err != nil {
			return err
		}
		if !isList || len(ports) != 2 {
			return errAt(d.file, n, "proxy.slot_ports", "must be a list of two ports")
		}
		for i, s := range ports {
			v, err := strconv.Atoi(s)
			if err != nil || v < 1 || v > 65535 {
				return errAt(d.file, n, "proxy.slot_ports", "%q is not a port", s)
			}
			px.SlotPorts[i] = v
		}
		if px.SlotPorts[0] == px.SlotPorts[1] {
			return errAt(d.file, n, "proxy.slot_ports", "the two slots need different ports")
		}
	}
	if n := f["drain_timeout"]; n != nil {
		if px.DrainTimeout, err = d.duration(n, "proxy.drain_timeout"); err != nil {
			return err
		}
	}
	if n := f["asset_bridge"]; n != nil {
		if px.AssetBridge, err = d.duration(n, "proxy.asset_bridge"); err != nil {
			return err
		}
	}
	if n := f["keep_previous"]; n != nil {
		if px.KeepPrevious, err = d.duration(n, "proxy.keep_previous"); err != nil {
			return err
		}
	}
	if n := f["host"]; n != nil {
		if px.Hosts, err = decodeProxyHosts(d, n, "proxy.host"); err != nil {
			return err
		}
		px.HostsPos = posOf(d.file, n)
	}
	if n := f["tls"]; n != nil {
		if px.TLS, err = decodeProxyTLS(d, l, n, "proxy.tls"); err != nil {
			return err
		}
		if px.TLS != nil && px.TLS.ACME != nil && len(px.Hosts) == 0 {
			return errAt(d.file, n, "proxy.tls.acme", "needs proxy.host: the host names the certificate is issued for")
		}
	}
	dl.proxy = px
	return nil
}

// hostName says whether h is a DNS host name (letters, digits, hyphens,
// dots; labels of 1-63 characters, no hyphen at either end), optionally with
// one leading wildcard label for certificate files; lower case only, as nginx
// and the TLS SNI compare it. Plain code, not a regexp: the generator starts
// at every boot and a package-level regexp costs its compilation each time
// (generator/syntax.go).
func hostName(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimPrefix(h, "*."), ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// decodeProxyHosts reads proxy.host: one name or a list of names.
func decodeProxyHosts(d *doc, n *yaml.Node, key string) ([]string, error) {
	names, _, err := d.strList(n, key)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errAt(d.file, n, key, "needs at least one host name")
	}
	seen := map[string]bool{}
	for _, h := range names {
		if !hostName(h) {
			return nil, errAt(d.file, n, key, "%q is not a lower-case DNS host name like www.example.com", h)
		}
		if seen[h] {
			return nil, errAt(d.file, n, key, "%q is listed twice", h)
		}
		seen[h] = true
	}
	return names, nil
}

func (d *doc) duration(n *yaml.Node, key string) (string, error) {
	s, err := d.scalar(n, key)
	if err != nil {
		return "", err
	}
	if !durationRe.MatchString(s) {
		return "", errAt(d.file, n, key, "%q is not a duration like 30s, 1m30s or 500ms", s)
	}
	return s, nil
}

func decodeAssetPath(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	s, err := d.scalar(p.value, p.key)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(s, "/") || strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r == 0x7f || strings.ContainsRune(`;{}"'\$#`, r)
	}) {
		return errAt(d.file, p.value, p.key, "%q must be a URL path like /assets (no spaces, quotes, ';', '{', '}', '$' or '#')", s)
	}
	l.deployPart().assetPath = optString{set: true, v: strings.TrimSuffix(s, "/") + "/"}
	return nil
}

func decodeDeployTimeout(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	s, err := d.duration(p.value, p.key)
	if err != nil {
		return err
	}
	l.deployPart().deployTimeout = optString{set: true, v: s}
	return nil
}

func decodeDeployHooks(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	f, err := d.fields(l, p.value, p.key, DeployHookNames...)
	if err != nil {
		return err
	}
	dl := l.deployPart()
	for name, n := range f {
		key := "deploy_hooks." + name
		args, isList, err := d.strList(n, key)
		if err != nil {
			return err
		}
		h := &DeployHook{Pos: posOf(d.file, n)}
		if isList {
			if len(args) == 0 {
				return errAt(d.file, n, key, "empty command")
			}
			h.Args = args
		} else {
			h.Shell = args[0]
		}
		for _, a := range append(h.Args, h.Shell) {
			if strings.ContainsRune(a, 0) {
				return errAt(d.file, n, key, "NUL byte in command")
			}
		}
		if dl.hooks == nil {
			dl.hooks = map[string]*DeployHook{}
		}
		dl.hooks[name] = h
	}
	return nil
}

// mergeDeploy applies one layer's deploy keys: a later layer wins per key (and
// per hook); `proxy: false` turns off a proxy a template enabled.
func mergeDeploy(app *App, l *layer) {
	dl := l.deploy
	if dl == nil {
		return
	}
	if dl.proxyOff {
		app.Proxy = nil
	}
	if dl.proxy != nil {
		app.Proxy = dl.proxy
	}
	if dl.assetPath.set {
		app.AssetPath = dl.assetPath.v
	}
	if dl.deployTimeout.set {
		app.DeployTimeout = dl.deployTimeout.v
	}
	for name, h := range dl.hooks {
		if app.DeployHooks == nil {
			app.DeployHooks = map[string]*DeployHook{}
		}
		app.DeployHooks[name] = h
	}
}

// String shows a hook the way it runs.
func (h *DeployHook) String() string {
	if h.Shell != "" {
		return fmt.Sprintf("sh -c %q", h.Shell)
	}
	return strings.Join(h.Args, " ")
}
