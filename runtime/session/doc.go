// Package session is one helper command's hold on an app (Open: its config,
// the Podman and systemd connections, the per-app lock) and the rollouts run
// on it: Build, Bootstrap, Rebuild, Migrate, Configure, Deploy and Rollback
// each pick their plan from package rollout and run it with rollout's one
// executor over this package's implementations of rollout's interfaces:
// systemd jobs and health gating (rollout_backend.go), web slots
// (slots_backend.go), transient drop-ins and flag files (overrides*.go,
// pass_overrides.go), deploy hooks (hooks.go), podman images.
//
// It is the top of the host layer: it may import every host package
// (systemd, podman, proxy, versions, pass, rollout) and the plan below them;
// only cmd/quadlaunch imports it.
package session
