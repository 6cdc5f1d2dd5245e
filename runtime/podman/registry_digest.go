//go:build remote

package podman

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/containers/image/v5/docker"
	"github.com/containers/image/v5/types"
	"github.com/containers/podman/v5/pkg/domain/entities"
	"github.com/distribution/reference"

	"github.com/quadlaunch/quadlaunch/runtime/versions"
)

// Which digest an image has in its registry cannot be read off Podman's
// store: an image that was here before under another name (built here,
// pushed, pulled back; a base tagged from a local image) keeps several
// manifest digests, RepoDigests lists every name of the image with every one
// of them, and which one inspect calls Digest varies (e2e saw both). So the
// registry is asked right after a pull (pulledDigest), and a build on a base
// it did not pull reuses what an earlier version recorded for that image
// (recordedBaseDigest).

// registryDigest is the digest that stands for img when the registry's is
// not known: the digest of a reference by digest, else the image's Digest,
// else its ID.
func registryDigest(ref string, img *entities.ImageInspectReport) string {
	if d := refDigest(ref); d != "" {
		return d
	}
	if d := img.Digest.String(); d != "" {
		return d
	}
	return img.ID
}

// refDigest is the digest a reference by digest names, "" for any other.
func refDigest(ref string) string {
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		if d, ok := named.(reference.Digested); ok {
			return d.Digest().String()
		}
	}
	return ""
}

// pulledDigest is the digest ref's registry serves for img, just pulled as
// ref: what versions record and what auto-update compares. The registry's
// answer counts only when it is one of img's own digests (the tag did not
// move since the pull); otherwise, or when the registry cannot be asked,
// registryDigest stands in.
func pulledDigest(ctx context.Context, ref string, o RegistryOptions, img *entities.ImageInspectReport) string {
	if d := refDigest(ref); d != "" {
		return d
	}
	if d, err := servedDigest(ctx, ref, o); err == nil && hasDigest(img, d) {
		return d
	}
	return registryDigest(ref, img)
}

// servedDigest asks ref's registry (one HEAD request) which manifest it
// serves for ref, with what Podman uses for the same user: registries.conf
// (insecure registries), certs.d (a private CA) and the auth file of
// `podman login` (or o.Authfile).
func servedDigest(ctx context.Context, ref string, o RegistryOptions) (string, error) {
	r, err := docker.ParseReference("//" + ref)
	if err != nil {
		return "", fmt.Errorf("reference %s: %w", ref, err)
	}
	sys := &types.SystemContext{AuthFilePath: o.Authfile}
	if !o.TLSVerify {
		sys.DockerInsecureSkipTLSVerify = types.OptionalBoolTrue
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	d, err := docker.GetDigest(ctx, sys, r)
	if err != nil {
		return "", fmt.Errorf("digest of %s: %w", ref, err)
	}
	return d.String(), nil
}

// hasDigest says whether d is one of img's manifest digests.
func hasDigest(img *entities.ImageInspectReport, d string) bool {
	if img.Digest.String() == d {
		return true
	}
	for _, rd := range img.RepoDigests {
		if strings.HasSuffix(rd, "@"+d) {
			return true
		}
	}
	return false
}

// recordedBaseDigest is the base digest an earlier version of app recorded
// for base (a digest that is one of base's own; the newest version's when
// several did), "" when none did: a build
// that uses the local base without pulling it keeps the registry digest
// learnt when it was pulled.
func recordedBaseDigest(ctx context.Context, app string, base *entities.ImageInspectReport) (string, error) {
	list, err := listAppImages(ctx, app)
	if err != nil {
		return "", err
	}
	found, newest := "", ""
	for _, im := range list {
		d, v := im.Labels[versions.LabelBaseDigest], im.Labels[versions.LabelVersion]
		if d != "" && hasDigest(base, d) && v > newest {
			found, newest = d, v
		}
	}
	return found, nil
}
