package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
	"github.com/quadlaunch/quadlaunch/units"
)

// After `quadlaunch certificates renew` stored a new certificate, the app's
// proxy must serve it: nginx reads ssl_certificate only when it starts or
// reloads, and a reload (SIGHUP: new workers with the new files, old ones
// finish their requests) fails no request.

// TLSTarget is where the app's proxy answers TLS, as the host itself
// reaches it: Addr to dial, ServerName to send as SNI.
type TLSTarget struct {
	Addr       string
	ServerName string
}

// ResolveTLS is the TLS listener of app's proxy: proxy.tls.port on the
// address of the proxied HTTP port, or, with proxy.host, the host-wide front
// proxy on that port on loopback, which routes by SNI (the first host).
// serverName is used when the app names no host.
func ResolveTLS(app *generator.App, serverName string) (TLSTarget, error) {
	if app.Proxy == nil || app.Proxy.TLS == nil {
		return TLSTarget{}, fmt.Errorf("%s: no proxy.tls in %s", app.Name, app.ConfigPath)
	}
	port := strconv.Itoa(app.Proxy.TLS.Port)
	if len(app.Proxy.Hosts) > 0 {
		return TLSTarget{Addr: net.JoinHostPort("127.0.0.1", port), ServerName: app.Proxy.Hosts[0]}, nil
	}
	s, err := units.ResolveProxy(app)
	if err != nil {
		return TLSTarget{}, fmt.Errorf("%s: %s: proxy: %w", app.Name, app.Proxy.Pos, err)
	}
	ip := s.ListenIP
	if ip == "" || ip == "0.0.0.0" {
		ip = "127.0.0.1"
	}
	return TLSTarget{Addr: net.JoinHostPort(ip, port), ServerName: serverName}, nil
}

// ServedSerial is the serial (lower-case hex, as certificates.Pair.Serial)
// of the certificate the server at t presents.
func ServedSerial(ctx context.Context, t TLSTarget) (string, error) {
	d := tls.Dialer{
		NetDialer: &net.Dialer{Timeout: 2 * time.Second},
		// Only the serial is read, and the certificate may be the
		// self-signed placeholder: nothing is sent over this connection.
		Config: &tls.Config{ServerName: t.ServerName, InsecureSkipVerify: true},
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	certs := c.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", errors.New("no certificate presented")
	}
	return fmt.Sprintf("%x", certs[0].SerialNumber), nil
}

// CertificateReload is what ReloadForCertificate did.
type CertificateReload struct {
	Active bool          // the proxy ran, so it was reloaded
	Took   time.Duration // from the reload to the new certificate being served
}

// ReloadForCertificate reloads the proxy unit (its ExecReload, nginx's
// graceful SIGHUP) when it is active, then waits until t presents the
// certificate with serial (at most limit). An inactive proxy is left alone:
// it reads the new files when it starts.
func ReloadForCertificate(ctx context.Context, s *systemd.Manager, unit string, t TLSTarget, serial string, limit time.Duration) (CertificateReload, error) {
	st, err := s.State(ctx, unit)
	if err != nil {
		return CertificateReload{}, err
	}
	if st.ActiveState != "active" && st.ActiveState != "reloading" {
		return CertificateReload{}, nil
	}
	t0 := time.Now()
	if err := s.ReloadUnit(ctx, unit); err != nil {
		return CertificateReload{Active: true}, fmt.Errorf("reload %s for the new certificate: %w", unit, err)
	}
	served := ""
	err = waitFor(ctx, limit, func() error {
		got, err := ServedSerial(ctx, t)
		served = got
		if err != nil {
			return err
		}
		if got != serial {
			return fmt.Errorf("still serves serial %s", got)
		}
		return nil
	})
	if err != nil {
		if served == "" {
			served = "nothing"
		}
		return CertificateReload{Active: true}, fmt.Errorf("%s was reloaded, but %s (SNI %q) does not serve the new certificate %s after %s (it serves %s: %v; journalctl -u %s)",
			unit, t.Addr, t.ServerName, serial, limit, served, err, unit)
	}
	return CertificateReload{Active: true, Took: time.Since(t0)}, nil
}
