package session

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/certificates"
	"github.com/quadlaunch/quadlaunch/runtime/proxy"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
	"github.com/quadlaunch/quadlaunch/units"
)

// The proxy certificate of an app with proxy.tls.acme (runtime/certificates):
// `quadlaunch certificates ensure` runs in A-proxy.service before nginx
// starts, `renew` from A-certificates.timer twice a day (units/certificates.go).

// CertificateRequest is what `certificates ensure|renew APP` was asked, the
// flags on top of the app's config.
type CertificateRequest struct {
	Root, App string
	User      bool
	StateDir  string   // where certificates and ACME account keys are kept
	Hosts     []string // --host: with them, renew needs no config (the proxy is then not reloaded)
	// Renew only: each set one replaces the config's value.
	Email, Directory, CA *string
	Webroot              string // "" : certificates.DefaultWebroot
	Force                bool
	Out                  io.Writer
}

// RefusedError is a CA's refusal, with what keeps serving.
type RefusedError struct{ Message string }

func (e *RefusedError) Error() string { return e.Message }

// EnsureCertificate makes sure the app has a certificate nginx can start
// with: a self-signed placeholder for its hosts until the first issuance.
func EnsureCertificate(ctx context.Context, r CertificateRequest) error {
	hosts := r.Hosts
	if len(hosts) == 0 {
		app, err := LoadApp(r.Root, r.App)
		if err != nil {
			return err
		}
		acme, err := acmeOf(app)
		if err != nil {
			return err
		}
		hosts = acme.hosts
	}
	// nginx serves the webroot at /.well-known/acme-challenge/ (through the
	// `acme` link in its runtime dir): it must exist before nginx starts, or
	// every challenge request is a 404.
	webroot := certificates.DefaultWebroot(r.User, r.App)
	if err := os.MkdirAll(webroot, 0o755); err != nil {
		return fmt.Errorf("%s: the ACME webroot: %w", r.App, err)
	}
	store := &certificates.Store{Dir: r.StateDir}
	e, err := store.EnsurePlaceholder(ctx, r.App, hosts, time.Now())
	if err != nil {
		return fmt.Errorf("%s: %w", r.App, err)
	}
	leaf := e.Pair.Leaf()
	switch {
	case e.Created:
		fmt.Fprintf(r.Out, "%s: self-signed placeholder for %s in %s (%s); the first issuance replaces it\n",
			r.App, strings.Join(hosts, ", "), store.CertDir(r.App), e.Reason)
	case e.Placeholder:
		fmt.Fprintf(r.Out, "%s: the placeholder for %s stays until the first issuance\n", r.App, strings.Join(certificates.Hosts(leaf), ", "))
	default:
		fmt.Fprintf(r.Out, "%s: certificate serial %s for %s, valid until %s\n",
			r.App, e.Pair.Serial(), strings.Join(certificates.Hosts(leaf), ", "), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// RenewCertificate issues the app's certificate over ACME HTTP-01, or renews
// it when due (or forced), then reloads the app's proxy after a new one. A
// refusal (RefusedError) keeps the current one serving.
func RenewCertificate(ctx context.Context, r CertificateRequest) error {
	s, err := renewSettings(r)
	if err != nil {
		return err
	}
	webroot := r.Webroot
	if webroot == "" {
		webroot = certificates.DefaultWebroot(r.User, r.App)
	}
	a := &certificates.ACME{Directory: s.directory, Email: s.email, Store: &certificates.Store{Dir: r.StateDir}, Webroot: webroot}
	if s.ca != "" {
		if a.HTTPClient, err = acmeHTTPClient(s.ca, s.caWhere); err != nil {
			return err
		}
	}
	res, err := a.Renew(ctx, r.App, s.hosts, r.Force)
	var ie *certificates.IssueError
	if errors.As(err, &ie) {
		kept := "there is no certificate yet"
		if res != nil && res.Pair != nil {
			kept = "the current certificate (serial " + res.Pair.Serial() + ") is unchanged and keeps serving"
			if certificates.IsPlaceholder(res.Pair.Leaf()) {
				kept = "the self-signed placeholder keeps serving"
			}
		}
		return &RefusedError{fmt.Sprintf("%s: %s refused a certificate for %s: %s; %s", r.App, ie.Directory, strings.Join(ie.Hosts, ", "), ie.Reason(), kept)}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", r.App, err)
	}
	leaf := res.Pair.Leaf()
	if !res.Renewed {
		fmt.Fprintf(r.Out, "%s: not renewed: %s\n", r.App, res.Reason)
		return nil
	}
	fmt.Fprintf(r.Out, "%s: new certificate (%s): serial %s for %s, issued by %q, valid until %s, in %s\n",
		r.App, res.Reason, res.Pair.Serial(), strings.Join(certificates.Hosts(leaf), ", "), leaf.Issuer.CommonName,
		leaf.NotAfter.UTC().Format(time.RFC3339), a.Store.CertDir(r.App))
	return reloadProxy(ctx, r.Out, s, r.User, res.Pair.Serial())
}

// acmeSettings is what a renewal needs, from the config and the flags.
type acmeSettings struct {
	app              *generator.App // nil when the flags gave everything and there is no config
	hosts            []string
	email, directory string
	ca, caWhere      string // the CA bundle, and where it was given ("FILE:LINE: proxy.tls.acme.ca" or "--ca")
}

// acmeOf reads proxy.host and proxy.tls.acme of app.
func acmeOf(app *generator.App) (acmeSettings, error) {
	if app.Proxy == nil || app.Proxy.TLS == nil || app.Proxy.TLS.ACME == nil {
		pos := app.PosOf("proxy")
		if pos.File == "" {
			pos = generator.Pos{File: app.ConfigPath}
		}
		return acmeSettings{}, fmt.Errorf("%s: proxy.tls.acme: not set: app %s gets its certificate from ACME only with proxy: {host: NAME, tls: {acme: ...}}", pos, app.Name)
	}
	acme := app.Proxy.TLS.ACME
	if len(app.Proxy.Hosts) == 0 {
		return acmeSettings{}, fmt.Errorf("%s: proxy.host: not set: ACME issues certificates for host names, and app %s names none", acme.Pos, app.Name)
	}
	s := acmeSettings{app: app, hosts: app.Proxy.Hosts, email: acme.Email, directory: acme.Directory, ca: acme.CA}
	if acme.CA != "" {
		s.caWhere = acme.CAPos.String() + ": proxy.tls.acme.ca"
	}
	return s, nil
}

// renewSettings: the app's config, with the flags on top. With hosts given
// the config may be missing (the proxy is then not reloaded).
func renewSettings(r CertificateRequest) (acmeSettings, error) {
	var s acmeSettings
	app, err := LoadApp(r.Root, r.App)
	switch {
	case err == nil:
		if s, err = acmeOf(app); err != nil && len(r.Hosts) == 0 {
			return s, err
		}
		s.app = app
	case len(r.Hosts) == 0:
		return s, err
	}
	if len(r.Hosts) > 0 {
		s.hosts = r.Hosts
	}
	if r.Email != nil {
		s.email = *r.Email
	}
	if r.Directory != nil {
		s.directory = *r.Directory
	}
	if s.directory == "" {
		s.directory = generator.DefaultACMEDirectory
	}
	if r.CA != nil {
		s.ca, s.caWhere = *r.CA, "--ca"
	}
	return s, nil
}

// acmeHTTPClient trusts the system's roots and the PEM bundle caFile (a
// private ACME CA's root) for the ACME directory.
func acmeHTTPClient(caFile, where string) (*http.Client, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	data, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s: %s holds no PEM certificate", where, caFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}

// reloadProxy makes the app's running proxy serve the certificate with
// serial, and waits until it does.
func reloadProxy(ctx context.Context, out io.Writer, s acmeSettings, user bool, serial string) error {
	if s.app == nil || s.app.Proxy == nil || s.app.Proxy.TLS == nil {
		fmt.Fprintf(out, "no proxy.tls in the app's config: no proxy to reload\n")
		return nil
	}
	unit := units.ProxyUnit(s.app.Name)
	target, err := proxy.ResolveTLS(s.app, s.hosts[0])
	if err != nil {
		return err
	}
	sd, err := systemd.Connect(ctx, user)
	if err != nil {
		return fmt.Errorf("%s: the new certificate is stored, but %s was not reloaded: %w", s.app.Name, unit, err)
	}
	defer sd.Close()
	r, err := proxy.ReloadForCertificate(ctx, sd, unit, target, serial, 30*time.Second)
	if err != nil {
		return fmt.Errorf("%s: %w", s.app.Name, err)
	}
	if !r.Active {
		fmt.Fprintf(out, "%s is not running: it serves the new certificate when it starts\n", unit)
		return nil
	}
	fmt.Fprintf(out, "%s reloaded: %s (SNI %s) serves serial %s, %.1fs after the reload\n", unit, target.Addr, target.ServerName, serial, r.Took.Seconds())
	return nil
}
