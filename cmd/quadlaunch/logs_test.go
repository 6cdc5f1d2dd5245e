package main

import (
	"slices"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/units"
)

func TestLogUnitsCertificates(t *testing.T) {
	app := &generator.App{Name: "shop", Proxy: &generator.Proxy{Hosts: []string{"shop.test"},
		TLS: &generator.ProxyTLS{Port: 443, ACME: &generator.ProxyACME{}}}}
	if got := logUnits(units.AppUnits(app), "shop", "certificates"); !slices.Equal(got, []string{"shop-certificates.service"}) {
		t.Errorf("--unit certificates with proxy.tls.acme: %v", got)
	}
}
