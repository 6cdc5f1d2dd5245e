package main

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/podman"
	"github.com/quadlaunch/quadlaunch/runtime/session"
)

// Beyond one host: share a built version, follow a registry, and hand the app
// to Kubernetes or compose.
func init() {
	commands = append(commands, pushCommand(), autoUpdateCommand(), exportCommand())
}

func pushCommand() *cli.Command {
	return &cli.Command{
		Name:      "push",
		Usage:     "push a built version of APP (default: current) to a registry, to run it elsewhere with image:",
		ArgsUsage: "APP [VERSION]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "to", Required: true, Usage: "the reference to push to (registry.example/app:tag)"},
			&cli.BoolFlag{Name: "tls-verify", Value: true, Usage: "verify the registry's TLS certificate"},
			&cli.StringFlag{Name: "authfile", Usage: "Podman auth file with the registry's credentials (default: Podman's)"},
		},
		Action: withSession(session.Options{Podman: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			return s.Push(ctx, cmd.Args().Get(1), cmd.String("to"),
				podman.RegistryOptions{TLSVerify: cmd.Bool("tls-verify"), Authfile: cmd.String("authfile")})
		}),
	}
}

// autoUpdateCommand is what A-auto-update.service runs (auto_update:).
func autoUpdateCommand() *cli.Command {
	return &cli.Command{
		Name:      "auto-update",
		Usage:     "deploy a new image behind image: health-gated, rolled back on failure (what APP-auto-update.timer runs)",
		ArgsUsage: "APP",
		Flags:     []cli.Flag{lockTimeoutFlag()},
		Action: withSession(session.Options{Podman: true, Lock: true, Systemd: true}, func(ctx context.Context, cmd *cli.Command, s *session.Session) error {
			return s.AutoUpdate(ctx)
		}),
	}
}

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "Kubernetes manifests (kube) or a compose file (compose) for APP, to move beyond one host",
		Description: "kube: a Deployment per role (probes from healthcheck), migrate and configure as Jobs that the roles'\n" +
			"init containers wait for, a ConfigMap for plain env, a Secret for secret env (its own file, 0600), Services\n" +
			"for exposed ports, PersistentVolumeClaims for named volumes. compose: a service per role, migrate and\n" +
			"configure as services the roles depend on (service_completed_successfully), secret env in an env_file\n" +
			"(0600). What has no equivalent (bind mounts, links, podman_args, the proxy) is a warning naming file:line\n" +
			"and key. Without --out only the main file is printed, never the secrets.\n" +
			"kube --for podman: one Pod for podman kube play (or a Quadlet .kube unit) on one host, migrate then configure\n" +
			"as its init containers at every start of the pod, the roles as its containers, published ports as hostPorts.",
		ArgsUsage: "kube|compose APP",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write the files into this directory"},
			&cli.StringFlag{Name: "image", Usage: "the image every container runs (default: this host's localhost/quadlaunch/APP:current)"},
			&cli.StringFlag{Name: "namespace", Usage: "kube: the namespace of every object (default: default)"},
			&cli.IntFlag{Name: "replicas", Usage: "kube: replicas of each role (default 1)"},
			&cli.StringFlag{Name: "for", Usage: "kube: cluster (default), or podman: one pod for podman kube play on one host, migrate and configure as its init containers"},
		},
		// k8s.io/api costs every start of the binary that links it (package
		// initialisation): only quadlaunch-podman does (podman.go); the
		// quadlaunch on PATH goes on there (podman_exec.go).
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() != 2 {
				return cli.Exit("usage: quadlaunch export kube|compose APP [--out DIR]", 2)
			}
			return exportAction(ctx, cmd)
		},
	}
}
