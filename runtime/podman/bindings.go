//go:build remote

package podman

// Bindings is Engine over the Podman API (the Go bindings). It holds
// nothing: the connection travels in the context (Connect), as the bindings
// want it.
type Bindings struct{}

var _ Engine = Bindings{}
