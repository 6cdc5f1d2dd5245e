// Package podman is everything quadlaunch asks of Podman. Engine (engine.go)
// says it as an interface with plain value types, and Bindings implements it
// over the Podman Go bindings: builds (pups steps in a work container, one
// cached layer per step, steps.go), version tags, the migrate and configure
// passes and other one-off containers, health checks.
//
// It is the only package that imports the bindings, so the only one built
// with their tags (remote containers_image_openpgp exclude_graphdriver_btrfs,
// CGO_ENABLED=0): every file but engine.go and this one carries the `remote`
// build tag, so without it the package is the interface alone and whatever
// imports it builds and is tested without tags (cmd/quadlaunch/podman.go
// wires Bindings in). Of quadlaunch it imports generator, units, pups, pass
// and versions; never systemd, proxy, rollout or session.
package podman
