package generator

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestDeployKeysMerge(t *testing.T) {
	app := loadOne(t, map[string]string{
		"templates/t.yml": `proxy: {slot_ports: [18000, 18001]}
deploy_hooks:
  pre-build: echo template
  post-deploy: [/usr/bin/notify, done]
deploy_timeout: 1m
`,
		"containers/app.yml": `templates: [templates/t.yml]
proxy: {drain_timeout: 5s, asset_bridge: 3s}
asset_path: /assets
deploy_hooks:
  pre-build: echo app
`,
	})
	if app.Proxy == nil || app.Proxy.SlotPorts != [2]int{} || app.Proxy.DrainTimeout != "5s" || app.Proxy.AssetBridge != "3s" {
		t.Errorf("proxy = %+v, want the app file's (a later layer replaces the whole proxy key)", app.Proxy)
	}
	if app.AssetPath != "/assets/" {
		t.Errorf("asset_path = %q, want /assets/", app.AssetPath)
	}
	if app.DeployTimeout != "1m" {
		t.Errorf("deploy_timeout = %q", app.DeployTimeout)
	}
	if h := app.DeployHooks["pre-build"]; h == nil || h.Shell != "echo app" {
		t.Errorf("pre-build = %+v, want the app's shell hook", h)
	}
	if h := app.DeployHooks["post-deploy"]; h == nil || strings.Join(h.Args, " ") != "/usr/bin/notify done" {
		t.Errorf("post-deploy = %+v, want the template's argv hook", h)
	}
}

func TestProxyFalseTurnsOffTemplateProxy(t *testing.T) {
	app := loadOne(t, map[string]string{
		"templates/t.yml":    "proxy: true\n",
		"containers/app.yml": "templates: [templates/t.yml]\nproxy: false\n",
	})
	if app.Proxy != nil {
		t.Errorf("proxy = %+v, want nil", app.Proxy)
	}
}

func TestDeployKeyErrors(t *testing.T) {
	for _, tc := range []struct{ yml, want string }{
		{"proxy: {slot_ports: [18000]}\n", "proxy.slot_ports: must be a list of two ports"},
		{"proxy: {slot_ports: [18000, 18000]}\n", "different ports"},
		{"proxy: {slot_ports: [1, 70000]}\n", `"70000" is not a port`},
		{"proxy: {drain_timeout: 5}\n", "proxy.drain_timeout"},
		{"proxy: {asset_bridge: long}\n", "proxy.asset_bridge"},
		{"asset_path: assets\n", "asset_path"},
		{"asset_path: \"/a;b\"\n", "asset_path"},
		{"deploy_timeout: soon\n", "deploy_timeout"},
		{"deploy_hooks: {pre-deploy: []}\n", "empty command"},
	} {
		root := writeRoot(t, map[string]string{"containers/app.yml": tc.yml})
		_, err := LoadApp(root, filepath.Join(root, "containers", "app.yml"))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "app.yml:1") {
			t.Errorf("%q: err = %v, want file:line and %q", tc.yml, err, tc.want)
		}
	}
}

func TestUnknownDeployHookWarns(t *testing.T) {
	app := loadOne(t, map[string]string{"containers/app.yml": "deploy_hooks: {pre-boot: echo}\n"})
	found := false
	for _, w := range app.Warnings {
		found = found || w.Key == "deploy_hooks.pre-boot"
	}
	if !found || len(app.DeployHooks) != 0 {
		t.Errorf("warnings %v hooks %v: want a warning for pre-boot and no hook", app.Warnings, app.DeployHooks)
	}
}

func TestProxyHostsAndTLS(t *testing.T) {
	app := loadOne(t, map[string]string{
		"containers/app.yml": `expose: ["80:80"]
proxy:
  host: [shop.example.com, www.shop.example.com]
  tls:
    acme: {email: ops@example.com, directory: "https://ca.internal:14000/dir", ca: /etc/quadlaunch/ca.pem}
    port: 8443
    hsts: 600
`,
	})
	px := app.Proxy
	if px == nil || strings.Join(px.Hosts, ",") != "shop.example.com,www.shop.example.com" {
		t.Fatalf("proxy = %+v, want both hosts", px)
	}
	if px.HostsPos.Line != 3 {
		t.Errorf("proxy.host line = %d, want 3", px.HostsPos.Line)
	}
	tls := px.TLS
	if tls != nil && tls.ACME != nil && tls.ACME.CAPos.Line != 5 {
		t.Errorf("proxy.tls.acme.ca line = %d, want 5 (the ca value, in the flow mapping)", tls.ACME.CAPos.Line)
	}
	if tls == nil || tls.ACME == nil || tls.ACME.CA != "/etc/quadlaunch/ca.pem" || tls.Port != 8443 || tls.HSTSMaxAge != 600 || !tls.RedirectHTTP {
		t.Fatalf("proxy.tls = %+v (acme %+v)", tls, tls.ACME)
	}
	one := loadOne(t, map[string]string{"containers/app.yml": "expose: [\"80:80\"]\nproxy: {host: a.example, tls: {certificate: /c.pem, key: /k.pem}}\n"})
	if one.Proxy.Hosts[0] != "a.example" || one.Proxy.TLS.Port != DefaultTLSPort {
		t.Errorf("proxy = %+v, tls %+v: want one host and TLS on %d", one.Proxy, one.Proxy.TLS, DefaultTLSPort)
	}
}

func TestProxyHostErrors(t *testing.T) {
	for _, tc := range []struct{ yml, want string }{
		{"proxy: {host: []}\n", "proxy.host: needs at least one host name"},
		{"proxy: {host: Shop.Example.com}\n", `proxy.host: "Shop.Example.com" is not a lower-case DNS host name`},
		{"proxy: {host: \"a b\"}\n", "is not a lower-case DNS host name"},
		{"proxy: {host: [a.example, a.example]}\n", `"a.example" is listed twice`},
		{"proxy: {tls: {acme: true}}\n", "proxy.tls.acme: needs proxy.host"},
		{"proxy: {host: a.example, tls: {acme: {ca: relative.pem}}}\n", "proxy.tls.acme.ca"},
		{"proxy: {host: a.example, tls: {certificate: /c, key: /k, port: 0}}\n", `proxy.tls.port: "0" is not a port`},
	} {
		root := writeRoot(t, map[string]string{"containers/app.yml": tc.yml})
		_, err := LoadApp(root, filepath.Join(root, "containers", "app.yml"))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "app.yml:") {
			t.Errorf("%q: error %v, want it to contain %q and the file:line", tc.yml, err, tc.want)
		}
	}
}
