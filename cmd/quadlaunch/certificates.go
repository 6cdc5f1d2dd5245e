package main

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

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/certificates"
	"github.com/quadlaunch/quadlaunch/runtime/proxy"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
	"github.com/quadlaunch/quadlaunch/units"
)

func init() { commands = append(commands, certificatesCommand()) }

// certificatesCommand is `quadlaunch certificates ensure|renew APP`: the
// proxy certificate of an app with proxy.tls.acme (runtime/certificates).
// A-proxy.service runs `ensure` before nginx starts; A-certificates.timer
// runs `renew` twice a day (units/certificates.go).
func certificatesCommand() *cli.Command {
	return &cli.Command{
		Name:     "certificates",
		Usage:    "TLS certificates of the app's proxy (proxy.tls.acme)",
		Commands: []*cli.Command{certificatesEnsureCommand(), certificatesRenewCommand()},
	}
}

func hostFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: "host", Usage: "host name the certificate must cover (repeat for several; default: the app's proxy.host)"}
}

func stateDirFlag() cli.Flag {
	return &cli.StringFlag{Name: "state-dir", Usage: "where certificates and ACME account keys are kept (default /var/lib/quadlaunch/tls, or $XDG_STATE_HOME/quadlaunch/tls with --user)"}
}

func stateDir(cmd *cli.Command) string {
	if d := cmd.String("state-dir"); d != "" {
		return d
	}
	return certificates.DefaultStateDir(userMode(cmd))
}

func certificatesEnsureCommand() *cli.Command {
	return &cli.Command{
		Name:      "ensure",
		Usage:     "make sure APP has a certificate nginx can start with: a self-signed placeholder for its hosts until the first issuance (run by APP-proxy.service before nginx starts)",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			hostFlag(), stateDirFlag(),
			&cli.DurationFlag{Name: "timeout", Value: 20 * time.Second, Usage: "give up when a renewal holds the certificate's lock this long"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			name, err := appArg(cmd)
			if err != nil {
				return err
			}
			hosts := cmd.StringSlice("host")
			if len(hosts) == 0 {
				app, err := loadApp(cmd, name)
				if err != nil {
					return err
				}
				acme, err := acmeOf(app)
				if err != nil {
					return err
				}
				hosts = acme.hosts
			}
			// nginx serves the webroot at /.well-known/acme-challenge/
			// (through the `acme` link in its runtime dir): it must exist
			// before nginx starts, or every challenge request is a 404.
			webroot := certificates.DefaultWebroot(userMode(cmd), name)
			if err := os.MkdirAll(webroot, 0o755); err != nil {
				return fmt.Errorf("%s: the ACME webroot: %w", name, err)
			}
			ctx, cancel := context.WithTimeout(ctx, cmd.Duration("timeout"))
			defer cancel()
			store := &certificates.Store{Dir: stateDir(cmd)}
			e, err := store.EnsurePlaceholder(ctx, name, hosts, time.Now())
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			leaf := e.Pair.Leaf()
			switch {
			case e.Created:
				fmt.Fprintf(cmd.Root().Writer, "%s: self-signed placeholder for %s in %s (%s); the first issuance replaces it\n",
					name, strings.Join(hosts, ", "), store.CertDir(name), e.Reason)
			case e.Placeholder:
				fmt.Fprintf(cmd.Root().Writer, "%s: the placeholder for %s stays until the first issuance\n", name, strings.Join(certificates.Hosts(leaf), ", "))
			default:
				fmt.Fprintf(cmd.Root().Writer, "%s: certificate serial %s for %s, valid until %s\n",
					name, e.Pair.Serial(), strings.Join(certificates.Hosts(leaf), ", "), leaf.NotAfter.UTC().Format(time.RFC3339))
			}
			return nil
		},
	}
}

