package proxy

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
)

func tlsApp(hosts []string, expose generator.Port) *generator.App {
	return &generator.App{Name: "shop", ConfigPath: "/etc/quadlaunch/containers/shop.yml",
		Expose: []generator.Port{expose},
		Proxy: &generator.Proxy{Hosts: hosts, TLS: &generator.ProxyTLS{Port: 8443,
			ACME: &generator.ProxyACME{Directory: generator.DefaultACMEDirectory}}}}
}

// Where renew checks that the reloaded proxy serves the new certificate.
func TestResolveTLS(t *testing.T) {
	cases := []struct {
		name        string
		app         *generator.App
		sni         string
		addr, wname string
	}{
		// proxy.host: the front owns the port on every address, routing by SNI.
		{"fronted", tlsApp([]string{"shop.test", "www.shop.test"}, generator.Port{HostIP: "192.0.2.7", HostPort: "80", Container: "8080"}), "other.test", "127.0.0.1:8443", "shop.test"},
		// The app's own proxy on the proxied port's address.
		{"own address", tlsApp(nil, generator.Port{HostIP: "127.0.0.2", HostPort: "80", Container: "8080"}), "x.test", "127.0.0.2:8443", "x.test"},
		{"all addresses", tlsApp(nil, generator.Port{HostPort: "80", Container: "8080"}), "x.test", "127.0.0.1:8443", "x.test"},
	}
	for _, c := range cases {
		got, err := ResolveTLS(c.app, c.sni)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got.Addr != c.addr || got.ServerName != c.wname {
			t.Errorf("%s: %+v, want %s with SNI %s", c.name, got, c.addr, c.wname)
		}
	}
	noTLS := tlsApp(nil, generator.Port{HostPort: "80", Container: "8080"})
	noTLS.Proxy.TLS = nil
	if _, err := ResolveTLS(noTLS, "x"); err == nil || !strings.Contains(err.Error(), "/etc/quadlaunch/containers/shop.yml") {
		t.Errorf("no proxy.tls: %v, want an error naming the config", err)
	}
}

func TestServedSerial(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	want := fmt.Sprintf("%x", srv.Certificate().SerialNumber)
	got, err := ServedSerial(context.Background(), TLSTarget{Addr: srv.Listener.Addr().String(), ServerName: "example.com"})
	if err != nil || got != want {
		t.Fatalf("ServedSerial = %q, %v; want %q", got, err, want)
	}
	srv.Close()
	if _, err := ServedSerial(context.Background(), TLSTarget{Addr: srv.Listener.Addr().String()}); err == nil {
		t.Error("a closed port served a serial")
	}
}
