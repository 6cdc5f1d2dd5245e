// Package export turns one loaded app (*generator.App) into the files an
// operator takes to a cluster when one host is no longer enough: Kubernetes
// manifests (Kube) or a compose-specification file (Compose). It is pure:
// config in, bytes out; it runs nothing, reads and writes no file, and talks
// to neither Podman nor systemd. Whatever of the config has no equivalent on
// the other side (bind mounts, links, podman_args, the proxy, ...) is a
// warning naming the key and the config file:line, never silently dropped.
//
// Only the quadlaunch helper (the CLI) links this package. It pulls in
// k8s.io/api and k8s.io/apimachinery, which the systemd generator, run at
// every boot and daemon-reload, must never carry: generator and units do not
// import it, and test/layers checks the generator binary's dependencies.
//
// Secret env never lands in Export.Main: it goes to Export.Secrets, which the
// caller writes with mode 0600 and keeps out of version control.
//
// Ordering, Kubernetes. migrate and configure are Jobs, and every role's pod
// (and the configure Job's) starts with an init container that waits, with
// `kubectl wait --for=condition=complete`, for the Jobs it depends on. The
// obvious alternative, migrate as an init container of the web Deployment,
// is wrong once there is more than one replica: every pod would run the
// migration at every start (scale-up, reschedule, crash loop), several at
// once, and the other roles would not wait for it at all. A Job runs once per
// release; the waiting init containers give every role the order quadlaunch's
// units give on one host (A-migrate, then A-configure, then the roles). The
// price is a ServiceAccount with read access to the namespace's Jobs.
//
// Ordering, compose. migrate and configure are services that run once; the
// roles depend on them with condition service_completed_successfully.
//
// Secrets, compose. Secret env goes to an env_file (Export.Secrets), not to
// compose `secrets:`: compose secrets are files under /run/secrets, while the
// app (Discourse reads DISCOURSE_DB_PASSWORD and friends from its
// environment) expects env vars, which would need a wrapper in the image. The
// env_file keeps the values out of the compose file, which is meant to be
// shared, and the container sees the same environment as under quadlaunch.
//
// Launcher-style configs (no migrate:/configure: key) have quadlaunch's
// helper run the pups steps tagged db,migrate and db,precompile in a one-off
// container. Neither a cluster nor compose has that helper: the Job or
// service is a placeholder that succeeds, and a warning says that those
// steps must be baked into the image at build (as the bash launcher's
// bootstrap does) or the config must name a migrate/configure command.
package export
