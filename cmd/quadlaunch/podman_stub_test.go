//go:build !remote

package main

import "github.com/quadlaunch/quadlaunch/runtime"

// Without the tag podman.go is left out and `go build` of the command fails
// (a quadlaunch without Podman is no use); its tests need no Podman, so they
// build and run untagged with no engine at all.
var engine runtime.Engine
