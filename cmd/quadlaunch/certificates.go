package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/certificates"
)

func init() { commands = append(commands, certificatesCommand()) }

// certificatesCommand is `quadlaunch certificates renew APP`: issue or renew
// the proxy certificate of APP over ACME HTTP-01 (runtime/certificates).
// Until proxy.tls is wired into the app config, the host names and the ACME
// account come from flags; the renewal timer (units.CertificateRenewal) runs
// it twice a day.
func certificatesCommand() *cli.Command {
	return &cli.Command{
		Name:  "certificates",
		Usage: "TLS certificates of the app's proxy (proxy.tls.acme)",
		Commands: []*cli.Command{{
			Name:      "renew",
			Usage:     "issue APP's certificate over ACME HTTP-01, or renew it once less than 30 days or a third of its lifetime remain; a refusal keeps the current one",
			ArgsUsage: "APP",
			Flags: []cli.Flag{
				&cli.StringSliceFlag{Name: "host", Usage: "host name the certificate must cover (repeat for several)", Required: true},
				&cli.StringFlag{Name: "email", Usage: "ACME account contact"},
				&cli.StringFlag{Name: "directory", Value: generator.DefaultACMEDirectory, Usage: "ACME directory URL of the CA"},
				&cli.StringFlag{Name: "webroot", Usage: "directory the proxy serves at /.well-known/acme-challenge/ (default /var/lib/quadlaunch/acme-challenge/APP, or under $XDG_STATE_HOME with --user)"},
				&cli.StringFlag{Name: "state-dir", Usage: "where certificates and ACME account keys are kept (default /var/lib/quadlaunch/tls, or $XDG_STATE_HOME/quadlaunch/tls with --user)"},
				&cli.BoolFlag{Name: "force", Usage: "renew even when the certificate is not due"},
				&cli.DurationFlag{Name: "timeout", Value: 5 * time.Minute, Usage: "give up after this long"},
			},
			Action: func(ctx context.Context, cmd *cli.Command) error {
				if cmd.Args().Len() != 1 {
					return errors.New("usage: quadlaunch certificates renew APP --host NAME [--host NAME...]")
				}
				app := cmd.Args().First()
				user := userMode(cmd)
				state, webroot := cmd.String("state-dir"), cmd.String("webroot")
				if state == "" {
					state = certificates.DefaultStateDir(user)
				}
				if webroot == "" {
					webroot = certificates.DefaultWebroot(user, app)
				}
				ctx, cancel := context.WithTimeout(ctx, cmd.Duration("timeout"))
				defer cancel()
				a := &certificates.ACME{
					Directory: cmd.String("directory"),
					Email:     cmd.String("email"),
					Store:     &certificates.Store{Dir: state},
					Webroot:   webroot,
				}
				res, err := a.Renew(ctx, app, cmd.StringSlice("host"), cmd.Bool("force"))
				if err != nil {
					return err
				}
				leaf := res.Pair.Leaf()
				if res.Renewed {
					fmt.Fprintf(cmd.Root().Writer, "%s: new certificate (%s): serial %s, valid until %s, in %s\n",
						app, res.Reason, res.Pair.Serial(), leaf.NotAfter.UTC().Format(time.RFC3339), a.Store.CertDir(app))
				} else {
					fmt.Fprintf(cmd.Root().Writer, "%s: not renewed: %s\n", app, res.Reason)
				}
				return nil
			},
		}},
	}
}
