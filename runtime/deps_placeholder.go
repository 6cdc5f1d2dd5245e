//go:build remote

// Package runtime talks to Podman and systemd on behalf of the quadlaunch CLI.
package runtime

// Placeholder imports so go.mod/go.sum carry the pinned dependencies before the
// code that uses them lands. Delete once runtime/ imports these for real.
import (
	_ "github.com/containers/podman/v5/pkg/bindings"
	_ "github.com/containers/podman/v5/pkg/bindings/containers"
	_ "github.com/containers/podman/v5/pkg/bindings/images"
	_ "github.com/coreos/go-systemd/v22/dbus"
	_ "github.com/godbus/dbus/v5"
)
