//go:build !remote

package main

import "github.com/quadlaunch/quadlaunch/runtime/podman"

// engine of the quadlaunch on PATH, built without the Podman bindings: a
// command goes on in quadlaunch-podman at its first connection to Podman
// (podman.Reexec says why).
var engine podman.Engine = podman.Reexec{}
