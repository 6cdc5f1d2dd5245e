// Package podman is quadlaunch's Podman adapter: the only package that
// imports the Podman Go bindings, so the only one built with their tags
// (remote containers_image_openpgp exclude_graphdriver_btrfs, CGO_ENABLED=0).
// Engine implements runtime.Engine over the Podman API: builds (pups steps in a
// work container, one cached layer per step, steps.go), version tags, the
// migrate and configure passes and other one-off containers, health checks.
// Everything else under runtime/ builds and is tested without tags.
//
// Every file but this one carries the `remote` build tag: without it the
// package is empty.
package podman
