package main

import (
	"context"
	"errors"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/certificates"
	"github.com/quadlaunch/quadlaunch/runtime/session"
)

func init() { commands = append(commands, certificatesCommand()) }

// certificatesCommand is `quadlaunch certificates ensure|renew APP`: the
// proxy certificate of an app with proxy.tls.acme (runtime/session/certificates.go).
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

// certificateRequest is the flags every certificates command shares.
func certificateRequest(cmd *cli.Command) (session.CertificateRequest, error) {
	name, err := appArg(cmd)
	if err != nil {
		return session.CertificateRequest{}, err
	}
	r := session.CertificateRequest{Root: rootDir(cmd), App: name, User: userMode(cmd), StateDir: cmd.String("state-dir"),
		Hosts: cmd.StringSlice("host"), Out: cmd.Root().Writer}
	if r.StateDir == "" {
		r.StateDir = certificates.DefaultStateDir(r.User)
	}
	return r, nil
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
			r, err := certificateRequest(cmd)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(ctx, cmd.Duration("timeout"))
			defer cancel()
			return session.EnsureCertificate(ctx, r)
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
			r, err := certificateRequest(cmd)
			if err != nil {
				return err
			}
			r.Email, r.Directory, r.CA = setString(cmd, "email"), setString(cmd, "directory"), setString(cmd, "ca")
			r.Webroot, r.Force = cmd.String("webroot"), cmd.Bool("force")
			ctx, cancel := context.WithTimeout(ctx, cmd.Duration("timeout"))
			defer cancel()
			err = session.RenewCertificate(ctx, r)
			var refused *session.RefusedError
			if errors.As(err, &refused) {
				return cli.Exit(refused.Message, 1)
			}
			return err
		},
	}
}

// setString is the flag's value when it was given, else nil.
func setString(cmd *cli.Command, name string) *string {
	if !cmd.IsSet(name) {
		return nil
	}
	v := cmd.String(name)
	return &v
}
