//go:build remote

package podman

import "github.com/quadlaunch/quadlaunch/runtime"

// Engine is runtime.Engine over the Podman API. It holds nothing: the
// connection travels in the context (Connect), as the bindings want it.
type Engine struct{}

var _ runtime.Engine = Engine{}
