// Package rollout runs every change of an app's running version (deploy,
// rebuild, bootstrap, rollback, and the migrate/configure passes asked for by
// name) as a plan of steps, with ONE executor (Run) against small interfaces:
// Units (systemd jobs), Images (build, promote, tags), Proxy (switch, drain),
// Hooks (deploy_hooks), Overrides (transient drop-ins and flag files) and
// Reporter (progress lines, journal). The plans say which steps run in which
// order and what undoing a failure at each step takes (RollbackFor); the steps
// that move tags put them back themselves when they fail half-way.
//
// The package is pure on purpose: no build tags, no Podman, no D-Bus; of
// quadlaunch it imports generator and units only. The implementations of the
// interfaces live in package session (runtime/session), above it; the failure
// matrix (rollout_test.go) runs every plan against a recording fake with plain
// `go test`.
package rollout
