//go:build remote

package podman

import (
	"context"
	"fmt"

	"github.com/containers/podman/v5/pkg/bindings/containers"
	"github.com/containers/podman/v5/pkg/bindings/images"

	"github.com/quadlaunch/quadlaunch/runtime/versions"
	"github.com/quadlaunch/quadlaunch/units"
)

// ListVersions asks Podman for the app's versions.
func (Bindings) ListVersions(ctx context.Context, app string) ([]versions.Version, error) {
	list, err := listAppImages(ctx, app)
	if err != nil {
		return nil, err
	}
	inUse, err := imagesInUse(ctx)
	if err != nil {
		return nil, err
	}
	return versions.FromImages(app, list, inUse), nil
}

func imagesInUse(ctx context.Context) (map[string]bool, error) {
	all := true
	cs, err := containers.List(ctx, &containers.ListOptions{All: &all})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	used := map[string]bool{}
	for _, c := range cs {
		used[c.ImageID] = true
	}
	return used, nil
}

// currentTags reads current/previous of app.
func currentTags(ctx context.Context, app string) (versions.Tags, error) {
	cur, err := imageID(ctx, units.ImageRef(app, units.CurrentTag))
	if err != nil {
		return versions.Tags{}, err
	}
	prev, err := imageID(ctx, units.ImageRef(app, versions.TagPrevious))
	return versions.Tags{Current: cur, Previous: prev}, err
}

// Promote makes id current; the old current becomes previous. It returns the tags
// as they were, for RestoreTags.
func (Bindings) Promote(ctx context.Context, app, id string) (versions.Tags, error) {
	old, err := currentTags(ctx, app)
	if err != nil {
		return old, err
	}
	if old.Current == id {
		return old, nil
	}
	if old.Current != "" {
		if err := tagImage(ctx, old.Current, app, versions.TagPrevious); err != nil {
			return old, err
		}
	}
	return old, tagImage(ctx, id, app, units.CurrentTag)
}

// RestoreTags puts current and previous back as they were.
func (Bindings) RestoreTags(ctx context.Context, app string, t versions.Tags) error {
	ctx = context.WithoutCancel(ctx)
	for _, x := range []struct{ tag, id string }{{units.CurrentTag, t.Current}, {versions.TagPrevious, t.Previous}} {
		var err error
		if x.id == "" {
			err = untagImage(ctx, app, x.tag)
		} else {
			err = tagImage(ctx, x.id, app, x.tag)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// RemoveVersion untags a version and deletes the image if nothing else uses it.
func (Bindings) RemoveVersion(ctx context.Context, app string, v versions.Version) error {
	if err := images.Untag(ctx, v.ImageID, v.Version, units.ImageRepo(app), nil); err != nil && !isNotFound(err) {
		return fmt.Errorf("untag %s: %w", units.ImageRef(app, v.Version), err)
	}
	if _, errs := images.Remove(ctx, []string{v.ImageID}, nil); len(errs) > 0 {
		// Still referenced (another tag, a child image): the untag is what counts.
		return nil
	}
	return nil
}
