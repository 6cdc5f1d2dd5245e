//go:build remote

package podman

import (
	"github.com/containers/podman/v5/pkg/domain/entities"
	"github.com/distribution/reference"
)

// registryDigest is the digest under which ref's registry serves img: what
// versions record as a version's base digest and what auto-update compares.
// Podman's image Digest is the image's first digest, which is not the
// registry's when the image was here before under another name (built on
// this host, pushed and pulled back; a base tagged from a local image):
// RepoDigests has one entry per repository the image was pulled from, and
// the one of ref's repository is the registry's. A reference by digest is
// its own answer; without a match the image's Digest, then its ID, stand in.
func registryDigest(ref string, img *entities.ImageInspectReport) string {
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		if d, ok := named.(reference.Digested); ok {
			return d.Digest().String()
		}
		for _, rd := range img.RepoDigests {
			n, err := reference.ParseNormalizedNamed(rd)
			if err != nil {
				continue
			}
			if c, ok := n.(reference.Canonical); ok && n.Name() == named.Name() {
				return c.Digest().String()
			}
		}
	}
	if d := img.Digest.String(); d != "" {
		return d
	}
	return img.ID
}