func certificatesRenewCommand() *cli.Command {
	return &cli.Command{
		Name:      "renew",
		Usage:     "issue APP's certificate over ACME HTTP-01 (proxy.tls.acme), or renew it once less than 30 days or a third of its lifetime remain; reload APP's proxy after a new one; a refusal keeps the current one serving",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			hostFlag(),
			&cli.StringFlag{Name: "email", Usage: "ACME account contact (default: proxy.tls.acme.email)"},
			&cli.StringFlag{Name: "directory", Usage: "ACME directory URL of the CA (default: proxy.tls.acme.directory, else Let's Encrypt)"},
			&cli.StringFlag{Name: "ca", Usage: "PEM bundle of extra roots to trust for the directory (default: proxy.tls.acme.ca)"},
			&cli.StringFlag{Name: "webroot", Usage: "directory the proxy serves at /.well-known/acme-challenge/ (default /var/lib/quadlaunch/acme-challenge/APP, or under $XDG_STATE_HOME with --user)"},
			stateDirFlag(),
			&cli.BoolFlag{Name: "force", Usage: "renew even when the certificate is not due"},
			&cli.DurationFlag{Name: "timeout", Value: 5 * time.Minute, Usage: "give up after this long"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			name, err := appArg(cmd)
			if err != nil {
				return err
			}
			user := userMode(cmd)
			s, err := renewSettings(cmd, name)
			if err != nil {
				return err
			}
			webroot := cmd.String("webroot")
			if webroot == "" {
				webroot = certificates.DefaultWebroot(user, name)
			}
			ctx, cancel := context.WithTimeout(ctx, cmd.Duration("timeout"))
			defer cancel()
			a := &certificates.ACME{Directory: s.directory, Email: s.email, Store: &certificates.Store{Dir: stateDir(cmd)}, Webroot: webroot}
			if s.ca != "" {
				if a.HTTPClient, err = acmeHTTPClient(s.ca, s.caWhere); err != nil {
					return err
				}
			}
			res, err := a.Renew(ctx, name, s.hosts, cmd.Bool("force"))
			var ie *certificates.IssueError
			if errors.As(err, &ie) {
				kept := "there is no certificate yet"
				if res != nil && res.Pair != nil {
					kept = "the current certificate (serial " + res.Pair.Serial() + ") is unchanged and keeps serving"
					if certificates.IsPlaceholder(res.Pair.Leaf()) {
						kept = "the self-signed placeholder keeps serving"
					}
				}
				return cli.Exit(fmt.Sprintf("%s: %s refused a certificate for %s: %s; %s", name, ie.Directory, strings.Join(ie.Hosts, ", "), ie.Reason(), kept), 1)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			out := cmd.Root().Writer
			leaf := res.Pair.Leaf()
			if !res.Renewed {
				fmt.Fprintf(out, "%s: not renewed: %s\n", name, res.Reason)
				return nil
			}
			fmt.Fprintf(out, "%s: new certificate (%s): serial %s for %s, issued by %q, valid until %s, in %s\n",
				name, res.Reason, res.Pair.Serial(), strings.Join(certificates.Hosts(leaf), ", "), leaf.Issuer.CommonName,
				leaf.NotAfter.UTC().Format(time.RFC3339), a.Store.CertDir(name))
			return reloadProxy(ctx, out, s, user, res.Pair.Serial())
		},
	}
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

// renewSettings: the app's config, with the flags on top. With --host the
// config may be missing (the proxy is then not reloaded).
func renewSettings(cmd *cli.Command, name string) (acmeSettings, error) {
	var s acmeSettings
	app, err := loadApp(cmd, name)
	switch {
	case err == nil:
		if s, err = acmeOf(app); err != nil && len(cmd.StringSlice("host")) == 0 {
			return s, err
		}
		s.app = app
	case len(cmd.StringSlice("host")) == 0:
		return s, err
	}
	if h := cmd.StringSlice("host"); len(h) > 0 {
		s.hosts = h
	}
	if cmd.IsSet("email") {
		s.email = cmd.String("email")
	}
	if cmd.IsSet("directory") {
		s.directory = cmd.String("directory")
	}
	if s.directory == "" {
		s.directory = generator.DefaultACMEDirectory
	}
	if cmd.IsSet("ca") {
		s.ca, s.caWhere = cmd.String("ca"), "--ca"
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
