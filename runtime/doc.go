// Package runtime is what the quadlaunch CLI does on the host: builds images
// through the Podman API (pups steps, one cached layer per step), keeps
// versions (current/previous tags), drives units over systemd's D-Bus API,
// controls the nginx proxy, runs deploy hooks, and implements the interfaces
// the rollouts of package runtime/rollout run against (rollout_backend.go,
// overrides_systemd.go; entry points in rollouts.go).
//
// Files that import the Podman bindings or D-Bus carry the `remote` build tag;
// the rest (plans, file layouts of overrides, hook env) are pure and tested
// without it.
package runtime
