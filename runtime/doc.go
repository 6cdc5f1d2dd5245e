// Package runtime is what the quadlaunch CLI does on the host: plans builds
// (pups steps, one cached layer per step), keeps versions (current/previous
// tags), drives units over systemd's D-Bus API, controls the nginx proxy, runs
// deploy hooks, and implements the interfaces the rollouts of package
// runtime/rollout run against (rollout_backend.go, overrides_systemd.go; entry
// points in rollouts.go).
//
// What it asks of Podman goes through Engine (engine.go), which package
// runtime/podman implements: that adapter is the only package importing the
// Podman bindings and carrying their build tags. This package, D-Bus client
// included, builds and is tested without tags.
package runtime
