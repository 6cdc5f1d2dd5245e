//go:build remote

package podman

import (
	"testing"

	"github.com/containers/podman/v5/pkg/domain/entities"
	"github.com/containers/podman/v5/pkg/inspect"
	"github.com/opencontainers/go-digest"
)

func TestRegistryDigest(t *testing.T) {
	const (
		local  = "sha256:04a4648ef9dda5149d26f4652aa9bea5a063ea6ebc8f8449f27f21285b1f4fe3"
		remote = "sha256:bd46d95f90eab3934a19fd44e1a3a28e621e37088a5477a52c6a97d36d323c56"
		other  = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	)
	// An image built here, then pushed and pulled back: Podman's inspect
	// after the pull (as seen in e2e) lists every name crossed with every
	// digest in RepoDigests; which one is Digest varies.
	img := &entities.ImageInspectReport{ImageData: &inspect.ImageData{ID: "c0ffee", Digest: digest.Digest(remote), RepoDigests: []string{
		"registry.example:5443/base@" + local,
		"registry.example:5443/base@" + remote,
		"localhost/quadlaunch/demo@" + local,
		"localhost/quadlaunch/demo@" + remote,
	}}}
	for _, c := range []struct{ ref, want string }{
		{"registry.example:5443/base:1", remote},       // the image's Digest, not the first RepoDigest of the repository
		{"registry.example:5443/base@" + other, other}, // a digest reference names itself
		{"NOT A REFERENCE", remote},
	} {
		if got := registryDigest(c.ref, img); got != c.want {
			t.Errorf("%s: %s, want %s", c.ref, got, c.want)
		}
	}
	if got := registryDigest("x:1", &entities.ImageInspectReport{ImageData: &inspect.ImageData{ID: "c0ffee"}}); got != "c0ffee" {
		t.Errorf("no digest at all: %s, want the ID", got)
	}
}

func TestHasDigest(t *testing.T) {
	const (
		local  = "sha256:04a4648ef9dda5149d26f4652aa9bea5a063ea6ebc8f8449f27f21285b1f4fe3"
		remote = "sha256:bd46d95f90eab3934a19fd44e1a3a28e621e37088a5477a52c6a97d36d323c56"
		moved  = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	)
	img := &entities.ImageInspectReport{ImageData: &inspect.ImageData{ID: "c0ffee", Digest: digest.Digest(local), RepoDigests: []string{
		"registry.example:5443/base@" + local,
		"registry.example:5443/base@" + remote,
	}}}
	for d, want := range map[string]bool{local: true, remote: true, moved: false, "": false} {
		if got := hasDigest(img, d); got != want {
			t.Errorf("hasDigest(%q) = %v, want %v", d, got, want)
		}
	}
}
