//go:build remote

package main

import (
	"github.com/quadlaunch/quadlaunch/runtime/podman"
)

// engine is Podman as the commands use it: the Podman adapter (package
// runtime/podman), the one part of quadlaunch built with the bindings' tags.
// This is the only file of the command that needs them.
var engine podman.Engine = podman.Bindings{}
