//go:build remote

package podman

import (
	"context"
	"fmt"
	"time"

	"github.com/containers/podman/v5/pkg/bindings/containers"
	"github.com/containers/podman/v5/pkg/bindings/images"

	"github.com/quadlaunch/quadlaunch/runtime/versions"
	"github.com/quadlaunch/quadlaunch/units"
)

// Images from and to a registry (issue #19): an app with image: runs a
// prebuilt image instead of building; push shares a built version. Podman
// reads registry credentials from its auth file (podman login, or
// RegistryOptions.Authfile): they never reach a unit, a log line or a
// command line of ours.

// ImportImage pulls ref and makes it a version of app, as a build would:
// the same labels (app, version, created, config digest, tool), the pulled
// image's digest as its base digest and its reference as its source, and its
// own entrypoint and command. It does not move current (Promote does). A
// pull that fails (unknown registry or tag, refused auth, a digest that does
// not match) changes nothing.
func (Bindings) ImportImage(ctx context.Context, app, ref string, o RegistryOptions, b BuildOptions) (*BuildResult, error) {
	if err := pull(ctx, ref, o); err != nil {
		return nil, err
	}
	img, err := images.GetImage(ctx, ref, nil)
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", ref, err)
	}
	digest := pulledDigest(ctx, ref, o, img)
	if v, id, err := findImportedVersion(ctx, app, digest, b.ConfigDigest); err != nil {
		return nil, err
	} else if v != "" {
		fmt.Fprintf(outOf(b), "%s (%s) is version %s already\n", ref, versions.ShortDigest(digest), v)
		return &BuildResult{Version: v, ImageID: id, Reused: true}, nil
	}
	var entrypoint, cmd []string
	if img.Config != nil {
		entrypoint, cmd = img.Config.Entrypoint, img.Config.Cmd
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	version, err := newVersion(ctx, app, now())
	if err != nil {
		return nil, err
	}
	id, err := createWorkContainer(ctx, workSpec{Image: img.ID, Name: fmt.Sprintf("quadlaunch-import-%s-%d", app, time.Now().UnixNano())})
	if err != nil {
		return nil, err
	}
	defer removeContainer(context.WithoutCancel(ctx), id)
	repo, pause := units.ImageRepo(app), false
	resp, err := containers.Commit(ctx, id, &containers.CommitOptions{Repo: &repo, Tag: &version, Pause: &pause, Changes: []string{
		"ENTRYPOINT " + jsonArray(entrypoint), "CMD " + jsonArray(cmd),
		"LABEL " + versions.LabelApp + "=" + app,
		"LABEL " + versions.LabelVersion + "=" + version,
		"LABEL " + versions.LabelCreated + "=" + now().UTC().Format(time.RFC3339),
		"LABEL " + versions.LabelConfigDigest + "=" + b.ConfigDigest,
		"LABEL " + versions.LabelTool + "=" + b.ToolVersion,
		"LABEL " + versions.LabelBaseDigest + "=" + digest,
		"LABEL " + versions.LabelSource + "=" + ref,
	}})
	if err != nil {
		return nil, fmt.Errorf("make %s a version of %s: %w", ref, app, err)
	}
	if ctx.Err() != nil {
		_ = untagImage(context.WithoutCancel(ctx), app, version)
		return nil, ctx.Err()
	}
	fmt.Fprintf(outOf(b), "imported %s (%s) as %s (%s)\n", ref, versions.ShortDigest(digest), units.ImageRef(app, version), shortID(resp.ID))
	return &BuildResult{Version: version, ImageID: resp.ID}, nil
}

// PullDigest pulls ref and returns the digest it names now.
func (Bindings) PullDigest(ctx context.Context, ref string, o RegistryOptions) (string, error) {
	if err := pull(ctx, ref, o); err != nil {
		return "", err
	}
	img, err := images.GetImage(ctx, ref, nil)
	if err != nil {
		return "", fmt.Errorf("inspect %s: %w", ref, err)
	}
	return pulledDigest(ctx, ref, o, img), nil
}

func pull(ctx context.Context, ref string, o RegistryOptions) error {
	quiet := true
	opts := &images.PullOptions{Quiet: &quiet, Policy: &o.Policy}
	if o.Policy == "" {
		opts.Policy = nil
	}
	if !o.TLSVerify {
		skip := true
		opts.SkipTLSVerify = &skip
	}
	if o.Authfile != "" {
		opts.Authfile = &o.Authfile
	}
	if _, err := images.Pull(ctx, ref, opts); err != nil {
		return fmt.Errorf("pull %s: %w (nothing changed; current is unchanged)", ref, err)
	}
	return nil
}

// findImportedVersion is the version already imported from the image with
// this digest under this config, if any.
func findImportedVersion(ctx context.Context, app, digest, configDigest string) (string, string, error) {
	return findVersionWhere(ctx, app, func(l map[string]string) bool {
		return l[versions.LabelSource] != "" && l[versions.LabelBaseDigest] == digest && l[versions.LabelConfigDigest] == configDigest
	})
}

// Push pushes version of app (current when "") to dest and returns the
// pushed manifest's digest.
func (Bindings) Push(ctx context.Context, app, version, dest string, o RegistryOptions) (string, error) {
	if version == "" {
		version = units.CurrentTag
	}
	src := units.ImageRef(app, version)
	if id, err := imageID(ctx, src); err != nil || id == "" {
		if err == nil {
			err = fmt.Errorf("no such version")
		}
		return "", fmt.Errorf("push %s: %w", src, err)
	}
	quiet := true
	opts := &images.PushOptions{Quiet: &quiet}
	if !o.TLSVerify {
		skip := true
		opts.SkipTLSVerify = &skip
	}
	if o.Authfile != "" {
		opts.Authfile = &o.Authfile
	}
	if err := images.Push(ctx, src, dest, opts); err != nil {
		return "", fmt.Errorf("push %s to %s: %w", src, dest, err)
	}
	img, err := images.GetImage(ctx, src, nil)
	if err != nil {
		return "", err
	}
	for _, rd := range img.RepoDigests {
		return rd, nil
	}
	return img.Digest.String(), nil
}
